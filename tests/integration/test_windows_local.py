"""The Windows deploy path from inside WSL on the same machine (the original design), through
the real control plane: gpufleet's API runs ansible-playbook on a `windows` host with
ansible_connection local, the real docker CLI against the real Docker engine here (standing in
for Docker Desktop's engine, which its WSL integration gives the distro), and the Windows side
(wsl.exe, nvidia-smi.exe, tasklist.exe, Docker Desktop's settings) as files and small programs
under a WSL mount root (gpufleet_wsl_mount_root) that print the recorded outputs of
tests/fixtures/winrm/make_transcripts.py. What runs for real: the plays, the role
windows_workload, both action plugins in Ansible, the API's per-host results, docker."""
import json
import os
import shutil
import stat
import sys
import uuid

import pytest
import yaml

from conftest import ROOT
from gpufleet import api, testbed

sys.path.insert(0, os.path.join(ROOT, "tests", "fixtures", "winrm"))
import make_transcripts as mt  # noqa: E402

pytestmark = pytest.mark.skipif(not shutil.which("docker"), reason="no docker CLI")


def program(path, body):
    with open(path, "w") as fh:
        fh.write("#!/bin/sh\n" + body)
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


@pytest.fixture()
def machine(tmp_path):
    if not testbed.engine_answers():
        pytest.fail("no Docker engine answers: run `bash scripts/dev setup` (as root) first")
    root = tmp_path / "mnt"
    system32 = root / "c" / "Windows" / "System32"
    system32.mkdir(parents=True)
    out = tmp_path / "out"
    out.mkdir()
    (out / "list").write_bytes(mt.WSL_LIST_DESKTOP_4371.replace("\n", "\r\n").encode("utf-16-le"))
    (out / "status").write_bytes(mt.STATUS_UBUNTU.replace("\n", "\r\n").encode("utf-16-le"))
    (out / "version").write_bytes(mt.VERSION_CURRENT.replace("\n", "\r\n").encode("utf-16-le"))
    (out / "nvidia").write_text(mt.nvidia_xml())
    program(system32 / "wsl.exe", 'case "$1" in\n  -l) cat %s/list ;;\n  --status) cat %s/status ;;\n'
            '  --version) cat %s/version ;;\n  *) exit 1 ;;\nesac\n' % (out, out, out))
    program(system32 / "nvidia-smi.exe", "cat %s/nvidia\n" % out)
    program(system32 / "tasklist.exe", 'echo "Docker Desktop.exe   8712 Console   1   182,344 K"\n')
    settings = root / "c" / "Users" / "alice" / "AppData" / "Roaming" / "Docker"
    settings.mkdir(parents=True)
    (settings / "settings-store.json").write_text(mt.SETTINGS_STORE)
    project = "gpufleet-it-win-%s" % uuid.uuid4().hex[:8]
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {"children": {"windows": {"hosts": {
        "this-desktop": {
            "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
            "docker_desktop_logon_user": "alice", "gpufleet_wsl_mount_root": str(root),
            "gpu_workload_project": project,
            "gpu_workload_services": {
                "aiml-dev": {"image": "fixture-cpu:1.0.0", "command": ["sleep", "infinity"],
                             "volumes": ["C:\\work:/workspace"],
                             "gpu": {"policy": "auto", "count": 1}}}}}}}}}))
    return {"root": root, "inventory": str(inventory), "project": project}


def test_doctor_and_status_reach_a_windows_host_from_inside_wsl(machine):
    doctor = api.doctor(machine["inventory"], limit="windows")
    assert doctor.ok, doctor.error
    host = doctor.hosts["this-desktop"]
    assert host.problems == [], host.problems
    assert host.facts["platform"] == "windows" and host.facts["via"] == "wsl"
    assert host.facts["desktop"]["running"] and host.facts["wsl"]["target_distro"] == "Ubuntu"
    assert host.facts["docker"]["server_version"]          # the real engine answered

    status = api.status(machine["inventory"], limit="windows")
    assert status.ok, status.error
    st = status.hosts["this-desktop"].data["gpufleet_status"]
    assert st["gpus"][0]["name"] == "GRID P4-1Q" and st["desktop"]["backend"] == "wsl-2"
    assert st["desktop"]["wsl_integration"] is True and st["problems"] == []
    assert isinstance(st["containers"], list)


def test_deploy_check_mode_shows_the_compose_file_it_would_place(machine):
    result = api.deploy(machine["inventory"], limit="windows", services=["aiml-dev"],
                        check=True, diff=True)
    assert result.ok, result.error
    host = result.hosts["this-desktop"]
    assert host.status == "changed"
    assert any("through Docker Desktop's WSL integration" in t for t in host.changed_tasks)
    # check mode wrote nothing on the "Windows" side
    assert not (machine["root"] / "c" / "ProgramData" / "gpufleet" / machine["project"]).exists()
    assert host.data.get("gpu_workload_results", {}) == {}
    # the reads ran in check mode (ansible.builtin.command would have skipped them)
    assert host.facts["problems"] == [] and host.facts["wsl"]["distros"][0]["name"] == "Ubuntu"


def test_deploy_that_compose_cannot_run_fails_with_the_reason(machine):
    """This machine's docker has no compose plugin (Docker Desktop ships one): a real failure
    of `docker compose up`, reported per host, after the file was placed."""
    if api.subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        pytest.skip("docker compose works here; the failure needs a docker without it")
    result = api.deploy(machine["inventory"], limit="windows", services=["aiml-dev"])
    assert not result.ok and result.failed_hosts == ["this-desktop"]
    why = result.hosts["this-desktop"].failures[0]
    assert "docker compose up failed in Ubuntu" in why
    placed = machine["root"] / "c" / "ProgramData" / "gpufleet" / machine["project"] / "compose.yaml"
    doc = yaml.safe_load(placed.read_text())
    assert doc["services"]["aiml-dev"]["volumes"][0]["source"] == str(machine["root"]) + "/c/work"


def test_remove_of_a_project_that_is_not_there_changes_nothing(machine):
    result = api.deploy(machine["inventory"], limit="windows",
                        extra_vars={"gpu_workload_state": "absent"})
    assert result.ok, result.error
    assert result.hosts["this-desktop"].status == "ok"
    assert json.dumps(result.to_dict())  # the CLI's --json document serializes
