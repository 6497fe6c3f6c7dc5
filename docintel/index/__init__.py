"""The index stage: chunks, embeddings (Embedder seam and its implementations), vector stores (FAISS files,
Milvus), the BM25 index, fusion, the SQLite store, the embedding cache and symbol-aware search."""
