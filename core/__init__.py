"""rulewright's public API. Plugins and integrators import from here only.

`PLUGIN_API_VERSION` is the version of the plugin API (hooks, the types below); what may change
between versions is in docs/plugins/compatibility.md.
"""

from rulewright.core.evaluate.answers import from_text as answer_from_text
from rulewright.core.evaluate.compiler import Compiler
from rulewright.core.evaluate.engine import Engine, EngineError
from rulewright.core.evaluate.logic import ScoreValue, Truth, bounds, make_score
from rulewright.core.evaluate.records import (
    ChunkedInput,
    InputAdapter,
    InputRecord,
    PlainLines,
    ReadOptions,
    SpannedInput,
    answers_from_copies,
    clipped,
)
from rulewright.core.evaluate.result import (
    ErrorInfo,
    Escalation,
    OutcomeRef,
    RedFlagHit,
    Result,
    json_default,
)
from rulewright.core.evaluate.tracetext import score_text, trace_lines
from rulewright.core.evaluate.writers import (
    ConcatenableFormat,
    FormatFactory,
    FormatOptions,
    FormatWriter,
    RenderedJsonWriter,
)
from rulewright.core.hooks.host import (
    DEFAULT_PLUGINS,
    LoadFailure,
    PluginConflict,
    PluginHost,
    PluginLoadError,
    hookimpl,
    make_plugin_host,
)
from rulewright.core.hooks.protocols import (
    Operator,
    RegisterCommand,
    RegisterFormat,
    RegisterInputAdapter,
    RegisterOperator,
    RegisterScorer,
    ReportFinding,
    ScoreFunction,
    Scorer,
)
from rulewright.core.hooks.specs import PLUGIN_API_VERSION
from rulewright.core.model.diagnostics import Diagnostic, RulesetError
from rulewright.core.model.loader import bundled_rulesets, load_ruleset
from rulewright.core.model.refs import score_order
from rulewright.core.model.ruleset import (
    LEVEL_RANK,
    LEVELS,
    Band,
    Condition,
    Input,
    Outcome,
    RedFlag,
    Ruleset,
    Score,
    ScoreItem,
)
from rulewright.core.model.ruleset import Escalation as EscalationRule
from rulewright.core.pytest_plugin.types import (
    CliResult,
    EngineFactory,
    HostFactory,
    RenderResults,
    RulesCli,
    RunSuites,
)
from rulewright.core.version import __version__

__all__ = [
    "DEFAULT_PLUGINS",
    "LEVELS",
    "LEVEL_RANK",
    "PLUGIN_API_VERSION",
    "Band",
    "ChunkedInput",
    "CliResult",
    "Compiler",
    "ConcatenableFormat",
    "Condition",
    "Diagnostic",
    "Engine",
    "EngineError",
    "EngineFactory",
    "ErrorInfo",
    "Escalation",
    "EscalationRule",
    "FormatFactory",
    "FormatOptions",
    "FormatWriter",
    "HostFactory",
    "Input",
    "InputAdapter",
    "InputRecord",
    "LoadFailure",
    "Operator",
    "Outcome",
    "OutcomeRef",
    "PlainLines",
    "PluginConflict",
    "PluginHost",
    "PluginLoadError",
    "ReadOptions",
    "RedFlag",
    "RedFlagHit",
    "RegisterCommand",
    "RegisterFormat",
    "RegisterInputAdapter",
    "RegisterOperator",
    "RegisterScorer",
    "RenderResults",
    "RenderedJsonWriter",
    "ReportFinding",
    "Result",
    "RulesCli",
    "Ruleset",
    "RulesetError",
    "RunSuites",
    "Score",
    "ScoreFunction",
    "ScoreItem",
    "ScoreValue",
    "Scorer",
    "SpannedInput",
    "Truth",
    "__version__",
    "answer_from_text",
    "answers_from_copies",
    "bounds",
    "bundled_rulesets",
    "clipped",
    "hookimpl",
    "json_default",
    "load_ruleset",
    "make_plugin_host",
    "make_score",
    "score_order",
    "score_text",
    "trace_lines",
]
