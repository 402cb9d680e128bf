"""JSON that strict parsers accept: every non-finite number becomes null.

Python's json writes `Infinity` and `NaN`, which jq, JavaScript and Go reject. A perplexity
can be infinite (a run that diverged), so every JSON the app prints or writes goes through
`dumps` here: non-finite floats become `null`, and `allow_nan=False` proves none is left.
"""

from __future__ import annotations

import json
import math
from typing import Any


def finite(value: Any) -> Any:
    """`value` with every non-finite float (at any depth) replaced by None; tuples become lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [finite(item) for item in value]
    return value


def dumps(value: Any, **options: Any) -> str:
    """json.dumps of `value` with non-finite numbers as null; never writes Infinity or NaN."""
    return json.dumps(finite(value), allow_nan=False, **options)
