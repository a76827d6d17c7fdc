"""Model pipelines: the built-in tiny models, loading from disk or the hub, and sampler mapping."""
