"""Content fingerprint of a ruleset: sha256 over a canonical form, not over the raw bytes.

Reformatting, comments, key order and the order of id-keyed declarations (inputs, scores, red
flags, ...) do not change it; outcome order does (it matters under hit policy `first`), and so
does any change of wording, threshold or weight. Values equal to their documented default are
dropped, so writing `weight: 1` or leaving it out gives the same fingerprint.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

_UNORDERED = {"inputs", "scores", "red_flags", "escalations", "invariants", "references", "items", "bands"}
_DEFAULTS = {
    "weight": 1,
    "missing": "unknown",
    "urgency": "routine",
    "scoring": "weighted-sum",
    "hit_policy": "first",
}


def canonical(value: Any, key: str | None = None) -> Any:
    if isinstance(value, dict):
        return {
            k: canonical(v, k)
            for k, v in value.items()
            if not (k in _DEFAULTS and v == _DEFAULTS[k] and not isinstance(v, bool))
        }
    if isinstance(value, list):
        items = [canonical(v) for v in value]
        if key in _UNORDERED and all(isinstance(i, dict) and "id" in i for i in items):
            items.sort(key=lambda i: str(i["id"]))
        return items
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def fingerprint(data: dict[str, Any]) -> str:
    text = json.dumps(canonical(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
