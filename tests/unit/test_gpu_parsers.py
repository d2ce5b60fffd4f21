"""Parsers in module_utils/gpufleet_gpu.py on real captured outputs (see fixtures/*/README.md)."""
import json

import pytest

from ansible.module_utils.gpufleet_cuda import max_cuda_for_driver, version_ge
from ansible.module_utils.gpufleet_gpu import (ParseError, detect_platform, parse_nvidia_smi_xml,
                                               parse_os_release, parse_rocm_smi_json,
                                               parse_system_profiler_displays)

NVIDIA_CASES = [
    pytest.param("a100-sxm4-80gb-mig_535.54.03.xml",
                 dict(driver="535.54.03", cuda="12.2", count=1,
                      first=dict(name="NVIDIA A100-SXM4-80GB",
                                 uuid="GPU-513536b6-7d19-9063-b049-1e69664bb298",
                                 memory_total_mib=81920, mig_mode="Enabled", minor_number=1,
                                 architecture="Ampere"),
                      mig=4),
                 id="a100-mig-535"),
    pytest.param("dual-rtx-a5000_590.44.01.xml",
                 dict(driver="590.44.01", cuda="13.1", count=2,
                      first=dict(name="NVIDIA RTX A5000",
                                 uuid="GPU-12345678-aaaa-bbbb-cccc-0123456789ab",
                                 memory_total_mib=24564, mig_mode="N/A", minor_number=1,
                                 pci_bus_id="00000000:81:00.0"),
                      mig=0),
                 id="dual-a5000-590"),
    pytest.param("grid-p4-1q-windows_513.46.xml",
                 dict(driver="513.46", cuda="11.6", count=1,
                      first=dict(name="GRID P4-1Q", memory_total_mib=1024, minor_number=None,
                                 driver_model="WDDM", mig_mode="N/A"),
                      mig=0),
                 id="windows-vgpu-513"),
]


@pytest.mark.parametrize("name,expected", NVIDIA_CASES)
def test_parse_nvidia_smi(fixture, name, expected):
    doc = parse_nvidia_smi_xml(fixture("nvidia-smi", name))
    assert doc["driver_version"] == expected["driver"]
    assert doc["cuda_version"] == expected["cuda"]
    assert doc["cuda_version_source"] == "nvidia-smi"
    assert len(doc["gpus"]) == expected["count"]
    first = doc["gpus"][0]
    for key, value in expected["first"].items():
        assert first[key] == value, key
    assert len(first["mig_devices"]) == expected["mig"]
    assert all(g["vendor"] == "nvidia" and g["driver_version"] == expected["driver"]
               for g in doc["gpus"])


def test_second_gpu_of_dual_is_distinct(fixture):
    doc = parse_nvidia_smi_xml(fixture("nvidia-smi", "dual-rtx-a5000_590.44.01.xml"))
    assert [g["uuid"][-2:] for g in doc["gpus"]] == ["ab", "cd"]
    assert [g["minor_number"] for g in doc["gpus"]] == [1, 0]
    assert doc["gpus"][1]["memory_used_mib"] == 17253


def test_mig_instances_memory(fixture):
    doc = parse_nvidia_smi_xml(fixture("nvidia-smi", "a100-sxm4-80gb-mig_535.54.03.xml"))
    mig = doc["gpus"][0]["mig_devices"]
    assert [m["gpu_instance_id"] for m in mig] == ["3", "4", "5", "6"]
    assert {m["memory_total_mib"] for m in mig} == {19968}


def test_cuda_version_from_driver_table_when_missing(fixture):
    text = fixture("nvidia-smi", "a100-sxm4-80gb-mig_535.54.03.xml").replace(
        "<cuda_version>12.2</cuda_version>", "")
    doc = parse_nvidia_smi_xml(text)
    assert doc["cuda_version"] == "12.2"  # 535.54.03 is exactly the 12.2 GA floor
    assert doc["cuda_version_source"] == "driver-table"


@pytest.mark.parametrize("text,match", [
    ("<not-xml", "not XML"),
    ("<other/>", "not an nvidia-smi log"),
    ("<nvidia_smi_log><gpu><product_name>x</product_name></gpu></nvidia_smi_log>", "UUID"),
], ids=["garbage", "wrong-root", "no-uuid"])
def test_parse_nvidia_smi_rejects(text, match):
    with pytest.raises(ParseError, match=match):
        parse_nvidia_smi_xml(text)


def test_no_gpu_document_is_empty_not_error():
    doc = parse_nvidia_smi_xml("<nvidia_smi_log><driver_version>418.39</driver_version>"
                               "</nvidia_smi_log>")
    assert doc["gpus"] == [] and doc["cuda_version"] is None  # 418 is below the table


@pytest.mark.parametrize("driver,os_name,cuda", [
    ("535.54.03", "linux", "12.2"),
    ("535.54.02", "linux", "12.1"),
    ("590.44.01", "linux", "13.1"),
    ("580.65.06", "linux", "13.0"),
    ("450.51.05", "linux", "11.0"),
    ("440.82", "linux", None),
    ("576.02", "windows", "12.9"),
    ("527.41", "windows", "12.0"),
    ("590.44.01", "windows", "12.9"),  # 13.x rows say N/A for Windows
], ids=lambda v: str(v))
def test_max_cuda_for_driver(driver, os_name, cuda):
    assert max_cuda_for_driver(driver, os_name) == cuda


def test_version_compare_is_numeric():
    assert version_ge("535.104.05", "535.54.03")
    assert not version_ge("535.9", "535.54.03")
    assert version_ge("570.26", "570.26.0")


def test_parse_rocm_smi(fixture):
    gpus = parse_rocm_smi_json(fixture("rocm-smi", "mi300x-rx7900xtx_rocm-smi-6.json"))
    assert [g["name"] for g in gpus] == ["AMD Instinct MI300X", "Radeon RX 7900 XTX"]
    assert gpus[0]["memory_total_mib"] == 196592  # 206141652992 B
    assert gpus[0]["gfx_version"] == "gfx942"
    assert gpus[0]["driver_version"] == "6.10.5"


def test_parse_rocm_smi_lowercase_keys_and_card_order():
    text = json.dumps({"card2": {"Card series": "B", "VRAM Total Memory (B)": "1048576"},
                       "card0": {"Card series": "A"}})
    gpus = parse_rocm_smi_json(text)
    assert [(g["index"], g["name"]) for g in gpus] == [(0, "A"), (2, "B")]
    assert gpus[1]["memory_total_mib"] == 1


@pytest.mark.parametrize("text", ["not json", "[1, 2]"], ids=["garbage", "list"])
def test_parse_rocm_smi_rejects(text):
    with pytest.raises(ParseError):
        parse_rocm_smi_json(text)


def test_parse_system_profiler_apple_silicon():
    # Shape of `system_profiler SPDisplaysDataType -json` on an M2 Pro (macOS 14).
    text = json.dumps({"SPDisplaysDataType": [{
        "_name": "Apple M2 Pro", "sppci_model": "Apple M2 Pro", "sppci_cores": "19",
        "spdisplays_vendor": "sppci_vendor_Apple", "spdisplays_mtlgpufamilysupport":
        "spdisplays_metal3"}]})
    [gpu] = parse_system_profiler_displays(text)
    assert gpu == {"vendor": "apple", "index": 0, "name": "Apple M2 Pro", "cores": 19,
                   "metal": "spdisplays_metal3"}


@pytest.mark.parametrize("system,osrelease,dxg,interop,expected", [
    ("Linux", "6.1.0-27-amd64", False, False, "linux"),
    ("Linux", "5.15.167.4-microsoft-standard-WSL2", True, True, "wsl2"),
    ("Linux", "6.6.36.3-microsoft-standard-WSL2+", False, False, "wsl2"),
    ("Linux", "6.1.0-custom", True, True, "wsl2"),
    ("Darwin", "23.4.0", False, False, "macos"),
], ids=["debian", "wsl2-kernel", "wsl2-custom-kernel", "wsl-markers", "macos"])
def test_detect_platform(system, osrelease, dxg, interop, expected):
    assert detect_platform(system, osrelease, dxg, interop) == expected


# /etc/os-release as shipped by each distribution's base-files package.
OS_RELEASE = {
    "debian-12": ('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\n'
                  'VERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n',
                  {"distribution": "Debian", "family": "Debian", "release": "bookworm",
                   "version": "12", "major_version": "12"}),
    "debian-13": ('PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\nNAME="Debian GNU/Linux"\n'
                  'VERSION_ID="13"\nVERSION="13 (trixie)"\nVERSION_CODENAME=trixie\nID=debian\n',
                  {"distribution": "Debian", "family": "Debian", "release": "trixie",
                   "version": "13", "major_version": "13"}),
    "ubuntu-24.04": ('PRETTY_NAME="Ubuntu 24.04.1 LTS"\nNAME="Ubuntu"\nVERSION_ID="24.04"\n'
                     'VERSION_CODENAME=noble\nID=ubuntu\nID_LIKE=debian\n',
                     {"distribution": "Ubuntu", "family": "Debian", "release": "noble",
                      "version": "24.04", "major_version": "24"}),
    "rocky-9": ('NAME="Rocky Linux"\nVERSION="9.4 (Blue Onyx)"\nID="rocky"\n'
                'ID_LIKE="rhel centos fedora"\nVERSION_ID="9.4"\n',
                {"distribution": "Rocky", "family": "RedHat", "release": None,
                 "version": "9.4", "major_version": "9"}),
}


@pytest.mark.parametrize("name", sorted(OS_RELEASE))
def test_parse_os_release(name):
    text, expected = OS_RELEASE[name]
    assert parse_os_release(text) == expected


# NVIDIA's published numbers (REFERENCE.md 6.1-6.2): one row per rule.
from ansible.module_utils.gpufleet_cuda import check_compat  # noqa: E402

COMPAT = [
    ("550.54.14", "12.4", "linux", "native", True, "550.54.14"),
    ("550.54.14", "12.4.1", "linux", "minor_version", True, "550.54.15"),
    ("550.54.15", "12.4.1", "linux", "native", True, "550.54.15"),
    ("535.54.03", "12.4", "linux", "minor_version", True, "550.54.14"),
    ("525.60.13", "12.9", "linux", "minor_version", True, "575.51.03"),
    ("525.60.12", "12.0", "linux", "forward_compat_required", False, "525.60.13"),
    ("535.104.05", "13.0", "linux", "forward_compat_required", False, "580.65.06"),
    ("590.44.01", "13.1", "linux", "native", True, "590.44.01"),
    ("580.65.06", "13.2", "linux", "minor_version", True, "595.45.04"),
    ("470.57.02", "11.4", "linux", "native", True, "470.42.01"),
    ("450.80.02", "11.8", "linux", "minor_version", True, "520.61.05"),
    ("418.39", "11.0", "linux", "incompatible", False, "450.51.05"),
    ("560.94", "12.6.1", "windows", "native", True, "560.94"),
    ("536.25", "12.4", "windows", "minor_version", True, "551.61"),
    ("527.40", "12.0", "windows", "incompatible", False, "527.41"),
    ("576.02", "13.0", "windows", "incompatible", False, "580"),
    ("581.15", "13.0", "windows", "native", True, "580"),
]


@pytest.mark.parametrize("driver,cuda,os_name,mode,ok,min_driver", COMPAT,
                         ids=["%s-%s-%s" % (c[0], c[1], c[2]) for c in COMPAT])
def test_cuda_compat_table(driver, cuda, os_name, mode, ok, min_driver):
    res = check_compat(driver, cuda, os_name)
    assert (res["mode"], res["compatible"], res["min_driver"]) == (mode, ok, min_driver)
    assert driver in res["msg"]


@pytest.mark.parametrize("driver,cuda,os_name,match", [
    ("abc", "12.4", "linux", "driver_version"),
    ("550.54.14", "twelve", "linux", "cuda_version"),
    ("550.54.14", "10.2", "linux", "not in NVIDIA's table"),
    ("550.54.14", "12.4", "macos", "linux or windows"),
], ids=["bad-driver", "bad-cuda", "cuda-10", "bad-os"])
def test_cuda_compat_rejects(driver, cuda, os_name, match):
    with pytest.raises(ValueError, match=match):
        check_compat(driver, cuda, os_name)


from ansible.module_utils.gpufleet_cuda import cuda_from_image_config  # noqa: E402


@pytest.mark.parametrize("env,labels,expected", [
    # Env of nvidia/cuda:12.4.1-runtime-ubuntu22.04 (docker image inspect).
    (["PATH=/usr/local/nvidia/bin:/usr/local/cuda/bin:/usr/local/sbin", "NVARCH=x86_64",
      "NVIDIA_REQUIRE_CUDA=cuda>=12.4 brand=tesla,driver>=470,driver<471 brand=unknown,driver>=470,driver<471",
      "CUDA_VERSION=12.4.1", "NVIDIA_VISIBLE_DEVICES=all"], {}, ("12.4", "env NVIDIA_REQUIRE_CUDA")),
    (["CUDA_VERSION=11.8.0"], None, ("11.8.0", "env CUDA_VERSION")),
    ([], {"com.nvidia.cuda.version": "12.2.2"}, ("12.2.2", "label com.nvidia.cuda.version")),
    (["PATH=/usr/bin"], {}, (None, None)),
], ids=["cuda-image", "cuda-version-only", "label", "cpu-image"])
def test_cuda_from_image_config(env, labels, expected):
    assert cuda_from_image_config(env, labels) == expected


def test_parse_dpkg_status():
    from ansible.module_utils.gpufleet_gpu import parse_dpkg_status
    # /var/lib/dpkg/status format (dpkg 1.21/1.22): stanzas, continuation lines indented.
    text = ("Package: docker.io\nStatus: install ok installed\nPriority: optional\n"
            "Version: 20.10.24+dfsg1-1+deb12u1+b6\nDescription: Linux container runtime\n"
            " Docker complements kernel namespacing\n\n"
            "Package: runc\nStatus: deinstall ok config-files\nVersion: 1.1.5\n\n"
            "Package: containerd\nStatus: install ok half-configured\nVersion: 1.6.20\n\n"
            "Package: bash\nStatus: install ok installed\nVersion: 5.2.15-2+b7\n")
    assert parse_dpkg_status(text) == {"docker.io": "20.10.24+dfsg1-1+deb12u1+b6"}
