"""The Python API and the CLI against a real local fleet of host containers: the default
rollout stopping after a failed canary (the other hosts untouched), provision, plan with no
changes, one host made to fail (broken apt sources) while the others complete, JSON output
parsed, and --retry-failed resuming only the failed host."""
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT
from gpufleet import api, testbed

PREFIX = "gpufleet-it-cp"


@pytest.fixture(scope="module")
def fleet(testbed_ready, tmp_path_factory):
    names = testbed.fleet_up(PREFIX, 3, log=lambda *_: None)
    inv = tmp_path_factory.mktemp("inventory")
    testbed.write_fleet_inventory(inv, names)
    # Rollout policy from inventory: batches of two, and a failing host never stops the
    # others (not the default: canary first, any failure stops the rollout).
    (inv / "group_vars" / "all.yml").write_text("gpufleet_serial: 2\n"
                                               "gpufleet_max_fail_percentage: 100\n")
    # The third host's apt sources are broken: apt fails at once, no network involved.
    subprocess.run(["docker", "exec", names[2], "sh", "-c",
                    "echo 'this is not an apt source' > /etc/apt/sources.list.d/broken.list"],
                   check=True)
    try:
        yield names, str(inv / "hosts.yml")
    finally:
        testbed.fleet_down(PREFIX, log=lambda *_: None)


def cli(*args, cache):
    env = dict(os.environ, XDG_CACHE_HOME=str(cache))
    return subprocess.run([sys.executable, "-m", "gpufleet.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, env=env)


def _untouched(name):
    """No Docker, no daemon.json, no gpufleet state: nothing ran on this host."""
    proc = subprocess.run(["docker", "exec", name, "sh", "-c",
                           "command -v dockerd || test -e /etc/docker/daemon.json "
                           "|| test -e /var/lib/gpufleet || dpkg -s docker.io"],
                          capture_output=True, text=True)
    return proc.returncode != 0


def test_default_rollout_stops_after_a_failed_canary(fleet, tmp_path):
    """Default policy (no rollout vars): a canary batch of one host, then the rest, and any
    failure stops the rollout. The broken host is first in the inventory, so it is the
    canary: it fails, and the other two are never touched. Runs before test_fleet_rollout,
    which provisions them."""
    names, _ = fleet
    good, bad = names[:2], names[2]
    testbed.write_fleet_inventory(tmp_path, [bad] + good)
    events = []

    result = api.provision(str(tmp_path / "hosts.yml"), on_event=events.append)

    assert not result.ok and result.rc != 0
    assert result.failed_hosts == [bad]
    assert "broken.list" in " ".join(result.hosts[bad].failures)
    assert result.not_reached_hosts == sorted(good)
    for name in good:
        h = result.hosts[name]
        assert h.status == "not_reached" and not h.reached and h.ok == h.changed == 0
        assert result.to_dict()["hosts"][name]["status"] == "not_reached"
        assert _untouched(name), name
    # one batch ran (the canary), and no task ran on any other host
    batches = [e for e in events if e.get("event") == "playbook_on_task_start"
               and e["event_data"].get("task") == "Read host and GPU facts"]
    assert len(batches) == 1
    assert {(e.get("event_data") or {}).get("host") for e in events
            if e.get("event", "").startswith("runner_on_")} == {bad}


def test_fleet_rollout(fleet, tmp_path):
    names, inventory = fleet
    good, bad = names[:2], names[2]
    events = []

    # 1. provision: one host fails, the others complete, the result says who and why
    result = api.provision(inventory, on_event=events.append)
    assert not result.ok and result.rc != 0
    assert result.failed_hosts == [bad]
    assert "broken.list" in " ".join(result.hosts[bad].failures), result.hosts[bad].failures
    for name in good:
        assert result.hosts[name].status == "changed"
        assert "Install Docker packages" in result.hosts[name].changed_tasks
        assert result.hosts[name].facts["docker"]["running"] is True
        assert result.hosts[name].problems == []
    assert any(e.get("event") == "playbook_on_stats" for e in events)
    # gpufleet_serial from group_vars reached the play: two batches (2 + 1 hosts)
    # (each batch starts the play's first task again)
    batches = [e for e in events if e.get("event") == "playbook_on_task_start"
               and e["event_data"].get("task") == "Read host and GPU facts"]
    assert len(batches) == 2

    # 2. plan on the good hosts: check mode + diff, nothing would change
    planned = api.plan(inventory, limit=",".join(good))
    assert planned.ok and planned.changed_hosts == []
    assert set(planned.hosts) == set(good)

    # 3. the CLI, JSON output: exit 1, the failed host named with its reason
    proc = cli("up", "-i", inventory, "--json", cache=tmp_path)
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["failed_hosts"] == [bad]
    assert all(doc["hosts"][n]["status"] == "ok" for n in good)  # rerun: no work
    assert "broken.list" in " ".join(doc["hosts"][bad]["failures"])

    # 4. fix the host, resume: only the failed host runs
    subprocess.run(["docker", "exec", bad, "rm", "/etc/apt/sources.list.d/broken.list"],
                   check=True)
    proc = cli("up", "-i", inventory, "--json", "--retry-failed", cache=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    doc = json.loads(proc.stdout)
    assert list(doc["hosts"]) == [bad] and doc["hosts"][bad]["status"] == "changed"

    # 5. doctor and status: per-host facts, tables
    doctor = api.doctor(inventory)
    assert doctor.ok and all(h.facts["platform"] == "linux" for h in doctor.hosts.values())
    proc = cli("status", "-i", inventory, cache=tmp_path)
    assert proc.returncode == 0 and "containers and GPUs" in proc.stdout
    for name in names:
        assert name in proc.stdout
