"""wsl_conf's main() in-process on real files."""

import pytest

import wsl_conf


@pytest.fixture
def run(run_module):
    return lambda args, check=False, diff=False: run_module(wsl_conf, args, check=check, diff=diff)


def test_create_change_and_idempotent(tmp_path, run):
    path = tmp_path / "wsl.conf"
    path.write_text("# distro default\n[automount]\nenabled=true\n")
    args = {"path": str(path), "settings": {"boot": {"systemd": True}, "gpu": {"enabled": True}}}
    out = run(args, diff=True)
    assert out["changed"] and out["needs_restart"]
    assert path.read_text() == ("# distro default\n[automount]\nenabled=true\n\n[boot]\n"
                                "systemd=true\n\n[gpu]\nenabled=true\n")
    assert run(args)["changed"] is False


def test_check_mode(tmp_path, run):
    path = tmp_path / "wsl.conf"
    out = run({"path": str(path), "settings": {"boot": {"systemd": True}}}, check=True)
    assert out["changed"] and not path.exists()


def test_bad_key_leaves_file(tmp_path, run):
    path = tmp_path / "wsl.conf"
    path.write_text("[boot]\nsystemd=false\n")
    out = run({"path": str(path), "settings": {"boot": {"sytemd": True}}})
    assert out["failed"] and "unknown key sytemd in [boot]" in out["msg"]
    assert path.read_text() == "[boot]\nsystemd=false\n"
