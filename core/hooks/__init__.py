"""Stage 2, hooks: the plugin host.

Owns the hook specifications (`specs`, the reference for plugin developers), the Protocols of
what plugins register and the callbacks they get (`protocols`), and the plugin manager (`host`):
built-in plugins from `DEFAULT_PLUGINS`, third-party ones from the `rulewright` entry-point
group, and the registries of named contributions (operators, scorers, formats, input adapters,
commands). May import `model`; names the `evaluate` stage's types in annotations only (under
`TYPE_CHECKING`); never imports `rulewright.plugins` (built-ins are loaded by module name).
"""
