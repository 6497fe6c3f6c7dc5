"""The Prompt: what is sent to a model, as blocks a backend can map onto its own API.

The layout follows shared/DESIGN.md: instructions, corpus map, corpus (the cacheable prefix, byte-stable for an
unchanged corpus), then a cache breakpoint, then salient passages and the question (the volatile suffix).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

from docintel.corpus import SourceSpan

BlockRole = Literal["instructions", "corpus_map", "corpus", "passages", "question"]


@dataclass(frozen=True)
class CitedSpan:
    """A span as it appears in the prompt, under its citation id (``[3]`` in the text)."""

    id: str  # "1", "2", ... stable within one prompt
    span: SourceSpan
    text: str


@dataclass(frozen=True)
class PromptBlock:
    role: BlockRole
    text: str
    cache_breakpoint: bool = False  # True on the last block of the cacheable prefix


@dataclass(frozen=True)
class Prompt:
    blocks: tuple[PromptBlock, ...]
    citations: tuple[CitedSpan, ...]  # every span sent, by citation id
    question: str
    mode: str  # the Plan's mode this prompt was built for
    max_output_tokens: int = 1024
    estimated_tokens: int = 0
    # The index's fused search hits for the question, best first (the ranking ``search`` shows): an answerer
    # without a model (extractive) weighs evidence by it. Empty when the prompt was built without a search.
    ranked_spans: tuple[SourceSpan, ...] = ()
    # The documents the plan chose (empty: the whole corpus). Passages of other documents in the same prompt were
    # added as a safety net for a guessed scope (``Plan.widen_k``): an answerer weighs them below the chosen ones.
    scope: tuple[str, ...] = ()

    @property
    def prefix(self) -> str:
        """The cacheable prefix: all blocks up to and including the last cache breakpoint."""
        last = max((i for i, b in enumerate(self.blocks) if b.cache_breakpoint), default=-1)
        return "".join(b.text for b in self.blocks[: last + 1])

    @property
    def suffix(self) -> str:
        last = max((i for i, b in enumerate(self.blocks) if b.cache_breakpoint), default=-1)
        return "".join(b.text for b in self.blocks[last + 1 :])

    @property
    def text(self) -> str:
        return "".join(b.text for b in self.blocks)

    @property
    def prefix_hash(self) -> str:
        return hashlib.sha256(self.prefix.encode()).hexdigest()

    def citation(self, cid: str) -> CitedSpan | None:
        for c in self.citations:
            if c.id == cid:
                return c
        return None
