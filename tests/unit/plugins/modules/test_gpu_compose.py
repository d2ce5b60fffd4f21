"""gpu_compose's main() in-process: atomic write, check mode, diff, idempotence, errors."""
import json
import os

import pytest

import gpu_compose

SERVICES = {"web": {"image": "nginx:1", "ports": ["8080:80"]},
            "train": {"image": "trainer:1", "gpu": {"policy": "auto", "count": 2}}}


@pytest.fixture
def run(run_module):
    return lambda args, check=False, diff=False: run_module(gpu_compose, args, check=check, diff=diff)


def test_write_then_no_change(tmp_path, run):
    dest = tmp_path / "proj" / "compose.yaml"
    args = {"services": SERVICES, "platform": "linux", "project_name": "proj", "dest": str(dest)}
    first = run(args)
    assert first["changed"] and first["gpu_services"] == ["train"]
    text = dest.read_text()
    assert text.startswith("# Managed by gpufleet")
    doc = json.loads(text.split("\n", 1)[1])
    assert doc["services"]["train"]["deploy"]["resources"]["reservations"]["devices"][0]["count"] == 2
    assert oct(os.stat(dest).st_mode & 0o777) == "0o644"
    assert run(args)["changed"] is False


def test_check_mode_with_diff_writes_nothing(tmp_path, run):
    dest = tmp_path / "compose.yaml"
    out = run({"services": SERVICES, "platform": "cloud", "project_name": "p",
               "dest": str(dest)}, check=True, diff=True)
    assert out["changed"] and not dest.exists()
    assert '"restart": "unless-stopped"' in out["diff"]["after"]


def test_invalid_service_fails_and_writes_nothing(tmp_path, run):
    dest = tmp_path / "compose.yaml"
    dest.write_text("old")
    out = run({"services": {"x": {"image": "i", "gpu": {"count": 1, "device_ids": ["0"]}}},
               "platform": "linux", "project_name": "p", "dest": str(dest)})
    assert out["failed"]
    assert "service 'x', field 'gpu': count and device_ids are mutually exclusive" in out["msg"]
    assert "Nothing was written" in out["msg"]
    assert dest.read_text() == "old"


def test_macos_warns(run, monkeypatch):
    # The module hands each render warning to AnsibleModule.warn (shown as a task warning).
    # Checked at that call, not in the printed JSON: once controller code is imported in
    # this process (the integration tests, the action-plugin tests), ansible-core routes
    # module warnings to the controller's display instead of the result.
    from ansible.module_utils.basic import AnsibleModule
    warned = []
    monkeypatch.setattr(AnsibleModule, "warn", lambda self, msg: warned.append(msg))
    out = run({"services": SERVICES, "platform": "macos", "project_name": "p"})
    assert out["gpu_services"] == []
    assert any("Linux containers on macOS get no GPU" in w for w in out["render_warnings"])
    assert any("Linux containers on macOS" in w for w in warned)
