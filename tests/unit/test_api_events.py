"""The API's pure parts: folding ansible-runner events, limit checks, typed errors."""
import sys

import pytest

from gpufleet import api


def results():
    hosts = {}
    return hosts, (lambda name: hosts.setdefault(name, api.HostResult(host=name)))


# Shapes of ansible-runner 2.4 job events (event, event_data.host/task/res).
EVENTS = [
    {"event": "playbook_on_start", "event_data": {}},
    {"event": "runner_on_ok", "event_data": {"host": "a", "task": "Read host and GPU facts",
     "res": {"changed": False, "ansible_facts": {"gpufleet": {"platform": "linux", "problems": [
         {"id": "nvidia_runtime_missing", "message": "m", "remedy": "r"}]}}}}},
    {"event": "runner_on_ok", "event_data": {"host": "a", "task": "Install Docker packages",
     "res": {"changed": True}}},
    {"event": "runner_on_failed", "event_data": {"host": "b", "task": "Install Docker packages",
     "res": {"msg": "Failed to update apt cache: E:Malformed entry 1 in list file"}}},
    {"event": "runner_on_failed", "event_data": {"host": "b", "task": "probe",
     "ignore_errors": True, "res": {"msg": "ignored"}}},
    {"event": "runner_on_unreachable", "event_data": {"host": "c", "task": "x",
     "res": {"msg": "container not running"}}},
    {"event": "runner_on_ok", "event_data": {"host": "a", "task": "Summarize",
     "res": {"ansible_facts": {"gpufleet_status": {"containers": [], "gpus": []}}}}},
]


def test_collect_events():
    hosts, host = results()
    for e in EVENTS:
        api.collect_event(e, host)
    assert hosts["a"].changed_tasks == ["Install Docker packages"]
    assert [p["id"] for p in hosts["a"].problems] == ["nvidia_runtime_missing"]
    assert hosts["a"].data["gpufleet_status"] == {"containers": [], "gpus": []}
    assert hosts["b"].failures == ["Install Docker packages: Failed to update apt cache: "
                                   "E:Malformed entry 1 in list file"]
    assert hosts["c"].failures == ["unreachable: container not running"]


def test_run_result_status_and_dict():
    r = api.RunResult("provision", "site.yml", None, 2, "failed", 1.0, hosts={
        "a": api.HostResult("a", ok=3, changed=1), "b": api.HostResult("b", failed=1),
        "c": api.HostResult("c", unreachable=1), "d": api.HostResult("d", ok=2)})
    assert r.failed_hosts == ["b", "c"] and r.changed_hosts == ["a"] and not r.ok
    d = r.to_dict()
    assert d["hosts"]["a"]["status"] == "changed" and d["failed_hosts"] == ["b", "c"]


INVENTORY = {"_meta": {"hostvars": {"h1": {}, "h2": {}}}, "all": {"children": ["linux"]},
             "linux": {"hosts": ["h1", "h2"]}, "ungrouped": {}}


@pytest.mark.parametrize("limit", [None, "linux", "h1", "h1,h2", "linux:!h2", "h*", "all",
                                   "@retry", "linux:&h1"])
def test_limit_accepted(limit):
    api.check_limit(limit, INVENTORY)


@pytest.mark.parametrize("limit", ["windows", "linux:wsl", "h3"])
def test_limit_unknown_is_refused(limit):
    with pytest.raises(api.UnknownTargetError, match="neither a group nor a host"):
        api.check_limit(limit, INVENTORY)


def test_missing_inventory(tmp_path):
    with pytest.raises(api.InventoryError, match="does not exist"):
        api.provision(str(tmp_path / "nope.yml"))


def test_inventory_that_does_not_parse(tmp_path):
    bad = tmp_path / "hosts.yml"
    bad.write_text("all:\n  hosts: [broken\n")
    with pytest.raises(api.InventoryError, match="does not parse"):
        api.provision(str(bad))


def test_unknown_group_runs_nothing(tmp_path):
    inv = tmp_path / "hosts.yml"
    inv.write_text("all:\n  children:\n    linux:\n      hosts:\n        h1:\n")
    with pytest.raises(api.UnknownTargetError, match="'windows'"):
        api.provision(str(inv), limit="windows")


def test_missing_private_data_dir(tmp_path):
    inv = tmp_path / "hosts.yml"
    inv.write_text("all:\n  hosts:\n    h1:\n")
    with pytest.raises(api.PrivateDataDirError, match="does not exist"):
        api.doctor(str(inv), private_data_dir=str(tmp_path / "missing"))


def test_runner_not_installed(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "ansible_runner", None)  # import fails
    with pytest.raises(api.RunnerMissingError, match="ansible-runner is not installed"):
        api.provision(str(tmp_path))


def test_cli_bad_input_exit_code_2(tmp_path, capsys):
    from gpufleet import cli
    assert cli.main(["up", "-i", str(tmp_path / "none.yml")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert cli.main(["up", "-i", str(tmp_path), "-e", "novalue"]) == 2


def test_cli_render(tmp_path, capsys):
    from gpufleet import cli
    f = tmp_path / "services.yml"
    f.write_text("gpu_workload_services:\n  llm:\n    image: x\n    gpu: {policy: auto, count: 1}\n")
    assert cli.main(["render", "--services", str(f), "--platform", "linux", "--project", "p"]) == 0
    out = capsys.readouterr().out
    import json
    doc = json.loads(out)
    assert doc["services"]["llm"]["deploy"]["resources"]["reservations"]["devices"][0]["driver"] == "nvidia"


def test_rollout_vars_from_group_vars():
    data = {"_meta": {"hostvars": {"h1": {"gpufleet_serial": 5, "gpufleet_order": "sorted"},
                                   "h2": {"gpufleet_serial": 5}, "w1": {"gpufleet_serial": 1}}},
            "all": {"children": ["linux", "windows", "ungrouped"]},
            "linux": {"children": ["gpu"]}, "gpu": {"hosts": ["h1", "h2"]},
            "windows": {"hosts": ["w1"]}}
    assert api.rollout_vars(data) == {"gpufleet_serial_linux": 5, "gpufleet_order_linux": "sorted",
                                      "gpufleet_serial_windows": 1}


# --------------------------------------------------------------------------- restart pending

def test_restart_pending_from_set_fact_results():
    hosts, host = results()
    pending = {"event": "runner_on_ok", "event_data": {
        "host": "a", "task": "Record that a Docker restart is pending", "res": {
            "changed": False, "ansible_facts": {
                "docker_engine_restart_pending": True,
                "docker_engine_restart_pending_reason":
                    "2 container(s) running and live-restore is off: a restart would stop them"}}}}
    api.collect_event(pending, host)
    assert hosts["a"].restart_pending is True
    assert hosts["a"].restart_pending_reason.startswith("2 container(s) running")
    # a later restart in the same run (consent given, live-restore loaded) clears it
    done = {"event": "runner_on_ok", "event_data": {
        "host": "a", "task": "Forget the rollback point once Docker runs on the new configuration",
        "res": {"ansible_facts": {"docker_engine_restart_pending": False,
                                  "docker_engine_restart_pending_reason": ""}}}}
    api.collect_event(done, host)
    assert hosts["a"].restart_pending is False and hosts["a"].restart_pending_reason == ""
    r = api.RunResult("provision", "site.yml", None, 0, "successful", 1.0, hosts={
        "a": api.HostResult("a", ok=3, restart_pending=True, restart_pending_reason="why")})
    d = r.to_dict()
    assert d["restart_pending_hosts"] == ["a"] and d["hosts"]["a"]["restart_pending"] is True
    assert d["hosts"]["a"]["restart_pending_reason"] == "why" and r.ok


# --------------------------------------------------------------------------- rollout stops

def _ev(kind, host=None, task="t", **extra):
    data = {"host": host, "task": task, "play_pattern": "linux"}
    data.update(extra)
    return {"event": kind, "event_data": data}


def test_batch_cut_short_marks_the_others_stopped():
    """max_fail_percentage 0: h3 fails in the second batch, Ansible stops h2 and h4 there
    (their stats show no failure, only the missing later tasks)."""
    hosts, host = results()
    state = {}
    events = [_ev("playbook_on_play_start", pattern="linux"),
              _ev("runner_on_start", "h1"), _ev("runner_on_ok", "h1", res={}),
              _ev("playbook_on_play_start", pattern="linux")]
    for h in ("h2", "h3", "h4"):
        events += [_ev("runner_on_start", h), _ev("runner_on_ok", h, res={})]
    events += [_ev("runner_on_ok", "h2", res={}), _ev("runner_on_failed", "h3", res={"msg": "boom"}),
               _ev("runner_on_ok", "h4", res={}),
               _ev("playbook_on_no_hosts_remaining"), _ev("playbook_on_no_hosts_remaining")]
    for e in events:
        api.collect_event(e, host, state)
    hosts["h3"].failed = 1
    assert state["play_patterns"] == ["linux"]
    assert [n for n, h in sorted(hosts.items()) if h.stopped] == ["h2", "h4"]
    r = api.RunResult("provision", "site.yml", None, 2, "failed", 1.0, hosts=hosts)
    assert r.failed_hosts == ["h3"] and r.not_reached_hosts == ["h2", "h4"]
    assert hosts["h1"].status == "ok" and hosts["h2"].status == "stopped" and not r.ok


def test_not_reached_host_status():
    r = api.RunResult("provision", "site.yml", None, 2, "failed", 1.0, hosts={
        "c": api.HostResult("c", failed=1), "x": api.HostResult("x", reached=False)})
    assert r.hosts["x"].status == "not_reached"
    assert r.failed_hosts == ["c"] and r.not_reached_hosts == ["x"]
    assert r.to_dict()["hosts"]["x"]["status"] == "not_reached"


# --------------------------------------------------------------------------- host patterns

FLEET = {"_meta": {"hostvars": {h: {} for h in ("g1", "g2", "g3", "c1", "w1", "m1", "lone")}},
         "all": {"children": ["ungrouped", "linux", "cloud", "windows", "macos"]},
         "ungrouped": {"hosts": ["lone"]},
         "linux": {"hosts": ["g1"], "children": ["dgx"]}, "dgx": {"hosts": ["g2", "g3"]},
         "cloud": {"hosts": ["c1"]}, "windows": {"hosts": ["w1"]}, "macos": {"hosts": ["m1"]}}


@pytest.mark.parametrize("pattern,expected", [
    ("linux", {"g1", "g2", "g3"}),
    ("all:!windows", {"g1", "g2", "g3", "c1", "m1", "lone"}),
    ("linux:cloud:wsl", {"g1", "g2", "g3", "c1"}),
    ("linux,&dgx", {"g2", "g3"}),
    ("!dgx,linux", {"g1"}),            # exclusions apply last, whatever their position
    ("g*", {"g1", "g2", "g3"}),
    ("~g[12]", {"g1", "g2"}),
    ("g3", {"g3"}),
    ("nothing", set()),
    ("linux[0:1]", None), ("@retry", None),
])
def test_resolve_pattern(pattern, expected):
    assert api.resolve_pattern(FLEET, pattern) == expected


def test_targeted_hosts_of_site_yml_within_a_limit():
    assert api.targeted_hosts(FLEET, "playbooks/site.yml", None, {}) == {"g1", "g2", "g3", "c1", "w1", "m1"}
    assert api.targeted_hosts(FLEET, "playbooks/site.yml", "linux:!g3", {}) == {"g1", "g2"}
    # an extra var that points the Linux play elsewhere also moves the cloud play (cloud.yml
    # imports linux.yml with gpufleet_linux_hosts: cloud, and extra vars win)
    assert api.targeted_hosts(FLEET, "playbooks/site.yml", None, {"gpufleet_linux_hosts": "dgx"}) == \
        {"g2", "g3", "w1", "m1"}
    assert api.targeted_hosts(FLEET, "playbooks/site.yml", "@retry", {}) is None
    assert api.targeted_hosts(FLEET, "custom.yml", None, {}, ["macos"]) == {"m1"}
