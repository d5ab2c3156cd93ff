"""Stage 6: the job. Generate a dataset (locally, in shards, on dask) and merge shards."""
