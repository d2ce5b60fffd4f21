"""The guard for "a branch that no test takes is broken until proven otherwise".

Every Ansible run of the integration tests (Molecule scenarios, the local fleet, the
rollout and control-plane tests) records which tasks ran, through the callback
tests/callback_plugins/gpufleet_task_coverage.py (set up in conftest.py). This test runs
last and fails when a task of the Linux roles never ran (ok, changed or failed; skipped
does not count) anywhere in the suite, unless NOT_RUN_HERE names it with the reason.
"""
import glob
import json
import os

import pytest
import yaml

from conftest import ROOT, TASK_COVERAGE_DIR, coverage_log_name

# Roles whose every task must run in CI. wsl2 and docker_desktop run on Windows/macOS only:
# their decisions are tested by replaying WinRM transcripts (tests/unit), and on real hosts
# by the opt-in molecule/*-real scenarios.
COVERED_ROLES = ("docker_engine", "nvidia_container_toolkit", "gpu_workload", "wsl_guest")
# "role/<dir>/<file>.yml:<task name>" -> why no test here can run it.
_DOCKER_REPO = ("Docker's own apt repository (docker_engine_source: upstream) is not "
                "reachable from the test bed and has no stand-in here (a gap, named in the "
                "README)")
NOT_RUN_HERE = {
    "docker_engine/tasks/upstream-repo.yml:Add Docker's repository with its signing key": _DOCKER_REPO,
    "docker_engine/tasks/upstream-repo.yml:Install python3-debian for deb822_repository": _DOCKER_REPO,
}
# The tests whose runs together must cover the roles; with any of them deselected (-k, a
# single file) the guard cannot judge and skips.
CONTRIBUTORS = ("test_molecule_scenario", "test_local_fleet_converges_then_changes_nothing",
                "test_restart_needs_consent_while_containers_run",
                "test_default_rollout_stops_after_a_failed_canary", "test_fleet_rollout")


class _LineLoader(yaml.SafeLoader):
    """Records the 1-based line of every mapping, as Ansible's task.get_path() reports it."""


def _mapping_with_line(loader, node):
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)

# Statements that produce no task result of their own (their tasks are checked themselves).
_NOT_TASKS = ("ansible.builtin.include_tasks", "ansible.builtin.import_tasks",
              "ansible.builtin.include_role", "ansible.builtin.import_role",
              "ansible.builtin.meta", "block")


def role_tasks(role):
    """{"<abs file>:<line>": "role/<dir>/<file>.yml:<task name>"} for every working task."""
    out = {}
    for path in sorted(glob.glob(os.path.join(ROOT, "roles", role, "*", "*.yml"))):
        if os.path.basename(os.path.dirname(path)) not in ("tasks", "handlers"):
            continue
        with open(path) as fh:
            stack = list(yaml.load(fh, Loader=_LineLoader) or [])
        while stack:
            task = stack.pop()
            for key in ("block", "rescue", "always"):
                stack.extend(task.get(key) or [])
            if any(k in task for k in _NOT_TASKS):
                continue
            rel = os.path.relpath(path, os.path.join(ROOT, "roles"))
            out["%s:%d" % (path, task["__line__"])] = "%s:%s" % (rel, task.get("name"))
    return out


def test_role_tasks_are_found_with_their_lines():
    tasks = role_tasks("gpu_workload")
    where = [w for w, label in tasks.items() if label.endswith(":Check CUDA against the driver")]
    assert len(where) == 1
    path, line = where[0].rsplit(":", 1)
    with open(path) as fh:
        assert "Check CUDA against the driver" in fh.read().splitlines()[int(line) - 1]


@pytest.mark.molecule
def test_every_linux_role_task_ran_somewhere(request):
    logs = glob.glob(os.path.join(TASK_COVERAGE_DIR, "*.jsonl"))
    selected = {item.originalname for item in request.session.items}
    missing = [c for c in CONTRIBUTORS if c not in selected]
    if missing:
        pytest.skip("the coverage guard needs the whole integration suite (not run: %s)"
                    % ", ".join(missing))
    failed = [i.nodeid for i in request.session.items if i.originalname in CONTRIBUTORS
              and not os.path.exists(os.path.join(TASK_COVERAGE_DIR, coverage_log_name(i.nodeid)))]
    assert not failed, "no task log from %s: is the coverage callback loaded?" % failed
    ran = set()
    for log in logs:
        with open(log) as fh:
            ran.update(json.loads(line)["path"] for line in fh if line.strip())
    labels = {}
    for role in COVERED_ROLES:
        labels.update(role_tasks(role))
    never = sorted(label for where, label in labels.items()
                   if where not in ran and label not in NOT_RUN_HERE)
    assert not never, (
        "tasks that no test runs (a branch no test takes is broken until proven otherwise: "
        "add a test step, or list the task in NOT_RUN_HERE with the reason):\n"
        + "\n".join(never))
    by_label = {label: where for where, label in labels.items()}
    stale = [k for k in NOT_RUN_HERE if by_label.get(k) in ran or k not in by_label]
    assert not stale, "NOT_RUN_HERE lists tasks that ran or no longer exist: %s" % stale
