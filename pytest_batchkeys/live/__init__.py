"""Talking to ARM live: bearer tokens, the test HTTP client, and the replay network guard."""
