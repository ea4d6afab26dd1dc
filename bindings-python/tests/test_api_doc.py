"""docs/api-python.md lists the package's whole public API, exactly: every name in
``mcpstream.__all__``, every public method and property of each class, each with its
signature as ``inspect`` reads it from the code (annotations left out), and the native
functions as ``_native.pyi`` declares them. A name, keyword or default added, renamed or
dropped in the code fails here until the document says the same."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import re
from typing import Any, Dict, List, Set

import mcpstream
import pytest
from conftest import REPO

DOC = REPO / "docs" / "api-python.md"
STUB = REPO / "bindings-python" / "python" / "mcpstream" / "_native.pyi"
MODULE_SECTION = "mcpstream"
# Python's own machinery a class gets from a base outside the package.
OUTSIDE = ("builtins", "typing", "abc")


def plain(signature: inspect.Signature, drop_first: bool = False) -> str:
    params = list(signature.parameters.values())[1 if drop_first else 0 :]
    bare = [p.replace(annotation=inspect.Parameter.empty) for p in params]
    return str(signature.replace(parameters=bare, return_annotation=inspect.Signature.empty))


def stub_signature(name: str) -> str:
    """A native function's signature as ``_native.pyi`` declares it."""
    for node in ast.parse(STUB.read_text()).body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            args = node.args
            if args.defaults or args.kwonlyargs or args.vararg or args.kwarg:
                raise AssertionError(f"extend stub_signature for {name}'s parameters")
            return "(" + ", ".join(a.arg for a in args.args) + ")"
    raise AssertionError(f"{name} is exported from _native but not declared in _native.pyi")


def ours(owner: type) -> bool:
    return owner.__module__.startswith("mcpstream")


def members(cls: type) -> Set[str]:
    """What a class offers: its constructor if the package defines one, its public methods
    (``async`` marks a coroutine) and properties, and a dataclass's fields."""
    found: Set[str] = set()
    init_owner = next(c for c in cls.__mro__ if "__init__" in vars(c))
    if ours(init_owner) and not getattr(cls, "_is_protocol", False):
        found.add(cls.__name__ + plain(inspect.signature(cls)))
    fields = {f.name for f in dataclasses.fields(cls)} if dataclasses.is_dataclass(cls) else set()
    found |= fields
    for name in dir(cls):
        if name.startswith("_") or name in fields:
            continue
        owner = next(c for c in cls.__mro__ if name in vars(c))
        if not ours(owner):
            continue
        value = vars(owner)[name]
        if isinstance(value, property):
            found.add(name)
        elif inspect.isfunction(value):
            prefix = "async " if inspect.iscoroutinefunction(value) else ""
            found.add(prefix + name + plain(inspect.signature(value), drop_first=True))
        else:
            found.add(name)
    return found


def from_code() -> Dict[str, Set[str]]:
    api: Dict[str, Set[str]] = {MODULE_SECTION: set()}
    for name in mcpstream.__all__:
        value: Any = getattr(mcpstream, name)
        if inspect.isclass(value):
            api[name] = members(value)
        elif callable(value):
            native = getattr(value, "__module__", "") == "mcpstream._native"
            signature = stub_signature(name) if native else plain(inspect.signature(value))
            api[MODULE_SECTION].add(name + signature)
        else:
            api[MODULE_SECTION].add(name)
    return api


def from_doc(text: str) -> Dict[str, Set[str]]:
    """Sections are ``## `Name` ``; their entries are list items that open with a code span."""
    api: Dict[str, Set[str]] = {}
    section = None
    for line in text.splitlines():
        heading = re.match(r"## `([^`]+)`", line)
        if heading:
            section = heading.group(1)
            if section in api:
                raise AssertionError(f"section {section} appears twice")
            api[section] = set()
            continue
        if line.startswith("## "):
            section = None
        entry = re.match(r"- `([^`]+)`", line)
        if entry and section is not None:
            if entry.group(1) in api[section]:
                raise AssertionError(f"{section}: {entry.group(1)} appears twice")
            api[section].add(entry.group(1))
    return api


def differences(code: Dict[str, Set[str]], doc: Dict[str, Set[str]]) -> List[str]:
    problems = [f"section `{name}` is missing from the document" for name in sorted(code.keys() - doc.keys())]
    problems += [
        f"section `{name}` documents nothing in mcpstream.__all__" for name in sorted(doc.keys() - code.keys())
    ]
    for name in sorted(code.keys() & doc.keys()):
        problems += [f"{name}: not documented: `{entry}`" for entry in sorted(code[name] - doc[name])]
        problems += [f"{name}: documented, not in the code: `{entry}`" for entry in sorted(doc[name] - code[name])]
    return problems


def test_the_document_lists_exactly_the_public_api():
    problems = differences(from_code(), from_doc(DOC.read_text()))
    assert not problems, "docs/api-python.md disagrees with the code:\n  " + "\n  ".join(problems)


def test_the_reading_covers_what_users_call():
    code = from_code()
    assert "connect()" in code["Client"] and "async connect()" in code["AsyncClient"]
    assert any(entry.startswith("call_tool(name, arguments=None, *,") for entry in code["Client"])
    assert any(entry.startswith("Client(url, *, headers=None") for entry in code["Client"])
    assert "protocol_version" in code["Client"] and "type" in code["SubscriptionEvent"]
    assert "forget_verdict(url)" in code[MODULE_SECTION]
    assert any(entry.startswith("HTTPError(message, *, status, error_type") for entry in code["HTTPError"])
    assert {"load(key)", "save(key, value)", "delete(key)"} <= code["TokenStore"]


def test_the_comparison_can_fail():
    code = {"Client": {"connect()", "ping()"}, MODULE_SECTION: {"forget_verdict(url)"}}
    doc = from_doc(
        "# API\n\n## `Client`\n\n- `connect()`: connects\n- `pong()`: nothing\n\n## `Gone`\n\n- `x`\n\n"
        "## Notes\n\n- `ping()` outside a section\n"
    )
    assert differences(code, doc) == [
        f"section `{MODULE_SECTION}` is missing from the document",
        "section `Gone` documents nothing in mcpstream.__all__",
        "Client: not documented: `ping()`",
        "Client: documented, not in the code: `pong()`",
    ]
    with pytest.raises(AssertionError, match="twice"):
        from_doc("## `A`\n- `x`\n- `x`\n")
