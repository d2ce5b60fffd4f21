"""The matcher (plugins/module_utils/gpufleet_explain.py): every catalog error line is named,
real pastes collected from public threads are named (tests/fixtures/explain/pastes/, each
with its source URL), unrelated container errors get no GPU diagnosis, and large, binary,
coloured, CRLF, escaped or wrapped input still gets an answer, quickly."""
import glob
import json
import os
import textwrap
import time

import pytest

from ansible_collections.gpufleet.fleet.plugins.module_utils import gpufleet_gpu_problems
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_explain import (
    MAX_CHARS, diagnosis, explain, normalize)
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_failures import FAILURES

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "explain")

with open(os.path.join(FIXTURES, "catalog_lines.json"), encoding="utf-8") as _fh:
    CATALOG_LINES = json.load(_fh)["lines"]


def load_paste(path):
    """A paste fixture: '# key: value' header lines up to '# ---', then the text."""
    with open(path, encoding="utf-8") as fh:
        head, body = fh.read().split("# ---\n", 1)
    meta = {}
    for line in head.splitlines():
        key, _, value = line[2:].partition(":")
        meta.setdefault(key.strip(), []).append(value.strip())
    return meta, body


PASTES = sorted(glob.glob(os.path.join(FIXTURES, "pastes", "*.txt")))


def ids(text):
    return [m["id"] for m in explain(text)]


# --------------------------------------------------------------------------- catalog lines

@pytest.mark.parametrize("item", CATALOG_LINES,
                         ids=["%s-%d" % (i["id"], n) for n, i in enumerate(CATALOG_LINES)])
def test_catalog_error_line(item):
    text = (item.get("context", "") + "\n" + item["line"]).strip()
    found = ids(text)
    if item["expect"] == "first":
        assert found[:1] == [item["id"]], found
    elif item["expect"] == "listed":
        assert item["id"] in found, found
        assert item["id"] in ids(item["line"])  # shared lines list every candidate
    else:  # context-only: names no failure by itself (the fixture says why)
        assert item["why"] and ids(item["line"]) == []


def test_every_entry_has_a_line_diagnosed_first():
    firsts = {i["id"] for i in CATALOG_LINES if i["expect"] == "first"}
    assert firsts == {e["id"] for e in FAILURES}


def test_context_only_lines_complete_a_diagnosis():
    dxcore = [i for i in CATALOG_LINES if i["line"].startswith("dxcore")][0]
    rpc = [i for i in CATALOG_LINES if i["id"] == dxcore["id"] and i is not dxcore][0]
    assert ids(rpc["context"] + "\n" + dxcore["line"] + "\n" + rpc["line"])[0] == dxcore["id"]
    compose = [i for i in CATALOG_LINES if i["expect"] == "context-only"
               and i["id"] == "compose_gpu_reservation_invalid"][0]
    option = "Unsupported config option for services.gpu-dev: 'device_requests'"
    assert ids(compose["line"] + "\n" + option)[0] == "compose_gpu_reservation_invalid"


# --------------------------------------------------------------------------- real pastes

@pytest.mark.parametrize("path", PASTES, ids=[os.path.basename(p) for p in PASTES])
def test_real_paste(path):
    meta, body = load_paste(path)
    assert meta["source"][0].startswith("https://github.com/")
    found = ids(body)
    assert found[:1] == meta["expect"], found
    for also in meta.get("also", []):
        assert also in found


def test_enough_real_pastes():
    assert len(PASTES) >= 15


@pytest.mark.parametrize("path", PASTES, ids=[os.path.basename(p) for p in PASTES])
def test_paste_survives_terminal_damage(path):
    """ANSI colours, CRLF, hard wrapping at 60 columns mid-word and JSON escaping (an
    Ansible result's stderr) change nothing."""
    meta, body = load_paste(path)
    coloured = "\x1b[31m" + body.replace("Error", "\x1b[1;31mError\x1b[0m") + "\x1b[0m"
    assert ids(coloured)[:1] == meta["expect"]
    assert ids(body.replace("\n", "\r\n"))[:1] == meta["expect"]
    wrapped = "\n".join(line[i:i + 60] for line in body.splitlines()
                        for i in range(0, max(len(line), 1), 60))
    assert ids(wrapped)[:1] == meta["expect"]
    escaped = json.dumps({"msg": "non-zero return code", "stderr": body})
    assert ids(escaped)[:1] == meta["expect"]


def test_versions_paths_and_device_numbers_may_differ():
    assert ids("nvidia-container-cli: requirement error: unsatisfied condition: cuda>=13.1, "
               "please update your driver")[0] == "cuda_requirement_unsatisfied"
    assert ids("mount error: file creation failed: /var/lib/docker/overlay2/9f3a1c/merged/usr/"
               "lib/aarch64-linux-gnu/libcuda.so.1: file exists: unknown")[0] == \
        "image_bundles_driver_libs_file_exists"
    assert ids('error gathering device information while adding custom device '
               '"/dev/dri/renderD129": no such file or directory')[0] == "intel_gpu_wsl_no_dri"
    assert ids("[AVHWDeviceContext @ 0x7f00aa] Failed to open /dev/dri/renderD130 as DRM "
               "device node.")[0] == "intel_render_node_permission"
    assert ids("NVML library version: 580.95")[0] == "driver_library_version_mismatch"
    assert ids("podman: Error: crun: setting up CDI devices: unresolvable CDI devices "
               "nvidia.com/gpu=GPU-0e4b8a1c-1111-2222-3333-444455556666")[0] == \
        "cdi_unresolvable_devices"


def test_typographic_quotes_and_single_quotes():
    assert ids(u"could not select device driver \u201c\u201d with capabilities: [[gpu]]")[0] \
        == "no_gpu_device_driver_toolkit_missing"
    assert ids("could not select device driver '' with capabilities: [[gpu]]")[0] == \
        "no_gpu_device_driver_toolkit_missing"


# --------------------------------------------------------------------------- unrelated errors

UNRELATED = {
    "port_in_use": "docker: Error response from daemon: driver failed programming external "
                   "connectivity on endpoint web-1 (3f1c...): Bind for 0.0.0.0:8080 failed: "
                   "port is already allocated.",
    "no_space": "failed to register layer: write /usr/lib/x86_64-linux-gnu/libcublasLt.so."
                "12.4.5.8: no space left on device",
    "pull_denied": "Error response from daemon: pull access denied for myorg/trainer, "
                   "repository does not exist or may require 'docker login': denied: "
                   "requested access to the resource is denied",
    "manifest_unknown": "Error response from daemon: manifest for nvidia/cuda:12.99-base not "
                        "found: manifest unknown: manifest unknown",
    "oom_killed": "trainer-1 exited with code 137\n\"OOMKilled\": true,\nKilled",
    "exec_format": "exec /usr/local/bin/python: exec format error\nWARNING: The requested "
                   "image's platform (linux/arm64/v8) does not match the detected host "
                   "platform (linux/amd64/v4) and no specific platform was requested",
    "docker_sock": "permission denied while trying to connect to the Docker daemon socket at "
                   "unix:///var/run/docker.sock: Get \"http://%2Fvar%2Frun%2Fdocker.sock/v1.45/"
                   "containers/json\": dial unix /var/run/docker.sock: connect: permission "
                   "denied",
    "compose_yaml": "yaml: line 12: mapping values are not allowed in this context\n"
                    "ERROR: The Compose file './docker-compose.yml' is invalid because:\n"
                    "services.web.ports contains an invalid type, it should be an array",
    "dns": "Error response from daemon: Get \"https://registry-1.docker.io/v2/\": dial tcp: "
           "lookup registry-1.docker.io on 127.0.0.53:53: server misbehaving\n"
           "Temporary failure in name resolution",
    "other_device": "docker: Error response from daemon: error gathering device information "
                    "while adding custom device \"/dev/snd\": no such file or directory.",
    "missing_binary": "OCI runtime create failed: runc create failed: unable to start container "
                      "process: exec: \"python\": executable file not found in $PATH: unknown",
    "python_traceback": "Traceback (most recent call last):\n  File \"app.py\", line 3, in "
                        "<module>\n    import flask\nModuleNotFoundError: No module named "
                        "'flask'",
    "cuda_oom": "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 "
                "has a total capacity of 23.68 GiB of which 1.02 GiB is free.",
}


@pytest.mark.parametrize("name", sorted(UNRELATED))
def test_unrelated_errors_get_no_gpu_diagnosis(name):
    assert explain(UNRELATED[name]) == []


def test_unrelated_errors_around_a_gpu_error_do_not_hide_it():
    text = UNRELATED["port_in_use"] + "\n" + \
        "nvidia-container-cli: initialization error: nvml error: driver not loaded: unknown.\n" + \
        UNRELATED["no_space"]
    assert ids(text) == ["nvidia_kernel_module_not_loaded"]


# --------------------------------------------------------------------------- odd input

@pytest.mark.parametrize("text", [None, "", b"", "   \n\n", b"\x00\x00\xff\xfe", "\x1b[0m"])
def test_empty_input(text):
    assert explain(text) == []


def test_binary_input_is_answered():
    blob = bytes(range(256)) * 2000
    assert explain(blob) == []
    marked = blob + b"\nFailed to initialize NVML: Unknown Error\n" + blob
    assert ids(marked) == ["nvml_unknown_error_after_daemon_reload"]


def test_utf16_output_of_windows_tools():
    text = u"PS C:\\Users\\me> docker run --gpus all ubuntu\r\nError response from daemon: " \
           u"unknown or invalid runtime name: nvidia\r\n"
    assert ids(text.encode("utf-16"))[0] == "unknown_runtime_nvidia"
    assert ids(text.encode("utf-16-le"))[0] == "unknown_runtime_nvidia"  # NULs removed


def test_compose_prefixes_and_controls_are_cleaned():
    lines = normalize(b"ollama-1  | \x1b[31mError: \x00could not select device driver\r\n"
                      b"ollama-1  | \"\" with capabilities: [[gpu]]\r\n")
    assert lines == ["Error: could not select device driver", "\"\" with capabilities: [[gpu]]"]


def test_a_long_line_is_bounded():
    line = "x" * 100000 + " Failed to initialize NVML: Insufficient Permissions"
    assert ids(line) == ["podman_rootless_insufficient_permissions"]
    assert all(len(text) <= 16 * 1024 + 1 for text in normalize(line))


def big_log(size, error=None):
    rng = ["2026-11-25T12:00:%02d.%06dZ INFO worker-%d step=%d loss=%.4f lr=3e-4 tokens=8192"
           % (i % 60, i, i % 8, i, 1.0 / (i + 1)) for i in range(size // 80)]
    if error:
        rng.insert(len(rng) // 2, error)
    return "\n".join(rng)


def test_two_megabytes_in_well_under_a_few_seconds():
    log = big_log(2 * 1024 * 1024, "docker: Error response from daemon: unknown or invalid "
                                   "runtime name: nvidia.")
    started = time.monotonic()
    found = ids(log)
    elapsed = time.monotonic() - started
    assert found == ["unknown_runtime_nvidia", "snap_docker"]
    assert elapsed < 3.0, elapsed


def test_input_beyond_the_cap_keeps_head_and_tail():
    head_error = "Failed to initialize NVML: Unknown Error\n"
    tail_error = "\nnvml error: driver not loaded"
    text = head_error + "y" * (MAX_CHARS + 1000) + tail_error
    assert set(ids(text)) == {"nvml_unknown_error_after_daemon_reload",
                              "nvidia_kernel_module_not_loaded"}


# --------------------------------------------------------------------------- results

def test_match_fields():
    m = explain("Error: setting up CDI devices: unresolvable CDI devices nvidia.com/gpu=all")[0]
    assert set(m) >= {"id", "title", "cause", "remedy", "checks", "matched", "score",
                      "sources", "platforms", "doctor"}
    assert m["matched"] == ["Error: setting up CDI devices: unresolvable CDI devices "
                            "nvidia.com/gpu=all"]
    assert m["score"] == 100
    assert all(set(c) == {"check", "command"} for c in m["checks"])
    json.dumps(m)


def test_doctor_ids_come_from_the_rules():
    rules = getattr(gpufleet_gpu_problems, "RULES", None)
    if not rules:
        pytest.skip("the rulebook has no RULES table yet")
    rule = next(r for r in rules if r.get("failures"))
    fid = rule["failures"][0]
    line = next(i for i in CATALOG_LINES if i["id"] == fid and i["expect"] == "first")
    text = (line.get("context", "") + "\n" + line["line"]).strip()
    match = next(m for m in explain(text) if m["id"] == fid)
    assert rule["id"] in match["doctor"]
    for m in explain(text):
        assert set(m["doctor"]) <= {r["id"] for r in rules}


def test_diagnosis_is_the_short_form():
    d = diagnosis("Failed to initialize NVML: Driver/library version mismatch")
    assert d == [{"id": "driver_library_version_mismatch",
                  "cause": d[0]["cause"], "remedy": d[0]["remedy"]}]
    assert diagnosis("port is already allocated") == []


def test_matched_lines_show_a_wrapped_message_whole():
    text = textwrap.dedent("""\
        docker: Error response from daemon: could not select device dri
        ver "" with capabilities: [[gpu]].""")
    m = explain(text)[0]
    assert m["id"] == "no_gpu_device_driver_toolkit_missing"
    assert len(m["matched"]) == 2
