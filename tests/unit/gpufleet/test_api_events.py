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


def test_a_host_range_in_the_limit_is_one_term():
    # split like Ansible (one splitter for check_limit and resolve_pattern): before, the
    # limit was cut at every colon and "2]" was refused as an unknown name
    api.check_limit("linux[0:1]", INVENTORY)
    assert api.split_pattern("linux[0:1]:!h2") == ["linux[0:1]", "!h2"]
    assert api.split_pattern("a, b:c") == ["a", "b:c"]


@pytest.mark.parametrize("limit", ["windows", "linux:wsl", "h3", "linux,wsl"])
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


# --------------------------------------------------------------------------- why a run failed

def _red(line):
    return "\x1b[0;31m%s\x1b[0m" % line


# ansible-core 2.19's stdout (as ansible-runner keeps it) for a playbook that does not parse,
# a missing role, a limit that matches nothing, and a crash with a traceback.
SYNTAX_ERROR_OUTPUT = "\n".join(_red(x) for x in [
    "[ERROR]: YAML parsing failed: While parsing a block mapping did not find expected key.",
    "Origin: /tmp/p/broken.yml:4:4", "", "2   tasks:", "3     - debug: msg=hi",
    "4    - bad indent", "     ^ column 4", ""]) + "\n"
MISSING_ROLE_OUTPUT = "\n".join(_red(x) for x in [
    "[ERROR]: the role 'no_such_role' was not found in /tmp/p/roles:/work/main/roles:/tmp/p",
    "Origin: /tmp/p/role.yml:4:7", "", "2   gather_facts: false", "3   roles:",
    "4     - no_such_role", "        ^ column 7", ""]) + "\n"
NO_HOSTS_OUTPUT = ("\x1b[1;35m[WARNING]: Could not match supplied host pattern, ignoring: zz*"
                   "\x1b[0m\n" + _red("[ERROR]: Specified inventory, host pattern and/or "
                                      "--limit leaves us with no hosts to target.") + "\n")
CRASH_OUTPUT = ("\nPLAY [Windows GPU desktops] *****\n" + "\n".join(_red(x) for x in [
    "[ERROR]: Unexpected Exception, this is probably a bug: boom", "",
    "Traceback (most recent call last):", '  File "x.py", line 1, in <module>',
    "ValueError: boom"]) + "\n")


def _result(rc=4, status="failed", hosts=None):
    return api.RunResult("doctor", "playbooks/doctor.yml", None, rc, status, 1.0,
                         hosts=hosts or {})


def test_ansible_errors_keep_the_message_and_where():
    (err,) = api.ansible_errors(SYNTAX_ERROR_OUTPUT)
    assert err.startswith("[ERROR]: YAML parsing failed: While parsing a block mapping")
    assert "Origin: /tmp/p/broken.yml:4:4" in err and "4    - bad indent" in err
    assert "\x1b" not in err
    (err,) = api.ansible_errors(MISSING_ROLE_OUTPUT)
    assert "the role 'no_such_role' was not found" in err and "role.yml:4:7" in err
    (err,) = api.ansible_errors(CRASH_OUTPUT)
    assert err.startswith("[ERROR]: Unexpected Exception, this is probably a bug: boom")
    assert "Traceback" not in err and "(in the play 'Windows GPU desktops')" in err
    assert api.ansible_errors("PLAY [x] ***\nok: [h1]\n") == []


@pytest.mark.parametrize("output,needle", [
    (SYNTAX_ERROR_OUTPUT, "YAML parsing failed"),
    (MISSING_ROLE_OUTPUT, "the role 'no_such_role' was not found"),
])
def test_playbook_error_when_no_host_ran(output, needle):
    error, kind = api.explain_failure(_result(rc=4), output)
    assert kind == "playbook" and needle in error


def test_playbook_error_without_error_lines_shows_the_output_tail():
    error, kind = api.explain_failure(_result(rc=3), "something odd\nlast words\n")
    assert kind == "playbook" and "rc 3" in error and error.endswith("last words")
    error, kind = api.explain_failure(_result(rc=3), "")
    assert kind == "playbook" and "printed nothing" in error


def test_nothing_matched_says_which_limit_and_what_the_inventory_has():
    error, kind = api.explain_failure(_result(rc=1), NO_HOSTS_OUTPUT,
                                      no_hosts=lambda: "no host matches the limit 'zz*'")
    assert kind == "no_hosts"
    assert error == "no host matches the limit 'zz*' (Ansible: no host matches zz*)"
    # rc 0 and no host at all is not a success either
    error, kind = api.explain_failure(_result(rc=0, status="successful"), "")
    assert kind == "no_hosts" and error
    r = _result(rc=0, status="successful")
    r.error, r.error_kind = error, kind
    assert not r.ok


def test_host_failures_are_summed_up_with_their_reasons():
    hosts = {"a": api.HostResult("a", ok=3),
             "b": api.HostResult("b", failed=1, failures=["Install Docker packages: apt\nbroke"]),
             "c": api.HostResult("c", unreachable=1, failures=["unreachable: Connection refused"]),
             "d": api.HostResult("d", reached=False)}
    error, kind = api.explain_failure(_result(rc=2, hosts=hosts),
                                      lambda: pytest.fail("the output is not needed"))
    assert kind == "hosts"
    assert error == ("2 hosts failed or unreachable: b (Install Docker packages: apt broke); "
                     "c (unreachable: Connection refused); not reached (the rollout "
                     "stopped): d")
    ok = _result(rc=0, status="successful", hosts={"a": api.HostResult("a", ok=1)})
    assert api.explain_failure(ok, "") == (None, None)


def test_run_result_dict_has_error_fields():
    d = _result().to_dict()
    assert d["error"] is None and d["error_kind"] is None
    r = _result(rc=None, status="not_run")
    r.error, r.error_kind = "inventory x does not parse: ...", "inventory"
    assert r.to_dict()["error"].startswith("inventory x") and not r.ok


def test_failure_message_from_a_connection_that_failed_under_pipelining():
    """community.docker.docker with pipelining: a container that does not exist is a failed
    task whose msg only says the module printed no JSON; the reason is module_stderr."""
    hosts, host = results()
    api.collect_event({"event": "runner_on_failed", "event_data": {
        "host": "gone", "task": "Read host and GPU facts", "res": {
            "msg": "Module result deserialization failed: No start of json char found",
            "module_stdout": "", "rc": 1,
            "module_stderr": "Error response from daemon: No such container: gone\n"}}}, host)
    assert hosts["gone"].failures == [
        "Read host and GPU facts: Error response from daemon: No such container: gone "
        "(Module result deserialization failed: No start of json char found)"]
    assert api.failure_message({"msg": "MODULE FAILURE\nSee stdout/stderr",
                                "module_stderr": "Traceback...\nImportError: no apt"}) == \
        "Traceback... ImportError: no apt (MODULE FAILURE\nSee stdout/stderr)"
    assert api.failure_message({"msg": "real reason", "module_stderr": "noise"}) == "real reason"
    assert api.failure_message({"stderr": "E: broken"}) == "E: broken"
    assert api.failure_message({}) == "failed"


def test_unreachable_message_drops_the_task_failed_prefix():
    hosts, host = results()
    api.collect_event({"event": "runner_on_unreachable", "event_data": {
        "host": "h", "task": "t", "res": {"unreachable": True, "msg": (
            "Task failed: Failed to connect to the host via ssh: ssh: connect to host "
            "127.0.0.1 port 1: Connection refused")}}}, host)
    assert hosts["h"].failures == ["unreachable: Failed to connect to the host via ssh: ssh: "
                                   "connect to host 127.0.0.1 port 1: Connection refused"]


# --------------------------------------------------------------------------- nothing to run on

EMPTY_GROUPS = {"_meta": {"hostvars": {}},
                "all": {"children": ["ungrouped", "linux", "windows"]}}


def test_empty_groups_are_groups():
    groups, hosts = api.inventory_names(EMPTY_GROUPS)
    assert {"linux", "windows"} <= groups and hosts == set()
    api.check_limit("windows", EMPTY_GROUPS)  # a group, if an empty one
    assert "linux (0 hosts), windows (0 hosts)" in api.describe_inventory(EMPTY_GROUPS)


def test_no_hosts_messages():
    msg = api.no_hosts_message(EMPTY_GROUPS, "playbooks/site.yml", None, {}, "inv/prod")
    assert msg.startswith("the inventory inv/prod has no hosts") and "linux (0 hosts)" in msg
    msg = api.no_hosts_message(FLEET, "playbooks/doctor.yml", "zz*", {})
    assert msg.startswith("no host matches the limit 'zz*'") and "dgx (2 hosts)" in msg
    assert "hosts: c1, g1, g2, g3, lone, m1, w1" in msg
    msg = api.no_hosts_message(FLEET, "playbooks/doctor.yml", "windows", {})
    assert "playbooks/doctor.yml runs on 'all:!windows'" in msg and "selects w1" in msg


def test_unknown_limit_names_the_inventory():
    with pytest.raises(api.UnknownTargetError) as exc:
        api.check_limit("linux:wsl", INVENTORY)
    assert "limit 'linux:wsl': 'wsl' is neither" in str(exc.value)
    assert "groups: linux (2 hosts); hosts: h1, h2" in str(exc.value)
    assert exc.value.kind == "no_hosts"


@pytest.mark.parametrize("inventory,limit,action,needle", [
    ("all:\n  children:\n    linux:\n      hosts:\n        h1:\n", "zz*", "doctor",
     "no host matches the limit 'zz*' (groups: linux (1 host); hosts: h1)"),
    ("all:\n  children:\n    linux:\n      hosts:\n        h1:\n    windows:\n", "windows",
     "provision", "no host matches the limit 'windows'"),
    ("all:\n  children:\n    linux:\n    windows:\n", None, "provision",
     "has no hosts (groups: linux (0 hosts), windows (0 hosts)"),
    # doctor, status and deploy reach windows and macos (issue 13); an ungrouped host is
    # still outside deploy's plays
    ("all:\n  hosts:\n    lone:\n", "lone", "deploy",
     "playbooks/workloads.yml runs on 'linux:cloud:wsl' and 'windows' and 'macos'"),
])
def test_nothing_to_run_on_is_refused_before_running(tmp_path, monkeypatch, inventory, limit,
                                                     action, needle):
    inv = tmp_path / "hosts.yml"
    inv.write_text(inventory)
    monkeypatch.setattr("ansible_runner.run", lambda **kw: pytest.fail("ran"))
    with pytest.raises(api.NoHostsError) as exc:
        api.run(action, str(inv), limit=limit)
    assert needle in str(exc.value) and exc.value.kind == "no_hosts"


# --------------------------------------------------------------------------- rollout values

@pytest.mark.parametrize("extra", [
    {"gpufleet_serial": 5}, {"gpufleet_serial": "30%"}, {"gpufleet_serial": [1, "100%"]},
    {"gpufleet_serial_linux": "2"}, {"gpufleet_max_fail_percentage": 0},
    {"gpufleet_max_fail_percentage_cloud": "20"}, {"gpufleet_order": "shuffle"},
    {"gpufleet_serial": "{{ batch }}"}, {"other": "x"},
])
def test_rollout_values_accepted(extra):
    api.check_rollout(extra)


@pytest.mark.parametrize("extra,needle", [
    ({"gpufleet_serial": "ten"}, "gpufleet_serial is 'ten' in the extra vars"),
    ({"gpufleet_serial_linux": [1, "all"]}, "in group linux (group_vars/linux.yml)"),
    ({"gpufleet_serial": True}, "gpufleet_serial is True"),
    ({"gpufleet_max_fail_percentage_cloud": 150}, "a number from 0 to 100"),
    ({"gpufleet_order_windows": "random"}, "one of inventory, reverse_inventory"),
])
def test_rollout_values_refused(extra, needle):
    with pytest.raises(api.GpufleetError, match="use") as exc:
        api.check_rollout(extra)
    assert needle in str(exc.value)


# --------------------------------------------------------------------------- inventory errors

INVENTORY_STDERR = """\
[WARNING]: Failed to parse inventory with 'auto' plugin: YAML parsing failed: While parsing a flow sequence did not find expected ',' or ']'.

Failed to parse inventory with 'auto' plugin.

<<< caused by >>>

YAML parsing failed: While parsing a flow sequence did not find expected ',' or ']'.
Origin: /inv/hosts.yml:3:1

[WARNING]: Failed to parse inventory with 'yaml' plugin: YAML parsing failed: While parsing a flow sequence did not find expected ',' or ']'.
Origin: <inventory plugin 'yaml' with source '/inv/hosts.yml'>

[WARNING]: Failed to parse inventory with 'ini' plugin: Failed to parse inventory: Invalid host pattern 'all:' supplied, ending in ':' is not allowed, this character is reserved to provide a port.
Origin: /inv/hosts.yml

[ERROR]: Completely failed to parse inventory source /inv/hosts.yml
"""


def test_inventory_parse_error_is_the_parsers_message():
    assert api.inventory_parse_error(INVENTORY_STDERR, "/inv/hosts.yml") == (
        "YAML parsing failed: While parsing a flow sequence did not find expected ',' or "
        "']'. (/inv/hosts.yml:3:1); Completely failed to parse inventory source "
        "/inv/hosts.yml")
    ini = ("[WARNING]: Failed to parse inventory with 'ini' plugin: Failed to parse "
           "inventory: bad line\nOrigin: /inv/hosts.ini\n\n[ERROR]: Completely failed to "
           "parse inventory source /inv/hosts.ini\n")
    assert api.inventory_parse_error(ini, "/inv/hosts.ini").startswith(
        "Failed to parse inventory: bad line (/inv/hosts.ini)")


def test_inventory_group_vars_that_do_not_parse_are_named(tmp_path):
    (tmp_path / "group_vars").mkdir()
    (tmp_path / "hosts.yml").write_text("all:\n  children:\n    linux:\n      hosts:\n        h1:\n")
    (tmp_path / "group_vars" / "all.yml").write_text("secret: !vault |\n  $ANSIBLE_VAULT;1.1\n")
    (tmp_path / "group_vars" / "linux.yml").write_text("a: 1\nb: [c\n")
    with pytest.raises(api.InventoryError) as exc:
        api.load_inventory(str(tmp_path))
    msg = str(exc.value)
    assert "does not parse: YAML parsing failed" in msg
    assert str(tmp_path / "group_vars" / "linux.yml") + ":3:1" in msg


def test_a_bad_rollout_value_stops_a_rollout_but_not_doctor(tmp_path, monkeypatch):
    (tmp_path / "group_vars").mkdir()
    (tmp_path / "hosts.yml").write_text("all:\n  children:\n    linux:\n      hosts:\n        h1:\n")
    (tmp_path / "group_vars" / "linux.yml").write_text("gpufleet_serial: ten\n")
    monkeypatch.setattr("ansible_runner.run", lambda **kw: pytest.fail("ran"))
    with pytest.raises(api.GpufleetError, match=r"gpufleet_serial is 'ten' in group linux "
                                                r"\(group_vars/linux.yml\)"):
        api.provision(str(tmp_path))
    monkeypatch.setattr("ansible_runner.run", lambda **kw: (_ for _ in ()).throw(
        RuntimeError("reached the runner")))
    with pytest.raises(RuntimeError, match="reached the runner"):
        api.doctor(str(tmp_path))
