"""A run that fails always says why: the CLI (as users run it) and the API against the real
ansible-runner and ansible-playbook, for a limit that matches nothing, an inventory that
does not parse, hosts that cannot be reached (a container that does not exist, with the
community.docker.docker connection; an SSH port that refuses) and playbooks that do not
parse or name a missing role. Each case checks `error`/`error_kind` in --json, the text
the table output prints, and the exit status. No container is started: the hosts named
here do not exist, which is the point."""
import json
import os
import shutil
import subprocess
import sys
import uuid

import pytest

from conftest import ROOT
from gpufleet import api, testbed

PREFIX = "gpufleet-it-clifail-"


def cli(*args, cache):
    # COLUMNS: rich wraps at 80 columns when stdout is not a terminal
    env = dict(os.environ, XDG_CACHE_HOME=str(cache), COLUMNS="400")
    return subprocess.run([sys.executable, "-m", "gpufleet.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, env=env)


def missing_containers(n):
    names = [PREFIX + uuid.uuid4().hex[:8] for _ in range(n)]
    for name in names:  # really not there
        assert subprocess.run(["docker", "inspect", name], capture_output=True).returncode != 0
    return names


@pytest.fixture
def inventory(tmp_path):
    """A linux group of two containers that do not exist (docker connection)."""
    names = missing_containers(2)
    path = tmp_path / "inv" / "hosts.yml"
    testbed.write_inventory(str(path), names)
    return names, path


def test_a_limit_that_matches_nothing(inventory, tmp_path):
    names, inv = inventory
    proc = cli("doctor", "-i", str(inv), "-l", "gpu-*", "--json", cache=tmp_path)
    assert proc.returncode == 2, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["hosts"] == {} and doc["status"] == "not_run" and doc["rc"] is None
    assert doc["error_kind"] == "no_hosts"
    assert doc["error"] == "no host matches the limit 'gpu-*' (groups: linux (2 hosts); " \
        "hosts: %s)" % ", ".join(sorted(names))

    # the table output: the same words, on stderr, and no empty table
    proc = cli("doctor", "-i", str(inv), "-l", "gpu-*", cache=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.strip() == "gpufleet: " + doc["error"]

    # a group the inventory does not have: named, with what it does have
    proc = cli("up", "-i", str(inv), "-l", "linux:windows", "--json", cache=tmp_path)
    assert proc.returncode == 2
    doc = json.loads(proc.stdout)
    assert doc["error_kind"] == "no_hosts"
    assert doc["error"].startswith("limit 'linux:windows': 'windows' is neither a group nor "
                                   "a host of the inventory (groups: linux (2 hosts); hosts: ")


def test_an_inventory_that_does_not_parse(tmp_path):
    inv = tmp_path / "inv"
    inv.mkdir()
    (inv / "hosts.yml").write_text("all:\n  children:\n    linux:\n      hosts: [gpu-01\n")
    proc = cli("up", "-i", str(inv), "--json", cache=tmp_path)
    assert proc.returncode == 2, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["hosts"] == {} and doc["error_kind"] == "inventory"
    assert doc["error"].startswith("inventory %s does not parse: YAML parsing failed: " % inv)
    assert "(%s:5:1)" % (inv / "hosts.yml") in doc["error"]
    proc = cli("up", "-i", str(inv), cache=tmp_path)
    assert proc.returncode == 2 and proc.stderr.strip() == "gpufleet: " + doc["error"]

    # hosts.yml fine, a group_vars file broken: Ansible names no file; gpufleet does
    (inv / "hosts.yml").write_text("all:\n  children:\n    linux:\n      hosts:\n        gpu-01:\n")
    (inv / "group_vars").mkdir()
    (inv / "group_vars" / "linux.yml").write_text("ansible_user: ops\ngpufleet_serial: [1, 5\n")
    proc = cli("doctor", "-i", str(inv), "--json", cache=tmp_path)
    assert proc.returncode == 2
    doc = json.loads(proc.stdout)
    assert doc["error_kind"] == "inventory" and "YAML parsing failed" in doc["error"]
    assert "%s:3:1" % (inv / "group_vars" / "linux.yml") in doc["error"]


def test_unreachable_hosts_say_why_per_host(tmp_path):
    """A container that does not exist (docker connection; with pipelining Ansible reports
    the task as failed, and the daemon's answer is in module_stderr) and an SSH port that
    refuses (unreachable): each host's own connection message, in the JSON, in the error
    and in the table."""
    if not shutil.which("ssh"):
        pytest.skip("no ssh client")
    (gone,) = missing_containers(1)
    inv = tmp_path / "hosts.yml"
    inv.write_text(json.dumps({"all": {"children": {"linux": {"hosts": {
        gone: {"ansible_connection": "community.docker.docker", "ansible_user": "root"},
        "refuses-ssh": {"ansible_host": "127.0.0.1", "ansible_port": 1}}}}}}))

    proc = cli("doctor", "-i", str(inv), "--json", cache=tmp_path)
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["error_kind"] == "hosts" and doc["failed_hosts"] == sorted([gone, "refuses-ssh"])
    docker_why = "Error response from daemon: No such container: %s" % gone
    ssh_why = "connect to host 127.0.0.1 port 1: Connection refused"
    assert doc["hosts"][gone]["status"] == "failed"
    assert docker_why in doc["hosts"][gone]["failures"][0]
    assert doc["hosts"]["refuses-ssh"]["status"] == "unreachable"
    assert doc["hosts"]["refuses-ssh"]["failures"][0].startswith(
        "unreachable: Failed to connect to the host via ssh: ")
    assert ssh_why in doc["hosts"]["refuses-ssh"]["failures"][0]
    assert doc["error"].startswith("2 hosts failed or unreachable: ")
    assert docker_why in doc["error"] and ssh_why in doc["error"]

    proc = cli("doctor", "-i", str(inv), cache=tmp_path)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    error_line = next(line for line in lines if line.startswith("failed: 2 hosts failed"))
    assert docker_why in error_line and ssh_why in error_line
    assert lines.index(error_line) < next(i for i, line in enumerate(lines) if "┃ host" in line)
    gone_row = next(line for line in lines if line.startswith("│ " + gone))
    assert "failed" in gone_row and "No such container" in gone_row
    ssh_row = next(line for line in lines if line.startswith("│ refuses-ssh"))
    assert "unreachable" in ssh_row and "Connection refused" in ssh_row


def test_a_failed_canary_names_the_hosts_not_reached(inventory, tmp_path):
    """`up` with the default rollout: the first container (the canary) cannot be reached,
    the rollout stops, and the error says both."""
    names, inv = inventory
    proc = cli("up", "-i", str(inv), "--json", cache=tmp_path)
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["failed_hosts"] == [names[0]] and doc["not_reached_hosts"] == [names[1]]
    assert doc["error"] == "1 host failed or unreachable: %s (%s); not reached (the rollout " \
        "stopped): %s" % (names[0], doc["hosts"][names[0]]["failures"][0], names[1])
    assert "No such container: %s" % names[0] in doc["error"]


@pytest.mark.parametrize("playbook,needles", [
    ("- hosts: all\n  tasks:\n    - debug: msg=hi\n   - bad indent\n",
     ["[ERROR]: YAML parsing failed", "broken.yml:4:4", "4    - bad indent"]),
    ("- hosts: all\n  gather_facts: false\n  roles:\n    - gpufleet_no_such_role\n",
     ["[ERROR]: the role 'gpufleet_no_such_role' was not found", "broken.yml:4:7"]),
], ids=["syntax-error", "missing-role"])
def test_a_playbook_error_is_ansible_playbooks_own_text(tmp_path, playbook, needles):
    """No host result at all: the error is what ansible-playbook printed (from the
    runner's stdout), not an empty result."""
    pb = tmp_path / "broken.yml"
    pb.write_text(playbook)
    inv = tmp_path / "hosts.yml"
    inv.write_text("all:\n  children:\n    linux:\n      hosts:\n        h1:\n"
                   "          ansible_host: 127.0.0.1\n          ansible_port: 1\n")
    result = api.run("provision", str(inv), playbook=str(pb))
    assert result.rc != 0 and not result.ok and result.hosts == {}
    assert result.error_kind == "playbook"
    for needle in needles:
        assert needle in result.error, result.error
    doc = result.to_dict()
    assert doc["error"] == result.error and doc["hosts"] == {}
