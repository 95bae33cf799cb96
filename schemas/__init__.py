"""JSON Schemas (draft 2020-12) for rulesets, test suites and result records."""
