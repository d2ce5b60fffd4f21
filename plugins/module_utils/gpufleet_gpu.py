# -*- coding: utf-8 -*-
"""GPU discovery for gpufleet: what ``gpu_facts`` collects from a host, no Ansible imports.

Everything that touches the host comes in through a ``Probe`` (run a command, read a
file, list a directory), so the same code runs in the ``gpu_facts`` module and in unit
tests fed with host trees. The tools' outputs are parsed in gpufleet_gpu_parse.py, the
problems decided in gpufleet_gpu_problems.py. Standard library only (runs on managed hosts).
"""
from __future__ import annotations

import json
import os
import re
from typing import Any, Callable, Iterable, Mapping

from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_docker import parse_cdi_spec, parse_docker_info
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_gpu_parse import (
    MAX_TOOL_OUTPUT, ParseError, _int, _snippet, apt_signed_by, cdi_spec_driver_versions,
    classify_ldconfig_output, classify_nvidia_smi_failure, clean_text, detect_platform,
    docker_config_context, efivar_enabled, library_versions, make_json_safe,
    parse_docker_identity, parse_dpkg_status, parse_nvidia_proc_version, parse_nvidia_smi_xml,
    parse_os_release, parse_proc_modules, parse_rocm_smi_json, parse_system_profiler_displays,
    parse_toml_bool, parse_toolkit_ldconfig, parse_windows_smi_driver_models)
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_gpu_problems import find_problems

PCI_VENDORS = {"0x10de": "nvidia", "0x1002": "amd", "0x8086": "intel", "0x106b": "apple",
               "0x1af4": "virtio", "0x1234": "qemu", "0x15ad": "vmware", "0x1414": "microsoft"}
GPU_GROUPS = ("docker", "video", "render")
DEFAULT_CDI_DIRS = ("/etc/cdi", "/var/run/cdi")
# Paths where the NVIDIA Container Toolkit puts the binaries dockerd looks for.
TOOLKIT_BINARIES = ("nvidia-container-runtime-hook", "nvidia-ctk", "nvidia-container-runtime",
                    "nvidia-cdi-hook")
BIN_DIRS = ("/usr/bin", "/usr/local/bin", "/usr/sbin", "/bin")
# Where a Mac's docker CLI lives besides /usr/local/bin: Homebrew on Apple silicon (Colima,
# Podman) and Docker Desktop's per-user install (~/.docker/bin, "User" mode).
MAC_BIN_DIRS = ("/opt/homebrew/bin", "~/.docker/bin")
WSL_LIB = "/usr/lib/wsl/lib"


def scan_drm(probe: Probe) -> list[dict[str, Any]]:
    """GPUs seen by the kernel's DRM subsystem: /sys/class/drm/cardN/device/{vendor,device}."""
    cards: list[dict[str, Any]] = []
    for entry in sorted(probe.listdir("/sys/class/drm")):
        if not re.match(r"^card[0-9]{1,6}$", entry):
            continue
        base = "/sys/class/drm/%s/device" % entry
        vendor_id = (probe.read(base + "/vendor") or "").strip().lower()[:16]
        if not vendor_id:
            continue
        render = sorted(n for n in probe.listdir(base + "/drm") if n.startswith("renderD"))
        vram = _int((probe.read(base + "/mem_info_vram_total") or "").strip(), 20)
        cards.append({
            "card": entry,
            "vendor": PCI_VENDORS.get(vendor_id, vendor_id),
            "pci_vendor_id": vendor_id,
            "pci_device_id": (probe.read(base + "/device") or "").strip().lower()[:16] or None,
            "render_node": "/dev/dri/" + render[0] if render else None,
            "memory_total_mib": vram // (1024 * 1024) if vram is not None else None,
            "driver": os.path.basename(probe.readlink(base + "/driver") or "") or None,
        })
    return cards


# --------------------------------------------------------------------------- probe

class Probe(object):
    """Host access used by ``collect``.  ``root`` prefixes every path (tests use a tmp tree).

    Whatever the host holds, a Probe hands back text: files and command output that are not
    UTF-8 are decoded with U+FFFD (never None for a readable file, never a surrogate).
    """

    def __init__(self, run: Callable[[list[str]], tuple[int, str | bytes, str | bytes]],
                 root: str = "/", env: dict[str, str] | None = None, system: str = "Linux",
                 osrelease: str | None = None) -> None:
        self._run = run
        self.root = root
        self.env = env or {}
        self.system = system
        self._osrelease = osrelease

    def path(self, p: str) -> str:
        return os.path.join(self.root, p.lstrip("/"))

    def exists(self, p: str) -> bool:
        try:
            return os.path.lexists(self.path(p))
        except (ValueError, TypeError):
            return False

    def read(self, p: str, limit: int = MAX_TOOL_OUTPUT) -> str | None:
        """The file's text, or None when it cannot be read (missing, a directory, no access)."""
        try:
            with open(self.path(p), "rb") as fh:
                data = fh.read(limit)
        except (IOError, OSError, ValueError, TypeError):
            return None
        return data.decode("utf-8", "replace")

    def readlink(self, p: str) -> str | None:
        try:
            return os.readlink(self.path(p))
        except (OSError, ValueError, TypeError):
            return None

    def listdir(self, p: str) -> list[str]:
        try:
            return os.listdir(self.path(p))
        except (OSError, ValueError, TypeError):
            return []

    def stat(self, p: str) -> os.stat_result | None:
        try:
            return os.stat(self.path(p))
        except (OSError, ValueError, TypeError):
            return None

    def islink(self, p: str) -> bool:
        try:
            return os.path.islink(self.path(p))
        except (ValueError, TypeError):
            return False

    def mtime(self, p: str) -> float | None:
        try:
            return os.stat(self.path(p)).st_mtime
        except (OSError, ValueError, TypeError):
            return None

    def bin_dirs(self, extra_dirs: Iterable[str] = ()) -> list[str]:
        """Where ``which`` looks: ``extra_dirs``, the PATH the module got (``env['PATH']``:
        gpufleet_environment on a Mac), the usual system directories, and on macOS
        Homebrew's and Docker Desktop's per-user directories."""
        dirs = list(extra_dirs) + [d for d in (self.env.get("PATH") or "").split(":")
                                   if d.startswith("/")] + list(BIN_DIRS)
        if self.system == "Darwin":
            home = self.env.get("HOME") or ""
            dirs += [d.replace("~", home, 1) if d.startswith("~") else d
                     for d in MAC_BIN_DIRS if home or not d.startswith("~")]
        unique: list[str] = []
        for d in dirs:
            if d not in unique:
                unique.append(d)
        return unique

    def which(self, name: str, extra_dirs: Iterable[str] = ()) -> str | None:
        for d in self.bin_dirs(extra_dirs):
            if os.access(self.path(os.path.join(d, name)), os.X_OK) and \
                    os.path.isfile(self.path(os.path.join(d, name))):
                return os.path.join(d, name)
        return None

    def run(self, argv: list[str]) -> tuple[int, str, str]:
        """-> (rc, stdout, stderr) as text; rc 127 when the binary is missing, 126 when it
        could not be started. Output that is not UTF-8 arrives with U+FFFD in its place."""
        try:
            rc, stdout, stderr = self._run(argv)
        except Exception as exc:  # a tool that cannot even start is a fact, not a crash
            return 126, u"", clean_text(u"%s: %s" % (argv[0], exc))
        try:
            rc = int(rc)
        except (TypeError, ValueError):
            rc = 1
        return rc, clean_text(stdout), clean_text(stderr)

    @property
    def osrelease(self) -> str:
        if self._osrelease is not None:
            return self._osrelease
        return (self.read("/proc/sys/kernel/osrelease") or "").strip()


# --------------------------------------------------------------------------- collection

def _device_nodes(probe: Probe) -> list[str]:
    nodes: list[str] = []
    for name in sorted(probe.listdir("/dev")):
        if re.match(r"nvidia", name) or name in ("dxg", "kfd"):
            nodes.append("/dev/" + name)
    for name in sorted(probe.listdir("/dev/dri")):
        nodes.append("/dev/dri/" + name)
    return nodes


def _dockerd_started_at(probe: Probe) -> float | None:
    """Epoch seconds at which the running dockerd started, or None."""
    btime = None
    for line in (probe.read("/proc/stat") or "").splitlines():
        if line.startswith("btime "):
            btime = _int(line[6:].strip(), 12)
    if btime is None:
        return None
    for pid in probe.listdir("/proc"):
        if not re.match(r"^[0-9]{1,10}$", pid):
            continue
        if (probe.read("/proc/%s/comm" % pid) or "").strip() != "dockerd":
            continue
        stat = probe.read("/proc/%s/stat" % pid) or ""
        fields = stat.rsplit(")", 1)[-1].split()
        start = _int(fields[19], 20) if len(fields) > 19 else None
        if start is not None:
            return btime + start / float(os.sysconf("SC_CLK_TCK"))
    return None


def read_daemon_config(probe: Probe, path: str = "/etc/docker/daemon.json") -> dict[str, Any] | None:
    """daemon.json as a mapping ({} when there is none), or None when it is not a JSON
    object: the roles then leave the reading (and the message) to docker_daemon_config."""
    if not probe.exists(path):
        return {}
    text = probe.read(path)
    try:
        data = json.loads(text) if text is not None else None
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def collect_docker(probe: Probe) -> dict[str, Any]:
    docker_bin = probe.which("docker") or probe.which("docker", extra_dirs=("/snap/bin",))
    dockerd_bin = probe.which("dockerd")
    enabled = any(probe.exists("/etc/systemd/system/%s.wants/%s" % (target, unit))
                  for target, unit in (("multi-user.target", "docker.service"),
                                       ("sockets.target", "docker.socket")))
    out: dict[str, Any] = {"installed": bool(docker_bin or dockerd_bin), "running": False,
                           "service_enabled": enabled,
                           "server_version": None, "runtimes": [], "default_runtime": None,
                           "cdi_spec_dirs": list(DEFAULT_CDI_DIRS), "cdi_devices": [],
                           "cdi_enabled": None,
                           "daemon_config_mtime": probe.mtime("/etc/docker/daemon.json"),
                           "daemon_config": read_daemon_config(probe),
                           "started_at": None, "error": None}
    if docker_bin:
        rc, stdout, stderr = probe.run([docker_bin, "info", "--format", "{{json .}}"])
        if rc == 0 and stdout.strip():
            try:
                info = parse_docker_info(stdout)
                if not isinstance(info, dict):
                    raise ValueError("not a mapping")
            except Exception as exc:  # any output: report it, never stop the facts
                info = {"server_version": None,
                        "server_error": "docker info printed something gpufleet cannot read "
                                        "(%s): %s" % (exc.__class__.__name__, _snippet(stdout))}
            out.update(info)
            out.update(parse_docker_identity(stdout))
            out["running"] = info.get("server_version") is not None
            if info.get("server_error"):
                out["running"] = False
                out["error"] = info["server_error"]
        else:
            out["error"] = _snippet(stderr or stdout, 500) or "docker info failed"
    if out["running"]:
        out["started_at"] = _dockerd_started_at(probe)
    seen: list[str] = []
    dirs = [d for d in (out["cdi_spec_dirs"] or DEFAULT_CDI_DIRS) if isinstance(d, str)]
    out["cdi_spec_dirs"] = dirs
    for d in dirs or DEFAULT_CDI_DIRS:
        for name in sorted(probe.listdir(d)):
            if name.endswith((".yaml", ".yml", ".json")):
                text = probe.read(os.path.join(d, name)) or ""
                try:
                    devices = parse_cdi_spec(text)
                except Exception:  # a broken spec lists no devices; it does not stop the facts
                    devices = []
                for dev in devices:
                    if isinstance(dev, str) and dev not in seen:
                        seen.append(dev)
    out["cdi_devices"] = seen
    return out


def collect_groups(probe: Probe, user: str | None) -> dict[str, bool | None]:
    """{group: bool} membership of ``user`` in docker/video/render (from /etc/group)."""
    primary_gid = None
    for line in (probe.read("/etc/passwd") or "").splitlines():
        parts = line.split(":")
        if len(parts) > 3 and parts[0] == user:
            primary_gid = parts[3]
    result: dict[str, bool | None] = {}
    groups: dict[str, tuple[str, list[str]]] = {}
    for line in (probe.read("/etc/group") or "").splitlines():
        parts = line.split(":")
        if len(parts) >= 4:
            groups[parts[0]] = (parts[2], [m for m in parts[3].split(",") if m])
    for g in GPU_GROUPS:
        if g not in groups:
            result[g] = None  # group does not exist on this host
            continue
        gid, members = groups[g]
        result[g] = user in members or gid == primary_gid
    return result


def run_nvidia_smi(probe: Probe, platform: str) -> dict[str, Any]:
    """Run ``nvidia-smi -q -x`` (on WSL2 the copy in /usr/lib/wsl/lib) and read it.

    Returns dict(found, rc, parsed, error, cause, parse_error):
    ``error``/``cause``: nvidia-smi failed; its own words and the classified cause (see
    NVIDIA_SMI_FAILURES). ``parse_error``: it exited 0 but printed something that is not an
    nvidia-smi XML log. A failed run that still printed an XML log keeps what it listed.
    """
    out: dict[str, Any] = {"found": False, "rc": None, "parsed": None, "error": None, "cause": None,
                           "parse_error": None}
    extra = (WSL_LIB,) if platform == "wsl2" else ()
    smi = probe.which("nvidia-smi", extra_dirs=extra)
    if not smi:
        return out
    out["found"] = True
    rc, stdout, stderr = probe.run([smi, "-q", "-x"])
    out["rc"] = rc
    looks_xml = "<nvidia_smi_log" in stdout
    said = (stderr.strip() if looks_xml else (stderr.strip() + "\n" + stdout.strip())).strip()
    parse_error = None
    if rc == 0 or looks_xml:
        try:
            out["parsed"] = parse_nvidia_smi_xml(stdout)
        except ParseError as exc:
            parse_error = str(exc)
    if rc != 0:
        out["error"] = _snippet(said, 500) or "nvidia-smi exited %d without an error message" % rc
        out["cause"] = _driver_evidence(probe, classify_nvidia_smi_failure(rc, said)[0])
    elif parse_error is not None:
        cause = classify_nvidia_smi_failure(rc, said)[0]
        if cause != "unknown":  # exit 0 but one of nvidia-smi's failure messages
            out["error"], out["cause"] = _snippet(said, 500), _driver_evidence(probe, cause)
        else:
            out["parse_error"] = "%s; it printed: %s" % (parse_error,
                                                         _snippet(stdout) or "nothing")
    return out


def _driver_evidence(probe: Probe, cause: str) -> str:
    """Correct a message-based cause with what the host shows.

    A loaded nvidia kernel module shows /proc/driver/nvidia/version and /sys/module/nvidia
    (also inside containers: procfs and sysfs show the kernel's drivers). Without it,
    NVML's words depend on the environment: Debian's real nvidia-smi 535 prints
    "couldn't communicate with the NVIDIA driver" on a bare host but "Failed to initialize
    NVML: Unknown Error" inside a container (seen in the test bed), which would otherwise
    point at the cgroup problem. /dev/nvidiactl proves nothing: libnvidia-ml running as root
    creates it (195:255) even with no module (seen there too). WSL2 has no module by design
    (the Windows driver serves /dev/dxg), so it is left alone.
    """
    if cause in ("nvml_unknown_error", "unknown") \
            and not probe.exists("/proc/driver/nvidia/version") \
            and not probe.exists("/sys/module/nvidia") and not probe.exists("/dev/dxg"):
        return "driver_not_loaded"
    return cause


def collect_nvidia(probe: Probe, platform: str) -> tuple[dict[str, Any] | None, str | None]:
    """Run nvidia-smi (the WSL copy lives in /usr/lib/wsl/lib).  -> (parsed|None, error|None)."""
    result = run_nvidia_smi(probe, platform)
    return result["parsed"], result["error"] or result["parse_error"]


def run_rocm_smi(probe: Probe) -> dict[str, Any]:
    """Run rocm-smi and read it. -> dict(found, rc, gpus, error, parse_error)."""
    out: dict[str, Any] = {"found": False, "rc": None, "gpus": None, "error": None, "parse_error": None}
    smi = probe.which("rocm-smi", extra_dirs=("/opt/rocm/bin",))
    if not smi:
        return out
    out["found"] = True
    rc, stdout, stderr = probe.run([smi, "--showproductname", "--showmeminfo", "vram",
                                    "--showdriverversion", "--showuniqueid", "--json"])
    out["rc"] = rc
    if rc != 0:
        out["error"] = _snippet(stderr or stdout, 500) or "rocm-smi exited %d" % rc
        return out
    try:
        out["gpus"] = parse_rocm_smi_json(stdout)
    except ParseError as exc:
        out["parse_error"] = "%s; it printed: %s" % (exc, _snippet(stdout) or "nothing")
    return out


def collect_amd(probe: Probe) -> tuple[list[dict[str, Any]] | None, str | None]:
    result = run_rocm_smi(probe)
    return result["gpus"], result["error"] or result["parse_error"]


def _wsl_linux_driver(probe: Probe) -> list[str]:
    """Evidence of a Linux NVIDIA driver installed inside WSL (it must never be)."""
    evidence: list[str] = []
    if probe.exists("/proc/driver/nvidia/version"):
        evidence.append("/proc/driver/nvidia/version")
    if probe.exists("/sys/module/nvidia"):
        evidence.append("kernel module nvidia loaded")
    status = probe.read("/var/lib/dpkg/status") or ""
    for block in status.split("\n\n"):
        m = re.search(r"^Package: (nvidia-driver-\S+|nvidia-dkms-\S+|libnvidia-compute-\S+|"
                      r"nvidia-kernel-\S+|cuda-drivers\S*)$", block, re.M)
        if m and "Status: install ok installed" in block:
            evidence.append("package " + m.group(1))
    return evidence


def _wsl_ldconfig(probe: Probe) -> dict[str, list[str]]:
    """Scan the library cache without writing it (-N -X) and sort the output."""
    ldconfig = probe.which("ldconfig", extra_dirs=("/sbin", "/usr/sbin"))
    if not ldconfig:
        return {"noise": [], "errors": []}
    rc, stdout, stderr = probe.run([ldconfig, "-N", "-X"])
    return classify_ldconfig_output((stdout or "") + "\n" + (stderr or ""))


# --------------------------------------------------------------------------- host evidence

# Where distributions put the NVIDIA user-space libraries (Debian: nvidia/current).
NVIDIA_LIB_DIRS = ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64",
                   "/usr/lib", "/lib64", "/usr/lib/x86_64-linux-gnu/nvidia/current",
                   "/usr/lib/aarch64-linux-gnu/nvidia/current")
SECURE_BOOT_VAR = "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"
NVIDIA_MODULE_FILE = re.compile(r"^nvidia(-current)?\.ko(\.xz|\.zst|\.gz)?$")
TOOLKIT_CONFIG = "/etc/nvidia-container-runtime/config.toml"
# Windows' own nvidia-smi, reachable from WSL through interop (/mnt/c is WSL's default mount).
WINDOWS_NVIDIA_SMI = ("/mnt/c/Windows/System32/nvidia-smi.exe",
                      "/mnt/c/Program Files/NVIDIA Corporation/NVSMI/nvidia-smi.exe")
MAX_PCI_DEVICES = 1024


def _pci_nvidia(probe: Probe) -> dict[str, list[dict[str, str]]]:
    """NVIDIA functions on the PCI bus (sysfs): GPUs (class 0x03xxxx) and NVSwitches (0x0680)."""
    gpus: list[dict[str, str]] = []
    switches: list[dict[str, str]] = []
    for address in sorted(probe.listdir("/sys/bus/pci/devices"))[:MAX_PCI_DEVICES]:
        base = "/sys/bus/pci/devices/" + address
        if (probe.read(base + "/vendor", 64) or "").strip().lower() != "0x10de":
            continue
        cls = (probe.read(base + "/class", 64) or "").strip().lower()
        entry = {"address": address[:32],
                 "device_id": (probe.read(base + "/device", 64) or "").strip().lower()[:16],
                 "class": cls[:16]}
        if cls.startswith("0x03"):
            gpus.append(entry)
        elif cls.startswith("0x0680"):
            switches.append(entry)
    return {"gpus": gpus, "nvswitches": switches}


def _processes(probe: Probe) -> list[str]:
    """The names (comm) of the running processes."""
    names: list[str] = []
    for pid in probe.listdir("/proc"):
        if re.match(r"^[0-9]{1,10}$", pid):
            comm = (probe.read("/proc/%s/comm" % pid, 64) or "").strip()
            if comm:
                names.append(comm)
    return names


# Files under /lib/modules that are not directories worth walking into.
MODULE_WALK_SKIP = (".ko", ".xz", ".zst", ".gz", ".bin", ".alias", ".dep", ".order", ".builtin")


def _module_files(probe: Probe, release: str) -> list[str]:
    """nvidia.ko files built for the running kernel (DKMS, akmods, distro prebuilt)."""
    found: list[str] = []
    top = "/lib/modules/%s" % release

    def walk(path: str, depth: int) -> None:
        for name in sorted(probe.listdir(path))[:4096]:
            full = path + "/" + name
            if NVIDIA_MODULE_FILE.match(name):
                found.append(full)
            elif depth < 5 and not name.endswith(MODULE_WALK_SKIP) and not probe.islink(full):
                walk(full, depth + 1)
    if release and "/" not in release:
        walk(top, 0)
    return found


def _user_gids(probe: Probe, user: str | None) -> tuple[int | None, list[int]]:
    """(uid, [gids]) of ``user`` from /etc/passwd and /etc/group."""
    uid, gids = None, []
    for line in (probe.read("/etc/passwd") or "").splitlines():
        parts = line.split(":")
        if len(parts) > 3 and parts[0] == user:
            uid, primary = _int(parts[2]), _int(parts[3])
            if primary is not None:
                gids.append(primary)
    for line in (probe.read("/etc/group") or "").splitlines():
        parts = line.split(":")
        if len(parts) >= 4 and user in parts[3].split(","):
            gid = _int(parts[2])
            if gid is not None and gid not in gids:
                gids.append(gid)
    return uid, sorted(gids)


def _group_names(probe: Probe) -> dict[int, str]:
    names: dict[int, str] = {}
    for line in (probe.read("/etc/group") or "").splitlines():
        parts = line.split(":")
        gid = _int(parts[2]) if len(parts) >= 3 else None
        if gid is not None:
            names.setdefault(gid, parts[0])
    return names


def _home(probe: Probe, user: str | None) -> str | None:
    for line in (probe.read("/etc/passwd") or "").splitlines():
        parts = line.split(":")
        if len(parts) > 5 and parts[0] == user and parts[5].startswith("/"):
            return parts[5]
    return None


def collect_nvidia_kernel(probe: Probe) -> dict[str, Any]:
    """The NVIDIA kernel side: module loaded, version, flavour, uvm, PCI GPUs and NVSwitches,
    the user-space driver version on disk, nouveau, Secure Boot, modules for this kernel."""
    proc = parse_nvidia_proc_version(probe.read("/proc/driver/nvidia/version"))
    modules_text = probe.read("/proc/modules")
    modules = parse_proc_modules(modules_text)
    version = proc["version"] or (probe.read("/sys/module/nvidia/version", 64) or "").strip() \
        or None
    loaded = bool(proc["flavor"]) or probe.exists("/sys/module/nvidia") or "nvidia" in modules
    libs: list[str] = []
    for d in NVIDIA_LIB_DIRS:
        names = probe.listdir(d)
        libs.extend(library_versions(names, "libnvidia-ml") + library_versions(names, "libcuda"))
    pci = _pci_nvidia(probe)
    release = probe.osrelease
    nvswitch_dev = sorted(probe.listdir("/proc/driver/nvidia-nvswitch/devices"))
    return {
        "loaded": loaded,
        "version": version,
        "flavor": proc["flavor"],
        "modules_readable": modules_text is not None,
        "uvm_loaded": "nvidia_uvm" in modules or probe.exists("/sys/module/nvidia_uvm"),
        "uvm_node": probe.exists("/dev/nvidia-uvm"),
        "nouveau_loaded": "nouveau" in modules or probe.exists("/sys/module/nouveau"),
        "userspace_versions": sorted(set(libs)),
        "pci_gpus": pci["gpus"],
        "nvswitches": pci["nvswitches"] + [
            {"address": d[:32], "device_id": "", "class": "procfs"} for d in nvswitch_dev],
        "secure_boot": efivar_enabled(probe.read(SECURE_BOOT_VAR, 64)),
        "kernel_release": release or None,
        "module_files": _module_files(probe, release) if pci["gpus"] and not loaded else [],
        "dkms_sources": sorted(n for n in probe.listdir("/var/lib/dkms")
                               if n.startswith("nvidia"))
        + sorted("/usr/src/" + n for n in probe.listdir("/usr/src") if n.startswith("nvidia")),
    }


def collect_host(probe: Probe, platform: str, user: str | None) -> dict[str, Any]:
    """Host evidence for the doctor's checks (facts ``host``): files and directories only,
    plus Windows' nvidia-smi.exe on WSL. Read-only."""
    out: dict[str, Any] = {"nvidia_kernel": collect_nvidia_kernel(probe)}
    procs = _processes(probe)
    out["fabricmanager_running"] = any(p.startswith("nv-fabricmanage") for p in procs)
    out["fabricmanager_enabled"] = probe.exists(
        "/etc/systemd/system/multi-user.target.wants/nvidia-fabricmanager.service")
    out["cgroup_v2"] = probe.exists("/sys/fs/cgroup/cgroup.controllers")
    out["nvidia_modprobe"] = probe.which("nvidia-modprobe")
    links = []
    for name in sorted(probe.listdir("/dev/char"))[:4096]:
        target = probe.readlink("/dev/char/" + name) or ""
        if "nvidia" in target:
            links.append(name)
    out["dev_char_nvidia_links"] = links
    # libnvidia-container: the package, else the library's own file name
    version = None
    for d in NVIDIA_LIB_DIRS:
        for name in probe.listdir(d):
            m = re.match(r"^libnvidia-container\.so\.([0-9]+\.[0-9]+\.[0-9]+)$", name)
            if m:
                version = m.group(1)
    out["libnvidia_container_version"] = version
    config = probe.read(TOOLKIT_CONFIG)
    ldconfig = parse_toolkit_ldconfig(config)
    out["toolkit_config"] = {"exists": config is not None, "ldconfig": ldconfig,
                             "ldconfig_exists": probe.exists(ldconfig) if ldconfig else None,
                             "no_cgroups": parse_toml_bool(config, "no-cgroups")}
    # SELinux: container_use_devices off keeps confined containers from the device nodes
    enforce = (probe.read("/sys/fs/selinux/enforce", 16) or "").strip()
    boolean = (probe.read("/sys/fs/selinux/booleans/container_use_devices", 16) or "").split()
    out["selinux"] = {"enforcing": enforce == "1" if enforce else None,
                      "container_use_devices": boolean[0] == "1" if boolean else None}
    # Docker clients that talk to another daemon
    home = _home(probe, user)
    uid, gids = _user_gids(probe, user)
    context = docker_config_context(probe.read(home + "/.docker/config.json")) if home else None
    out["docker_client"] = {
        "home": home, "current_context": context,
        "env_context": probe.env.get("DOCKER_CONTEXT"), "env_host": probe.env.get("DOCKER_HOST"),
        "desktop_socket": bool(home and probe.exists(home + "/.docker/desktop/docker.sock")),
        "snap": [p for p in ("/snap/bin/docker", "/snap/docker/current",
                             "/var/snap/docker/current/config/daemon.json") if probe.exists(p)],
        # rootless Docker of the user: its socket and its own daemon.json
        "rootless": [p for p in ("/run/user/%s/docker.sock" % uid,
                                 "%s/.config/docker/daemon.json" % home)
                     if probe.exists(p)] if uid and home else [],
    }
    # apt sources of NVIDIA's repositories
    repos = []
    for name in sorted(probe.listdir("/etc/apt/sources.list.d")):
        if "nvidia" not in name.lower() or not name.endswith((".list", ".sources")):
            continue
        path = "/etc/apt/sources.list.d/" + name
        text = probe.read(path, 65536) or ""
        repos.append({"path": path,
                      "unsupported": "Unsupported distribution" in text,
                      "missing_keyrings": [k for k in apt_signed_by(text) if not probe.exists(k)]})
    out["nvidia_apt_sources"] = repos
    # NVIDIA CDI specs and the driver version they were generated for
    specs = []
    for d in DEFAULT_CDI_DIRS:
        for name in sorted(probe.listdir(d)):
            if name.endswith((".yaml", ".yml", ".json")):
                text = probe.read(d + "/" + name) or ""
                if "nvidia.com/" in text:
                    specs.append({"path": d + "/" + name,
                                  "driver_versions": cdi_spec_driver_versions(text)})
    out["cdi_specs"] = specs
    # who may open the compute nodes (/dev/kfd, render nodes)
    names = _group_names(probe)
    nodes = []
    for node in ["/dev/kfd"] + ["/dev/dri/" + n for n in sorted(probe.listdir("/dev/dri"))
                                if n.startswith("renderD")]:
        st = probe.stat(node)
        if st is not None:
            nodes.append({"path": node, "uid": st.st_uid, "gid": st.st_gid,
                          "group": names.get(st.st_gid), "mode": "%04o" % (st.st_mode & 0o7777)})
    out["device_node_access"] = nodes
    out["user_ids"] = {"uid": uid, "gids": gids}
    if platform == "wsl2":
        release = probe.osrelease
        out["wsl_version"] = 1 if re.search(r"-Microsoft\b", release) \
            and not probe.exists("/dev/dxg") else 2
        lib = WSL_LIB + "/libcuda.so.1"
        cache = probe.read("/etc/ld.so.cache")
        confs = ["/etc/ld.so.conf"] + ["/etc/ld.so.conf.d/" + n for n in
                                       sorted(probe.listdir("/etc/ld.so.conf.d"))
                                       if n.endswith(".conf")]
        out["wsl_libcuda"] = {
            "exists": probe.exists(lib), "symlink": probe.islink(lib),
            "elf": (probe.read(lib, 4) or "") == "\x7fELF",
            # WSL writes /etc/ld.so.conf.d/ld.wsl.conf with this directory
            "configured": any(line.strip().rstrip("/") == WSL_LIB
                              for c in confs for line in (probe.read(c, 65536) or "").splitlines()),
            "in_ld_cache": (lib in cache) if cache is not None else None}
        out["windows_gpus"] = []
        for exe in WINDOWS_NVIDIA_SMI:
            if probe.exists(exe):
                rc, stdout, dummy = probe.run(
                    [exe, "--query-gpu=index,name,driver_model.current", "--format=csv,noheader"])
                if rc == 0:
                    out["windows_gpus"] = parse_windows_smi_driver_models(stdout)
                break
    return out


def collect(probe: Probe, user: str | None = "root") -> dict[str, Any]:
    """All of gpu_facts, as one dict (``ansible_facts.gpufleet``).

    Never raises on what the host's tools print: an output gpufleet cannot read becomes a
    problem entry, and every string in the result is valid Unicode (JSON-safe).
    """
    platform = detect_platform(probe.system, probe.osrelease, probe.exists("/dev/dxg"),
                               probe.exists("/proc/sys/fs/binfmt_misc/WSLInterop")
                               or probe.exists("/usr/lib/wsl/lib"))
    facts: dict[str, Any] = {
        "platform": platform,
        "gpus": {"nvidia": [], "amd": [], "intel": [], "apple": [], "other": []},
        "nvidia": {"driver_version": None, "cuda_version": None,
                   "cuda_version_source": None, "smi": None, "smi_rc": None,
                   "error": None, "error_cause": None, "parse_error": None,
                   "attached_gpus": None, "listed_gpus": 0},
        "amd": {"rocm_smi": None, "smi_rc": None, "error": None, "parse_error": None},
        "device_nodes": [], "docker": {}, "groups": {}, "user": user,
        "toolkit": {}, "wsl": {}, "host": {}, "problems": [], "packages": {},
        "os": parse_os_release(probe.read("/etc/os-release")) if probe.system != "Darwin"
        else {"distribution": "MacOSX", "family": "Darwin", "release": None,
              "version": None, "major_version": None}}
    if platform == "macos":
        rc, stdout, dummy = probe.run(["system_profiler", "SPDisplaysDataType", "-json"])
        if rc == 0:
            try:
                for gpu in parse_system_profiler_displays(stdout):
                    vendor = gpu["vendor"] if gpu["vendor"] in facts["gpus"] else "other"
                    facts["gpus"][vendor].append(gpu)
            except ParseError:
                pass
    else:
        facts["device_nodes"] = _device_nodes(probe)
        nv = run_nvidia_smi(probe, platform)
        facts["nvidia"].update(error=nv["error"], error_cause=nv["cause"],
                               parse_error=nv["parse_error"], smi_rc=nv["rc"])
        parsed = nv["parsed"]
        if parsed:
            facts["nvidia"].update(driver_version=parsed["driver_version"],
                                   cuda_version=parsed["cuda_version"],
                                   cuda_version_source=parsed["cuda_version_source"],
                                   attached_gpus=parsed["attached_gpus"],
                                   listed_gpus=parsed["listed_gpus"], smi=True)
            facts["gpus"]["nvidia"] = parsed["gpus"]
        amd_run = run_rocm_smi(probe)
        amd = amd_run["gpus"]
        facts["amd"].update(rocm_smi=amd is not None, smi_rc=amd_run["rc"],
                            error=amd_run["error"], parse_error=amd_run["parse_error"])
        drm = scan_drm(probe)
        if amd:
            facts["gpus"]["amd"] = amd
        else:
            facts["gpus"]["amd"] = [dict(c, index=i, name=None) for i, c in
                                    enumerate(c for c in drm if c["vendor"] == "amd")]
        facts["gpus"]["intel"] = [dict(c, index=i, name=None) for i, c in
                                  enumerate(c for c in drm if c["vendor"] == "intel")]
        facts["gpus"]["other"] = [c for c in drm if c["vendor"] not in ("amd", "intel", "nvidia")]
        facts["drm_nvidia_cards"] = [c for c in drm if c["vendor"] == "nvidia"]
        facts["toolkit"] = {b: probe.which(b) for b in TOOLKIT_BINARIES}
        facts["toolkit"]["installed"] = any(facts["toolkit"][b] for b in TOOLKIT_BINARIES)
        facts["toolkit"]["dockerd_in_distro"] = bool(probe.which("dockerd"))
        facts["packages"] = parse_dpkg_status(probe.read("/var/lib/dpkg/status"))
        # When the toolkit's binaries last changed on this host: dpkg keeps each file's
        # mtime from the package (its build date), so an install or upgrade shows only in
        # the inode change time; the later of the two counts.
        changes = []
        for path in facts["toolkit"].values():
            st = probe.stat(path) if isinstance(path, str) else None
            if st is not None:
                changes.append(max(st.st_mtime, st.st_ctime))
        facts["toolkit"]["newest_change"] = max(changes, default=None)
        if platform == "wsl2":
            facts["wsl"] = {"lib_dir": probe.exists(WSL_LIB),
                            "nvidia_smi": probe.exists(WSL_LIB + "/nvidia-smi"),
                            "libcuda": probe.exists(WSL_LIB + "/libcuda.so.1"),
                            "libnvidia_ml": probe.exists(WSL_LIB + "/libnvidia-ml.so.1"),
                            # Docker Desktop's WSL integration mounts its socket dir here.
                            "desktop_integration": probe.exists("/mnt/wsl/docker-desktop"),
                            "linux_driver_evidence": _wsl_linux_driver(probe),
                            "ldconfig": _wsl_ldconfig(probe)}
    facts["docker"] = collect_docker(probe) if platform != "macos" or probe.which("docker") \
        else {"installed": False, "running": False}
    facts["groups"] = collect_groups(probe, user)
    if platform != "macos":
        facts["host"] = collect_host(probe, platform, user)
    facts["problems"] = find_problems(facts)
    return make_json_safe(facts)


def gpu_count(facts: Mapping[str, Any]) -> int:
    return sum(len(v) for v in facts["gpus"].values())
