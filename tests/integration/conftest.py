"""Integration tests run against the real test bed: a Docker engine and the host images
built by `python3 -m gpufleet.testbed prepare` (the README's test command does that first)."""
import json
import os
import re
import subprocess
import tempfile
import sys
import uuid

import pytest

from gpufleet import testbed

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# The ansible/molecule commands of the environment running the tests.
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")

# Task coverage (tests/integration/test_task_coverage.py): every Ansible run a test starts,
# directly, through Molecule or through ansible-runner, appends the tasks that ran to
# <TASK_COVERAGE_DIR>/<test>.jsonl (callback tests/callback_plugins/gpufleet_task_coverage).
TASK_COVERAGE_DIR = os.environ.get("GPUFLEET_TASK_COVERAGE_DIR") or tempfile.mkdtemp(
    prefix="gpufleet-task-coverage-")
os.environ["ANSIBLE_CALLBACK_PLUGINS"] = os.path.join(ROOT, "tests", "callback_plugins")
os.environ["ANSIBLE_CALLBACKS_ENABLED"] = "gpufleet_task_coverage"


def coverage_log_name(nodeid):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("::", 1)[-1]) + ".jsonl"


@pytest.fixture(autouse=True)
def task_coverage_log(request, monkeypatch):
    monkeypatch.setenv("GPUFLEET_TASK_COVERAGE",
                       os.path.join(TASK_COVERAGE_DIR, coverage_log_name(request.node.nodeid)))


def pytest_collection_modifyitems(session, config, items):
    """The coverage guard reads what the other tests ran: it goes last."""
    items.sort(key=lambda item: item.module.__name__ == "test_task_coverage")


def ansible_env(**extra):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
               ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", PY_COLORS="0")
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def testbed_ready():
    if not testbed.engine_answers():
        pytest.fail("no Docker engine answers: run `bash scripts/dev setup` (as root) first")
    for suite in testbed.SUITES:
        if testbed.image_recipe(testbed.image_tag(suite)) != testbed.RECIPE_VERSION:
            pytest.fail("host image %s missing or stale: run `bash scripts/dev setup`"
                        % testbed.image_tag(suite))
    if testbed.image_recipe(testbed.NVSIM_IMAGE) != testbed.nvsim_recipe():
        pytest.fail("simulated NVIDIA host image %s missing or stale: run "
                    "`bash scripts/dev setup`" % testbed.NVSIM_IMAGE)


@pytest.fixture
def host(testbed_ready):
    """A fresh bookworm host container (systemd), removed afterwards."""
    name = "gpufleet-it-" + uuid.uuid4().hex[:8]
    testbed.run_host(name, "bookworm")
    try:
        testbed.wait_systemd(name)
        yield name
    finally:
        subprocess.run(["docker", "rm", "-f", "-v", name], capture_output=True)
        subprocess.run(["docker", "volume", "rm", "-f", name + "-docker"], capture_output=True)


def adhoc(host, module, args=None, check=False):
    """Run one module on a host container; returns (rc, result dict)."""
    argv = ["ansible", "all", "-i", host + ",", "-c", "community.docker.docker",
            "-e", "ansible_python_interpreter=/usr/bin/python3", "-m", module]
    if args is not None:
        argv += ["-a", json.dumps(args)]
    if check:
        argv.append("--check")
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True,
                          env=ansible_env(ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
                                          ANSIBLE_STDOUT_CALLBACK="ansible.posix.json"))
    try:
        doc = json.loads(proc.stdout)
    except ValueError as exc:
        raise AssertionError("ansible printed no JSON:\n%s\n%s" % (proc.stdout, proc.stderr)) from exc
    return proc.returncode, doc["plays"][0]["tasks"][0]["hosts"][host]
