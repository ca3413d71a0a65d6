"""Secrets: placeholders, the leak guard registry, output redaction and the recording scrubber."""
