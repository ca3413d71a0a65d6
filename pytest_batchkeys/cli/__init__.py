"""The `batchkeys` command line: serve, verify and scrub."""
