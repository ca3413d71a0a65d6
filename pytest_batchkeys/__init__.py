"""pytest-batchkeys: test code that reads Azure Batch account keys, offline or live."""

__version__ = "0.1.0"
