# -*- coding: utf-8 -*-
"""GPU discovery for gpufleet: parsers and decisions, no Ansible imports.

Everything that touches the host comes in through a ``Probe`` (run a command, read a
file, list a directory), so the same code runs in the ``gpu_facts`` module and in unit
tests fed with real captured outputs.  Standard library only (runs on managed hosts).
"""
from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET

try:  # relative import inside Ansible's module payload, absolute in tests
    from ansible.module_utils.gpufleet_cuda import max_cuda_for_driver, parse_version
    from ansible.module_utils.gpufleet_docker import parse_cdi_spec, parse_docker_info
except ImportError:  # pragma: no cover - direct import outside Ansible
    from gpufleet_cuda import max_cuda_for_driver, parse_version  # type: ignore
    from gpufleet_docker import parse_cdi_spec, parse_docker_info  # type: ignore

PCI_VENDORS = {"0x10de": "nvidia", "0x1002": "amd", "0x8086": "intel", "0x106b": "apple",
               "0x1af4": "virtio", "0x1234": "qemu", "0x15ad": "vmware", "0x1414": "microsoft"}
GPU_GROUPS = ("docker", "video", "render")
DEFAULT_CDI_DIRS = ("/etc/cdi", "/var/run/cdi")
# Paths where the NVIDIA Container Toolkit puts the binaries dockerd looks for.
TOOLKIT_BINARIES = ("nvidia-container-runtime-hook", "nvidia-ctk", "nvidia-container-runtime",
                    "nvidia-cdi-hook")
BIN_DIRS = ("/usr/bin", "/usr/local/bin", "/usr/sbin", "/bin")
WSL_LIB = "/usr/lib/wsl/lib"


class ParseError(ValueError):
    """Raised when a tool's output is not in the format we know."""


# --------------------------------------------------------------------------- nvidia

def _text(el, path, default=None):
    node = el.find(path)
    if node is None or node.text is None:
        return default
    value = node.text.strip()
    return default if value in ("", "N/A", "None") else value


def _mib(value):
    """'81920 MiB' -> 81920 (int MiB); None for N/A."""
    if not value:
        return None
    m = re.match(r"(\d+)\s*MiB", value)
    return int(m.group(1)) if m else None


def parse_nvidia_smi_xml(text):
    """Parse ``nvidia-smi -q -x``.  Returns {driver_version, cuda_version, gpus: [...]}.

    ``cuda_version`` is what the driver reports (the highest CUDA it supports); for old
    documents without it, it is derived from NVIDIA's driver table.
    """
    # The DOCTYPE names a DTD file that is not shipped; ElementTree ignores DOCTYPE.
    try:
        root = ET.fromstring(text.strip().encode("utf-8") if isinstance(text, str) else text)
    except ET.ParseError as exc:
        raise ParseError("nvidia-smi -q -x output is not XML: %s" % exc)
    if root.tag != "nvidia_smi_log":
        raise ParseError("not an nvidia-smi log (root element <%s>)" % root.tag)
    driver = _text(root, "driver_version")
    cuda = _text(root, "cuda_version")
    cuda_source = "nvidia-smi"
    if cuda is None and driver:
        cuda, cuda_source = max_cuda_for_driver(driver), "driver-table"
    gpus = []
    for index, gpu in enumerate(root.findall("gpu")):
        uuid = _text(gpu, "uuid")
        if not uuid:
            raise ParseError("nvidia-smi GPU %d has no UUID" % index)
        mig_devices = []
        for mig in gpu.findall("mig_devices/mig_device"):
            mig_devices.append({
                "index": int(_text(mig, "index", "0")),
                "gpu_instance_id": _text(mig, "gpu_instance_id"),
                "compute_instance_id": _text(mig, "compute_instance_id"),
                "memory_total_mib": _mib(_text(mig, "fb_memory_usage/total")),
            })
        minor = _text(gpu, "minor_number")
        gpus.append({
            "vendor": "nvidia",
            "index": index,
            "name": _text(gpu, "product_name"),
            "uuid": uuid,
            "pci_bus_id": _text(gpu, "pci/pci_bus_id") or gpu.get("id"),
            "minor_number": int(minor) if minor and minor.isdigit() else None,
            "architecture": _text(gpu, "product_architecture"),
            "memory_total_mib": _mib(_text(gpu, "fb_memory_usage/total")),
            "memory_used_mib": _mib(_text(gpu, "fb_memory_usage/used")),
            "utilization_gpu_percent": _percent(_text(gpu, "utilization/gpu_util")),
            "driver_version": driver,
            "cuda_version": cuda,
            "driver_model": _text(gpu, "driver_model/current_dm"),
            "mig_mode": _text(gpu, "mig_mode/current_mig") or "N/A",
            "mig_pending": _text(gpu, "mig_mode/pending_mig") or "N/A",
            "mig_devices": mig_devices,
        })
    return {"driver_version": driver, "cuda_version": cuda, "cuda_version_source": cuda_source,
            "gpus": gpus}


def _percent(value):
    if not value:
        return None
    m = re.match(r"(\d+)\s*%", value)
    return int(m.group(1)) if m else None


# --------------------------------------------------------------------------- amd / drm

def parse_rocm_smi_json(text):
    """Parse ``rocm-smi --showproductname --showmeminfo vram --showdriverversion --json``.

    rocm-smi's key spelling changed across releases ("Card series" / "Card Series"), so
    keys are matched case-insensitively.
    """
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ParseError("rocm-smi output is not JSON: %s" % exc)
    if not isinstance(data, dict):
        raise ParseError("rocm-smi JSON is not an object")
    system = {k.lower(): v for k, v in (data.get("system") or {}).items()}
    driver = system.get("driver version")
    gpus = []
    cards = sorted((k for k in data if re.match(r"card\d+$", k)), key=lambda k: int(k[4:]))
    for card in cards:
        info = {k.lower(): v for k, v in data[card].items()}
        vram = info.get("vram total memory (b)")
        gpus.append({
            "vendor": "amd",
            "index": int(card[4:]),
            "name": info.get("card series") or info.get("card sku") or info.get("card model"),
            "uuid": info.get("unique id"),
            "gfx_version": info.get("gfx version"),
            "memory_total_mib": int(vram) // (1024 * 1024) if vram and str(vram).isdigit() else None,
            "driver_version": driver,
        })
    return gpus


def scan_drm(probe):
    """GPUs seen by the kernel's DRM subsystem: /sys/class/drm/cardN/device/{vendor,device}."""
    cards = []
    for entry in sorted(probe.listdir("/sys/class/drm")):
        if not re.match(r"card\d+$", entry):
            continue
        base = "/sys/class/drm/%s/device" % entry
        vendor_id = (probe.read(base + "/vendor") or "").strip().lower()
        if not vendor_id:
            continue
        render = [n for n in probe.listdir(base + "/drm") if n.startswith("renderD")]
        vram = (probe.read(base + "/mem_info_vram_total") or "").strip()
        cards.append({
            "card": entry,
            "vendor": PCI_VENDORS.get(vendor_id, vendor_id),
            "pci_vendor_id": vendor_id,
            "pci_device_id": (probe.read(base + "/device") or "").strip().lower() or None,
            "render_node": "/dev/dri/" + render[0] if render else None,
            "memory_total_mib": int(vram) // (1024 * 1024) if vram.isdigit() else None,
            "driver": os.path.basename(probe.readlink(base + "/driver") or "") or None,
        })
    return cards


# --------------------------------------------------------------------------- macOS

def parse_system_profiler_displays(text):
    """``system_profiler SPDisplaysDataType -json`` -> GPUs (Apple silicon or discrete)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ParseError("system_profiler output is not JSON: %s" % exc)
    gpus = []
    for index, item in enumerate(data.get("SPDisplaysDataType", [])):
        vendor_text = (item.get("spdisplays_vendor") or "").lower()
        vendor = "apple" if "apple" in vendor_text or "sppci_vendor_apple" in vendor_text else (
            "amd" if "amd" in vendor_text or "ati" in vendor_text else
            "intel" if "intel" in vendor_text else "nvidia" if "nvidia" in vendor_text else vendor_text)
        gpus.append({
            "vendor": vendor,
            "index": index,
            "name": item.get("sppci_model") or item.get("_name"),
            "cores": int(item["sppci_cores"]) if str(item.get("sppci_cores", "")).isdigit() else None,
            "metal": item.get("spdisplays_mtlgpufamilysupport"),
        })
    return gpus


# --------------------------------------------------------------------------- os

_OS_FAMILIES = (("debian", "Debian"), ("ubuntu", "Debian"), ("rhel", "RedHat"),
                ("fedora", "RedHat"), ("centos", "RedHat"), ("suse", "Suse"),
                ("arch", "Archlinux"), ("alpine", "Alpine"))


def parse_os_release(text):
    """/etc/os-release -> {distribution, family, release, major_version, version}.

    The same names Ansible's distribution facts use (Debian, bookworm, 12), so roles can
    take them from gpu_facts and skip a separate fact-gathering round trip.
    """
    values = {}
    for line in (text or "").splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip().strip('"').strip("'")
    ident = values.get("ID", "").lower()
    like = values.get("ID_LIKE", "").lower().split()
    family = None
    for name, fam in _OS_FAMILIES:
        if ident == name or name in like:
            family = fam
            break
    version = values.get("VERSION_ID")
    return {
        "distribution": values.get("NAME", "").split()[0] if values.get("NAME") else None,
        "family": family,
        "release": values.get("VERSION_CODENAME") or None,
        "version": version,
        "major_version": version.split(".")[0] if version else None,
    }


# --------------------------------------------------------------------------- platform

def detect_platform(system, osrelease, has_dxg, has_wsl_marker):
    """'macos', 'wsl2' or 'linux'.

    WSL2 kernels say 'microsoft' in their release; a custom kernel may not, so /dev/dxg
    (GPU paravirtualization) together with a WSL marker (the WSLInterop binfmt entry or the
    /usr/lib/wsl mount) also means WSL2. Plain Linux has neither /dev/dxg nor /usr/lib/wsl.
    """
    if system == "Darwin":
        return "macos"
    if "microsoft" in (osrelease or "").lower() or "wsl" in (osrelease or "").lower():
        return "wsl2"
    if has_dxg and has_wsl_marker:
        return "wsl2"
    return "linux"


# --------------------------------------------------------------------------- probe

class Probe(object):
    """Host access used by ``collect``.  ``root`` prefixes every path (tests use a tmp tree)."""

    def __init__(self, run, root="/", env=None, system="Linux", osrelease=None):
        self._run = run
        self.root = root
        self.env = env or {}
        self.system = system
        self._osrelease = osrelease

    def path(self, p):
        return os.path.join(self.root, p.lstrip("/"))

    def exists(self, p):
        return os.path.lexists(self.path(p))

    def read(self, p):
        try:
            with open(self.path(p), "r") as fh:
                return fh.read()
        except (IOError, OSError, UnicodeDecodeError):
            return None

    def readlink(self, p):
        try:
            return os.readlink(self.path(p))
        except OSError:
            return None

    def listdir(self, p):
        try:
            return os.listdir(self.path(p))
        except OSError:
            return []

    def mtime(self, p):
        try:
            return os.stat(self.path(p)).st_mtime
        except OSError:
            return None

    def which(self, name, extra_dirs=()):
        for d in tuple(extra_dirs) + BIN_DIRS:
            if os.access(self.path(os.path.join(d, name)), os.X_OK) and \
                    os.path.isfile(self.path(os.path.join(d, name))):
                return os.path.join(d, name)
        return None

    def run(self, argv):
        """-> (rc, stdout, stderr); rc 127 when the binary is missing."""
        return self._run(argv)

    @property
    def osrelease(self):
        if self._osrelease is not None:
            return self._osrelease
        return (self.read("/proc/sys/kernel/osrelease") or "").strip()


# --------------------------------------------------------------------------- collection

def _device_nodes(probe):
    nodes = []
    for name in sorted(probe.listdir("/dev")):
        if re.match(r"nvidia", name) or name in ("dxg", "kfd"):
            nodes.append("/dev/" + name)
    for name in sorted(probe.listdir("/dev/dri")):
        nodes.append("/dev/dri/" + name)
    return nodes


def _dockerd_started_at(probe):
    """Epoch seconds at which the running dockerd started, or None."""
    btime = None
    for line in (probe.read("/proc/stat") or "").splitlines():
        if line.startswith("btime "):
            btime = int(line.split()[1])
    if btime is None:
        return None
    for pid in probe.listdir("/proc"):
        if not pid.isdigit():
            continue
        if (probe.read("/proc/%s/comm" % pid) or "").strip() != "dockerd":
            continue
        stat = probe.read("/proc/%s/stat" % pid) or ""
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 19:
            return btime + int(fields[19]) / float(os.sysconf("SC_CLK_TCK"))
    return None


def collect_docker(probe):
    docker_bin = probe.which("docker")
    dockerd_bin = probe.which("dockerd")
    enabled = any(probe.exists("/etc/systemd/system/%s.wants/%s" % (target, unit))
                  for target, unit in (("multi-user.target", "docker.service"),
                                       ("sockets.target", "docker.socket")))
    out = {"installed": bool(docker_bin or dockerd_bin), "running": False,
           "service_enabled": enabled,
           "server_version": None, "runtimes": [], "default_runtime": None,
           "cdi_spec_dirs": list(DEFAULT_CDI_DIRS), "cdi_devices": [], "cdi_enabled": None,
           "daemon_config_mtime": probe.mtime("/etc/docker/daemon.json"),
           "started_at": None, "error": None}
    if docker_bin:
        rc, stdout, stderr = probe.run([docker_bin, "info", "--format", "{{json .}}"])
        if rc == 0 and stdout.strip():
            info = parse_docker_info(stdout)
            out.update(info)
            out["running"] = info.get("server_version") is not None
            if info.get("server_error"):
                out["running"] = False
                out["error"] = info["server_error"]
        else:
            out["error"] = (stderr or stdout or "").strip()[:500] or "docker info failed"
    if out["running"]:
        out["started_at"] = _dockerd_started_at(probe)
    seen = []
    for d in out["cdi_spec_dirs"] or DEFAULT_CDI_DIRS:
        for name in sorted(probe.listdir(d)):
            if name.endswith((".yaml", ".yml", ".json")):
                text = probe.read(os.path.join(d, name)) or ""
                for dev in parse_cdi_spec(text):
                    if dev not in seen:
                        seen.append(dev)
    out["cdi_devices"] = seen
    return out


def collect_groups(probe, user):
    """{group: bool} membership of ``user`` in docker/video/render (from /etc/group)."""
    primary_gid = None
    for line in (probe.read("/etc/passwd") or "").splitlines():
        parts = line.split(":")
        if len(parts) > 3 and parts[0] == user:
            primary_gid = parts[3]
    result = {}
    groups = {}
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


def collect_nvidia(probe, platform):
    """Run nvidia-smi (the WSL copy lives in /usr/lib/wsl/lib).  -> (parsed|None, error|None)."""
    extra = (WSL_LIB,) if platform == "wsl2" else ()
    smi = probe.which("nvidia-smi", extra_dirs=extra)
    if not smi:
        return None, None
    rc, stdout, stderr = probe.run([smi, "-q", "-x"])
    if rc != 0:
        return None, (stderr or stdout or "").strip()[:500] or "nvidia-smi exited %d" % rc
    try:
        return parse_nvidia_smi_xml(stdout), None
    except ParseError as exc:
        return None, str(exc)


def collect_amd(probe):
    smi = probe.which("rocm-smi", extra_dirs=("/opt/rocm/bin",))
    if not smi:
        return None, None
    rc, stdout, stderr = probe.run([smi, "--showproductname", "--showmeminfo", "vram",
                                    "--showdriverversion", "--showuniqueid", "--json"])
    if rc != 0:
        return None, (stderr or stdout or "").strip()[:500]
    try:
        return parse_rocm_smi_json(stdout), None
    except ParseError as exc:
        return None, str(exc)


# Packages whose installed versions gpu_facts reports, so that roles can skip an apt module
# call when everything they need is there (the apt module costs ~1 s a host).
REPORTED_PACKAGES = ("docker.io", "docker-cli", "docker-ce", "docker-ce-cli", "containerd",
                     "containerd.io", "runc", "docker-compose", "docker-compose-plugin",
                     "docker-buildx-plugin", "nvidia-container-toolkit",
                     "nvidia-container-toolkit-base", "libnvidia-container-tools",
                     "libnvidia-container1", "python3-debian", "busybox-static")


def parse_dpkg_status(text, names=REPORTED_PACKAGES):
    """/var/lib/dpkg/status -> {package: version} for installed packages among ``names``."""
    wanted = set(names)
    out = {}
    for block in (text or "").split("\n\n"):
        fields = {}
        for line in block.splitlines():
            if line[:1] not in (" ", "\t") and ":" in line:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
        name = fields.get("Package")
        if name in wanted and fields.get("Status", "").endswith(" installed") \
                and fields["Status"].split()[-1] == "installed":
            out[name] = fields.get("Version")
    return out


def _wsl_linux_driver(probe):
    """Evidence of a Linux NVIDIA driver installed inside WSL (it must never be)."""
    evidence = []
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


def _wsl_ldconfig(probe):
    """Scan the library cache without writing it (-N -X) and sort the output."""
    ldconfig = probe.which("ldconfig", extra_dirs=("/sbin", "/usr/sbin"))
    if not ldconfig:
        return {"noise": [], "errors": []}
    rc, stdout, stderr = probe.run([ldconfig, "-N", "-X"])
    return classify_ldconfig_output((stdout or "") + "\n" + (stderr or ""))


def collect(probe, user="root"):
    """All of gpu_facts, as one dict (``ansible_facts.gpufleet``)."""
    platform = detect_platform(probe.system, probe.osrelease, probe.exists("/dev/dxg"),
                               probe.exists("/proc/sys/fs/binfmt_misc/WSLInterop")
                               or probe.exists("/usr/lib/wsl/lib"))
    facts = {"platform": platform, "gpus": {"nvidia": [], "amd": [], "intel": [], "apple": [],
                                            "other": []},
             "nvidia": {"driver_version": None, "cuda_version": None, "smi": None, "error": None},
             "amd": {"rocm_smi": None, "error": None},
             "device_nodes": [], "docker": {}, "groups": {}, "user": user,
             "toolkit": {}, "wsl": {}, "problems": [], "packages": {},
             "os": parse_os_release(probe.read("/etc/os-release")) if probe.system != "Darwin"
             else {"distribution": "MacOSX", "family": "Darwin", "release": None,
                   "version": None, "major_version": None}}
    if platform == "macos":
        rc, stdout, _ = probe.run(["system_profiler", "SPDisplaysDataType", "-json"])
        if rc == 0:
            try:
                for gpu in parse_system_profiler_displays(stdout):
                    facts["gpus"].setdefault(gpu["vendor"], facts["gpus"]["other"]).append(gpu)
            except ParseError:
                pass
    else:
        facts["device_nodes"] = _device_nodes(probe)
        nv, nv_err = collect_nvidia(probe, platform)
        facts["nvidia"]["error"] = nv_err
        if nv:
            facts["nvidia"].update(driver_version=nv["driver_version"],
                                   cuda_version=nv["cuda_version"], smi=True)
            facts["gpus"]["nvidia"] = nv["gpus"]
        amd, amd_err = collect_amd(probe)
        facts["amd"].update(rocm_smi=amd is not None, error=amd_err)
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
        mtimes = [probe.mtime(p) for p in facts["toolkit"].values() if isinstance(p, str)]
        facts["toolkit"]["newest_mtime"] = max((m for m in mtimes if m), default=None)
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
    facts["problems"] = find_problems(facts)
    return facts


# --------------------------------------------------------------------------- problems

def _problem(pid, message, remedy):
    return {"id": pid, "message": message, "remedy": remedy}


def nvidia_present(facts):
    return bool(facts["gpus"].get("nvidia") or facts.get("drm_nvidia_cards") or
                any(n.startswith("/dev/nvidia") and n[11:].isdigit()
                    for n in facts.get("device_nodes", [])) or
                (facts["platform"] == "wsl2" and facts.get("wsl", {}).get("nvidia_smi")))


def find_problems(facts):
    """What is wrong, each with a remedy a user can act on.  Pure: facts in, list out."""
    problems = []
    platform = facts["platform"]
    docker = facts.get("docker") or {}
    nv = facts.get("nvidia") or {}
    if platform == "macos":
        if facts["gpus"].get("apple") or any(facts["gpus"].values()):
            problems.append(_problem(
                "macos_no_container_gpu",
                "Linux containers on macOS get no GPU: Docker Desktop passes no Metal/MPS or "
                "CUDA device into its Linux VM.",
                "Render services with gpu policy 'auto' or 'none' (CPU, linux/arm64); for "
                "acceleration use Docker Model Runner on the host (Metal) or Podman machine "
                "with libkrun (Vulkan via /dev/dri)."))
        return problems
    if platform == "wsl2":
        evidence = facts.get("wsl", {}).get("linux_driver_evidence") or []
        if evidence:
            problems.append(_problem(
                "wsl_linux_nvidia_driver",
                "A Linux NVIDIA driver is installed inside WSL (%s). WSL gets CUDA from the "
                "Windows driver through /usr/lib/wsl/lib; a Linux driver breaks it."
                % ", ".join(evidence),
                "Remove the Linux driver packages inside WSL (e.g. apt-get purge "
                "'nvidia-driver-*' 'libnvidia-compute-*'), keep only the CUDA toolkit, and "
                "update the NVIDIA driver on Windows instead."))
        if facts.get("wsl", {}).get("lib_dir") and not facts.get("wsl", {}).get("nvidia_smi"):
            problems.append(_problem(
                "wsl_no_windows_nvidia_driver",
                "/usr/lib/wsl/lib has no nvidia-smi: the Windows NVIDIA driver with WSL "
                "support is missing or too old.",
                "Install a current NVIDIA driver on Windows, run `wsl --update`, then "
                "`wsl --shutdown` and start the distro again."))
    if platform == "wsl2":
        wsl = facts.get("wsl", {})
        if wsl.get("nvidia_smi") and not wsl.get("libnvidia_ml"):
            problems.append(_problem(
                "wsl_libnvidia_ml_missing",
                "/usr/lib/wsl/lib has no libnvidia-ml.so.1: containers fail with "
                "'nvidia-container-cli: initialization error: load library failed: "
                "libnvidia-ml.so.1: cannot open shared object file'.",
                "Update the NVIDIA driver on Windows (the WSL libraries come with it), then "
                "`wsl --update` and `wsl --shutdown`; Windows must be 21H2 or later."))
        if wsl.get("desktop_integration") and (facts.get("docker") or {}).get("installed") \
                and facts.get("toolkit", {}).get("dockerd_in_distro"):
            problems.append(_problem(
                "wsl_engine_conflicts_with_desktop",
                "Docker Engine is installed inside this WSL distro and Docker Desktop's WSL "
                "integration is on: two engines fight over the docker CLI and socket.",
                "Choose one: uninstall docker.io/docker-ce inside the distro (Docker's advice "
                "before using Desktop), or turn off Desktop's integration for this distro."))
    if nv.get("error"):
        problems.append(_problem(
            "nvidia_smi_failed",
            "nvidia-smi failed: %s" % nv["error"],
            "Check the NVIDIA driver: a driver/library version mismatch needs a reboot "
            "after a driver upgrade; 'No devices were found' means the kernel module is "
            "not loaded (modprobe nvidia, check dmesg)."))
    if docker.get("installed") and not docker.get("running"):
        problems.append(_problem(
            "docker_not_running",
            "Docker is installed but the daemon does not answer: %s"
            % (docker.get("error") or "no answer"),
            "Start it (systemctl start docker) and read `journalctl -u docker` if it fails; "
            "the docker_engine role does both."))
    has_nv = nvidia_present(facts)
    toolkit = facts.get("toolkit") or {}
    if has_nv and docker.get("running"):
        has_runtime = "nvidia" in (docker.get("runtimes") or [])
        has_cdi = any(d.startswith("nvidia.com/gpu=") for d in docker.get("cdi_devices") or [])
        if not has_runtime and not has_cdi:
            if toolkit.get("installed"):
                remedy = ("Register it: nvidia-ctk runtime configure --runtime=docker, then "
                          "systemctl restart docker (the nvidia_container_toolkit role does "
                          "this).")
            else:
                remedy = ("Install the NVIDIA Container Toolkit and register the runtime "
                          "(run the nvidia_container_toolkit role, or apt-get install "
                          "nvidia-container-toolkit && nvidia-ctk runtime configure "
                          "--runtime=docker && systemctl restart docker).")
            problems.append(_problem(
                "nvidia_runtime_missing",
                "An NVIDIA GPU is present but Docker has no 'nvidia' runtime and no "
                "nvidia.com/gpu CDI devices: containers asking for a GPU fail with "
                "'could not select device driver \"\" with capabilities: [[gpu]]'.",
                remedy))
    started = docker.get("started_at")
    if docker.get("running") and started:
        newest = toolkit.get("newest_mtime")
        if newest and newest > started + 1:
            problems.append(_problem(
                "docker_restart_pending_toolkit",
                "The NVIDIA Container Toolkit was installed or updated after dockerd "
                "started: dockerd registers the nvidia device driver only at start.",
                "Restart Docker: systemctl restart docker."))
        cfg = docker.get("daemon_config_mtime")
        if cfg and cfg > started + 1:
            problems.append(_problem(
                "docker_restart_pending_config",
                "/etc/docker/daemon.json changed after dockerd started; the running daemon "
                "does not use it yet.",
                "Restart Docker: systemctl restart docker (or rerun the docker_engine role)."))
    amd = facts["gpus"].get("amd") or []
    nodes = facts.get("device_nodes") or []
    if amd and "/dev/kfd" not in nodes:
        problems.append(_problem(
            "amd_no_kfd",
            "An AMD GPU is present but /dev/kfd is missing: ROCm containers cannot compute.",
            "Install the amdgpu kernel driver (amdgpu-dkms) and reboot."))
    user = facts.get("user")
    groups = facts.get("groups") or {}
    if user and user != "root" and docker.get("installed") and groups.get("docker") is False:
        problems.append(_problem(
            "user_not_in_docker_group",
            "User %s is not in the docker group and cannot use the Docker socket." % user,
            "Add the user through docker_engine_users (note: the docker group is "
            "root-equivalent), or use rootless Docker."))
    return problems


def gpu_count(facts):
    return sum(len(v) for v in facts["gpus"].values())


__all__ = ["ParseError", "Probe", "parse_os_release", "collect", "find_problems", "parse_nvidia_smi_xml",
           "parse_rocm_smi_json", "parse_system_profiler_displays", "detect_platform",
           "scan_drm", "collect_groups", "parse_version", "gpu_count"]


def classify_ldconfig_output(text):
    """Sort ``ldconfig`` output inside WSL into known noise and real errors.

    ``/usr/lib/wsl/lib/libcuda.so.1 is not a symbolic link`` is cosmetic: the Windows
    driver ships regular files with the same SONAME (microsoft/WSL#5548, still open).
    Returns {"noise": [...lines], "errors": [...lines]}.
    """
    noise, errors = [], []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        if "/usr/lib/wsl/" in line and "is not a symbolic link" in line:
            noise.append(line.strip())
        elif "ldconfig:" in line:
            errors.append(line.strip())
    return {"noise": noise, "errors": errors}
