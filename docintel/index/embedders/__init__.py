"""Embedder implementations, one per module; see ``docintel.index.embedder`` for the Protocol and registry."""
