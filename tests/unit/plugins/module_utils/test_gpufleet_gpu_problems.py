"""The doctor's rulebook: RULES in step with what find_problems emits, and every host check
made to fire and kept silent on a host tree in tmp_path (real files, links and modes; only
tool outputs are replayed).

Each pair builds the evidence the failure catalog (../failures.json ids in RULES) names:
the same tree with the one fact that makes the difference changed.
"""
import ast
import inspect
import json
import os

import pytest
from test_gpufleet_gpu import Host

from ansible_collections.gpufleet.fleet.plugins.module_utils import gpufleet_gpu_problems
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_gpu_problems import RULES, find_problems

# /proc/driver/nvidia/version as the two kernel module flavours write it.
PROPRIETARY = ("NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.54.03  Tue Jun  6 22:20:39 "
               "UTC 2023\nGCC version:  gcc version 12.2.0 (Debian 12.2.0-14) \n")
OPEN = ("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  570.195.03  Release Build  "
        "(dvs-builder@U22-I3-H04-03-1)  Sat Sep 20 00:47:16 UTC 2025\n"
        "GCC version:  gcc version 12.3.0 (Ubuntu 12.3.0-1ubuntu1~22.04)\n")
PROC_MODULES = ("nvidia_uvm 1855488 0 - Live 0x0000000000000000 (POE)\n"
                "nvidia_drm 94208 0 - Live 0x0000000000000000 (POE)\n"
                "nvidia 56811520 1 nvidia_uvm, Live 0x0000000000000000 (POE)\n"
                "ext4 1003520 1 - Live 0x0000000000000000\n")
LIB = "usr/lib/x86_64-linux-gnu/"
WSL2 = "5.15.167.4-microsoft-standard-WSL2\n"


@pytest.fixture
def host(tmp_path):
    return Host(str(tmp_path))


def ids(facts):
    return [p["id"] for p in facts["problems"]]


def problem(facts, pid):
    found = [p for p in facts["problems"] if p["id"] == pid]
    assert len(found) == 1, ids(facts)
    return found[0]


def pci(host, address, vendor, device, cls):
    base = "sys/bus/pci/devices/%s/" % address
    host.file(base + "vendor", vendor + "\n")
    host.file(base + "device", device + "\n")
    host.file(base + "class", cls + "\n")


def nvidia_loaded(host, version_text=PROPRIETARY, modules=PROC_MODULES, nodes=True):
    host.file("proc/driver/nvidia/version", version_text)
    host.file("proc/modules", modules)
    os.makedirs(os.path.join(host.root, "sys/module/nvidia"), exist_ok=True)
    if nodes:
        for n in ("nvidia0", "nvidiactl", "nvidia-uvm"):
            host.file("dev/" + n)


def docker_info(**fields):
    info = {"ServerVersion": "27.5.1", "Runtimes": {"nvidia": {}, "runc": {}},
            "CgroupDriver": "cgroupfs", "CgroupVersion": "2", "Name": "gpu-01",
            "OperatingSystem": "Debian GNU/Linux 12 (bookworm)", "SecurityOptions": []}
    info.update(fields)
    return json.dumps(info)


# --------------------------------------------------------------------------- the rulebook

def _emitted_ids():
    """Every id find_problems can emit: the literal first argument of each _problem() call."""
    tree = ast.parse(inspect.getsource(gpufleet_gpu_problems))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "_problem":
            first = node.args[0]
            assert isinstance(first, ast.Constant), "problem ids must be literals: line %d" % node.lineno
            found.add(first.value)
    return found


def test_rules_list_every_problem_id_and_no_other():
    rule_ids = [r["id"] for r in RULES]
    assert len(rule_ids) == len(set(rule_ids)), "duplicate ids in RULES"
    assert set(rule_ids) == _emitted_ids()


def test_rules_shape_and_failure_ids_exist():
    # The failure ids are those of the catalog `gpufleet explain` matches with.
    from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_failures import FAILURES
    known = {f["id"] for f in FAILURES}
    for rule in RULES:
        assert set(rule) == {"id", "when", "failures"}, rule["id"]
        assert rule["when"].strip(), rule["id"]
        assert isinstance(rule["failures"], list)
        assert set(rule["failures"]) <= known, (rule["id"], set(rule["failures"]) - known)
    revealed = {f for rule in RULES for f in rule["failures"]}
    assert len(revealed) >= 25  # host checks name most of the catalog before it happens


def test_find_problems_on_empty_linux_facts_is_silent():
    facts = {"platform": "linux", "gpus": {}, "host": {}}
    assert find_problems(facts) == []


# --------------------------------------------------------------------------- docker client

def test_docker_context_desktop_fires_on_the_users_config(host):
    host.binary("usr/bin/docker", docker_info())
    host.file("home/alice/.docker/config.json", '{"auths": {}, "currentContext": "desktop-linux"}')
    p = problem(host.facts(user="alice"), "docker_context_desktop")
    assert "/home/alice/.docker/config.json currentContext is desktop-linux" in p["message"]
    assert "could not select device driver" in p["message"]
    assert "docker context use default" in p["remedy"]


def test_docker_context_desktop_fires_on_the_daemon_and_env(host):
    host.binary("usr/bin/docker", docker_info(Name="docker-desktop",
                                              OperatingSystem="Docker Desktop"))
    from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_gpu import Probe, collect
    facts = collect(Probe(host.run, root=host.root, env={
        "DOCKER_HOST": "unix:///home/alice/.docker/desktop/docker.sock"}), user="root")
    message = problem(facts, "docker_context_desktop")["message"]
    assert "DOCKER_HOST=unix:///home/alice/.docker/desktop/docker.sock" in message
    assert "docker info says Docker Desktop" in message


def test_docker_context_desktop_silent_on_the_default_context(host):
    host.binary("usr/bin/docker", docker_info())
    host.file("home/alice/.docker/config.json", '{"currentContext": "default"}')
    assert "docker_context_desktop" not in ids(host.facts(user="alice"))


def test_docker_desktop_is_no_problem_inside_wsl(host):
    host.file("proc/sys/kernel/osrelease", WSL2)
    host.file("dev/dxg")
    host.binary("usr/bin/docker", docker_info(OperatingSystem="Docker Desktop"))
    assert "docker_context_desktop" not in ids(host.facts(user="root"))


def test_docker_snap_fires(host):
    host.binary("snap/bin/docker", docker_info())
    host.file("var/snap/docker/current/config/daemon.json", "{}")
    facts = host.facts(user="root")
    assert facts["docker"]["installed"] is True  # found in /snap/bin
    p = problem(facts, "docker_snap")
    assert "/snap/bin/docker" in p["message"] and "/var/snap/docker" in p["message"]
    assert "snap remove" in p["remedy"]


def test_docker_snap_silent_with_docker_ce(host):
    host.binary("usr/bin/docker", docker_info())
    assert "docker_snap" not in ids(host.facts(user="root"))


# --------------------------------------------------------------------------- cgroups

def test_dev_char_symlinks_missing_fires_with_systemd_cgroups(host):
    nvidia_loaded(host)
    host.binary("usr/bin/docker", docker_info(CgroupDriver="systemd"))
    p = problem(host.facts(user="root"), "nvidia_dev_char_symlinks_missing")
    assert "Failed to initialize NVML: Unknown Error" in p["message"]
    assert "cgroup v2" in p["message"]
    assert "nvidia-ctk system create-dev-char-symlinks --create-all" in p["remedy"]


def test_dev_char_symlinks_present_or_cgroupfs_is_silent(host):
    nvidia_loaded(host)
    host.binary("usr/bin/docker", docker_info(CgroupDriver="systemd"))
    os.makedirs(os.path.join(host.root, "dev/char"))
    os.symlink("../nvidia0", os.path.join(host.root, "dev/char/195:0"))
    facts = host.facts(user="root")
    assert facts["host"]["dev_char_nvidia_links"] == ["195:0"]
    assert "nvidia_dev_char_symlinks_missing" not in ids(facts)
    host.binary("usr/bin/docker", docker_info(CgroupDriver="cgroupfs"))
    os.unlink(os.path.join(host.root, "dev/char/195:0"))
    assert "nvidia_dev_char_symlinks_missing" not in ids(host.facts(user="root"))


def test_toolkit_too_old_for_cgroup_v2_fires(host):
    host.file("sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory pids\n")
    host.file("var/lib/dpkg/status", "Package: libnvidia-container1\nStatus: install ok "
                                     "installed\nVersion: 1.3.1-1\n")
    p = problem(host.facts(user="root"), "toolkit_too_old_for_cgroup_v2")
    assert "1.3.1-1 (< 1.8)" in p["message"]
    assert "cgroup subsystem devices not found" in p["message"]


def test_toolkit_too_old_found_from_the_library_file(host):
    host.file("sys/fs/cgroup/cgroup.controllers", "cpu memory\n")
    host.file(LIB + "libnvidia-container.so.1.7.0")
    assert "1.7.0 (< 1.8)" in problem(host.facts(user="root"),
                                      "toolkit_too_old_for_cgroup_v2")["message"]


@pytest.mark.parametrize("v2,version", [(True, "1.17.8-1"), (False, "1.3.1-1")],
                         ids=["v2-new-toolkit", "v1-old-toolkit"])
def test_toolkit_age_silent(host, v2, version):
    if v2:
        host.file("sys/fs/cgroup/cgroup.controllers", "cpu memory\n")
    host.file("var/lib/dpkg/status", "Package: libnvidia-container1\nStatus: install ok "
                                     "installed\nVersion: %s\n" % version)
    assert "toolkit_too_old_for_cgroup_v2" not in ids(host.facts(user="root"))


def test_toolkit_ldconfig_missing_fires_and_silent(host):
    host.file("etc/nvidia-container-runtime/config.toml",
              '[nvidia-container-cli]\nenvironment = []\nldconfig = "@/sbin/ldconfig.real"\n')
    p = problem(host.facts(user="root"), "toolkit_ldconfig_missing")
    assert '"@/sbin/ldconfig.real"' in p["message"] and "@/sbin/ldconfig" in p["remedy"]
    host.binary("sbin/ldconfig.real")
    assert "toolkit_ldconfig_missing" not in ids(host.facts(user="root"))


# --------------------------------------------------------------------------- kernel module

NO_UVM = "nvidia 56811520 0 - Live 0x0 (POE)\n"


def test_uvm_not_loaded_without_nvidia_modprobe_fires(host):
    nvidia_loaded(host, modules=NO_UVM, nodes=False)
    host.file("dev/nvidia0")
    p = problem(host.facts(user="root"), "nvidia_uvm_not_loaded")
    assert "/dev/nvidia-uvm is missing" in p["message"]
    assert "nvidia-modprobe is not installed" in p["message"]
    assert "modprobe nvidia-uvm" in p["remedy"]


def test_uvm_not_loaded_with_rootless_docker_fires(host):
    nvidia_loaded(host, modules=NO_UVM, nodes=False)
    host.binary("usr/bin/nvidia-modprobe")
    host.binary("usr/bin/docker", docker_info(SecurityOptions=["name=rootless"]))
    assert "Docker runs rootless (docker info: name=rootless)" in \
        problem(host.facts(user="root"), "nvidia_uvm_not_loaded")["message"]


def test_uvm_loaded_or_loadable_on_demand_is_silent(host):
    nvidia_loaded(host)
    facts = host.facts(user="root")
    assert facts["host"]["nvidia_kernel"]["uvm_loaded"] is True
    assert facts["problems"] == []
    host.file("proc/modules", NO_UVM)
    os.unlink(os.path.join(host.root, "dev/nvidia-uvm"))
    host.binary("usr/bin/nvidia-modprobe")  # rootful: the hook loads it when needed
    assert "nvidia_uvm_not_loaded" not in ids(host.facts(user="root"))


def test_driver_library_mismatch_fires(host):
    nvidia_loaded(host)  # kernel module 535.54.03
    host.file(LIB + "libnvidia-ml.so.535.183.01")
    host.file(LIB + "libcuda.so.535.183.01")
    p = problem(host.facts(user="root"), "nvidia_driver_library_mismatch")
    assert "kernel module is 535.54.03 but the user-space driver on disk is 535.183.01" \
        in p["message"]
    assert "reboot" in p["remedy"]


def test_driver_library_match_is_silent(host):
    nvidia_loaded(host)
    host.file(LIB + "libnvidia-ml.so.535.54.03")
    os.symlink("libnvidia-ml.so.535.54.03", os.path.join(host.root, LIB, "libnvidia-ml.so.1"))
    facts = host.facts(user="root")
    assert facts["host"]["nvidia_kernel"]["userspace_versions"] == ["535.54.03"]
    assert facts["problems"] == []


def test_module_not_loaded_because_of_nouveau(host):
    pci(host, "0000:01:00.0", "0x10de", "0x2204", "0x030000")
    host.file("proc/modules", "nouveau 2towel 0 - Live 0x0\n")
    p = problem(host.facts(user="root"), "nvidia_module_not_loaded")
    assert p["cause"] == "nouveau"
    assert "0000:01:00.0 [10de:2204]" in p["message"] and "nouveau" in p["message"]
    assert "blacklist nouveau" in p["remedy"]


def test_module_not_loaded_because_of_secure_boot(host):
    pci(host, "0000:01:00.0", "0x10de", "0x2684", "0x030000")
    host.file("proc/modules", "ext4 1 0 - Live 0x0\n")
    host.file("lib/modules/6.1.0-27-amd64/updates/dkms/nvidia-current.ko")
    efivar = os.path.join(host.root, "sys/firmware/efi/efivars")
    os.makedirs(efivar)
    with open(os.path.join(efivar, "SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"), "wb") as fh:
        fh.write(b"\x06\x00\x00\x00\x01")
    p = problem(host.facts(user="root"), "nvidia_module_not_loaded")
    assert p["cause"] == "secure_boot"
    assert "updates/dkms/nvidia-current.ko" in p["message"] and "mokutil" in p["remedy"]


def test_module_not_loaded_because_dkms_did_not_build_for_this_kernel(host):
    pci(host, "0000:01:00.0", "0x10de", "0x2684", "0x030000")
    host.file("proc/modules", "ext4 1 0 - Live 0x0\n")
    host.file("lib/modules/6.1.0-26-amd64/updates/dkms/nvidia-current.ko")  # older kernel
    os.makedirs(os.path.join(host.root, "var/lib/dkms/nvidia-current"))
    host.file(LIB + "libnvidia-ml.so.535.216.01")
    p = problem(host.facts(user="root"), "nvidia_module_not_loaded")
    assert p["cause"] == "dkms_missing"
    assert "6.1.0-27-amd64" in p["message"] and "dkms autoinstall" in p["remedy"]


def test_module_not_loaded_no_driver_at_all(host):
    pci(host, "0000:01:00.0", "0x10de", "0x20b5", "0x030200")
    p = problem(host.facts(user="root"), "nvidia_module_not_loaded")
    assert p["cause"] == "not_installed"


def test_module_loaded_or_no_nvidia_gpu_is_silent(host):
    pci(host, "0000:01:00.0", "0x10de", "0x2684", "0x030000")
    pci(host, "0000:01:00.1", "0x10de", "0x22ba", "0x040300")  # its audio function
    nvidia_loaded(host)
    facts = host.facts(user="root")
    assert [g["address"] for g in facts["host"]["nvidia_kernel"]["pci_gpus"]] == ["0000:01:00.0"]
    assert facts["problems"] == []
    other = Host(os.path.join(host.root, "other"))
    pci(other, "0000:03:00.0", "0x1002", "0x744c", "0x030000")  # an AMD GPU only
    assert "nvidia_module_not_loaded" not in ids(other.facts(user="root"))


@pytest.mark.parametrize("version_text,device,need", [
    (OPEN, "0x1b80", "proprietary"),         # GTX 1080 (Pascal) with the open module
    (PROPRIETARY, "0x2b85", "open"),          # RTX 5090 (Blackwell) with the proprietary one
], ids=["open-on-pascal", "proprietary-on-blackwell"])
def test_module_flavor_mismatch_fires(host, version_text, device, need):
    pci(host, "0000:01:00.0", "0x10de", device, "0x030000")
    nvidia_loaded(host, version_text)
    p = problem(host.facts(user="root"), "nvidia_module_flavor_mismatch")
    assert "need the %s one" % need in p["message"].replace("needs", "need")
    assert "[10de:%s]" % device[2:] in p["message"]


@pytest.mark.parametrize("version_text,device", [
    (OPEN, "0x2b85"), (OPEN, "0x2204"), (PROPRIETARY, "0x1b80"), (PROPRIETARY, "0x2330"),
], ids=["open-blackwell", "open-ampere", "proprietary-pascal", "proprietary-hopper"])
def test_module_flavor_that_fits_is_silent(host, version_text, device):
    pci(host, "0000:01:00.0", "0x10de", device, "0x030000")
    nvidia_loaded(host, version_text)
    assert "nvidia_module_flavor_mismatch" not in ids(host.facts(user="root"))


def test_fabric_manager_not_running_on_nvswitch_system(host):
    nvidia_loaded(host)
    pci(host, "0000:07:00.0", "0x10de", "0x22a3", "0x068000")  # H100 NVSwitch
    pci(host, "0000:18:00.0", "0x10de", "0x2330", "0x030200")
    host.file("etc/systemd/system/multi-user.target.wants/nvidia-fabricmanager.service")
    p = problem(host.facts(user="root"), "fabric_manager_not_running")
    assert "0000:07:00.0" in p["message"] and "enabled: it failed" in p["message"]
    assert "system not yet initialized" in p["message"] and "535.54.03" in p["remedy"]


def test_fabric_manager_running_or_no_nvswitch_is_silent(host):
    nvidia_loaded(host)
    pci(host, "0000:18:00.0", "0x10de", "0x2330", "0x030200")
    assert "fabric_manager_not_running" not in ids(host.facts(user="root"))
    pci(host, "0000:07:00.0", "0x10de", "0x22a3", "0x068000")
    host.file("proc/777/comm", "nv-fabricmanage\n")  # comm is cut to 15 characters
    facts = host.facts(user="root")
    assert facts["host"]["fabricmanager_running"] is True
    assert "fabric_manager_not_running" not in ids(facts)


# The mounts of a spec as `nvidia-ctk cdi generate` (toolkit 1.17) writes them for driver
# 570.133.20 (layout as in public specs of that version; trimmed to the versioned libraries).
CDI_570 = """---
cdiVersion: 0.5.0
containerEdits:
  deviceNodes:
  - path: /dev/nvidiactl
  - path: /dev/nvidia-uvm
  mounts:
  - containerPath: /usr/bin/nvidia-smi
    hostPath: /usr/bin/nvidia-smi
    options:
    - ro
    - nosuid
    - nodev
    - bind
  - containerPath: /usr/lib/x86_64-linux-gnu/libcuda.so.570.133.20
    hostPath: /usr/lib/x86_64-linux-gnu/libcuda.so.570.133.20
    options:
    - ro
    - nosuid
    - nodev
    - bind
  - containerPath: /usr/lib/x86_64-linux-gnu/libnvidia-ml.so.570.133.20
    hostPath: /usr/lib/x86_64-linux-gnu/libnvidia-ml.so.570.133.20
    options:
    - ro
    - nosuid
    - nodev
    - bind
devices:
- containerEdits:
    deviceNodes:
    - path: /dev/nvidia0
  name: "0"
- containerEdits:
    deviceNodes:
    - path: /dev/nvidia0
  name: all
kind: nvidia.com/gpu
"""


def test_cdi_spec_stale_after_driver_upgrade(host):
    nvidia_loaded(host, PROPRIETARY.replace("535.54.03", "570.172.08"))
    host.file("etc/cdi/nvidia.yaml", CDI_570)
    facts = host.facts(user="root")
    assert facts["host"]["cdi_specs"] == [{"path": "/etc/cdi/nvidia.yaml",
                                           "driver_versions": ["570.133.20"]}]
    p = problem(facts, "cdi_spec_stale")
    assert p["message"].startswith("/etc/cdi/nvidia.yaml was generated for NVIDIA driver "
                                   "570.133.20 but driver 570.172.08 is running")
    assert "nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml" in p["remedy"]


def test_cdi_spec_current_or_unversioned_is_silent(host, fixture):
    nvidia_loaded(host, PROPRIETARY.replace("535.54.03", "570.133.20"))
    host.file("var/run/cdi/nvidia.yaml", CDI_570)
    host.file("etc/cdi/nvidia-trimmed.yaml", fixture("cdi", "nvidia-ctk-generate_1.17.yaml"))
    assert "cdi_spec_stale" not in ids(host.facts(user="root"))


def test_nvidia_apt_source_problems_fire_and_stay_silent(host):
    host.file("etc/apt/sources.list.d/nvidia-docker.list",
              "# Unsupported distribution!\n# Check https://nvidia.github.io/nvidia-docker\n")
    host.file("etc/apt/sources.list.d/nvidia-container-toolkit.list",
              "deb [signed-by=/usr/share/keyrings/nvidia-container-toolkit-keyring.gpg] "
              "https://nvidia.github.io/libnvidia-container/stable/deb/$(ARCH) /\n")
    facts = host.facts(user="root")
    assert "nvidia-docker.list holds '# Unsupported distribution!'" in \
        problem(facts, "nvidia_repo_unsupported_distribution")["message"]
    assert "nvidia-container-toolkit-keyring.gpg" in \
        problem(facts, "nvidia_repo_keyring_missing")["message"]
    os.unlink(os.path.join(host.root, "etc/apt/sources.list.d/nvidia-docker.list"))
    host.file("usr/share/keyrings/nvidia-container-toolkit-keyring.gpg")
    assert host.facts(user="root")["problems"] == []


# --------------------------------------------------------------------------- device groups

def amd_gpu_with_nodes(host, mode):
    host.file("sys/class/drm/card0/device/vendor", "0x1002\n")
    host.file("sys/class/drm/card0/device/device", "0x744c\n")
    os.makedirs(os.path.join(host.root, "sys/class/drm/card0/device/drm/renderD128"))
    kfd = host.file("dev/kfd", mode=mode)
    host.file("dev/dri/renderD128", mode=mode)
    return os.stat(kfd).st_gid


def test_gpu_device_group_missing_gives_the_numeric_gid(host):
    gid = amd_gpu_with_nodes(host, 0o660)
    host.file("etc/group", "render:x:%d:\nvideo:x:%d:alice\n" % (gid, gid + 4321))
    facts = host.facts(user="alice")
    p = problem(facts, "gpu_device_group_missing")
    assert p["gids"] == [gid]
    assert "/dev/kfd (group render, gid %d, mode 0660)" % gid in p["message"]
    assert "/dev/dri/renderD128" in p["message"]
    assert "usermod -aG render alice" in p["remedy"] and "--group-add %d" % gid in p["remedy"]
    assert {n["path"]: n["gid"] for n in facts["host"]["device_node_access"]} == \
        {"/dev/kfd": gid, "/dev/dri/renderD128": gid}


def test_gpu_device_group_member_root_or_open_mode_is_silent(host):
    gid = amd_gpu_with_nodes(host, 0o660)
    host.file("etc/group", "render:x:%d:alice\n" % gid)
    assert "gpu_device_group_missing" not in ids(host.facts(user="alice"))
    host.file("etc/group", "render:x:%d:\n" % gid)
    assert "gpu_device_group_missing" not in ids(host.facts(user="root"))
    os.chmod(os.path.join(host.root, "dev/kfd"), 0o666)
    os.chmod(os.path.join(host.root, "dev/dri/renderD128"), 0o666)
    assert "gpu_device_group_missing" not in ids(host.facts(user="alice"))


# --------------------------------------------------------------------------- WSL

def wsl(host, release=WSL2, dxg=True):
    host.file("proc/sys/kernel/osrelease", release)
    if dxg:
        host.file("dev/dxg")


def test_wsl1_fires_and_wsl2_is_silent(host):
    wsl(host, "4.4.0-19041-Microsoft\n", dxg=False)
    facts = host.facts(user="root")
    assert facts["host"]["wsl_version"] == 1
    assert ids(facts) == ["wsl1_no_gpu"]
    assert "wsl --set-version <distro> 2" in facts["problems"][0]["remedy"]
    wsl(host)
    assert host.facts(user="root")["problems"] == []


def test_wsl2_without_dxg_fires(host):
    wsl(host, dxg=False)
    facts = host.facts(user="root")
    assert facts["host"]["wsl_version"] == 2
    assert ids(facts) == ["wsl_no_dxg"]


ELF_STUB = b"\x7fELF\x02\x01\x01" + b"\x00" * 57  # the first bytes of an x86-64 .so


def wsl_libcuda(host, configured, cache_lists_it):
    wsl(host)
    for name in ("libcuda.so.1", "libcuda.so.1.1"):  # regular files, as Windows ships them
        with open(host.file("usr/lib/wsl/lib/" + name), "wb") as fh:
            fh.write(ELF_STUB)
    if configured:
        host.file("etc/ld.so.conf.d/ld.wsl.conf", "# This file was automatically generated "
                                                  "by WSL.\n/usr/lib/wsl/lib\n")
    with open(os.path.join(host.root, "etc/ld.so.cache"), "wb") as fh:
        fh.write(b"glibc-ld.so.cache1.1\x00libc.so.6\x00/lib/x86_64-linux-gnu/libc.so.6\x00" +
                 (b"libcuda.so.1\x00/usr/lib/wsl/lib/libcuda.so.1\x00" if cache_lists_it else b""))


@pytest.mark.parametrize("configured,cached,why", [
    (False, False, "no file in /etc/ld.so.conf.d lists /usr/lib/wsl/lib"),
    (True, False, "/etc/ld.so.cache has no entry for it"),
], ids=["not-configured", "not-in-cache"])
def test_wsl_libcuda_not_found_through_the_cache_fires(host, configured, cached, why):
    wsl_libcuda(host, configured, cached)
    p = problem(host.facts(user="root"), "wsl_libcuda_not_symlink")
    assert "is not a symbolic link" in p["message"] and why in p["message"]
    assert "ld.wsl.conf && ldconfig" in p["remedy"]


def test_wsl_libcuda_in_ld_cache_is_silent(host):
    wsl_libcuda(host, configured=True, cache_lists_it=True)
    facts = host.facts(user="root")
    assert facts["host"]["wsl_libcuda"] == {"exists": True, "symlink": False, "elf": True,
                                            "configured": True, "in_ld_cache": True}
    assert "wsl_libcuda_not_symlink" not in ids(facts)
    os.unlink(os.path.join(host.root, "usr/lib/wsl/lib/libcuda.so.1"))
    os.symlink("libcuda.so.1.1", os.path.join(host.root, "usr/lib/wsl/lib/libcuda.so.1"))
    host.file("etc/ld.so.conf.d/ld.wsl.conf", "")  # a link: nothing to say either way
    assert "wsl_libcuda_not_symlink" not in ids(host.facts(user="root"))


def test_wsl_gpu_in_tcc_mode_fires(host):
    wsl(host)
    host.binary("mnt/c/Windows/System32/nvidia-smi.exe",
                "0, NVIDIA RTX A5000, WDDM\n1, NVIDIA A100-PCIE-40GB, TCC\n")
    facts = host.facts(user="root")
    assert [g["driver_model"] for g in facts["host"]["windows_gpus"]] == ["WDDM", "TCC"]
    p = problem(facts, "wsl_gpu_tcc_mode")
    assert "1 NVIDIA A100-PCIE-40GB" in p["message"] and "RTX A5000" not in p["message"]
    assert "-dm WDDM" in p["remedy"]
    assert any(c[0] == "/mnt/c/Windows/System32/nvidia-smi.exe" for c in host.calls)


def test_wsl_gpus_in_wddm_mode_are_silent(host):
    wsl(host)
    host.binary("mnt/c/Windows/System32/nvidia-smi.exe", "0, NVIDIA RTX A5000, WDDM\n")
    assert "wsl_gpu_tcc_mode" not in ids(host.facts(user="root"))


def test_linux_host_does_not_run_windows_tools(host):
    host.binary("mnt/c/Windows/System32/nvidia-smi.exe", "0, NVIDIA A100, TCC\n")
    facts = host.facts(user="root")
    assert facts["problems"] == [] and "windows_gpus" not in facts["host"]
    assert not any(c[0].endswith(".exe") for c in host.calls)


# --------------------------------------------------------------------------- rootless, SELinux

TOOLKIT_TOML = "[nvidia-container-cli]\nenvironment = []\nldconfig = \"@/sbin/ldconfig\"\n"


def test_rootless_docker_without_no_cgroups_fires(host):
    nvidia_loaded(host)
    host.file("etc/nvidia-container-runtime/config.toml", TOOLKIT_TOML + "#no-cgroups = false\n")
    host.file("run/user/1000/docker.sock")
    host.file("home/alice/.config/docker/daemon.json", "{}")
    p = problem(host.facts(user="alice"), "toolkit_rootless_cgroups")
    assert "/run/user/1000/docker.sock" in p["message"]
    assert "/home/alice/.config/docker/daemon.json" in p["message"]
    assert "nvidia-ctk config --set nvidia-container-cli.no-cgroups --in-place" in p["remedy"]


def test_rootless_docker_seen_by_docker_info_fires(host):
    nvidia_loaded(host)
    host.file("etc/nvidia-container-runtime/config.toml", TOOLKIT_TOML)
    host.binary("usr/bin/docker", docker_info(SecurityOptions=[
        "name=seccomp,profile=builtin", "name=rootless", "name=cgroupns"]))
    assert "docker info: name=rootless" in problem(host.facts(user="root"),
                                                   "toolkit_rootless_cgroups")["message"]


def test_rootless_with_no_cgroups_or_rootful_is_silent(host):
    nvidia_loaded(host)
    host.file("etc/nvidia-container-runtime/config.toml", TOOLKIT_TOML + "no-cgroups = true\n")
    host.file("run/user/1000/docker.sock")
    assert "toolkit_rootless_cgroups" not in ids(host.facts(user="alice"))
    host.file("etc/nvidia-container-runtime/config.toml", TOOLKIT_TOML)
    os.unlink(os.path.join(host.root, "run/user/1000/docker.sock"))
    host.binary("usr/bin/docker", docker_info())
    assert "toolkit_rootless_cgroups" not in ids(host.facts(user="alice"))


def test_selinux_container_use_devices_off_fires_and_on_is_silent(host):
    nvidia_loaded(host)
    host.file("sys/fs/selinux/enforce", "1")
    host.file("sys/fs/selinux/booleans/container_use_devices", "0 0")
    p = problem(host.facts(user="root"), "selinux_container_devices_off")
    assert "Insufficient Permissions" in p["message"]
    assert "setsebool -P container_use_devices on" in p["remedy"]
    host.file("sys/fs/selinux/booleans/container_use_devices", "1 1")
    assert "selinux_container_devices_off" not in ids(host.facts(user="root"))
    host.file("sys/fs/selinux/booleans/container_use_devices", "0 0")
    host.file("sys/fs/selinux/enforce", "0")  # permissive
    assert "selinux_container_devices_off" not in ids(host.facts(user="root"))
