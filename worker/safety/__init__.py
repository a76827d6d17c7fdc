"""Image safety on the worker: the CSAM guard (CLIP concept scores, pure and tested with stub embeddings)."""
