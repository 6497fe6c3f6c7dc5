"""Embedder implementations, one per module; see ``docintel.embedder`` for the Protocol and registry."""
