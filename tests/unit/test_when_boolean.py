"""Every conditional in the project's YAML yields a boolean by construction.

ansible-core 2.19 refuses a ``when:`` (or ``changed_when``/``failed_when``/``until``/
``assert.that``) whose result is not a boolean: "Conditional result (...) was derived from
value of type 'str'". Such a condition only fails when its task is reached with a non-empty
string, so a branch that no test takes hides it (three such crashes shipped: the CDI step,
the CUDA preflight and WSL's default distro).

This check reads every conditional as a Jinja2 expression and accepts it only when its type
is boolean by construction: a comparison, a test (``is``/``in``), ``not``, ``| bool``, a
boolean literal, ``and``/``or``/``if-else`` of booleans, a role variable declared
``type: bool`` in a meta/argument_specs.yml, or an attribute that modules document as
boolean (``stat.exists``, ``changed``...). Anything else (a bare string variable, a
``default(none)``, a path) is reported with its file and task.
"""
import glob
import os

import jinja2
import pytest
import yaml
from jinja2 import nodes

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

CONDITION_KEYS = ("when", "changed_when", "failed_when", "until")
# Magic variables Ansible defines as booleans.
BOOLEAN_MAGIC = {"ansible_check_mode", "ansible_diff_mode", "ansible_verbosity_bool"}
# Attributes documented as booleans in module RETURN blocks / facts the project owns.
BOOLEAN_ATTRIBUTES = {
    "exists", "isdir", "isreg", "islnk", "changed", "failed", "skipped", "reboot_required",
    "running", "installed", "service_enabled", "created", "gpu_visible", "Running",
    "restart_pending", "smi", "cdi_enabled", "live_restore",
}
# Filters whose result is boolean whatever their input.
BOOLEAN_FILTERS = {"bool", "is_subset", "is_superset", "contains"}


def _boolean_role_vars():
    names = set()
    for path in glob.glob(os.path.join(ROOT, "roles", "*", "meta", "argument_specs.yml")):
        with open(path) as fh:
            doc = yaml.safe_load(fh) or {}
        for spec in (doc.get("argument_specs") or {}).values():
            for name, opt in (spec.get("options") or {}).items():
                if opt.get("type") == "bool":
                    names.add(name)
    return names


BOOLEAN_VARS = _boolean_role_vars() | BOOLEAN_MAGIC
ENV = jinja2.Environment()


def is_boolean(node, local_bools=frozenset()):
    """True when ``node`` (a Jinja2 expression) can only yield a boolean."""
    if isinstance(node, (nodes.Compare, nodes.Test, nodes.Not)):
        return True
    if isinstance(node, nodes.Const):
        return isinstance(node.value, bool)
    if isinstance(node, (nodes.And, nodes.Or)):
        return is_boolean(node.left, local_bools) and is_boolean(node.right, local_bools)
    if isinstance(node, nodes.CondExpr):
        return is_boolean(node.expr1, local_bools) and (
            node.expr2 is None or is_boolean(node.expr2, local_bools))
    if isinstance(node, nodes.Filter):
        if node.name in BOOLEAN_FILTERS:
            return True
        if node.name in ("default", "d"):
            fallback_ok = all(is_boolean(a, local_bools) for a in node.args[:1])
            return fallback_ok and is_boolean(node.node, local_bools)
        return False
    if isinstance(node, nodes.Name):
        return node.name in BOOLEAN_VARS or node.name in local_bools
    if isinstance(node, nodes.Getattr):
        return node.attr in BOOLEAN_ATTRIBUTES
    if isinstance(node, nodes.Getitem):
        return isinstance(node.arg, nodes.Const) and node.arg.value in BOOLEAN_ATTRIBUTES
    return False


def _expressions(value):
    if isinstance(value, bool):
        return []
    if isinstance(value, list):
        return [e for v in value for e in _expressions(v)]
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{{") and text.endswith("}}"):
            text = text[2:-2]
        return [text]
    return [repr(value)]


def _walk(tasks):
    for task in tasks or []:
        if not isinstance(task, dict):
            continue
        yield task
        for key in ("block", "rescue", "always", "tasks", "pre_tasks", "post_tasks",
                    "handlers"):
            yield from _walk(task.get(key))


def conditionals(path):
    """(task name, key, expression) for every conditional in one YAML file."""
    with open(path) as fh:
        doc = yaml.safe_load(fh)
    if not isinstance(doc, list):
        return
    for task in _walk(doc):
        name = task.get("name", "?")
        for key in CONDITION_KEYS:
            if key in task:
                for expr in _expressions(task[key]):
                    yield name, key, expr
        for action in ("ansible.builtin.assert", "assert"):
            args = task.get(action)
            if isinstance(args, dict) and "that" in args:
                for expr in _expressions(args["that"]):
                    yield name, action + ".that", expr


def project_yaml():
    pats = ["site.yml", "playbooks/*.yml", "roles/*/tasks/*.yml", "roles/*/handlers/*.yml",
            "molecule/*/*.yml"]
    return sorted(p for pat in pats for p in glob.glob(os.path.join(ROOT, pat)))


def non_boolean(expr):
    try:
        tree = ENV.parse("{{ (%s) }}" % expr)
    except jinja2.TemplateSyntaxError as exc:
        return "not a Jinja2 expression: %s" % exc
    output = tree.body[0]
    node = output.nodes[0]
    return None if is_boolean(node) else "type is not boolean by construction"


# --------------------------------------------------------------------------- the guard

@pytest.mark.parametrize("path", project_yaml(), ids=lambda p: os.path.relpath(p, ROOT))
def test_every_conditional_is_boolean(path):
    bad = []
    for task, key, expr in conditionals(path):
        why = non_boolean(expr)
        if why:
            bad.append("%s / %s: %r (%s)" % (task, key, expr, why))
    assert not bad, "non-boolean conditionals (ansible-core 2.19 fails on them):\n" + \
        "\n".join(bad)


# --------------------------------------------------------------------------- the checker

@pytest.mark.parametrize("expr", [
    # the three that crashed: a path, a version string, a possibly empty string
    "(facts['toolkit']['nvidia-ctk'] | default(none)) or (x | default({})) is changed",
    "ansible_facts['gpufleet']['nvidia']['driver_version']",
    "wsl2_default_distro and __wsl2_distros.default_distro != wsl2_default_distro",
    "some_list | length", "x | default('')", "item.value",
])
def test_checker_flags_non_boolean(expr):
    assert non_boolean(expr)


@pytest.mark.parametrize("expr", [
    "x is changed", "not x", "x | bool", "x | length > 0", "a == 'b' and c is defined",
    "ansible_check_mode", "__r.stat.exists", "x is none or y in z",
    "(a | length > 0) if b is defined else false", "__r.reboot_required | default(false)",
    "docker_engine_service_enabled",
])
def test_checker_accepts_boolean(expr):
    assert non_boolean(expr) is None
