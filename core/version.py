"""The rulewright version, reported in every result record. pyproject.toml takes it from here,
so it is set in one place; looking it up in the installed metadata instead meant importing
importlib.metadata, a fifth of the CLI's start-up."""

__version__ = "0.1.0"
