"""deploy, status and doctor reach the windows and macos groups of inventory/example (the API's
own view of the plays' host patterns, and ansible-playbook --list-hosts), and what a Mac gets
from the example's service description."""
import os
import subprocess
import sys

import pytest

from gpufleet import api

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
EXAMPLE = os.path.join(ROOT, "inventory", "example")
WINDOWS = {"ws-alice.lab.example", "this-desktop"}
MACOS = {"mbp-bob.lab.example"}


@pytest.fixture(scope="module")
def example():
    return api.load_inventory(EXAMPLE)


@pytest.mark.parametrize("action", ["deploy", "status", "doctor"])
@pytest.mark.parametrize("limit,expected", [("windows", WINDOWS), ("macos", MACOS),
                                            ("ws-alice.lab.example", {"ws-alice.lab.example"})])
def test_the_verbs_reach_windows_and_macos(example, action, limit, expected):
    playbook = api.PLAYBOOKS[action]
    assert api.targeted_hosts(example, playbook, limit, {}) == expected


def test_list_hosts_agrees(example):
    exe = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env["ANSIBLE_CONFIG"] = os.path.join(ROOT, "ansible.cfg")
    for action in ("deploy", "status", "doctor"):
        proc = subprocess.run([exe, "-i", EXAMPLE, api.PLAYBOOKS[action], "--list-hosts",
                               "-l", "windows:macos"], cwd=ROOT, env=env, capture_output=True,
                              text=True)
        assert proc.returncode == 0, proc.stderr
        listed = {line.strip() for line in proc.stdout.splitlines()
                  if line.startswith("      ")}
        assert listed == WINDOWS | MACOS, (action, proc.stdout)


def test_mac_renders_cpu_arm64_with_a_warning_per_gpu_service(example):
    from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_compose import render
    hostvars = example["_meta"]["hostvars"]["mbp-bob.lab.example"]
    doc, warnings, gpu_services = render(
        hostvars["gpu_workload_services"], "macos", hostvars["gpu_workload_project"],
        gpu_vendor="none", container_platform=hostvars["gpu_workload_container_platform"],
        path_exists=None)
    svc = doc["services"]["aiml-dev"]
    assert svc["platform"] == "linux/arm64" and "deploy" not in svc and gpu_services == []
    assert len(warnings) == 1 and "aiml-dev" in warnings[0]
    assert "Model Runner" in warnings[0] or "Podman" in warnings[0]
    assert hostvars["gpufleet_environment"]["PATH"].startswith("/opt/homebrew/bin:")


def test_the_local_windows_host_runs_over_the_local_connection(example):
    hostvars = example["_meta"]["hostvars"]
    assert hostvars["this-desktop"]["ansible_connection"] == "local"
    assert hostvars["ws-alice.lab.example"]["ansible_connection"] == "winrm"


def test_a_mac_deploy_result_folds_like_linux():
    """A Mac's deploy: gpu_facts' problem, no GPU results; the API's host result says so."""
    hosts = {}

    def host(name):
        return hosts.setdefault(name, api.HostResult(host=name))

    problem = {"id": "macos_no_container_gpu", "message": "no GPU in Linux containers",
               "remedy": "Docker Model Runner on the host, or Podman with libkrun"}
    api.collect_event({"event": "runner_on_ok", "event_data": {
        "host": "mbp-bob.lab.example", "task": "Read host facts", "res": {
            "ansible_facts": {"gpufleet": {"platform": "macos", "problems": [problem]}}}}}, host)
    api.collect_event({"event": "runner_on_ok", "event_data": {
        "host": "mbp-bob.lab.example", "task": "Start the services", "res": {"changed": True}}},
        host)
    warning = "Linux containers on macOS get no GPU: service 'llm' runs on the CPU."
    for _repeat in range(2):  # a warning repeated by a later task is kept once
        api.collect_event({"event": "runner_on_ok", "event_data": {
            "host": "mbp-bob.lab.example", "task": "Render the compose file",
            "res": {"changed": False, "warnings": [warning]}}}, host)
    h = hosts["mbp-bob.lab.example"]
    assert h.problems == [problem] and h.changed_tasks == ["Start the services"]
    assert h.data.get("gpu_workload_results") is None
    assert h.warnings == [warning]
    result = api.RunResult(action="deploy", playbook="workloads.yml", limit="macos", rc=0,
                           status="successful", duration_s=1.0, hosts=hosts)
    assert result.to_dict()["hosts"]["mbp-bob.lab.example"]["warnings"] == [warning]


def test_cli_deploy_check_and_the_desktop_line_of_status(monkeypatch, capsys):
    from gpufleet import cli
    seen = {}

    def fake_deploy(inventory, limit, services=None, **kw):
        seen.update(kw, limit=limit, services=services)
        return api.RunResult(action="deploy", playbook=api.PLAYBOOKS["deploy"], limit=limit,
                             rc=0, status="successful", duration_s=0.1,
                             hosts={"this-desktop": api.HostResult(host="this-desktop", ok=3)})
    monkeypatch.setattr(api, "deploy", fake_deploy)
    rc = cli.main(["deploy", "-i", EXAMPLE, "-l", "windows", "--service", "aiml-dev", "--check",
                   "--json"])
    assert rc == 0 and seen["check"] is True and seen["diff"] is True
    assert seen["services"] == ["aiml-dev"] and seen["limit"] == "windows"
    capsys.readouterr()

    result = api.RunResult(action="status", playbook=api.PLAYBOOKS["status"], limit="windows",
                           rc=0, status="successful", duration_s=0.1, hosts={
                               "ws-alice.lab.example": api.HostResult(
                                   host="ws-alice.lab.example", ok=2, data={"gpufleet_status": {
                                       "containers": [], "gpus": [], "desktop": {
                                           "running": True, "version": "Docker Desktop 4.37.1",
                                           "engine": "27.4.0", "backend": "wsl-2",
                                           "distro": "Ubuntu", "wsl_integration": True,
                                           "wsl": "2.3.26.0", "via": "winrm"}}})})
    cli.summary_table(result, cli._console(False))
    out = capsys.readouterr().out
    assert "Docker Desktop running (Docker Desktop 4.37.1)" in out and "backend wsl-2" in out
    assert "WSL integration for Ubuntu on" in out


def test_cli_help_names_the_original_scripts():
    from gpufleet import cli
    text = cli.__doc__
    for script in ("./scripts/deploy-to-windows.sh --gpu --service aiml-dev",
                   "./scripts/deploy-to-mac.sh", "./scripts/monitor-workloads.sh --platform windows"):
        assert script in text
    assert "seed" not in text.lower()
