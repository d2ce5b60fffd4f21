"""wsl_conf's main() in-process on real files."""
import json

import pytest
from ansible.module_utils.testing import patch_module_args

import wsl_conf


def run(args, capsys, check=False, diff=False):
    with patch_module_args(dict(args, _ansible_check_mode=check, _ansible_diff=diff)):
        with pytest.raises(SystemExit):
            wsl_conf.main()
    return json.loads(capsys.readouterr().out)


def test_create_change_and_idempotent(tmp_path, capsys):
    path = tmp_path / "wsl.conf"
    path.write_text("# distro default\n[automount]\nenabled=true\n")
    args = {"path": str(path), "settings": {"boot": {"systemd": True}, "gpu": {"enabled": True}}}
    out = run(args, capsys, diff=True)
    assert out["changed"] and out["needs_restart"]
    assert path.read_text() == ("# distro default\n[automount]\nenabled=true\n\n[boot]\n"
                                "systemd=true\n\n[gpu]\nenabled=true\n")
    assert run(args, capsys)["changed"] is False


def test_check_mode(tmp_path, capsys):
    path = tmp_path / "wsl.conf"
    out = run({"path": str(path), "settings": {"boot": {"systemd": True}}}, capsys, check=True)
    assert out["changed"] and not path.exists()


def test_bad_key_leaves_file(tmp_path, capsys):
    path = tmp_path / "wsl.conf"
    path.write_text("[boot]\nsystemd=false\n")
    out = run({"path": str(path), "settings": {"boot": {"sytemd": True}}}, capsys)
    assert out["failed"] and "unknown key sytemd in [boot]" in out["msg"]
    assert path.read_text() == "[boot]\nsystemd=false\n"
