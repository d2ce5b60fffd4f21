"""A failed GPU smoke test or container start in gpu_workload carries the failure catalog's
diagnosis: into the failed task's message, the host's ``diagnosis`` (api.HostResult) and
`gpufleet deploy`'s table and JSON. The smoke path runs the role's real result tasks
(roles/gpu_workload/tasks/smoke_results.yml) through ansible-runner on the controller with
a recorded smoke test; the start path folds recorded events."""
import importlib.util
import io
import json
import os
import sys

from rich.console import Console

from gpufleet import api, cli

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
PLAY = "tests/fixtures/explain/smoke_results_play.yml"
HOOK_ERROR = ("OCI runtime exec failed: exec failed: unable to start container process: "
              "exec: \"nvidia-smi\": executable file not found in $PATH: unknown")


def smoke(rc, stdout, stderr, service):
    return {"item": service, "rc": rc, "stdout": stdout, "stderr": stderr,
            "stdout_lines": stdout.splitlines(), "delta": "0:00:00.210000", "changed": False}


def test_smoke_failure_carries_the_diagnosis(tmp_path):
    inv = tmp_path / "hosts.yml"
    inv.write_text("all:\n  children:\n    linux:\n      hosts:\n        gpu-01:\n"
                   "          ansible_connection: local\n"
                   "          ansible_python_interpreter: %s\n" % sys.executable)
    extra = {
        "__gpu_workload_smoke": {"results": [
            smoke(0, "GPU 0: NVIDIA A100-SXM4-80GB (UUID: GPU-5135)", "", "web"),
            smoke(126, "", HOOK_ERROR, "train"),
        ]},
        "_gpu_workload_vendor": "nvidia", "gpu_workload_project": "demo",
        "gpu_workload_results_dir": str(tmp_path / "results"),
        "__gpu_workload_up": {"changed": True}, "__gpu_workload_compose": {"changed": False},
    }
    result = api.run("deploy", str(inv), playbook=PLAY, extra_vars=extra)
    host = result.hosts["gpu-01"]
    assert host.status == "failed"
    assert [(d["id"], d["service"]) for d in host.diagnosis] == \
        [("nvidia_smi_not_in_container", "train")]
    assert set(host.diagnosis[0]) == {"id", "cause", "remedy", "service"}
    # the failed task's message names it too, with the remedy
    assert "Diagnosis (train) nvidia_smi_not_in_container:" in host.failures[-1]
    assert "--gpus all" in host.failures[-1]
    # the results recorded on the host carry it per service
    with open(tmp_path / "results" / "demo.json") as fh:
        recorded = json.load(fh)
    assert recorded["web"]["diagnosis"] == [] and recorded["web"]["gpu_visible"] is True
    assert recorded["train"]["diagnosis"][0]["id"] == "nvidia_smi_not_in_container"
    # deploy's JSON and table
    doc = result.to_dict()
    assert doc["hosts"]["gpu-01"]["diagnosis"][0]["id"] == "nvidia_smi_not_in_container"
    out = io.StringIO()
    cli.summary_table(result, Console(file=out, width=200, force_terminal=False))
    text = out.getvalue()
    assert "diagnosis gpu-01 (train): nvidia_smi_not_in_container:" in text
    assert "remedy: Request the GPU" in text


def test_smoke_success_has_no_diagnosis(tmp_path):
    inv = tmp_path / "hosts.yml"
    inv.write_text("all:\n  hosts:\n    gpu-01:\n      ansible_connection: local\n"
                   "      ansible_python_interpreter: %s\n" % sys.executable)
    extra = {
        "__gpu_workload_smoke": {"results": [smoke(0, "GPU 0: NVIDIA A100", "", "train")]},
        "_gpu_workload_vendor": "nvidia", "gpu_workload_project": "demo",
        "gpu_workload_results_dir": str(tmp_path / "results"),
        "__gpu_workload_up": {"changed": True}, "__gpu_workload_compose": {"changed": False},
    }
    result = api.run("deploy", str(inv), playbook=PLAY, extra_vars=extra)
    assert result.ok and result.hosts["gpu-01"].diagnosis == []


def test_start_failure_events_carry_the_diagnosis():
    """The rescue of present.yml: docker_compose_v2 fails, set_fact records the diagnosis,
    fail says it (recorded event shapes of ansible-runner 2.4)."""
    hosts = {}

    def host(name):
        return hosts.setdefault(name, api.HostResult(host=name))

    engine = ("Error response from daemon: could not select device driver \"\" with "
              "capabilities: [[gpu]]")
    events = [
        {"event": "runner_on_failed", "event_data": {
            "host": "gpu-01", "task": "Start the services and wait until they are running and "
            "healthy", "res": {"msg": engine, "rc": 1}}},
        {"event": "runner_on_ok", "event_data": {
            "host": "gpu-01", "task": "Diagnose the failed start", "res": {
                "changed": False, "ansible_facts": {"gpu_workload_diagnosis": [
                    {"id": "no_gpu_device_driver_toolkit_missing", "cause": "c", "remedy": "r"},
                    {"id": "snap_docker", "cause": "c2", "remedy": "r2"}]}}}},
        {"event": "runner_on_failed", "event_data": {
            "host": "gpu-01", "task": "Fail with the start error and its diagnosis",
            "res": {"msg": "Starting demo failed: %s Diagnosis "
                           "no_gpu_device_driver_toolkit_missing: c Remedy: r" % engine}}},
        # a task's own diagnosis (e.g. the Windows workload) is kept, once
        {"event": "runner_on_failed", "event_data": {
            "host": "gpu-01", "task": "x", "res": {"msg": "m", "diagnosis": [
                {"id": "snap_docker", "cause": "c2", "remedy": "r2"}]}}},
    ]
    for event in events:
        api.collect_event(event, host)
    h = hosts["gpu-01"]
    assert [d["id"] for d in h.diagnosis] == ["no_gpu_device_driver_toolkit_missing",
                                              "snap_docker"]
    assert h.failures[1].startswith("Fail with the start error and its diagnosis: Starting demo")


def test_the_filter_reads_registered_results():
    # plugins/filter/gpufleet.py has the package's name: load it by path
    spec = importlib.util.spec_from_file_location(
        "gpufleet_filters", os.path.join(ROOT, "plugins", "filter", "gpufleet.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    explain = mod.FilterModule().filters()["gpufleet_explain"]
    registered = {"msg": "non-zero return code", "rc": 1, "stdout": "",
                  "stderr": "Failed to initialize NVML: Unknown Error"}
    assert [d["id"] for d in explain(registered)] == ["nvml_unknown_error_after_daemon_reload"]
    assert explain({"results": [registered]})[0]["id"] == "nvml_unknown_error_after_daemon_reload"
    assert explain(["port is already allocated", None, 3]) == []
    assert explain(b"unknown or invalid runtime name: nvidia", 1)[0]["id"] == \
        "unknown_runtime_nvidia"
