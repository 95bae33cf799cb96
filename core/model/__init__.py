"""Stage 1, model: read, check and fingerprint a ruleset.

Owns the ruleset's data model (`ruleset`), bounded reading of ruleset and suite files and
folders (`files`), safe YAML loading with positions (`yamlload`), the
JSON Schema and semantic checks (`schemas`, `semantics`, `refs`), the tree-to-model parser,
the content fingerprint, the checked-ruleset cache and `file:line:col` diagnostics. The lowest
stage: it imports no other stage of `rulewright.core` (only `rulewright.core.version`).
Keep this `__init__` free of imports, so that loading one module does not load the rest.
"""
