"""Cassettes and recordings: vcrpy facade, file formats, interactions, atomic writes, interop."""
