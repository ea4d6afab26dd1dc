"""What the command line prints: the tools table, a tool result as text, the ``inspect``
report, and JSON."""

from __future__ import annotations

import json
import shutil
from typing import Any, List, Mapping, Sequence, Tuple

from mcpstream._cli_input import parse_json

_INSTRUCTION_LINES = 3


def terminal_width() -> int:
    # COLUMNS, else the terminal's, else 80 (piped): a table line never wraps.
    return max(40, shutil.get_terminal_size().columns)


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def _first_line(text: Any) -> str:
    lines = str(text or "").strip().splitlines()
    return lines[0].strip() if lines else ""


def tool_signature(schema: Any) -> str:
    """The arguments of an ``inputSchema``: required ones bare, optional ones in brackets."""
    if not isinstance(schema, dict):
        return ""
    properties = schema.get("properties")
    names = list(properties) if isinstance(properties, dict) else []
    required = [r for r in schema.get("required") or [] if isinstance(r, str)]
    names += [r for r in required if r not in names]
    return " ".join([n for n in names if n in required] + [f"[{n}]" for n in names if n not in required])


def tools_table(tools: Sequence[Mapping[str, Any]], width: int) -> str:
    if not tools:
        return "(no tools)\n"
    rows = [
        (str(t.get("name", "")), tool_signature(t.get("inputSchema")), _first_line(t.get("description"))) for t in tools
    ]
    name_width = max(len("NAME"), *(len(name) for name, _, _ in rows))
    # Long argument lists give way to the description, which says more.
    args_width = min(max(len("ARGUMENTS"), *(len(args) for _, args, _ in rows)), max(len("ARGUMENTS"), width // 3))
    lines = []
    for name, args, description in [("NAME", "ARGUMENTS", "DESCRIPTION"), *rows]:
        line = f"{name:<{name_width}}  {_fit(args, args_width):<{args_width}}  {description}"
        lines.append(_fit(line.rstrip(), width))
    return "\n".join(lines) + "\n"


def _decoded_size(data: Any) -> int:
    text = "".join(str(data or "").split()).rstrip("=")
    return len(text) * 3 // 4


def _block_summary(block: Mapping[str, Any]) -> str:
    kind = block.get("type")
    if kind in ("image", "audio"):
        return f"[{kind} {block.get('mimeType', '?')}, {_decoded_size(block.get('data'))} bytes]"
    if kind == "resource_link":
        name = f" ({block['name']})" if block.get("name") else ""
        return f"[resource link {block.get('uri', '?')}{name}]"
    if kind == "resource":
        resource = block.get("resource") or {}
        mime = f" {resource['mimeType']}" if resource.get("mimeType") else ""
        if "text" in resource:
            size = f"{len(str(resource['text']))} characters"
        else:
            size = f"{_decoded_size(resource.get('blob'))} bytes"
        return f"[resource {resource.get('uri', '?')}{mime}, {size}]"
    return f"[{kind} block]"


def _is_json_of(text: str, value: Any) -> bool:
    try:
        return bool(parse_json(text) == value)
    except ValueError:
        return False


def tool_result_text(result: Mapping[str, Any]) -> str:
    """Text blocks as they are, other blocks summarised, then ``structuredContent`` as JSON.
    A text block that only repeats the structured content as JSON (as the spec advises
    servers to send) is left out."""
    structured = result.get("structuredContent")
    parts = []
    for block in result.get("content") or []:
        if block.get("type") == "text":
            text = str(block.get("text", ""))
            if structured is None or not _is_json_of(text, structured):
                parts.append(text)
        else:
            parts.append(_block_summary(block))
    if structured is not None:
        parts.append(json.dumps(structured, indent=2, ensure_ascii=False))
    return "".join(part if part.endswith("\n") else part + "\n" for part in parts)


def _capability_names(capabilities: Mapping[str, Any]) -> str:
    names = []
    for name in sorted(capabilities):
        value = capabilities[name]
        flags = [flag for flag, on in value.items() if on is True] if isinstance(value, dict) else []
        names.append(f"{name} ({', '.join(flags)})" if flags else name)
    return ", ".join(names) or "none"


def inspect_text(report: Mapping[str, Any], width: int) -> str:
    info = report["server_info"] or {}
    session = report["session"]
    rows: List[Tuple[str, str]] = [
        ("url", report["url"]),
        ("era", report["era"]),
        ("protocol", report["protocol_version"]),
    ]
    if "id" in session:
        rows.append(("session", session["id"]))
    else:
        rows.append(("session", "yes (id hidden: -vv shows it)" if session["present"] else "none"))
    server = " ".join(str(info[key]) for key in ("name", "version") if info.get(key))
    rows.append(("server", server or "(no serverInfo)"))
    if info.get("title"):
        rows.append(("title", str(info["title"])))
    instructions = str(report["instructions"] or "").strip().splitlines()
    if len(instructions) > _INSTRUCTION_LINES:
        more = len(instructions) - _INSTRUCTION_LINES
        instructions = instructions[:_INSTRUCTION_LINES] + [f"… ({more} more line{'s' if more > 1 else ''})"]
    rows += [("instructions" if i == 0 else "", line) for i, line in enumerate(instructions)]
    rows.append(("capabilities", _capability_names(report["capabilities"])))
    rows += [(kind, str(count)) for kind, count in report["counts"].items()]
    rows += [(kind, error) for kind, error in report["errors"].items()]
    label_width = max(len(label) for label, _ in rows)
    return "".join(_fit(f"{label:<{label_width}}  {value}", width) + "\n" for label, value in rows)


def dump_json(value: Any) -> str:
    return json.dumps(value, indent=2) + "\n"
