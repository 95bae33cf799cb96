"""Every bundled ruleset's suites cover its whole decision space (`rules test --coverage`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from rulewright.core.model.loader import bundled_rulesets


@pytest.mark.parametrize("ref", [b.ref for b in bundled_rulesets()])
def test_suites_cover_every_outcome_red_flag_and_threshold(invoke: Callable[..., Any], ref: str) -> None:
    result = invoke("test", ref, "--coverage", "--min-coverage", "100")
    assert result.exit_code == 0, result.output
    assert "100.0% of" in result.output
