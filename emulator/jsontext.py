"""JSON parsing for everything the emulator reads: request bodies, JWT parts and JWKS files.

Python's ``json`` accepts ``NaN``, ``Infinity`` and numbers that overflow to infinity, none of
which is JSON; a non-finite number reaching a clock, a lifetime or a claim check fails far from
where it came in, so it is refused at the door (as ``ValueError``, like any malformed JSON).
"""
from __future__ import annotations

import json
import math
from typing import Any, Union


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError("number out of range")
    return value


def loads(text: Union[str, bytes]) -> Any:
    return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)


def is_finite_number(value: Any) -> bool:
    """A JSON number that is neither a boolean nor infinite (ints of any size are finite)."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))
