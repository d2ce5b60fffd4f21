#!/usr/bin/env python3
"""Generate the README's problem table from the rules (RULES in gpufleet_gpu_problems.py).

    python scripts/problem_table.py            # rewrite the table in README.md
    python scripts/problem_table.py --check    # write nothing; exit 1 when README.md is stale

Only the lines between the two markers are generated:

    <!-- problems:begin (generated from the rules; do not edit by hand) -->
    | id | when | reveals |
    ...
    <!-- problems:end -->

One row per rule, in RULES order: the id, when it fires, and the failure catalog ids it
reveals (what `gpufleet explain` names for the same failure after the fact). Standard
library only; the rules are imported from the checkout (.collections/).
"""
import argparse
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BEGIN_PREFIX = "<!-- problems:begin"
BEGIN = "<!-- problems:begin (generated from the rules; do not edit by hand) -->"
END = "<!-- problems:end -->"


def load_rules(root):
    sys.path.insert(0, os.path.join(root, ".collections"))
    try:
        from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_gpu_problems import RULES
    finally:
        sys.path.pop(0)
    return RULES


def render_table(rules):
    lines = ["| id | when | reveals |", "|---|---|---|"]
    for rule in rules:
        when = " ".join(rule["when"].split()).replace("|", "\\|")
        reveals = ", ".join("`%s`" % f for f in rule["failures"]) or "-"
        lines.append("| `%s` | %s | %s |" % (rule["id"], when, reveals))
    return "\n".join(lines) + "\n"


def replace_block(text, table):
    """README text with the lines between the markers replaced by ``table``."""
    start = text.find(BEGIN_PREFIX)
    end = text.find(END, start if start >= 0 else 0)
    if start < 0 or end < 0:
        raise ValueError("README.md has no %s ... %s markers" % (BEGIN_PREFIX, END))
    line_end = text.index("\n", start) + 1
    return text[:line_end] + table + text[end:]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when README.md's table differs from the rules")
    parser.add_argument("--root", default=ROOT, help="repository root (default: this checkout)")
    args = parser.parse_args(argv)
    readme = os.path.join(args.root, "README.md")
    with open(readme, encoding="utf-8") as fh:
        text = fh.read()
    try:
        new = replace_block(text, render_table(load_rules(args.root)))
    except ValueError as exc:
        print("problem_table: %s" % exc, file=sys.stderr)
        return 2
    if new == text:
        return 0
    if args.check:
        print("README.md's problem table is out of date; run `python scripts/problem_table.py`",
              file=sys.stderr)
        return 1
    with open(readme, "w", encoding="utf-8") as fh:
        fh.write(new)
    print("README.md: problem table rewritten (%d rules)" % len(load_rules(args.root)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
