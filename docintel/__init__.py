"""docintel: answers questions about large bodies of text, deciding per question what the model reads."""

from __future__ import annotations

__version__ = "0.1.0"
