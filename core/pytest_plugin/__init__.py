"""Stage 8, pytest plugin: `pytest` collects ruleset test suites (`suites`) and plugin authors
get fixtures (`fixtures`). Registered through the `pytest11` entry points; sits above `cli`
because its `rulewright_cli` fixture runs the command line in-process. May import every stage.
"""
