"""The listKeys contract: load a spec file, resolve refs, select, repair, fingerprint, adapt."""
