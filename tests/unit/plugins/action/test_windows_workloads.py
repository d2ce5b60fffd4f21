"""Windows GPU hosts end to end on transcripts: windows_facts (status, doctor), windows_workload
(deploy, check mode, removal, a GPU that does not reach the container) and check mode that
reads the host, replayed through a patched _execute_module the way ansible.windows tests its
action plugins. The transcripts (tests/fixtures/winrm/windows_*.json) are written by
tests/fixtures/winrm/make_transcripts.py; each output says whether it is real (with its URL)
or constructed.

The replay behaves like Ansible in check mode: a call made while the task is in check mode
to a module that skips there (win_command, win_powershell without SupportsShouldProcess,
command) gets the skip result Ansible would return, so a plugin that forgets to read with
check mode off sees what the bug report describes (no distros, empty files)."""
import json
import os
from unittest.mock import MagicMock

import pytest

from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_compose import render
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_windows import compose_for_wsl

from tests.unit.plugins.action.winrm_replay import FIX, Replay, load_plugin, run

SERVICES = {"aiml-dev": {"image": "nvidia/cuda:12.4.1-base-ubuntu22.04",
                         "command": ["sleep", "infinity"],
                         "volumes": ["C:\\work:/workspace", "aiml-cache:/cache"],
                         "gpu": {"policy": "auto", "count": 1}}}


def facts(transcript="windows_facts_ready.json", **kw):
    res, _ = run("windows_facts", transcript, kw)
    assert not res.get("failed"), res
    return res["ansible_facts"]["gpufleet"]


# ------------------------------------------------------------------ status and doctor

def test_ready_host_has_no_problems_and_reports_status():
    f = facts()
    assert f["platform"] == "windows" and f["via"] == "winrm"
    assert f["problems"] == []
    assert f["wsl"]["target_distro"] == "Ubuntu" and f["wsl"]["version"]["wsl"] == "2.3.26.0"
    assert f["desktop"]["running"] and f["desktop"]["version"] == "Docker Desktop 4.37.1 (178610)"
    assert f["desktop"]["backend"] == "wsl-2"
    assert f["desktop"]["settings_file"].endswith("settings-store.json")
    gpu = f["gpus"]["nvidia"][0]
    assert gpu["name"] == "GRID P4-1Q" and gpu["driver_model"] == "WDDM"
    assert f["nvidia"]["driver_version"] == "513.46"
    assert [c["Names"] for c in f["containers"]] == ["aiml-aiml-dev-1"]


@pytest.mark.parametrize("check", [False, True], ids=["run", "check-mode"])
def test_facts_read_the_host_in_check_mode_too(check):
    res, replay = run("windows_facts", "windows_facts_ready.json", {}, check=check)
    assert res["ansible_facts"]["gpufleet"]["problems"] == []
    assert all(c is False for _, _, c in replay.seen), "a read ran in check mode and was skipped"


def test_integration_off_outdated_wsl_no_driver():
    f = facts("windows_facts_integration_off.json")
    ids = [p["id"] for p in f["problems"]]
    assert ids == ["wsl_outdated", "desktop_wsl_integration_off", "windows_no_nvidia_driver"]
    # WSL 2.4.4 printed no default marker and --status no default distro: the first
    # non-Desktop distro is used
    assert f["wsl"]["target_distro"] == "MyPengwin"
    assert f["desktop"]["settings"] == {"wsl_engine_enabled": True, "integrated_distros": [],
                                        "integrate_default_distro": True}
    assert "desktop_not_running" not in ids  # the stub says nothing about the engine
    for p in f["problems"]:
        assert p["remedy"]


def test_tcc_wsl1_backend_off_desktop_stopped():
    f = facts("windows_facts_tcc_wsl1_stopped.json", distro="legacy-wsl1")
    ids = [p["id"] for p in f["problems"]]
    assert ids == ["wsl1_distro", "desktop_wsl2_backend_off", "desktop_not_running",
                   "nvidia_tcc_mode"]
    # Spanish `wsl --version` ran: the version is unknown, not outdated
    assert f["wsl"]["version"] == {} and "wsl_outdated" not in ids
    assert f["desktop"]["backend"] == "hyper-v" and f["desktop"]["process_running"] is False
    tcc = next(p for p in f["problems"] if p["id"] == "nvidia_tcc_mode")
    assert "-dm 0" in tcc["remedy"]


def test_facts_from_inside_wsl_on_the_same_machine():
    """The original design: gpufleet inside the distro, Desktop's engine through the WSL
    integration, Windows programs through interop."""
    res, replay = run("windows_facts", "windows_facts_local_wsl.json", {}, windows=False,
                      check=True)
    f = res["ansible_facts"]["gpufleet"]
    assert f["via"] == "wsl" and f["problems"] == [] and f["desktop"]["process_running"] is True
    assert replay.seen[0][1]["argv"][0] == "/mnt/c/Windows/System32/wsl.exe"


def test_facts_need_to_know_whose_desktop():
    task_vars = {"docker_desktop_logon_user": "", "ansible_user": ""}
    action = load_plugin("windows_facts")(MagicMock(args={}, async_val=0, check_mode=False),
                                          MagicMock(), MagicMock(), loader=None, templar=None,
                                          shared_loader_obj=None)
    action._execute_module = Replay("wsl_distros_none.json", action)
    out = action.run(task_vars=task_vars)
    assert out["failed"] and "docker_desktop_logon_user" in out["msg"]


# ------------------------------------------------------------------ deploy

def workload(transcript, check=False, state="present", f=None, **extra):
    args = dict(services=SERVICES, project="aiml", select=["aiml-dev"], state=state,
                facts=f or facts(), **extra)
    return run("windows_workload", transcript, args, check=check)


def test_deploy_renders_translates_starts_and_smoke_tests():
    res, replay = workload("windows_workload_deploy.json")
    assert not res.get("failed"), res
    assert res["changed"] and res["start"] == ["aiml-dev"] and res["gpu_services"] == ["aiml-dev"]
    written = yaml_load(replay.seen[2][1]["parameters"]["Text"])
    vol = written["services"]["aiml-dev"]["volumes"][0]
    assert vol == {"type": "bind", "source": "/mnt/c/work", "target": "/workspace"}
    assert written["services"]["aiml-dev"]["deploy"]["resources"]["reservations"]["devices"] == [
        {"driver": "nvidia", "capabilities": ["gpu"], "count": 1}]
    result = res["ansible_facts"]["gpu_workload_results"]["aiml-dev"]
    assert result["gpu_visible"] is True and result["devices"][0].startswith("GPU 0: GRID P4-1Q")
    # the same keys as gpu_workload's results (roles/gpu_workload/tasks/smoke.yml)
    assert set(result) == {"host", "service", "vendor", "gpu_visible", "devices", "rc", "error",
                           "duration_s", "diagnosis"}
    assert result["diagnosis"] == [] and res["ansible_facts"]["gpu_workload_diagnosis"] == []
    assert res["diff"]["before_header"].endswith("(absent)")


def test_check_mode_reads_and_shows_the_change_without_writing():
    res, replay = workload("windows_workload_check.json", check=True)
    assert res["changed"] and res["start"] == ["aiml-dev"]
    assert "/mnt/c/work" in res["diff"]["after"] and res["diff"]["before"] == ""
    assert "ansible_facts" not in res
    assert all(c is False for _, _, c in replay.seen)


def test_check_mode_on_a_deployed_host_shows_no_change(tmp_path):
    """The compose file already holds what would be written and the service runs."""
    doc, _, _ = render(SERVICES, "windows", "aiml", gpu_vendor="nvidia", path_exists=None)
    import yaml
    text = yaml.safe_dump(compose_for_wsl(doc), sort_keys=False, default_flow_style=False)
    with open(os.path.join(FIX, "windows_workload_check.json")) as fh:
        data = json.load(fh)
    data["calls"][0]["result"]["result"]["files"] = {
        "C:\\ProgramData\\gpufleet\\aiml\\compose.yaml": text}
    data["calls"][1]["result"]["stdout"] = json.dumps(
        {"ID": "3f1c2b9a7d10", "State": "running",
         "Labels": "com.docker.compose.project=aiml,com.docker.compose.service=aiml-dev"})
    path = tmp_path / "deployed.json"
    path.write_text(json.dumps(data))
    res, _ = workload(os.path.relpath(path, FIX), check=True)
    assert res["changed"] is False and "diff" not in res and res["start"] == []


def test_gpu_that_does_not_reach_the_container_is_reported_with_a_diagnosis():
    res, _ = workload("windows_workload_gpu_blocked.json")
    assert not res.get("failed")          # the role's assert fails the host, as on Linux
    result = res["ansible_facts"]["gpu_workload_results"]["aiml-dev"]
    assert result["gpu_visible"] is False and result["rc"] == 255
    assert "GPU access blocked by the operating system" in "\n".join(result["devices"])
    assert [d["id"] for d in result["diagnosis"]][:1] == ["wsl_gpu_access_blocked"]
    assert set(result["diagnosis"][0]) == {"id", "cause", "remedy", "service"}
    assert result["diagnosis"][0]["service"] == "aiml-dev"
    assert res["ansible_facts"]["gpu_workload_diagnosis"] == result["diagnosis"]
    # what the API makes of that task result: the host's diagnosis, as on Linux
    host = api_host_from(res)
    assert [d["id"] for d in host.diagnosis][:1] == ["wsl_gpu_access_blocked"]
    assert host.data["gpu_workload_results"]["aiml-dev"]["gpu_visible"] is False


def test_compose_up_refused_by_the_engine_fails_with_a_diagnosis():
    res, _ = workload("windows_workload_up_no_gpu_driver.json")
    assert res["failed"] and 'could not select device driver "nvidia"' in res["msg"]
    assert res["diagnosis"][0]["id"] == "no_gpu_device_driver_toolkit_missing"
    assert "Diagnosis (" in res["msg"]


def test_required_gpu_on_a_host_without_a_gpu_path_starts_nothing(tmp_path):
    broken = facts("windows_facts_tcc_wsl1_stopped.json", distro="legacy-wsl1")
    services = {"train": {"image": "x", "gpu": {"policy": "required"}}}
    args = dict(services=services, project="aiml", facts=broken)
    # reads only: nothing is written or started
    with open(os.path.join(FIX, "windows_workload_check.json")) as fh:
        data = json.load(fh)
    for call in data["calls"]:
        if call["args"].get("argv", [""])[:3] == ["wsl.exe", "-d", "Ubuntu"]:
            call["args"]["argv"][2] = "legacy-wsl1"
    (tmp_path / "required.json").write_text(json.dumps(data))
    res, _ = run("windows_workload", os.path.relpath(tmp_path / "required.json", FIX), args)
    assert res["failed"] and "nothing was started" in res["msg"]
    assert "nvidia_tcc_mode" in res["msg"] and "Remedy:" in res["msg"]


def test_remove_takes_the_project_down_and_the_file_away():
    res, replay = workload("windows_workload_remove.json", state="absent")
    assert res["changed"] and not res.get("failed")
    assert replay.seen[2][1]["argv"][-4:] == ["-p", "aiml", "down", "--remove-orphans"]


# ------------------------------------------------------------------ check mode of the set-up plugins

def test_wslconfig_check_on_a_configured_machine_shows_no_change():
    res, replay = run_old("wslconfig", "wslconfig_unchanged.json", {
        "path": "C:\\Users\\alice\\.wslconfig",
        "settings": {"wsl2": {"memory": "16GB", "networkingMode": "mirrored"}}}, check=True)
    assert res["changed"] is False and "diff" not in res
    assert replay.seen[0][2] is False


def test_wslconfig_check_on_a_fresh_machine_shows_the_real_diff(tmp_path):
    with open(os.path.join(FIX, "wslconfig_unchanged.json")) as fh:
        data = json.load(fh)
    data["calls"][0]["result"]["result"]["files"] = {}
    (tmp_path / "fresh.json").write_text(json.dumps(data))
    res, _ = run_old("wslconfig", os.path.relpath(tmp_path / "fresh.json", FIX), {
        "path": "C:\\Users\\alice\\.wslconfig", "settings": {"wsl2": {"memory": "16GB"}}},
        check=True)
    assert res["changed"] is True
    assert res["diff"]["before"] == "" and res["diff"]["after"] == "[wsl2]\nmemory=16GB\n"
    assert res["diff"]["before_header"].endswith("(absent)")


def test_desktop_settings_check_on_a_configured_machine_shows_no_change(tmp_path):
    res, _ = run_old("docker_desktop_settings", "desktop_settings_store_stopped.json", {
        "settings_dir": "C:\\Users\\alice\\AppData\\Roaming\\Docker",
        "settings": {"autoStart": False}}, check=True, keep_calls=1, tmp=tmp_path)
    assert res["changed"] is False and res["file"].endswith("settings-store.json")


def test_wsl_distros_lists_in_check_mode():
    res, replay = run_old("wsl_distros", "wsl_distros_utf16.json", {}, check=True)
    assert [d["name"] for d in res["distros"]] == ["Ubuntu-24.04", "Debian", "legacy-wsl1"]
    assert replay.seen[0][2] is False


# ------------------------------------------------------------------ helpers

def run_old(plugin, transcript, args, check=False, keep_calls=None, tmp=None):
    """The older transcripts hold no per-call check_mode; keep_calls cuts the transcript
    (a check-mode run makes only the reads)."""
    if keep_calls is not None:
        with open(os.path.join(FIX, transcript)) as fh:
            data = json.load(fh)
        data["calls"] = data["calls"][:keep_calls]
        path = os.path.join(str(tmp), "cut-" + transcript)
        with open(path, "w") as fh:
            json.dump(data, fh)
        transcript = os.path.relpath(path, FIX)
    return run(plugin, transcript, args, check=check)


def yaml_load(text):
    import yaml
    return yaml.safe_load(text)


def api_host_from(res, task="Deploy or remove the workload through Docker Desktop's WSL integration"):
    """Fold the task result into gpufleet's per-host result the way a run does."""
    from gpufleet import api
    hosts = {}
    api.collect_event({"event": "runner_on_ok", "event_data": {
        "host": "ws-alice.lab.example", "task": task, "res": res}},
        lambda name: hosts.setdefault(name, api.HostResult(host=name)))
    return hosts["ws-alice.lab.example"]
