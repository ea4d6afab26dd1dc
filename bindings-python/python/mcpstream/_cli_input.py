"""What the command line reads: ``-H`` headers, tool arguments from ``--arg KEY=VALUE`` (JSON if
it parses, else text; ``KEY:=VALUE`` must be JSON) and a JSON object (inline, ``@file`` or ``-``
for stdin). Bad input is a ``ValueError``, which the command line reports as a usage error."""

from __future__ import annotations

import json
import sys
from typing import Any, Dict, List, Optional, Sequence, Tuple


def headers(pairs: List[str]) -> Dict[str, str]:
    headers: Dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition(":")
        if not sep or not name.strip():
            raise ValueError(f"header must look like 'Name: value', got {pair!r}")
        headers[name.strip()] = value.strip()
    return headers


def _refuse_constant(name: str) -> Any:
    # NaN and Infinity parse in Python but are not JSON: no server would accept them.
    raise ValueError(f"{name} is not JSON")


def parse_json(text: str) -> Any:
    return json.loads(text, parse_constant=_refuse_constant)


def _json_text(source: str) -> str:
    """The text of the JSON arguments: ``-`` reads stdin, ``@path`` a file, else ``source``."""
    if source == "-":
        return sys.stdin.read()
    if source.startswith("@"):
        try:
            with open(source[1:], encoding="utf-8") as f:
                return f.read()
        except OSError as e:
            raise ValueError(f"cannot read tool arguments from {source[1:]!r}: {e.strerror}") from None
    return source


def _json_object(source: str) -> Dict[str, Any]:
    text = _json_text(source)
    try:
        arguments = parse_json(text)
    except ValueError as e:
        raise ValueError(f"tool arguments are not valid JSON: {e}") from None
    if not isinstance(arguments, dict):
        raise ValueError("tool arguments must be a JSON object")
    return arguments


def _argument(pair: str) -> Tuple[str, Any]:
    """``key=value`` (JSON when the value parses as JSON, else the text) or ``key:=json``
    (JSON or an error)."""
    key, sep, value = pair.partition("=")
    explicit = key.endswith(":")
    if explicit:
        key = key[:-1]
    if not sep or not key:
        raise ValueError(f"--arg must look like key=value or key:=json, got {pair!r}")
    try:
        return key, parse_json(value)
    except ValueError as e:
        if explicit:
            raise ValueError(f"--arg {key}:= needs JSON, got {value!r}: {e}") from None
        return key, value


def tool_arguments(json_source: Optional[str], pairs: Sequence[str]) -> Dict[str, Any]:
    """The JSON object (if any), then each ``--arg`` over it."""
    arguments = _json_object(json_source) if json_source is not None else {}
    arguments.update(_argument(pair) for pair in pairs)
    return arguments
