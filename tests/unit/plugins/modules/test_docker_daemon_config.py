"""docker_daemon_config's main() in-process on real files (ansible-core's patch_module_args)."""
import json
import os
import stat

import pytest

import docker_daemon_config


_LAST = {}


@pytest.fixture
def run(run_module):
    """Runs the module; ``result()`` then returns the JSON it printed."""
    def call(args, check=False, diff=False):
        _LAST["out"] = run_module(docker_daemon_config, args, check=check, diff=diff)
    return call


@pytest.fixture
def result():
    return lambda: _LAST.pop("out")


@pytest.fixture
def daemon_json(tmp_path):
    path = tmp_path / "daemon.json"
    path.write_text('{"log-driver": "journald", "runtimes": {"crun": {"path": "crun"}}}')
    os.chmod(path, 0o640)
    return path


NVIDIA = {"runtimes": {"nvidia": {"args": [], "path": "nvidia-container-runtime"}}}


def test_merge_keeps_other_keys_mode_and_is_idempotent(daemon_json, result, run):
    run({"path": str(daemon_json), "settings": NVIDIA, "validate": False})
    first = result()
    assert first["changed"] is True and first["changed_keys"] == ["runtimes.nvidia"]
    data = json.loads(daemon_json.read_text())
    assert data == {"log-driver": "journald",
                    "runtimes": {"crun": {"path": "crun"}, **NVIDIA["runtimes"]}}
    assert stat.S_IMODE(os.stat(daemon_json).st_mode) == 0o640
    run({"path": str(daemon_json), "settings": NVIDIA, "validate": False})
    assert result()["changed"] is False


def test_check_mode_and_diff_change_nothing(daemon_json, result, run):
    before = daemon_json.read_text()
    run({"path": str(daemon_json), "settings": {"debug": True}, "validate": False},
        check=True, diff=True)
    out = result()
    assert out["changed"] is True
    assert out["diff"]["before"] == before
    assert json.loads(out["diff"]["after"])["debug"] is True
    assert daemon_json.read_text() == before


def test_backup_and_absent(daemon_json, result, run):
    run({"path": str(daemon_json), "settings": {"log-driver": None}, "state": "absent",
         "backup": True, "validate": False})
    out = result()
    assert out["changed"] and os.path.exists(out["backup_file"])
    assert json.loads(daemon_json.read_text()) == {"runtimes": {"crun": {"path": "crun"}}}
    assert "journald" in open(out["backup_file"]).read()


def test_creates_missing_file(tmp_path, result, run):
    path = tmp_path / "docker" / "daemon.json"
    run({"path": str(path), "settings": NVIDIA, "validate": False})
    out = result()
    assert out["changed"] and out["created"]
    assert json.loads(path.read_text()) == NVIDIA
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644


def test_absent_on_missing_file_is_no_change(tmp_path, result, run):
    run({"path": str(tmp_path / "none.json"), "settings": {"debug": None}, "state": "absent"})
    assert result()["changed"] is False
    assert not (tmp_path / "none.json").exists()


def test_invalid_json_fails_and_leaves_file_untouched(tmp_path, result, run):
    path = tmp_path / "daemon.json"
    path.write_text('{"debug": true,}')
    run({"path": str(path), "settings": NVIDIA})
    out = result()
    assert out["failed"] is True
    assert str(path) in out["msg"] and "not valid JSON" in out["msg"]
    assert path.read_text() == '{"debug": true,}'


def test_validation_failure_leaves_file_untouched(daemon_json, tmp_path, result, run):
    # A dockerd that has --validate and rejects everything, like a real one rejecting an
    # unknown directive (the real Docker 26 case runs in the docker_engine Molecule scenario).
    fake = tmp_path / "dockerd"
    fake.write_text("#!/bin/sh\nif [ \"$1\" = --help ]; then echo '  --validate   Validate'; exit 0; fi\n"
                    "echo 'the following directives don'\"'\"'t match any configuration option: bogus' >&2; exit 1\n")
    fake.chmod(0o755)
    before = daemon_json.read_text()
    run({"path": str(daemon_json), "settings": {"bogus": 1}, "dockerd_path": str(fake)})
    out = result()
    assert out["failed"] is True
    assert "dockerd rejected the new configuration" in out["msg"] and "bogus" in out["msg"]
    assert daemon_json.read_text() == before


def test_bad_argument_is_refused(daemon_json, result, run):
    run({"path": str(daemon_json), "settings": NVIDIA, "list_merge": "append"})
    out = result()
    assert out["failed"] is True and "list_merge" in out["msg"]
