"""User accounts, sessions and tokens for the example service."""

__version__ = "0.3.1"
