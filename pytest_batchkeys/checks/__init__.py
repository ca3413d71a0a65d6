"""Contract checks: schemathesis response checks, Azure rules, violations, curl rendering."""
