#!/usr/bin/env python3
"""Generate roles/<role>/README.md from roles/<role>/meta/argument_specs.yml.

    python scripts/role_docs.py            # (re)write every role's README.md
    python scripts/role_docs.py --check    # exit 1 and list the roles whose README.md differs

A README has three parts; only the middle one is generated:

    <hand-written: title, what the role does, an example>   kept as it is
    <!-- BEGIN GENERATED: argument_specs ... -->
    <entry points and a table of their options>             rewritten from the argument specs
    <!-- END GENERATED -->
    <hand-written: tests, notes>                            kept as it is

A role without a README gets a stub title above the markers (write the hand-written part
there); a README without the markers keeps all its text and gets the generated part appended.
Standard library and PyYAML only.
"""
import argparse
import json
import os
import sys

import yaml

BEGIN = ("<!-- BEGIN GENERATED: argument_specs (from meta/argument_specs.yml by "
         "scripts/role_docs.py; edit those, not this part) -->")
END = "<!-- END GENERATED -->"
BEGIN_PREFIX = "<!-- BEGIN GENERATED: argument_specs"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTION = "gpufleet.fleet"


def roles_with_specs(root):
    roles_dir = os.path.join(root, "roles")
    return sorted(r for r in os.listdir(roles_dir)
                  if os.path.isfile(os.path.join(roles_dir, r, "meta", "argument_specs.yml")))


def load_specs(root, role):
    with open(os.path.join(root, "roles", role, "meta", "argument_specs.yml"),
              encoding="utf-8") as fh:
        doc = yaml.safe_load(fh) or {}
    specs = doc.get("argument_specs")
    if not isinstance(specs, dict) or not specs:
        raise SystemExit("roles/%s/meta/argument_specs.yml: no argument_specs" % role)
    return specs


def prose(text):
    """Markdown for a description: `<` and `>` outside code spans become entities, or
    Markdown would take `<distribution>` for an HTML tag and drop it."""
    parts = text.split("`")
    if len(parts) % 2 == 0:         # an unpaired backtick: no code spans to keep
        parts = [text]
    for i in range(0, len(parts), 2):
        parts[i] = parts[i].replace("<", "&lt;").replace(">", "&gt;")
    return "`".join(parts)


def paragraphs(value):
    """description / short_description: a string or a list of strings -> list of one-line
    Markdown strings."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [prose(" ".join(str(item).split())) for item in items if str(item).strip()]


def code(text):
    """Inline code that survives backticks in the value."""
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return "%s%s%s%s%s" % (fence, pad, text, pad, fence)


def cell(text):
    """A Markdown table cell: one line, pipes escaped (also inside code spans, as GFM wants)."""
    return " ".join(text.split()).replace("|", "\\|")


def render_value(value):
    if isinstance(value, str):
        return code(value) if value else '`""`'
    return code(json.dumps(value, ensure_ascii=False))


def render_type(spec):
    kind = spec.get("type", "str")
    if kind == "list" and spec.get("elements"):
        return "list of %s" % spec["elements"]
    return kind


def option_rows(options, prefix=""):
    rows = []
    for name in options:            # the order of argument_specs.yml
        spec = options[name] or {}
        full = prefix + name
        label = code(full)
        if spec.get("aliases"):
            label += " (aliases: %s)" % ", ".join(code(a) for a in spec["aliases"])
        default = render_value(spec["default"]) if "default" in spec else "—"
        choices = ", ".join(render_value(c) for c in spec.get("choices") or []) or "—"
        description = "<br>".join(paragraphs(spec.get("description"))) or "—"
        rows.append("| %s |" % " | ".join(cell(c) for c in (
            label, render_type(spec), default, "yes" if spec.get("required") else "no",
            choices, description)))
        if spec.get("options"):
            rows.extend(option_rows(spec["options"], full + "."))
    return rows


def render_entry_point(role, name, spec):
    lines = []
    if name == "main":
        lines.append("## Role variables (entry point `main`)")
    else:
        lines.append("## Entry point `%s`" % name)
        lines.append("")
        lines.append("Used with `ansible.builtin.include_role: {name: %s.%s, tasks_from: %s}`."
                     % (COLLECTION, role, name))
    short = paragraphs(spec.get("short_description"))
    if short:
        lines += ["", "**%s**" % " ".join(short)]
    for para in paragraphs(spec.get("description")):
        lines += ["", para]
    options = spec.get("options") or {}
    lines.append("")
    if options:
        lines.append("| Option | Type | Default | Required | Choices | Description |")
        lines.append("|---|---|---|---|---|---|")
        lines.extend(option_rows(options))
    else:
        lines.append("No options.")
    return lines


def render_generated(role, specs):
    lines = [BEGIN, ""]
    names = sorted(specs, key=lambda n: (n != "main", n))
    for i, name in enumerate(names):
        if i:
            lines.append("")
        lines.extend(render_entry_point(role, name, specs[name] or {}))
    lines += ["", END]
    return "\n".join(lines) + "\n"


def split_readme(text):
    """(head, tail) around the generated part; (text, '') when the markers are missing."""
    lines = text.splitlines(keepends=True)
    begin = next((i for i, line in enumerate(lines) if line.startswith(BEGIN_PREFIX)), None)
    if begin is None:
        return text, ""
    end = next((i for i in range(begin + 1, len(lines)) if lines[i].strip() == END), None)
    if end is None:
        raise SystemExit("%s line found but no %s line after it" % (BEGIN_PREFIX, END))
    return "".join(lines[:begin]), "".join(lines[end + 1:])


def stub_head(role):
    return ("# %s.%s\n\n<!-- Hand-written part: what the role does, an example playbook, where "
            "its tests are. -->\n\n" % (COLLECTION, role))


def expected_readme(root, role):
    path = os.path.join(root, "roles", role, "README.md")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            current = fh.read()
        head, tail = split_readme(current)
        if head and not head.endswith("\n"):
            head += "\n"
        if head and not head.endswith("\n\n"):
            head += "\n"
    else:
        current, head, tail = None, stub_head(role), ""
    return current, head + render_generated(role, load_specs(root, role)) + tail


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when a README.md differs from what would be written")
    parser.add_argument("--root", default=ROOT, help="repository root (default: this checkout)")
    parser.add_argument("roles", nargs="*", help="only these roles (default: every role with "
                        "meta/argument_specs.yml)")
    args = parser.parse_args(argv)

    roles = args.roles or roles_with_specs(args.root)
    stale = []
    for role in roles:
        current, wanted = expected_readme(args.root, role)
        if current == wanted:
            continue
        stale.append(role)
        if not args.check:
            with open(os.path.join(args.root, "roles", role, "README.md"), "w",
                      encoding="utf-8") as fh:
                fh.write(wanted)
            print("wrote roles/%s/README.md" % role)
    if args.check and stale:
        for role in stale:
            print("roles/%s/README.md differs from roles/%s/meta/argument_specs.yml" % (role, role))
        print("run: python scripts/role_docs.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
