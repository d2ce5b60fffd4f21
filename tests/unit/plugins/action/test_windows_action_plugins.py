"""The Windows action plugins, driven by replaying recorded module transcripts through a
patched _execute_module (the ansible.windows way: tests/unit/plugins/action/test_win_updates.py).
Each transcript in tests/fixtures/winrm says where its format comes from."""
import json

from tests.unit.plugins.action.winrm_replay import run


def test_wsl_distros_utf16():
    res, _ = run("wsl_distros", "wsl_distros_utf16.json", {})
    assert [d["name"] for d in res["distros"]] == ["Ubuntu-24.04", "Debian", "legacy-wsl1"]
    assert res["default_distro"] == "Ubuntu-24.04" and res["docker_desktop"] is True
    assert res["changed"] is False


def test_wsl_distros_keep_docker_desktop():
    res, _ = run("wsl_distros", "wsl_distros_utf16.json", {"skip_docker_desktop": False})
    assert len(res["distros"]) == 5


def test_wsl_distros_none_installed():
    res, _ = run("wsl_distros", "wsl_distros_none.json", {})
    assert res["distros"] == [] and not res.get("failed")


def test_wsl_distros_wsl_missing():
    res, _ = run("wsl_distros", "wsl_distros_not_installed.json", {})
    assert res["failed"] and "is WSL installed" in res["msg"]


def test_wslconfig_update_with_diff():
    res, replay = run("wslconfig", "wslconfig_update.json", {
        "path": "C:\\Users\\alice\\.wslconfig",
        "settings": {"wsl2": {"memory": "16GB", "networkingMode": "mirrored"}}})
    assert res["changed"] and res["needs_shutdown"]
    assert res["diff"]["before"] == "[wsl2]\r\nmemory=4GB\r\n"
    assert "networkingMode=mirrored" in res["diff"]["after"]


def test_wslconfig_unchanged():
    res, _ = run("wslconfig", "wslconfig_unchanged.json", {
        "path": "C:\\Users\\alice\\.wslconfig",
        "settings": {"wsl2": {"memory": "16GB", "networkingMode": "mirrored"}}})
    assert res["changed"] is False and res["needs_shutdown"] is False


def test_wslconfig_check_mode_does_not_write():
    # only the read call is replayed: a write would fail the transcript
    res, _ = run("wslconfig", "wslconfig_unchanged.json", {
        "path": "C:\\Users\\alice\\.wslconfig", "settings": {"wsl2": {"memory": "8GB"}}},
        check=True)
    assert res["changed"] is True


def test_wslconfig_typo_is_refused_before_writing():
    res, _ = run("wslconfig", "wslconfig_unchanged.json", {
        "path": "C:\\Users\\alice\\.wslconfig", "settings": {"wsl2": {"memroy": "8GB"}}})
    assert res["failed"] and "unknown key memroy" in res["msg"]


def test_desktop_settings_store_pascal_case_written():
    res, replay = run("docker_desktop_settings", "desktop_settings_store_stopped.json", {
        "settings_dir": "C:\\Users\\alice\\AppData\\Roaming\\Docker",
        "settings": {"wslEngineEnabled": True, "integratedWslDistros": ["Ubuntu-24.04"]}})
    assert res["changed"] and res["file"].endswith("settings-store.json")
    assert res["changed_keys"] == ["WslEngineEnabled", "IntegratedWslDistros"]
    written = json.loads(replay.seen[-1][1]["parameters"]["Text"])
    assert written == {"AutoStart": False, "WslEngineEnabled": True, "SettingsVersion": 40,
                       "IntegratedWslDistros": ["Ubuntu-24.04"]}


def test_desktop_settings_refused_while_running():
    res, _ = run("docker_desktop_settings", "desktop_settings_json_running.json", {
        "settings_dir": "C:\\Users\\alice\\AppData\\Roaming\\Docker",
        "settings": {"wslEngineEnabled": True}})
    assert res["failed"] and "Docker Desktop is running" in res["msg"]
    assert res["file"].endswith("settings.json")
