"""Adversarial inputs as data: hostile rulesets and hostile records, with their expected results.

`rulesets/expected.tsv` and `records/expected.tsv` are the manifests; `manifest.py` reads them
and adds the few cases too big to keep in the repository (they are generated at test time).
"""
