"""Parsers in plugins/module_utils/gpufleet_gpu_parse.py on real captured outputs (see fixtures/*/README.md)."""
import json
import os

import pytest

from ansible_collections.gpufleet.fleet.plugins.module_utils import gpufleet_gpu_parse as hp
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_cuda import max_cuda_for_driver, version_ge
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_gpu_parse import (
    NVIDIA_SMI_CAUSES, ParseError, classify_nvidia_smi_failure, detect_platform, is_placeholder,
    parse_nvidia_smi_xml, parse_os_release, parse_rocm_smi_json, parse_system_profiler_displays)

# One row per real capture in tests/fixtures/nvidia-smi: the document-level values, then
# per GPU (name, uuid, serial, minor_number, memory_total_mib, virtualization_mode,
# driver_model, mig_mode, number of MIG devices).
NVIDIA_CAPTURES = {
    "a100-sxm4-80gb-mig_535.54.03.xml": dict(
        driver="535.54.03", cuda="12.2", source="nvidia-smi", attached=4, listed=1,
        gpus=[("NVIDIA A100-SXM4-80GB", "GPU-513536b6-7d19-9063-b049-1e69664bb298",
               "1650522003820", 1, 81920, "None", None, "Enabled", 4)]),
    "dual-rtx-a5000_590.44.01.xml": dict(
        driver="590.44.01", cuda="13.1", source="nvidia-smi", attached=2, listed=2,
        gpus=[("NVIDIA RTX A5000", "GPU-12345678-aaaa-bbbb-cccc-0123456789ab",
               "0123456789012", 1, 24564, None, None, None, 0),
              ("NVIDIA RTX A5000", "GPU-12345678-aaaa-bbbb-cccc-0123456789cd",
               "1234567890123", 0, 24564, None, None, None, 0)]),
    "grid-p4-1q-windows_513.46.xml": dict(
        driver="513.46", cuda="11.6", source="nvidia-smi", attached=1, listed=1,
        gpus=[("GRID P4-1Q", "GPU-1b1ea7c7-1c4b-ed49-1c72-26c65f2dd207",
               None, None, 1024, "VGPU", "WDDM", None, 0)]),
    "a10g-passthrough_515.105.01.xml": dict(
        driver="515.105.01", cuda="11.7", source="nvidia-smi", attached=1, listed=1,
        gpus=[("NVIDIA A10G", "GPU-9a9a6c50-2a47-2f51-a902-b82c3b127e94",
               "0000000000000", 0, 23028, "Pass-Through", None, None, 0)]),
    "quadro-p400_418.43.xml": dict(
        driver="418.43", cuda="10.1", source="nvidia-smi", attached=1, listed=1,
        gpus=[("Quadro P400", "GPU-8f750be4-dfbc-23b9-b33f-da729a536494",
               "0424418054852", 0, 1998, "None", None, None, 0)]),
    # Driver 387 printed no CUDA version: 9.0 comes from NVIDIA's table (9.1 needs 390.46).
    "gtx-1060-6gb_387.12.xml": dict(
        driver="387.12", cuda="9.0", source="driver-table", attached=1, listed=1,
        gpus=[("GeForce GTX 1060 6GB", "GPU-028229ed-8dea-b674-09a8-13a841cb8626",
               None, 0, 6064, "None", None, None, 0)]),
}
GPU_KEYS = ("name", "uuid", "serial", "minor_number", "memory_total_mib",
            "virtualization_mode", "driver_model", "mig_mode")

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "fixtures")


def test_every_nvidia_capture_has_a_case(fixture):
    import os
    names = sorted(n for n in os.listdir(os.path.join(FIXTURES, "nvidia-smi"))
                   if n.endswith(".xml"))
    assert names == sorted(NVIDIA_CAPTURES)


@pytest.mark.parametrize("name", sorted(NVIDIA_CAPTURES))
def test_parse_nvidia_smi_capture(fixture, name):
    expected = NVIDIA_CAPTURES[name]
    doc = parse_nvidia_smi_xml(fixture("nvidia-smi", name))
    assert (doc["driver_version"], doc["cuda_version"], doc["cuda_version_source"]) == \
        (expected["driver"], expected["cuda"], expected["source"])
    assert (doc["attached_gpus"], doc["listed_gpus"]) == (expected["attached"], expected["listed"])
    got = [tuple(g[k] for k in GPU_KEYS) + (len(g["mig_devices"]),) for g in doc["gpus"]]
    assert got == expected["gpus"]
    assert [g["index"] for g in doc["gpus"]] == list(range(len(doc["gpus"])))
    assert all(g["vendor"] == "nvidia" and g["driver_version"] == expected["driver"] and
               g["cuda_version"] == expected["cuda"] for g in doc["gpus"])
    # No placeholder ever becomes a value, anywhere in the result.
    flat = json.dumps(doc)
    for placeholder in ('"N/A"', '"[N/A]"', '"Not Found"', '"Unknown Error"'):
        assert placeholder not in flat


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


@pytest.mark.parametrize("printed", ["Not Found", "N/A", "[N/A]", "", "Unknown Error", "12.x"])
def test_cuda_version_placeholder_is_never_a_value(fixture, printed):
    # Drivers print <cuda_version>Not Found</cuda_version> when libcuda is missing (seen in
    # a 530.30.02 capture); the real quadro-p400 capture with that one element replaced.
    text = fixture("nvidia-smi", "quadro-p400_418.43.xml").replace(
        "<cuda_version>10.1</cuda_version>", "<cuda_version>%s</cuda_version>" % printed)
    doc = parse_nvidia_smi_xml(text)
    assert doc["cuda_version"] == "10.1"  # 418.43 >= 418.39, the CUDA 10.1 floor
    assert doc["cuda_version_source"] == "driver-table"
    assert doc["gpus"][0]["cuda_version"] == "10.1"


def test_gpu_with_na_uuid_is_listed_with_uuid_none(fixture):
    text = fixture("nvidia-smi", "dual-rtx-a5000_590.44.01.xml").replace(
        "<uuid>GPU-12345678-aaaa-bbbb-cccc-0123456789ab</uuid>", "<uuid>N/A</uuid>")
    doc = parse_nvidia_smi_xml(text)
    assert [g["uuid"] for g in doc["gpus"]] == [None, "GPU-12345678-aaaa-bbbb-cccc-0123456789cd"]
    assert doc["listed_gpus"] == 2


def test_host_vgpu_mode_is_reported(fixture):
    # A vGPU host (Tesla M10 on 390.94 prints <virtualization_mode>Host VGPU</...>), on the
    # a10g capture with that element replaced.
    text = fixture("nvidia-smi", "a10g-passthrough_515.105.01.xml").replace(
        "<virtualization_mode>Pass-Through</virtualization_mode>",
        "<virtualization_mode>Host VGPU</virtualization_mode>").replace(
        "<host_vgpu_mode>N/A</host_vgpu_mode>", "<host_vgpu_mode>SR-IOV</host_vgpu_mode>")
    [gpu] = parse_nvidia_smi_xml(text)["gpus"]
    assert (gpu["virtualization_mode"], gpu["host_vgpu_mode"]) == ("Host VGPU", "SR-IOV")


@pytest.mark.parametrize("value", ["N/A", "[N/A]", "Not Found", "Unknown Error", "[Not Supported]",
                                   "[Unknown Error]", "[GPU requires reset]", "None", " n/a ", "",
                                   "[Insufficient Permissions]", None])
def test_placeholders(value):
    assert is_placeholder(value)


@pytest.mark.parametrize("value", ["NVIDIA A10G", "0000000000000", "Enabled", "0", "None of it"])
def test_values_are_not_placeholders(value):
    assert not is_placeholder(value)


@pytest.mark.parametrize("text,match", [
    ("<not-xml", "not XML"),
    ("<other/>", "not an nvidia-smi log"),
    ("", "printed nothing"),
    ('<!DOCTYPE l [<!ENTITY a "aaaa">]><nvidia_smi_log>&a;</nvidia_smi_log>', "entities"),
], ids=["garbage", "wrong-root", "empty", "entities"])
def test_parse_nvidia_smi_rejects(text, match):
    with pytest.raises(ParseError, match=match):
        parse_nvidia_smi_xml(text)


def test_gpu_without_uuid_is_listed_not_an_error():
    doc = parse_nvidia_smi_xml("<nvidia_smi_log><gpu><product_name>x</product_name></gpu>"
                               "</nvidia_smi_log>")
    assert [(g["name"], g["uuid"]) for g in doc["gpus"]] == [("x", None)]
    assert doc["attached_gpus"] is None and doc["listed_gpus"] == 1


def test_no_gpu_document_is_empty_not_error():
    doc = parse_nvidia_smi_xml("<nvidia_smi_log><driver_version>361.42</driver_version>"
                               "</nvidia_smi_log>")
    assert doc["gpus"] == [] and doc["cuda_version"] is None  # 361.42 is below CUDA 8.0 (367.48)
    assert doc["cuda_version_source"] is None


def test_non_utf8_process_name_and_control_bytes_do_not_break_parsing(fixture):
    text = fixture("nvidia-smi", "a10g-passthrough_515.105.01.xml").replace(
        "/usr/lib/xorg/Xorg", "/opt/caf\xe9/r\x01un")
    raw = text.encode("latin-1")  # what nvidia-smi prints for a latin-1 process name
    for doc in (parse_nvidia_smi_xml(raw), parse_nvidia_smi_xml(raw.decode("utf-8", "surrogateescape"))):
        assert doc["gpus"][0]["name"] == "NVIDIA A10G"
        json.dumps(doc, ensure_ascii=False).encode("utf-8")


# --------------------------------------------------------------------------- failures

# nvidia-smi's own words (LC_ALL=C), as reported in the issues cited in gpufleet_gpu.py.
NVIDIA_SMI_OUTPUTS = [
    (9, "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make "
        "sure that the latest NVIDIA driver is installed and running.\n", "driver_not_loaded"),
    (18, "Failed to initialize NVML: Driver/library version mismatch\nNVML library version: "
         "535.183\n", "driver_library_mismatch"),
    (6, "No devices were found\n", "no_devices"),
    (255, "Failed to initialize NVML: Unknown Error\n", "nvml_unknown_error"),
    (4, "Failed to initialize NVML: Insufficient Permissions\n", "insufficient_permissions"),
    (12, "NVIDIA-SMI couldn't find libnvidia-ml.so library in your system. Please make sure "
         "that the NVIDIA Display Driver is properly installed and present in your system.\n"
         "Please also try adding directory that contains libnvidia-ml.so to your system "
         "PATH.\n", "libnvidia_ml_missing"),
    (15, "Unable to determine the device handle for GPU 0000:02:00.0: GPU is lost.  Reboot the "
         "system to recover this GPU\n", "gpu_lost"),
    (255, "Unable to determine the device handle for GPU 0000:0B:00.0: Unknown Error\n",
     "gpu_lost"),
    (9, "", "driver_not_loaded"),
    (1, "Segmentation fault\n", "unknown"),
]


@pytest.mark.parametrize("rc,output,cause", NVIDIA_SMI_OUTPUTS,
                         ids=["%s-%d" % (c, i) for i, (_, _, c) in enumerate(NVIDIA_SMI_OUTPUTS)])
def test_classify_nvidia_smi_failure(rc, output, cause):
    got, remedy = classify_nvidia_smi_failure(rc, output)
    assert got == cause and got in NVIDIA_SMI_CAUSES
    assert remedy and len(remedy) > 80


def test_driver_not_loaded_remedy_says_what_to_do():
    _, remedy = classify_nvidia_smi_failure(9, NVIDIA_SMI_OUTPUTS[0][1])
    for words in ("apt install nvidia-driver", "nvidia-kernel-dkms", "modprobe nvidia",
                  "lsmod | grep nvidia", "Secure Boot", "dmesg", "container or VM"):
        assert words in remedy


# --------------------------------------------------------------------------- CUDA table

@pytest.mark.parametrize("driver,os_name,cuda", [
    ("535.54.03", "linux", "12.2"),
    ("535.54.02", "linux", "12.1"),
    ("590.44.01", "linux", "13.1"),
    ("580.65.06", "linux", "13.0"),
    ("450.51.05", "linux", "11.0"),
    ("450.36.06", "linux", "10.2"),  # 11.0.1 RC driver: RC rows are not GA floors
    ("440.82", "linux", "10.2"),
    ("440.33", "linux", "10.2"),
    ("418.39", "linux", "10.1"),
    ("410.48", "linux", "10.0"),
    ("396.26", "linux", "9.2"),
    ("390.46", "linux", "9.1"),
    ("387.26", "linux", "9.0"),
    ("384.81", "linux", "9.0"),
    ("375.26", "linux", "8.0"),
    ("367.48", "linux", "8.0"),
    ("367.44", "linux", None),
    ("576.02", "windows", "12.9"),
    ("527.41", "windows", "12.0"),
    ("590.44.01", "windows", "12.9"),  # 13.x rows say N/A for Windows
    ("441.22", "windows", "10.2"),
    ("385.54", "windows", "9.0"),
    ("376.51", "windows", "8.0"),
], ids=lambda v: str(v))
def test_max_cuda_for_driver(driver, os_name, cuda):
    assert max_cuda_for_driver(driver, os_name) == cuda


def test_version_compare_is_numeric():
    assert version_ge("535.104.05", "535.54.03")
    assert not version_ge("535.9", "535.54.03")
    assert version_ge("570.26", "570.26.0")


# --------------------------------------------------------------------------- rocm-smi

# One row per file in tests/fixtures/rocm-smi: per card (index, name, uuid, serial,
# pci_bus_id, gfx_version, memory_total_mib), and the driver version.
ROCM_CAPTURES = {
    "rx6700xt_rocm-smi-6.1.2.json": ("6.3.6", [
        (0, "Navi 22 [Radeon RX 6700/6700 XT / 6800M]", None, None, "0000:07:00.0", "gfx1031",
         12272)]),
    # rocm-smi 4.3 printed the PCI vendor id as "Card series"; the SKU is the name left.
    "rx6700xt_rocm-smi-4.3.0.json": ("6.3.6", [
        (0, "67XA6S", None, None, "0000:07:00.0", None, 12272)]),
    "mi100x4_rocm-smi-6.0.2.json": ("6.3.6", [
        (0, "Arcturus GL-XL [Instinct MI100]", "0x79ccd55167a2124a", None, "0000:83:00.0", None, 32752),
        (1, "Arcturus GL-XL [Instinct MI100]", "0x4edfb117a17a07d", None, "0000:A3:00.0", None, 32752),
        (2, "Arcturus GL-XL [Instinct MI100]", "0xd4a9ec48d03d261d", None, "0000:C3:00.0", None, 32752),
        (3, "Arcturus GL-XL [Instinct MI100]", "0x1b9dd972253c3736", None, "0000:E3:00.0", None, 32752)]),
    "mi250_rocm-smi-6.json": ("6.2.4", [
        (0, "AMD INSTINCT MI250 (MCM) OAM AC MBA", "0x1f9de0957d137942", "PCB052715-0006",
         "0000:29:00.0", "gfx9010", None)]),
    "mi300x-rx7900xtx_rocm-smi-6.json": ("6.10.5", [
        (0, "AMD Instinct MI300X", "0x1a2b3c4d5e6f7081", None, None, "gfx942", 196592),
        (1, "Radeon RX 7900 XTX", None, None, None, "gfx1100", 24560)]),
}
AMD_KEYS = ("index", "name", "uuid", "serial", "pci_bus_id", "gfx_version", "memory_total_mib")


def test_every_rocm_capture_has_a_case():
    import os
    names = sorted(n for n in os.listdir(os.path.join(FIXTURES, "rocm-smi")) if n.endswith(".json"))
    assert names == sorted(ROCM_CAPTURES)


@pytest.mark.parametrize("name", sorted(ROCM_CAPTURES))
def test_parse_rocm_smi_capture(fixture, name):
    driver, cards = ROCM_CAPTURES[name]
    gpus = parse_rocm_smi_json(fixture("rocm-smi", name))
    assert [tuple(g[k] for k in AMD_KEYS) for g in gpus] == cards
    assert all(g["vendor"] == "amd" and g["driver_version"] == driver for g in gpus)
    assert '"N/A"' not in json.dumps(gpus)


def test_parse_rocm_smi_lowercase_keys_and_card_order():
    text = json.dumps({"card2": {"Card series": "B", "VRAM Total Memory (B)": "1048576"},
                       "card0": {"Card series": "A"}})
    gpus = parse_rocm_smi_json(text)
    assert [(g["index"], g["name"]) for g in gpus] == [(0, "A"), (2, "B")]
    assert gpus[1]["memory_total_mib"] == 1


def test_parse_rocm_smi_warning_lines_before_the_json(fixture):
    text = ("WARNING: AMD GPU device(s) is/are in a low-power state. Check power control/"
            "runtime_status\n\n" + fixture("rocm-smi", "rx6700xt_rocm-smi-6.1.2.json"))
    assert [g["gfx_version"] for g in parse_rocm_smi_json(text)] == ["gfx1031"]


def test_parse_rocm_smi_odd_values_are_none():
    text = json.dumps({"card0": {"Card Series": ["x"], "Unique ID": "0x0", "VRAM Total Memory (B)":
                                 "9" * 5000, "GFX Version": 11},
                       "card1": "not an object", "system": ["x"]})
    [gpu] = parse_rocm_smi_json(text)
    assert (gpu["name"], gpu["uuid"], gpu["memory_total_mib"], gpu["driver_version"]) == \
        (None, None, None, None)


@pytest.mark.parametrize("text", ["not json", "[1, 2]", "[" * 100000, "", "null"],
                         ids=["garbage", "list", "deep", "empty", "null"])
def test_parse_rocm_smi_rejects(text):
    with pytest.raises(ParseError):
        parse_rocm_smi_json(text)


@pytest.mark.parametrize("text", ['{"SPDisplaysDataType": "x"}', "[]", '{"SPDisplaysDataType": [1]}'],
                         ids=["not-a-list", "not-an-object", "not-items"])
def test_parse_system_profiler_odd_shapes(text):
    try:
        assert parse_system_profiler_displays(text) == []
    except ParseError:
        pass


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
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_cuda import check_compat  # noqa: E402

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
    # Before CUDA 11 there is no minor-version compatibility: the toolkit's own floor only.
    ("440.33", "10.2", "linux", "native", True, "440.33"),
    ("418.39", "10.2", "linux", "incompatible", False, "440.33"),
    ("396.26", "9.2", "linux", "native", True, "396.26"),
    ("396.26", "9.2.148", "linux", "incompatible", False, "396.37"),  # 9.2.148 Update 1
    ("396.37", "9.2.148", "linux", "native", True, "396.37"),
    ("367.48", "8.0.44", "linux", "native", True, "367.48"),
    ("367.48", "8.0.61", "linux", "incompatible", False, "375.26"),   # 8.0.61 GA2
    ("390.46", "9.1", "linux", "native", True, "390.46"),
    ("418.96", "10.1.243", "windows", "native", True, "418.96"),
    ("450.51.05", "11.0.3", "linux", "forward_compat_required", False, "450.51.06"),
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
    ("550.54.14", "7.5", "linux", "not in NVIDIA's table"),
    ("550.54.14", "10.3", "linux", "not in NVIDIA's table"),
    ("550.54.14", "12.4", "macos", "linux or windows"),
], ids=["bad-driver", "bad-cuda", "cuda-7.5", "cuda-10.3", "bad-os"])
def test_cuda_compat_rejects(driver, cuda, os_name, match):
    with pytest.raises(ValueError, match=match):
        check_compat(driver, cuda, os_name)


from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_cuda import cuda_from_image_config  # noqa: E402


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
    from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_gpu_parse import parse_dpkg_status
    # /var/lib/dpkg/status format (dpkg 1.21/1.22): stanzas, continuation lines indented.
    text = ("Package: docker.io\nStatus: install ok installed\nPriority: optional\n"
            "Version: 20.10.24+dfsg1-1+deb12u1+b6\nDescription: Linux container runtime\n"
            " Docker complements kernel namespacing\n\n"
            "Package: runc\nStatus: deinstall ok config-files\nVersion: 1.1.5\n\n"
            "Package: containerd\nStatus: install ok half-configured\nVersion: 1.6.20\n\n"
            "Package: bash\nStatus: install ok installed\nVersion: 5.2.15-2+b7\n")
    assert parse_dpkg_status(text) == {"docker.io": "20.10.24+dfsg1-1+deb12u1+b6"}


# --------------------------------------------------------------------------- host evidence


@pytest.mark.parametrize("text,version,flavor", [
    # as the driver writes /proc/driver/nvidia/version (public captures of these versions)
    ("NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.216.03  Thu Apr  3 01:14:19 UTC 2025\n"
     "GCC version:  gcc version 12.2.0 (Debian 12.2.0-14) \n", "535.216.03", "proprietary"),
    ("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.142  Release Build  "
     "(dvs-builder@U22-I3-AD05-51-5)  Tue Mar  3 19:14:46 UTC 2026\n", "580.142", "open"),
    ("NVRM version: NVIDIA UNIX Kernel Module for aarch64  34.1.1  Release Build  "
     "(buildbrain@mobile-u64-5414-d7000)\n", "34.1.1", "proprietary"),
    ("", None, None),
    ("garbage \x00\ufffd", None, None),
], ids=["proprietary", "open", "jetson", "empty", "garbage"])
def test_parse_nvidia_proc_version(text, version, flavor):
    assert hp.parse_nvidia_proc_version(text) == {"version": version, "flavor": flavor}


def test_library_versions_and_cdi_versions():
    names = ["libnvidia-ml.so", "libnvidia-ml.so.1", "libnvidia-ml.so.535.54.03",
             "libnvidia-ml.so.550.127.05", "libnvidia-mlx.so.1.2.3", "libcuda.so.535.54.03"]
    assert hp.library_versions(names, "libnvidia-ml") == ["535.54.03", "550.127.05"]
    assert hp.library_versions(names, "libcuda") == ["535.54.03"]
    spec = ("  - containerPath: /usr/lib/x86_64-linux-gnu/libcuda.so.570.133.20\n"
            "    hostPath: /usr/lib/x86_64-linux-gnu/libcuda.so.570.133.20\n"
            "  - hostPath: /usr/lib/wsl/lib/libcuda.so.1.1\n"
            "  - hostPath: /usr/lib/x86_64-linux-gnu/libcudadebugger.so.570.133.20\n")
    assert hp.cdi_spec_driver_versions(spec) == ["570.133.20"]
    assert hp.cdi_spec_driver_versions(None) == []


@pytest.mark.parametrize("device,generation", [
    ("0x1b80", "pre_turing"), ("0x1db1", "pre_turing"), ("0x1e02", "turing_to_ada"),
    ("0x2330", "turing_to_ada"), ("0x28f8", "turing_to_ada"), ("0x2901", "blackwell"),
    ("0x2b85", "blackwell"), ("", None), ("N/A", None), (None, None),
])
def test_nvidia_generation(device, generation):
    assert hp.nvidia_generation(device) == generation


def test_small_readers():
    assert hp.parse_proc_modules("nvidia_uvm 1 0 - Live 0x0\n\nnvidia 2 1 nvidia_uvm, Live\n") \
        == ["nvidia_uvm", "nvidia"]
    assert hp.version_tuple("1.17.8-1+gpufleetsim") == (1, 17, 8)
    assert hp.version_tuple("1:1.3.1-1") == (1, 3, 1) and hp.version_tuple("x") == ()
    assert hp.efivar_enabled("\x06\x00\x00\x00\x01") is True
    assert hp.efivar_enabled("\x06\x00\x00\x00\x00") is False and hp.efivar_enabled("") is None
    assert hp.parse_toolkit_ldconfig('#ldconfig = "@/x"\nldconfig = "@/sbin/ldconfig.real"\n') \
        == "/sbin/ldconfig.real"
    assert hp.parse_toolkit_ldconfig("[nvidia-container-cli]\n") is None
    assert hp.parse_toml_bool("no-cgroups = true\n", "no-cgroups") is True
    assert hp.parse_toml_bool("#no-cgroups = true\n", "no-cgroups") is None
    assert hp.apt_signed_by(
        "deb [signed-by=/usr/share/keyrings/a.gpg arch=amd64] https://x /\n"
        "# deb [signed-by=/commented.gpg] https://y /\nSigned-By: /etc/apt/keyrings/b.asc\n"
        "Signed-By:\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n") == \
        ["/usr/share/keyrings/a.gpg", "/etc/apt/keyrings/b.asc"]
    assert hp.docker_config_context('{"currentContext": "desktop-linux"}') == "desktop-linux"
    assert hp.docker_config_context("[1]") is None and hp.docker_config_context("{") is None
    assert hp.parse_docker_identity('{"Name": "docker-desktop", "OperatingSystem": '
                                    '"Docker Desktop", "SecurityOptions": ["name=rootless"]}') \
        == {"name": "docker-desktop", "operating_system": "Docker Desktop",
            "security_options": ["name=rootless"]}
    assert hp.parse_docker_identity("not json") == {}
    assert hp.parse_windows_smi_driver_models(
        "0, NVIDIA RTX A5000, WDDM\n1, Tesla V100-PCIE-16GB, TCC\nFailed to run\n") == [
        {"index": "0", "name": "NVIDIA RTX A5000", "driver_model": "WDDM"},
        {"index": "1", "name": "Tesla V100-PCIE-16GB", "driver_model": "TCC"}]
