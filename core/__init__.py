"""rulewright's public API. Plugins and integrators import from here only."""

from rulewright.core.evaluate.answers import from_text as answer_from_text
from rulewright.core.evaluate.compiler import Compiler
from rulewright.core.evaluate.engine import Engine, EngineError
from rulewright.core.evaluate.logic import bounds, make_score
from rulewright.core.evaluate.records import ChunkedInput, InputRecord, PlainLines, ReadOptions, SpannedInput
from rulewright.core.evaluate.result import (
    ErrorInfo,
    Escalation,
    OutcomeRef,
    RedFlagHit,
    Result,
    json_default,
)
from rulewright.core.evaluate.tracetext import score_text, trace_lines
from rulewright.core.evaluate.writers import ConcatenableFormat, FormatOptions, RenderedJsonWriter
from rulewright.core.hooks.host import (
    DEFAULT_PLUGINS,
    PluginConflict,
    PluginHost,
    hookimpl,
    make_plugin_host,
)
from rulewright.core.model.diagnostics import Diagnostic, RulesetError
from rulewright.core.model.loader import bundled_rulesets, load_ruleset
from rulewright.core.model.refs import score_order
from rulewright.core.model.ruleset import LEVEL_RANK, LEVELS, Ruleset
from rulewright.core.version import __version__

__all__ = [
    "DEFAULT_PLUGINS",
    "LEVELS",
    "LEVEL_RANK",
    "ChunkedInput",
    "Compiler",
    "ConcatenableFormat",
    "Diagnostic",
    "Engine",
    "EngineError",
    "ErrorInfo",
    "Escalation",
    "FormatOptions",
    "InputRecord",
    "OutcomeRef",
    "PlainLines",
    "PluginConflict",
    "PluginHost",
    "ReadOptions",
    "RedFlagHit",
    "RenderedJsonWriter",
    "Result",
    "Ruleset",
    "RulesetError",
    "SpannedInput",
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
