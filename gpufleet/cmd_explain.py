"""``gpufleet explain [TEXT] [--json]``: name the GPU failure behind an error message.

TEXT is the error (quote it), or ``-`` / nothing to read standard input, so a whole
terminal session or log can be piped in: ``docker compose up 2>&1 | gpufleet explain``.
Prints the known failures it matches, best first, each with its cause, the remedy, the host
checks that confirm it and the ``gpufleet doctor`` problems that detect it beforehand.
``--json`` prints ``{"matches": [...]}`` (an empty list when nothing matches). Exit status 0
whether or not something matched, 2 on bad usage.

Start-up is kept light: only the standard library and the catalog/matcher module_utils are
imported (no ansible, rich or ansible-runner).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from types import ModuleType
from typing import Any

# Standard input read at most (the matcher keeps the head and tail of longer input).
MAX_STDIN = 64 * 1024 * 1024
WIDTH = 100


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "explain", help="name the GPU failure behind an error message",
        description="Match an error message (or a whole pasted log) against gpufleet's "
                    "catalog of GPU-in-container failures and print cause, remedy and the "
                    "host checks that confirm it.",
        epilog="examples:\n  gpufleet explain 'could not select device driver \"\" with "
               "capabilities: [[gpu]]'\n  docker compose up 2>&1 | gpufleet explain\n"
               "  gpufleet explain --json - < journal.txt",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("text", nargs="?", default=None, metavar="TEXT",
                   help="the error message; '-' or nothing: read standard input")
    p.add_argument("--json", action="store_true", help='print {"matches": [...]}')
    p.set_defaults(func=run)


def matcher() -> ModuleType:
    """gpufleet_explain from the collection: installed (the wheel's ansible_collections) or
    this checkout's (.collections/ makes its FQCN importable)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    collections = os.path.join(root, ".collections")
    if os.path.isfile(os.path.join(root, "galaxy.yml")) and collections not in sys.path:
        sys.path.append(collections)
    from ansible_collections.gpufleet.fleet.plugins.module_utils import gpufleet_explain
    return gpufleet_explain


def read_text(args: argparse.Namespace, stdin: Any = None) -> bytes | str:
    """The text to explain; ValueError (bad usage) when there is none to read."""
    if args.text is not None and args.text != "-":
        if not args.text.strip():
            raise ValueError("the text to explain is empty: pass the error message, or '-' "
                             "to read it from standard input")
        return args.text
    source = stdin if stdin is not None else sys.stdin
    if source is None:
        raise ValueError("no text given and no standard input to read")
    stream = getattr(source, "buffer", source)
    isatty = getattr(source, "isatty", None)
    if args.text is None and isatty is not None and isatty():
        raise ValueError("no text given: pass the error message as an argument, or pipe it "
                         "in (e.g. `docker compose up 2>&1 | gpufleet explain`, "
                         "`gpufleet explain - < log.txt`)")
    return stream.read(MAX_STDIN)


def _wrap(label: str, text: str) -> list[str]:
    indent = " " * 12
    return textwrap.wrap(text, WIDTH, initial_indent="   %-9s" % label,
                         subsequent_indent=indent, break_on_hyphens=False,
                         break_long_words=False) or ["   %s" % label]


def render(matches: list[dict[str, Any]]) -> str:
    """Human-readable report of explain()'s matches."""
    if not matches:
        return ("No known GPU failure matches this text: gpufleet's catalog has no pattern "
                "for it, so it is probably not a GPU-in-container problem (or a new one). "
                "`gpufleet doctor -i INVENTORY` checks the hosts themselves.")
    out = ["%d known GPU failure%s match%s, best first:" % (
        len(matches), "" if len(matches) == 1 else "s", "es" if len(matches) == 1 else "")]
    for n, m in enumerate(matches, 1):
        out.append("")
        out.append("%d. %s (score %d)" % (n, m["id"], m["score"]))
        out.extend(textwrap.wrap(m["title"], WIDTH, initial_indent="   ",
                                 subsequent_indent="   "))
        for line in m.get("matched") or []:
            out.append("   matched: " + line)
        out.extend(_wrap("cause:", m["cause"]))
        out.extend(_wrap("remedy:", m["remedy"]))
        out.append("   checks:")
        for c in m["checks"]:
            out.append("     - %s: %s" % (c["check"], c["command"]))
        if m.get("doctor"):
            out.extend(_wrap("doctor:", "gpufleet doctor reports it on a host as "
                             + ", ".join(m["doctor"])))
        out.extend(_wrap("sources:", " ".join(m["sources"])))
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    try:
        text = read_text(args)
    except ValueError as exc:
        print("gpufleet: explain: %s" % exc, file=sys.stderr)
        return 2
    matches = matcher().explain(text)
    if args.json:
        print(json.dumps({"matches": matches}, indent=2))
    else:
        print(render(matches))
    return 0
