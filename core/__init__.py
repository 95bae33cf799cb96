"""rulewright's public API. Plugins and integrators import from here only."""

from rulewright.core.answers import from_text as answer_from_text
from rulewright.core.compiler import Compiler
from rulewright.core.diagnostics import Diagnostic, RulesetError
from rulewright.core.engine import Engine, EngineError
from rulewright.core.loader import bundled_rulesets, load_ruleset
from rulewright.core.logic import bounds, make_score
from rulewright.core.model import LEVEL_RANK, LEVELS, Ruleset
from rulewright.core.pluginhost import (
    DEFAULT_PLUGINS,
    PluginConflict,
    PluginHost,
    hookimpl,
    make_plugin_host,
)
from rulewright.core.records import InputRecord, ReadOptions
from rulewright.core.refs import score_order
from rulewright.core.result import ErrorInfo, Escalation, OutcomeRef, RedFlagHit, Result, json_default
from rulewright.core.tracetext import score_text, trace_lines
from rulewright.core.version import __version__
from rulewright.core.writers import FormatOptions

__all__ = [
    "DEFAULT_PLUGINS",
    "LEVELS",
    "LEVEL_RANK",
    "Compiler",
    "Diagnostic",
    "Engine",
    "EngineError",
    "ErrorInfo",
    "Escalation",
    "FormatOptions",
    "InputRecord",
    "OutcomeRef",
    "PluginConflict",
    "PluginHost",
    "ReadOptions",
    "RedFlagHit",
    "Result",
    "Ruleset",
    "RulesetError",
    "__version__",
    "answer_from_text",
    "bounds",
    "bundled_rulesets",
    "hookimpl",
    "json_default",
    "load_ruleset",
    "make_plugin_host",
    "make_score",
    "score_order",
    "score_text",
    "trace_lines",
]
