"""Renders the fault matrix into docs/reliability.md from what the three fault suites measured
(target/reliability/{rust,python,ruby}.jsonl, one JSON object per case), and fails if a case is
missing, took longer than its bound or used more memory than its bound, or if the doc that was
committed no longer matches this run.

Each cell shows the outcome with the time (and, where memory is bounded, the peak RSS growth)
measured. Times vary from run to run, so the check compares the doc without its figures: a run
fails only if an outcome, a case or a bound changed, and then rewrites the doc. The committed
figures are those of the last run written with --update-figures (`make reliability
RELIABILITY_FIGURES=1`); every run's own go to target/reliability/figures.md (and stdout).

Usage: python report.py --results target/reliability --doc docs/reliability.md [--update-figures]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, List, Optional, Tuple

LANGUAGES = [("rust", "Rust core"), ("python", "Python"), ("ruby", "Ruby")]

# (case, what happens) in the order of the table. Every language runs every case.
SERVER_CASES: List[Tuple[str, str]] = [
    ("close_after_request", "reads a call, then closes the connection without a byte of answer"),
    ("sse_cut_mid_event", "SSE headers and half an event without an id, then the connection is cut"),
    ("never_answer", "never answers a call (the connection stays open)"),
    ("never_answer_initialize", "never answers `initialize` (`connect()`)"),
    ("keepalive_forever", "SSE headers, then a keep-alive comment every 100 ms, forever"),
    ("drip_json", "a JSON answer (about 100 bytes) sent one byte every 2 ms"),
    ("drip_json_slow", "the same, one byte every 50 ms (about 5 s: past the timeout)"),
    ("garbage_json", "200 `application/json` whose body is not JSON"),
    ("wrong_id", "a well-formed JSON-RPC response to another id"),
    ("huge_json", "a 64 MiB JSON answer, chunked (no `Content-Length` to refuse early)"),
    ("huge_sse_event", "one SSE event carrying 64 MiB"),
    ("notification_flood", "valid `notifications/message`, 50 a millisecond, and never the response"),
    ("html500", "500 with an HTML error page"),
    ("not_found", "404 to a call after connecting"),
    (
        "redirect_cross_origin",
        "307 to another origin, whose listener records what reaches it (the client sends `Authorization`)",
    ),
    ("redirect_post_302", "302 to the endpoint in answer to a POST"),
    ("redirect_post_303", "303 to the endpoint in answer to a POST"),
    ("delete_never_answers", "never answers the DELETE of `close()`"),
    ("die_and_forget", "dies mid-call (after a priming event with an id) and comes back with no sessions"),
    ("die_and_forget_retry", "the same, to a client with `on_session_expired=retry`"),
    ("initialize_bad_session_id", "answers `initialize` with a session id that is not visible ASCII"),
    ("initialize_unknown_version", "answers `initialize` with protocol version 1999-01-01"),
    (
        "input_required_forever",
        "modern era: answers every call `input_required` (an elicitation), forever; `max_input_rounds=3`",
    ),
]
CLIENT_CASES: List[Tuple[str, str]] = [
    ("threads16_half_timeout", "16 threads share one client; half their calls (3 each) time out after 0.3 s"),
    (
        "reentrant_handlers",
        "a progress callback, a notification handler and an elicitation handler each call the same client",
    ),
    ("raising_handlers", "the same three raise (Rust: the callbacks panic, the request handler returns an error)"),
    (
        "interrupt_connect_call_close",
        "Ctrl-C (Python), `Thread#kill` (Ruby), dropping the future (Rust) while blocked in connect, a call"
        " and close; the bound is on the time from the interrupt to control coming back",
    ),
    (
        "fork_client_made_before",
        "the process forks holding a connected client with a notification handler; in the child it calls,"
        " its handler runs, `close()` says `left_to_parent`; the parent's session goes on (no DELETE)",
    ),
    (
        "fork_call_in_flight",
        "the process forks while another thread waits on a call; in the child the old client and a new"
        " one work; in the parent the call finishes",
    ),
    (
        "fork_subscription_made_before",
        "modern era: the process forks holding a subscription (in Python and Ruby a thread waits on it);"
        " in the child, waiting for its next event without a limit gives at once its end (an error says it"
        " stays with the parent) and listening anew works; in the parent it goes on",
    ),
]
ALL_CASES = [case for case, _ in SERVER_CASES + CLIENT_CASES]

NOTES = [
    "- `die_and_forget`: the cut stream had an event id, so the client resumes it (GET with",
    "  `Last-Event-ID`, after the server's `retry: 50`); the server no longer knows the session and",
    "  answers 404, which ends the session. The server had taken the call, so it may have run: with",
    "  `on_session_expired=retry` a new session is started but the call is not sent again (a 404 to",
    "  the POST itself, before the server took the call, is retried).",
    "- `fork_*`: the core sees every `fork()` (a `pthread_atfork` handler) and gives the child a",
    "  runtime and connections of its own; nothing of the parent's runtime is touched there. The",
    "  child's calls run under a 3 s timeout; the time is the child's, from fork to exit.",
    "- `delete_never_answers`: `close()` returns `failed` after `close_timeout` and clears the",
    "  session locally anyway; the core's `CloseOutcome::Failed` holds the `Timeout`.",
    "- `redirect_cross_origin`: the other origin received nothing (the suites assert it): neither",
    "  `MCP-Session-Id` nor `Authorization` leaves the origin. 302/303 are never followed for a POST.",
    "- `raising_handlers`: in Python and Ruby a callback that raises is reported (a warning) and the",
    "  call goes on; an elicitation handler that raises answers the server with -32603. In Rust a",
    "  panicking progress, notification or session-change callback is caught and logged (a",
    "  warning), and the call goes on; a request handler answers with an error.",
    "- Memory: the process's peak RSS (`VmHWM`, reset through `/proc/self/clear_refs` before the",
    "  case) may grow by less than 48 MiB while 64 MiB arrive: the client refuses at",
    "  `max_response_bytes` (16 MiB by default) and never holds the whole answer.",
]


def load(results: Path) -> Dict[str, Dict[str, dict]]:
    """language -> case -> the last record of that case."""
    found: Dict[str, Dict[str, dict]] = {}
    for language, _ in LANGUAGES:
        path = results / f"{language}.jsonl"
        cases: Dict[str, dict] = {}
        if path.exists():
            for line in path.read_text().splitlines():
                if line.strip():
                    record = json.loads(line)
                    cases[record["case"]] = record
        found[language] = cases
    return found


def seconds(value: float) -> str:
    return f"{value:g} s"


def cell(record: Optional[dict], problems: List[str], language: str, case: str) -> str:
    if record is None:
        problems.append(f"{language}: {case}: no result (did its suite run?)")
        return "MISSING"
    over = []
    if record["seconds"] > record["bound_seconds"]:
        over.append(f"took {record['seconds']:.2f} s")
    growth, bound = record.get("rss_growth_mib"), record.get("rss_bound_mib")
    if growth is not None and bound is not None and growth >= bound:
        over.append(f"RSS +{growth:.1f} MiB")
    if over:
        problems.append(f"{language}: {case}: over its bound: {', '.join(over)}")
        return f"{record['outcome']} (OVER BOUND: {', '.join(over)})"
    return record["outcome"] + measured(record)


# What a cell adds to its outcome, and the doc's line that dates it: the parts that differ
# from run to run, which the check leaves out.
FIGURES = re.compile(r" · [0-9.]+ s(?:, RSS \+[0-9.]+ MiB)?")
STAMP = re.compile(r"^Figures from the run of .*$", re.MULTILINE)


def measured(record: dict) -> str:
    text = f" · {record['seconds']:.2f} s"
    if record.get("rss_growth_mib") is not None:
        text += f", RSS +{record['rss_growth_mib']:.1f} MiB"
    return text


def without_figures(doc: str) -> str:
    return STAMP.sub("", FIGURES.sub("", doc))


def bound_of(records: List[Optional[dict]]) -> str:
    known = [r for r in records if r is not None]
    if not known:
        return "?"
    times = sorted({r["bound_seconds"] for r in known})
    text = " / ".join(seconds(t) for t in times)
    memory = sorted({r["rss_bound_mib"] for r in known if r.get("rss_bound_mib") is not None})
    if memory:
        text += "; peak RSS growth < " + " / ".join(f"{m:g}" for m in memory) + " MiB"
    return text


def table(cases: List[Tuple[str, str]], found: Dict[str, Dict[str, dict]], problems: List[str]) -> List[str]:
    lines = [
        "| case | what happens | bound | " + " | ".join(name for _, name in LANGUAGES) + " |",
        "|---|---|---|" + "---|" * len(LANGUAGES),
    ]
    for case, what in cases:
        records = [found[language].get(case) for language, _ in LANGUAGES]
        cells = [cell(found[language].get(case), problems, language, case) for language, _ in LANGUAGES]
        lines.append(f"| `{case}` | {what} | {bound_of(records)} | " + " | ".join(cells) + " |")
    return lines


def render(found: Dict[str, Dict[str, dict]], problems: List[str], stamp: str) -> str:
    lines = [
        "# Reliability: the fault matrix",
        "",
        "Written by `tests/reliability/report.py` (`make reliability`, part of `make test`) from what",
        "the fault suites measured in the run; do not edit by hand. The same cases run through the",
        "Rust core (`core/tests/faults.rs`, `faults_memory.rs`), the Python package",
        "(`bindings-python/tests/test_faults.py`) and the Ruby gem (`bindings-ruby/test/test_faults.rb`)",
        "against the reference server, whose hostile lane (`tests/testkit/src/hostile/`,",
        "`POST /_admin/hostile`) makes it misbehave on purpose.",
        "",
        "Every client runs with a 1 s timeout (request, connect and close) and the session era",
        "unless a row says otherwise. A cell is the outcome the client gave (`ok`, or the error",
        "class: the same names in the three languages; the core's `Error` variants map onto them as",
        "in `bindings-kit/src/errors.rs`), then the time it took and, for the cases with a memory",
        "bound, how much the process's peak RSS grew. Every cell was reached within the row's bound",
        "(the timeout plus 1 s of slack) and, after every case, the same client made a successful",
        "call. Every run checks the outcomes and the bounds; the figures here are one run's (each",
        "run writes its own to `target/reliability/figures.md`).",
        "",
        stamp,
        "",
        "## What the server does",
        "",
        *table(SERVER_CASES, found, problems),
        "",
        "## What the application does",
        "",
        *table(CLIENT_CASES, found, problems),
        "",
        "## Notes",
        "",
        *NOTES,
        "",
        "## Fuzzing",
        "",
        "What parses bytes from the network is fuzzed with libFuzzer (`core/fuzz/`, seeded corpus in",
        "`core/fuzz/corpus/`): the SSE parser (structure-aware: the events of a stream split at every",
        "byte boundary must parse as the unsplit stream), the JSON-RPC message classifier, the",
        "session-id, protocol-version and HTTP-status checks, the `WWW-Authenticate` parser and the",
        "authorization server metadata. `make test` runs each target for a few seconds",
        "(`make fuzz-quick`); `make fuzz` runs them for long. Executions and findings of a run are in",
        "`target/fuzz/summary.md`.",
        "",
    ]
    return "\n".join(lines)


def figures(found: Dict[str, Dict[str, dict]]) -> str:
    lines = [
        "# Fault matrix: this run's figures",
        "",
        "| case | " + " | ".join(name for _, name in LANGUAGES) + " |",
        "|---|" + "---|" * len(LANGUAGES),
    ]
    for case in ALL_CASES:
        cells = []
        for language, _ in LANGUAGES:
            record = found[language].get(case)
            if record is None:
                cells.append("-")
                continue
            text = f"{record['seconds']:.3f} s"
            if record.get("rss_growth_mib") is not None:
                text += f", RSS +{record['rss_growth_mib']:.1f} MiB"
            cells.append(text)
        lines.append(f"| `{case}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, required=True)
    parser.add_argument("--doc", type=Path, required=True)
    parser.add_argument("--update-figures", action="store_true", help="write this run's figures into the doc")
    opts = parser.parse_args()
    found = load(opts.results)
    problems: List[str] = []
    for language, _ in LANGUAGES:
        for case in sorted(set(found[language]) - set(ALL_CASES)):
            problems.append(f"{language}: {case}: a result for a case the doc does not list")
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M")
    doc = render(found, problems, f"Figures from the run of {now} UTC.")
    numbers = figures(found)
    (opts.results / "figures.md").write_text(numbers)
    print(numbers)
    old = opts.doc.read_text() if opts.doc.exists() else None
    if old is None or without_figures(old) != without_figures(doc):
        opts.doc.write_text(doc)
        problems.append(f"{opts.doc} did not match this run; it has been rewritten: review and commit it")
    elif opts.update_figures:
        opts.doc.write_text(doc)
        print(f"reliability: {opts.doc} now shows this run's figures")
    for problem in problems:
        print(f"reliability: FAILED: {problem}")
    print(
        f"reliability: {len(problems)} failed" if problems else f"reliability: all {len(ALL_CASES)} cases as expected"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
