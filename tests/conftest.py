"""Shared test setup."""

# pytester's in-process runs unload modules first imported inside them. PyYAML's C extension
# cannot be re-initialised, and the plugin (loaded here too) caches a vcrpy Cassette subclass,
# so import both here: every in-process run then shares one copy of each.
import vcr.cassette
import vcr.persisters.filesystem  # noqa: F401
import yaml  # noqa: F401

pytest_plugins = ["pytester"]
