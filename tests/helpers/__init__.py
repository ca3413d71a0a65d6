"""Helpers shared by the test modules: cassette builder, simulator worlds, vcrpy probe."""
