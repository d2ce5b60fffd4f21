"""meta/argument_specs.yml stays in lockstep with defaults/main.yml for every role."""
import os

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLES = sorted(d for d in os.listdir(os.path.join(ROOT, "roles"))
               if os.path.isdir(os.path.join(ROOT, "roles", d)))


def load(role, *path):
    with open(os.path.join(ROOT, "roles", role, *path)) as fh:
        return yaml.safe_load(fh) or {}


@pytest.mark.parametrize("role", ROLES)
def test_defaults_and_argument_specs_match(role):
    defaults = load(role, "defaults", "main.yml")
    options = load(role, "meta", "argument_specs.yml")["argument_specs"]["main"]["options"]
    assert set(defaults) == set(options), "keys differ"
    for key, spec in options.items():
        assert "description" in spec, key
        if "default" in spec:
            assert spec["default"] == defaults[key], key
        else:
            assert spec.get("required") is not True, key


@pytest.mark.parametrize("role", ROLES)
def test_public_variables_carry_the_role_prefix(role):
    for key in load(role, "defaults", "main.yml"):
        assert key.startswith(role + "_"), key


@pytest.mark.parametrize("role", ROLES)
def test_every_module_is_fqcn_or_a_gpufleet_module(role):
    """Tasks name modules by FQCN; the project's own modules (library/) by short name."""
    own = {f[:-3] for d in ("plugins/modules", "plugins/action")
           for f in os.listdir(os.path.join(ROOT, d)) if f.endswith(".py")}
    keywords = {"name", "when", "register", "notify", "loop", "loop_control", "vars", "block",
                "rescue", "always", "changed_when", "failed_when", "check_mode", "until",
                "retries", "delay", "ignore_errors", "listen", "tags", "become", "no_log",
                "args", "environment", "delegate_to", "run_once"}
    for dirpath, _, files in os.walk(os.path.join(ROOT, "roles", role)):
        if os.path.basename(dirpath) not in ("tasks", "handlers"):
            continue
        for f in files:
            with open(os.path.join(dirpath, f)) as fh:
                tasks = yaml.safe_load(fh) or []
            stack = list(tasks)
            while stack:
                task = stack.pop()
                for sub in ("block", "rescue", "always"):
                    stack.extend(task.get(sub, []))
                actions = [k for k in task if k not in keywords]
                for action in actions:
                    assert "." in action or action in own, (f, action)
