"""Windows/WSL/Docker Desktop logic (module_utils/gpufleet_windows.py) on real-format inputs."""
import json
import os

import pytest

from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_windows import (WindowsError_, decode_wsl_output,
                                                   desktop_settings_file, merge_desktop_settings,
                                                   parse_wsl_list, parse_wsl_version, set_ini,
                                                   windows_build_check)

FIX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "fixtures", "wsl")


def raw(name):
    with open(os.path.join(FIX, name), "rb") as fh:
        return fh.read()


def render_wsl_list(rows):
    """WslClient.cpp's format (see fixtures/wsl/README.md)."""
    n = max([len("NAME")] + [len(r[0]) for r in rows]) + 4
    out = "  %-*s%-16s%s\r\n" % (n, "NAME", "STATE", "VERSION")
    for name, state, version, default in rows:
        out += "%s %-*s%-16s%s\r\n" % ("*" if default else " ", n, name, state, version)
    return out


ALL = [{"name": "Ubuntu-24.04", "state": "Running", "version": 2, "default": True},
       {"name": "docker-desktop", "state": "Running", "version": 2, "default": False},
       {"name": "Debian", "state": "Stopped", "version": 2, "default": False},
       {"name": "legacy-wsl1", "state": "Stopped", "version": 1, "default": False},
       {"name": "docker-desktop-data", "state": "Stopped", "version": 2, "default": False}]


@pytest.mark.parametrize("name", ["list-verbose_utf16le.bin", "list-verbose_utf8.bin"])
def test_parse_wsl_list_both_encodings(name):
    assert parse_wsl_list(raw(name)) == ALL


def test_fixture_matches_the_documented_format():
    rows = [(d["name"], d["state"], d["version"], d["default"]) for d in ALL]
    assert raw("list-verbose_utf16le.bin") == render_wsl_list(rows).encode("utf-16-le")


def test_skip_docker_desktop_distros():
    names = [d["name"] for d in parse_wsl_list(raw("list-verbose_utf16le.bin"),
                                               skip_docker_desktop=True)]
    assert names == ["Ubuntu-24.04", "Debian", "legacy-wsl1"]


def test_no_distros_is_empty_not_error():
    assert parse_wsl_list(raw("list-verbose_no-distros_utf16le.bin")) == []


def test_utf16_received_as_text_through_winrm():
    # win_command decodes stdout as UTF-8: UTF-16LE arrives as text full of NULs.
    text = raw("list-verbose_utf16le.bin").decode("utf-8")
    assert parse_wsl_list(text) == ALL


def test_utf16_with_bom_and_long_names():
    rows = [("a-very-long-distribution-name", "Installing", 2, True)]
    data = b"\xff\xfe" + render_wsl_list(rows).encode("utf-16-le")
    assert parse_wsl_list(data) == [{"name": "a-very-long-distribution-name",
                                     "state": "Installing", "version": 2, "default": True}]


def test_wsl_version():
    text = ("WSL version: 2.1.5.0\r\nKernel version: 5.15.146.1-2\r\nWSLg version: 1.0.60\r\n"
            "MSRDC version: 1.2.5105\r\nDirect3D version: 1.611.1-81528511\r\n"
            "DXCore version: 10.0.25131.1002-220531-1700.rs-onecore-base2-hyp\r\n"
            "Windows version: 10.0.22631.3296\r\n").encode("utf-16-le")
    assert parse_wsl_version(text) == {"wsl": "2.1.5.0", "kernel": "5.15.146.1-2",
                                       "windows": "10.0.22631.3296"}
    assert decode_wsl_output(b"") == ""


@pytest.mark.parametrize("version,arch,edition,wsl2,desktop", [
    ("10.0.19045.4529", "x64", "Windows 10 Pro", True, True),
    ("10.0.19044.0", "x64", "Windows 10 Pro", True, False),
    ("10.0.18362.1049", "x64", "", True, False),
    ("10.0.17763.0", "x64", "", False, False),
    ("10.0.18362.0", "arm64", "", False, False),
    ("10.0.22621.0", "x64", "Windows 11 Pro", True, False),
    ("10.0.22631.3296", "x64", "Windows 11 Pro", True, True),
    ("10.0.26100.0", "x64", "Windows Server 2025 Datacenter", True, False),
], ids=["win10-22h2", "win10-21h2", "win10-1903", "win10-1809", "arm64-1903", "win11-22h2",
        "win11-23h2", "server-2025"])
def test_windows_build_check(version, arch, edition, wsl2, desktop):
    res = windows_build_check(version, arch, edition)
    assert (res["wsl2"], res["docker_desktop"]) == (wsl2, desktop)
    if not desktop:
        assert any("Docker Desktop needs" in m for m in res["messages"])


WSLCONFIG = "# managed by hand\r\n[wsl2]\r\nmemory=4GB\r\n# keep\r\nswap=0\r\n"


def test_set_ini_updates_keeps_comments_and_crlf():
    out = set_ini(WSLCONFIG, {"wsl2": {"memory": "8GB", "processors": 4,
                                       "networkingMode": "mirrored"},
                              "experimental": {"autoMemoryReclaim": "gradual"}}, "wslconfig")
    assert out == ("# managed by hand\r\n[wsl2]\r\nmemory=8GB\r\n# keep\r\nswap=0\r\n"
                   "processors=4\r\nnetworkingMode=mirrored\r\n\r\n[experimental]\r\n"
                   "autoMemoryReclaim=gradual\r\n")
    assert set_ini(out, {"wsl2": {"memory": "8GB"}}, "wslconfig") == out  # idempotent


def test_set_ini_case_insensitive_keys_and_absent():
    text = "[boot]\nSystemd=false\ncommand=service docker start\n"
    assert set_ini(text, {"boot": {"systemd": True}}, "wslconf") == \
        "[boot]\nSystemd=true\ncommand=service docker start\n"
    assert set_ini(text, {"boot": {"command": None}}, "wslconf", state="absent") == \
        "[boot]\nSystemd=false\n"


def test_set_ini_new_file_and_paths():
    out = set_ini("", {"wsl2": {"kernel": "C:\\temp\\myKernel", "guiApplications": False}},
                  "wslconfig")
    assert out == "[wsl2]\nkernel=C:\\\\temp\\\\myKernel\nguiApplications=false\n"


@pytest.mark.parametrize("settings,schema,match", [
    ({"wsl2": {"memroy": "4GB"}}, "wslconfig", "unknown key memroy"),
    ({"wsl": {"memory": "4GB"}}, "wslconfig", r"unknown section \[wsl\]"),
    ({"wsl2": {"memory": "lots"}}, "wslconfig", "size like 8GB"),
    ({"wsl2": {"processors": "four"}}, "wslconfig", "whole number"),
    ({"wsl2": {"networkingMode": "bridge"}}, "wslconfig", "must be one of"),
    ({"boot": {"systemd": "yes"}}, "wslconf", "true or false"),
], ids=["typo", "section", "size", "int", "choice", "bool"])
def test_set_ini_refuses_what_wsl_would_silently_ignore(settings, schema, match):
    with pytest.raises(WindowsError_, match=match):
        set_ini("", settings, schema)


# Docker Desktop settings: settings.json (<= 4.34, camelCase keys, endorsed in
# docker/for-win#12545) and settings-store.json (4.35+, PascalCase per community scripts).
SETTINGS_JSON_434 = {"wslEngineEnabled": False, "integratedWslDistros": [],
                     "enableIntegrationWithDefaultWslDistro": True, "memoryMiB": 2048,
                     "cpus": 2, "autoStart": False, "useWindowsContainers": False,
                     "displayedTutorial": True}
SETTINGS_STORE_435 = {"AutoStart": False, "WslEngineEnabled": True,
                      "IntegratedWslDistros": ["Ubuntu"], "EnableIntegrationWithDefaultWslDistro": False,
                      "SettingsVersion": 40}


def test_merge_settings_json_camel_case():
    new, changed = merge_desktop_settings(SETTINGS_JSON_434, {
        "wslEngineEnabled": True, "integratedWslDistros": ["Ubuntu-24.04"], "cpus": 2},
        "settings.json")
    assert changed == ["wslEngineEnabled", "integratedWslDistros"]
    assert new["wslEngineEnabled"] is True and new["displayedTutorial"] is True
    assert "WslEngineEnabled" not in new


def test_merge_settings_store_pascal_case_and_new_keys():
    new, changed = merge_desktop_settings(SETTINGS_STORE_435, {
        "wslEngineEnabled": True, "integratedWslDistros": ["Ubuntu-24.04"], "memoryMiB": 8192},
        "settings-store.json")
    assert changed == ["IntegratedWslDistros", "MemoryMiB"]
    assert new["MemoryMiB"] == 8192 and "memoryMiB" not in new
    assert new["SettingsVersion"] == 40


def test_merge_settings_both_spellings_present_updates_both():
    new, changed = merge_desktop_settings({"autoStart": False, "AutoStart": False},
                                          {"autoStart": True})
    assert new == {"autoStart": True, "AutoStart": True} and len(changed) == 2


def test_merge_settings_unknown_key():
    with pytest.raises(WindowsError_, match="unknown Docker Desktop setting"):
        merge_desktop_settings({}, {"wslEngine": True})


@pytest.mark.parametrize("names,expected", [
    ({"settings.json", "settings-store.json"}, "settings-store.json"),
    ({"settings.json"}, "settings.json"),
    (set(), "settings-store.json"),
])
def test_which_settings_file(names, expected):
    assert desktop_settings_file(names) == expected


def test_json_roundtrip_of_fixture_shapes():
    assert json.loads(json.dumps(SETTINGS_STORE_435)) == SETTINGS_STORE_435


# --------------------------------------------------------------------------- Windows workloads

from ansible_collections.gpufleet.fleet.plugins.module_utils import gpufleet_windows as gw  # noqa: E402


@pytest.mark.parametrize("path,root,expected", [
    ("C:\\ProgramData\\gpufleet\\aiml\\compose.yaml", "/mnt/", "/mnt/c/ProgramData/gpufleet/aiml/compose.yaml"),
    ("D:/data/", "/mnt/", "/mnt/d/data"),
    ("C:\\", "/mnt/", "/mnt/c"),
    ("e:\\x y\\z", "/", "/e/x y/z"),            # wsl.conf [automount] root = /
    ("C:\\Users\\alice", "/win", "/win/c/Users/alice"),
], ids=["programdata", "forward-slashes", "drive-root", "root-slash", "custom-root"])
def test_windows_to_wsl_path(path, root, expected):
    assert gw.windows_to_wsl_path(path, root) == expected


@pytest.mark.parametrize("path", ["\\\\server\\share\\x", "/mnt/c/x", "relative\\x", ""])
def test_windows_to_wsl_path_refuses_what_is_not_on_a_drive(path):
    with pytest.raises(WindowsError_, match="not a Windows path on a drive"):
        gw.windows_to_wsl_path(path)


def test_compose_for_wsl_translates_binds_only():
    doc = {"name": "p", "services": {"a": {"image": "x", "volumes": [
        {"type": "bind", "source": "C:/data", "target": "/data", "read_only": True},
        "cache:/cache", "D:/models:/models:ro"]}}}
    out = gw.compose_for_wsl(doc)
    assert out["services"]["a"]["volumes"] == [
        {"type": "bind", "source": "/mnt/c/data", "target": "/data", "read_only": True},
        "cache:/cache", "/mnt/d/models:/models:ro"]
    assert doc["services"]["a"]["volumes"][0]["source"] == "C:/data"   # input untouched


@pytest.mark.parametrize("text,expected", [
    ("Default Distribution: Debian\r\nDefault Version: 2\r\n", {"default_distro": "Debian", "default_version": 2}),
    ("Default Version: 1\r\n", {"default_distro": None, "default_version": 1}),
    ("Distribución predeterminada: Ubuntu\r\n", {"default_distro": None, "default_version": None}),
], ids=["WSL#9448", "WSL#12302-no-default", "localized"])
def test_parse_wsl_status(text, expected):
    assert gw.parse_wsl_status(text.encode("utf-16-le")) == expected


def test_parse_wsl_list_tolerates_indented_listings():
    text = "   NAME              STATE           VERSION\n * Ubuntu            Running         2\n"
    assert gw.parse_wsl_list(text) == [{"name": "Ubuntu", "state": "Running", "version": 2,
                                        "default": True}]


@pytest.mark.parametrize("text,names", [
    ('{"Name":"a"}\n{"Name":"b"}\n', ["a", "b"]),
    ('[{"Name":"a"},{"Name":"b"}]', ["a", "b"]),        # docker compose ps before 2.21
    ("", []),
    ("WARNING: something\n{\"Name\":\"a\"}\n", ["a"]),
], ids=["lines", "array", "empty", "noise"])
def test_parse_json_lines(text, names):
    assert [d["Name"] for d in gw.parse_json_lines(text)] == names


@pytest.mark.parametrize("doc,expected", [
    ({"wslEngineEnabled": True, "integratedWslDistros": ["Ubuntu"]}, (True, ["Ubuntu"], None)),
    ({"WslEngineEnabled": False, "EnableIntegrationWithDefaultWslDistro": False}, (False, None, False)),
    ({"PlatformSpecificContent": {"WslEngineEnabled": True, "IntegratedWslDistros": []},
      "AutoStart": True}, (True, [], None)),
    ({}, (None, None, None)),
], ids=["settings.json", "settings-store.json", "nested-as-in-desktop-logs", "empty"])
def test_desktop_settings_view(doc, expected):
    view = gw.desktop_settings_view(doc)
    assert (view["wsl_engine_enabled"], view["integrated_distros"],
            view["integrate_default_distro"]) == expected


def test_workload_plan_and_wanted_services():
    services = {"a": {}, "b": {"profiles": ["gpu"]}, "c": {"profiles": ["other"]}}
    assert gw.wanted_services(services, [], ["gpu"]) == ["a", "b"]
    assert gw.wanted_services(services, ["c"], []) == ["c"]
    running = [{"State": "running", "Labels": "com.docker.compose.service=a"}]
    assert gw.workload_plan("x", "x", running, ["a"]) == {
        "file_changes": False, "start": [], "remove": False, "changed": False}
    assert gw.workload_plan("x", "y", running, ["a", "b"])["start"] == ["b"]
    assert gw.workload_plan(None, None, [], [])["changed"] is False
    assert gw.workload_plan("x", None, [], [])["changed"] is True


def test_windows_problems_name_a_remedy_each():
    state = {"wsl": {"installed": False}, "desktop": {"installed": False}, "nvidia": {}}
    problems = gw.windows_problems(state)
    assert [p["id"] for p in problems] == ["wsl_not_installed", "desktop_not_installed",
                                           "windows_no_nvidia_driver"]
    assert all(p["remedy"] for p in problems)
    assert gw.workload_gpu_path({"gpus": {"nvidia": [{}]}, "problems": problems}) == ("nvidia", False)
    assert gw.workload_gpu_path({"gpus": {"nvidia": [{}]}, "problems": []}) == ("nvidia", True)
