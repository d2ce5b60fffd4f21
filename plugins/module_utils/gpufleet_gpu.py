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

from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_cuda import max_cuda_for_driver, parse_version
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_docker import parse_cdi_spec, parse_docker_info

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


# --------------------------------------------------------------------------- text hygiene

# The most any parser reads: nvidia-smi -q -x for 16 GPUs with every process is a few MB.
MAX_TOOL_OUTPUT = 32 * 1024 * 1024
MAX_VALUE_CHARS = 512  # one reported string (a name, a serial); longer is cut

# Characters XML 1.0 forbids (C0 controls other than tab/LF/CR, lone surrogates, U+FFFE/F).
# A process name with such a byte would otherwise make the whole document unreadable.
_XML_INVALID = re.compile(u"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SURROGATES = re.compile(u"[\ud800-\udfff]")


def clean_text(value):
    """Any tool output -> text that is valid Unicode (no lone surrogates).

    Bytes are decoded as UTF-8 with U+FFFD for what is not UTF-8 (latin-1 process names);
    text that came through ``surrogateescape`` has its surrogates replaced the same way, so
    the facts always serialise as JSON and as UTF-8.
    """
    if value is None:
        return u""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if not isinstance(value, str):
        value = str(value)
    if not _SURROGATES.search(value):
        return value
    try:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # surrogates that are not escaped bytes
        return _SURROGATES.sub(u"\ufffd", value)


def make_json_safe(value):
    """Facts -> the same facts with every string free of lone surrogates (defence in depth)."""
    if isinstance(value, dict):
        return dict((clean_text(k) if isinstance(k, (str, bytes)) else k, make_json_safe(v))
                    for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [make_json_safe(v) for v in value]
    if isinstance(value, (str, bytes)):
        return clean_text(value)
    return value


def _snippet(text, limit=200):
    """The start of a tool's output for a message: one line, printable, bounded."""
    flat = u" ".join(clean_text(text).split())
    cut = u"".join(c if c.isprintable() else u"\ufffd" for c in flat[:limit])
    return cut + (u"..." if len(flat) > limit else u"")


def is_placeholder(value):
    """True for what nvidia-smi / rocm-smi print instead of a value.

    ``N/A``, ``[N/A]``, ``Not Found``, ``Unknown Error``, ``[Not Supported]``,
    ``[Insufficient Permissions]``, ``None``, empty. Any ``[...]`` is an NVML error report
    (``[GPU requires reset]``), never a value.
    """
    if value is None:
        return True
    text = value.strip() if isinstance(value, str) else str(value).strip()
    if text.startswith("[") and text.endswith("]"):
        return True
    return text.lower() in _PLACEHOLDERS


_PLACEHOLDERS = frozenset((
    "", "n/a", "na", "none", "null", "not found", "unknown", "unknown error",
    "not supported", "not available", "not applicable", "insufficient permissions",
    "gpu is lost", "requested functionality has been deprecated", "-"))


def _value(raw, keep=()):
    """A tool's string -> the string, or None when it is a placeholder / not a string."""
    if not isinstance(raw, (str, bytes, int, float)) or isinstance(raw, bool):
        return None
    text = clean_text(raw).strip() if not isinstance(raw, (int, float)) else str(raw)
    if text.lower() in keep:
        return text
    if is_placeholder(text):
        return None
    return text[:MAX_VALUE_CHARS]


def _int(raw, digits=12):
    """'42' -> 42; anything else (N/A, '4x', '²', a 5000-digit string) -> None."""
    text = _value(raw)
    if text is None or not re.match(r"^[0-9]{1,%d}$" % digits, text):
        return None
    return int(text)


_CUDA_RE = re.compile(r"^[0-9]{1,3}\.[0-9]{1,3}(\.[0-9]{1,5})?$")
_DRIVER_RE = re.compile(r"^[0-9]{1,5}(\.[0-9]{1,5}){0,3}$")


def _check_size(text, tool):
    if text is None:
        raise ParseError("%s printed nothing" % tool)
    if not isinstance(text, str):
        raise ParseError("%s output is not text (%s)" % (tool, type(text).__name__))
    if len(text) > MAX_TOOL_OUTPUT:
        raise ParseError("%s output is %d characters, more than gpufleet reads (%d)"
                         % (tool, len(text), MAX_TOOL_OUTPUT))


# --------------------------------------------------------------------------- nvidia

def _text(el, path, default=None, keep=()):
    node = el.find(path)
    if node is None or node.text is None:
        return default
    value = _value(node.text, keep=keep)
    return default if value is None else value


def _mib(value):
    """'81920 MiB' -> 81920 (int MiB); None for N/A."""
    if not value:
        return None
    m = re.match(r"^([0-9]{1,12})\s*MiB$", value.strip())
    return int(m.group(1)) if m else None


def _percent(value):
    if not value:
        return None
    m = re.match(r"^([0-9]{1,3})\s*%$", value.strip())
    return int(m.group(1)) if m else None


def parse_nvidia_smi_xml(text):
    """Parse ``nvidia-smi -q -x``.

    Returns {driver_version, cuda_version, cuda_version_source, attached_gpus, listed_gpus,
    gpus: [...]}. Every value is a value or None: placeholders (N/A, Not Found, [Unknown
    Error]...) never become values. A GPU without a readable UUID is still listed (uuid
    None). ``cuda_version`` is what the driver reports (the highest CUDA it supports); when
    the document has none (drivers before 410) or says ``Not Found``, it is derived from
    NVIDIA's driver table (``cuda_version_source: driver-table``).

    Raises ParseError, and only ParseError, when the text is not an nvidia-smi XML log.
    """
    if isinstance(text, bytes):
        text = clean_text(text)
    _check_size(text, "nvidia-smi")
    text = _XML_INVALID.sub(u"\ufffd", clean_text(text)).strip()
    if not text:
        raise ParseError("nvidia-smi printed nothing")
    if "<!ENTITY" in text:
        raise ParseError("nvidia-smi output declares XML entities; nvidia-smi never does")
    # The DOCTYPE names a DTD file that is not shipped; ElementTree ignores DOCTYPE.
    try:
        root = ET.fromstring(text)
    except (ET.ParseError, ValueError, LookupError) as exc:
        raise ParseError("nvidia-smi -q -x output is not XML: %s" % exc)
    if root.tag != "nvidia_smi_log":
        raise ParseError("not an nvidia-smi log (root element <%s>)" % _snippet(root.tag, 60))
    driver = _text(root, "driver_version")
    if driver is not None and not _DRIVER_RE.match(driver):
        driver = None
    cuda = _text(root, "cuda_version")
    if cuda is not None and not _CUDA_RE.match(cuda):
        cuda = None
    cuda_source = "nvidia-smi" if cuda else None
    if cuda is None and driver:
        cuda = max_cuda_for_driver(driver)
        cuda_source = "driver-table" if cuda else None
    gpus = []
    for index, gpu in enumerate(root.findall("gpu")):
        mig_devices = []
        for mig in gpu.findall("mig_devices/mig_device"):
            mig_index = _int(_text(mig, "index"), 6)
            mig_devices.append({
                "index": mig_index if mig_index is not None else len(mig_devices),
                "gpu_instance_id": _text(mig, "gpu_instance_id"),
                "compute_instance_id": _text(mig, "compute_instance_id"),
                "memory_total_mib": _mib(_text(mig, "fb_memory_usage/total")),
            })
        gpus.append({
            "vendor": "nvidia",
            "index": index,
            "name": _text(gpu, "product_name"),
            "uuid": _text(gpu, "uuid"),
            "serial": _text(gpu, "serial"),
            "pci_bus_id": _text(gpu, "pci/pci_bus_id") or _value(gpu.get("id")),
            "minor_number": _int(_text(gpu, "minor_number"), 6),
            "architecture": _text(gpu, "product_architecture"),
            "memory_total_mib": _mib(_text(gpu, "fb_memory_usage/total")),
            "memory_used_mib": _mib(_text(gpu, "fb_memory_usage/used")),
            "utilization_gpu_percent": _percent(_text(gpu, "utilization/gpu_util")),
            "driver_version": driver,
            "cuda_version": cuda,
            "driver_model": _text(gpu, "driver_model/current_dm"),
            # "None" is a value here: a GPU that is not virtualised (bare metal).
            "virtualization_mode": _text(gpu, "gpu_virtualization_mode/virtualization_mode",
                                         keep=("none",)),
            "host_vgpu_mode": _text(gpu, "gpu_virtualization_mode/host_vgpu_mode"),
            "mig_mode": _text(gpu, "mig_mode/current_mig"),
            "mig_pending": _text(gpu, "mig_mode/pending_mig"),
            "mig_devices": mig_devices,
        })
    return {"driver_version": driver, "cuda_version": cuda, "cuda_version_source": cuda_source,
            "attached_gpus": _int(_text(root, "attached_gpus"), 6),
            "listed_gpus": len(gpus), "gpus": gpus}


# --------------------------------------------------------------------------- nvidia-smi failures

# What nvidia-smi prints when it cannot run, the cause gpufleet names it, and what to do.
# Messages as nvidia-smi prints them (LC_ALL=C); sources: NVIDIA/nvidia-docker#988,
# NVIDIA/nvidia-container-toolkit#48 and #251, NVIDIA/nvidia-docker#1163 and #284,
# NVIDIA/open-gpu-kernel-modules#387 and #507. First match wins.
NVIDIA_SMI_FAILURES = (
    ("driver_not_loaded",
     re.compile(r"couldn't communicate with the NVIDIA driver|NVIDIA driver is not loaded", re.I),
     "The NVIDIA kernel driver is not loaded. Install the kernel driver that matches the "
     "user-space libraries and load it: on Debian `apt install nvidia-driver` (the module "
     "comes from nvidia-kernel-dkms and needs linux-headers-$(uname -r)), then "
     "`modprobe nvidia`; check `lsmod | grep nvidia` and `dmesg | grep -i -e nvidia -e nvrm`. "
     "With Secure Boot on, an unsigned DKMS module is refused: enrol the DKMS key "
     "(`mokutil --import /var/lib/dkms/mok.pub`, then reboot) or sign the module. A "
     "container or VM that has no GPU passed through prints the same message: pass the "
     "GPU in (PCI passthrough, --gpus / CDI) instead of installing a driver there."),
    ("driver_library_mismatch",
     re.compile(r"Driver/library version mismatch", re.I),
     "The loaded kernel module and the user-space NVIDIA libraries are different versions, "
     "usually after a driver upgrade without a reboot. Reboot, or when nothing uses the GPU "
     "reload the modules (`rmmod nvidia_uvm nvidia_drm nvidia_modeset nvidia && modprobe "
     "nvidia`); compare `cat /proc/driver/nvidia/version` with the installed driver "
     "packages."),
    ("gpu_lost",
     re.compile(r"Unable to determine the device handle for GPU|GPU is lost|"
                r"fallen off the bus", re.I),
     "A GPU stopped answering: it fell off the bus or is in an error state. Check "
     "`dmesg | grep -i xid` (Xid 79: 'GPU has fallen off the bus' - power, riser or "
     "seating, overheating) and `lspci | grep -i nvidia` (rev ff: the device is gone); "
     "reset it with `nvidia-smi -r -i <id>` when nothing uses it, otherwise reboot; reseat "
     "or replace the card if it happens again."),
    ("nvml_unknown_error",
     re.compile(r"Failed to initialize NVML: Unknown Error", re.I),
     "NVML could not open the GPU device nodes. In a container this is the systemd cgroup "
     "problem NVIDIA documents (container-toolkit troubleshooting, "
     "NVIDIA/nvidia-container-toolkit#48): after `systemctl daemon-reload` the container "
     "loses access to /dev/nvidia*. Recreate the container, and prevent it: create the "
     "/dev/char symlinks (`nvidia-ctk system create-dev-char-symlinks --create-all` and "
     "NVIDIA's udev rule), or use the cgroupfs driver (\"exec-opts\": "
     "[\"native.cgroupdriver=cgroupfs\"] in /etc/docker/daemon.json), or request GPUs "
     "through CDI. On a host, check that /dev/nvidia* exist and are readable, and reboot if "
     "it persists."),
    ("insufficient_permissions",
     re.compile(r"Insufficient Permissions", re.I),
     "The user running nvidia-smi cannot open /dev/nvidia*. Check `ls -l /dev/nvidia*` "
     "(0666 unless NVreg_DeviceFileMode/NVreg_DeviceFileGID restrict it), the user's "
     "groups, and SELinux (`setsebool -P container_use_devices 1` for containers); run "
     "gpu_facts with become."),
    ("libnvidia_ml_missing",
     re.compile(r"couldn't find libnvidia-ml\.so|libnvidia-ml\.so[.0-9]*: cannot open", re.I),
     "nvidia-smi cannot load libnvidia-ml.so: the user-space driver libraries are missing "
     "or not in the linker cache. Install the libraries that match the kernel module (on "
     "Debian libnvidia-ml1, which nvidia-driver pulls in) and run `ldconfig`; inside a "
     "container, start it with the NVIDIA runtime or a CDI device so the toolkit mounts "
     "the host's libraries."),
    ("no_devices",
     re.compile(r"No devices were found", re.I),
     "The driver is loaded but finds no usable NVIDIA GPU. Check `lspci -nnk | grep -A3 -i "
     "nvidia` (is the GPU there, passed through to this VM, bound to nvidia and not "
     "nouveau or vfio-pci?) and `dmesg | grep -i nvrm` ('RmInitAdapter failed', a GPU the "
     "installed driver branch does not support)."),
)
NVIDIA_SMI_UNKNOWN_REMEDY = (
    "Run `nvidia-smi` on the host and read its message; check `dmesg | grep -i nvrm` and "
    "that the installed driver matches the running kernel. A reboot after a driver upgrade "
    "fixes most cases.")
NVIDIA_SMI_CAUSES = tuple(c for c, _, _ in NVIDIA_SMI_FAILURES) + ("unknown",)


def classify_nvidia_smi_failure(rc, output):
    """(cause, remedy) for a failed nvidia-smi run; cause ``unknown`` when not recognised."""
    text = clean_text(output)
    for cause, pattern, remedy in NVIDIA_SMI_FAILURES:
        if pattern.search(text):
            return cause, remedy
    if rc == 9:  # nvidia-smi's documented exit status for "NVIDIA driver is not loaded"
        return NVIDIA_SMI_FAILURES[0][0], NVIDIA_SMI_FAILURES[0][2]
    return "unknown", NVIDIA_SMI_UNKNOWN_REMEDY


def nvidia_smi_remedy(cause):
    for name, _, remedy in NVIDIA_SMI_FAILURES:
        if name == cause:
            return remedy
    return NVIDIA_SMI_UNKNOWN_REMEDY


# --------------------------------------------------------------------------- amd / drm

_HEX_ID = re.compile(r"^0x[0-9a-fA-F]+$")


def _load_json_object(text, tool):
    """The JSON object in a tool's output; tolerates lines printed before it (warnings)."""
    if isinstance(text, bytes):
        text = clean_text(text)
    _check_size(text, tool)
    text = clean_text(text)
    try:
        return json.loads(text)
    except RecursionError:
        raise ParseError("%s output is nested too deeply" % tool)
    except ValueError as first:
        start = text.find("{")
        if start < 0:
            raise ParseError("%s output is not JSON: %s" % (tool, first))
        try:
            return json.JSONDecoder().raw_decode(text[start:])[0]
        except RecursionError:
            raise ParseError("%s output is nested too deeply" % tool)
        except ValueError:
            raise ParseError("%s output is not JSON: %s" % (tool, first))


def parse_rocm_smi_json(text):
    """Parse ``rocm-smi --showproductname --showmeminfo vram --showdriverversion --json``.

    rocm-smi's key spelling changed across releases ("Card series" / "Card Series"), so
    keys are matched case-insensitively. Placeholders ("Unique ID": "N/A") become None, as
    do hex ids where a name belongs (rocm-smi 4.3 printed "Card series": "0x1002").
    Raises ParseError, and only ParseError, when the text is not rocm-smi JSON.
    """
    data = _load_json_object(text, "rocm-smi")
    if not isinstance(data, dict):
        raise ParseError("rocm-smi JSON is not an object")
    system = data.get("system")
    system = dict((k.lower(), v) for k, v in system.items()) if isinstance(system, dict) else {}
    driver = _value(system.get("driver version"))
    gpus = []
    cards = sorted((k for k in data if re.match(r"^card[0-9]{1,6}$", k)), key=lambda k: int(k[4:]))
    for card in cards:
        if not isinstance(data[card], dict):
            continue
        info = dict((k.lower(), v) for k, v in data[card].items())
        name = None
        for key in ("card series", "device name", "card sku", "card model"):
            candidate = _value(info.get(key))
            if candidate and not _HEX_ID.match(candidate):
                name = candidate
                break
        uuid = _value(info.get("unique id"))
        if uuid is not None and re.match(r"^(0x)?0+$", uuid):
            uuid = None  # rocm-smi prints 0 where the GPU has no unique id
        vram = _int(info.get("vram total memory (b)"), 20)
        gpus.append({
            "vendor": "amd",
            "index": int(card[4:]),
            "name": name,
            "uuid": uuid,
            "serial": _value(info.get("serial number")),
            "pci_bus_id": _value(info.get("pci bus")),
            "gfx_version": _value(info.get("gfx version")),
            "memory_total_mib": vram // (1024 * 1024) if vram is not None else None,
            "driver_version": driver,
        })
    return gpus


def scan_drm(probe):
    """GPUs seen by the kernel's DRM subsystem: /sys/class/drm/cardN/device/{vendor,device}."""
    cards = []
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


# --------------------------------------------------------------------------- macOS

def parse_system_profiler_displays(text):
    """``system_profiler SPDisplaysDataType -json`` -> GPUs (Apple silicon or discrete)."""
    data = _load_json_object(text, "system_profiler")
    if not isinstance(data, dict):
        raise ParseError("system_profiler JSON is not an object")
    items = data.get("SPDisplaysDataType") or []
    if not isinstance(items, list):
        raise ParseError("system_profiler SPDisplaysDataType is not a list")
    gpus = []
    for item in items:
        if not isinstance(item, dict):
            continue
        vendor_text = (_value(item.get("spdisplays_vendor")) or "").lower()
        vendor = "apple" if "apple" in vendor_text or "sppci_vendor_apple" in vendor_text else (
            "amd" if "amd" in vendor_text or "ati" in vendor_text else
            "intel" if "intel" in vendor_text else "nvidia" if "nvidia" in vendor_text else
            vendor_text or "other")
        gpus.append({
            "vendor": vendor,
            "index": len(gpus),
            "name": _value(item.get("sppci_model")) or _value(item.get("_name")),
            "cores": _int(item.get("sppci_cores"), 6),
            "metal": _value(item.get("spdisplays_mtlgpufamilysupport")),
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
        "distribution": (values.get("NAME") or "").split()[0] if (values.get("NAME") or "").split()
        else None,
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
    """Host access used by ``collect``.  ``root`` prefixes every path (tests use a tmp tree).

    Whatever the host holds, a Probe hands back text: files and command output that are not
    UTF-8 are decoded with U+FFFD (never None for a readable file, never a surrogate).
    """

    def __init__(self, run, root="/", env=None, system="Linux", osrelease=None):
        self._run = run
        self.root = root
        self.env = env or {}
        self.system = system
        self._osrelease = osrelease

    def path(self, p):
        return os.path.join(self.root, p.lstrip("/"))

    def exists(self, p):
        try:
            return os.path.lexists(self.path(p))
        except (ValueError, TypeError):
            return False

    def read(self, p, limit=MAX_TOOL_OUTPUT):
        """The file's text, or None when it cannot be read (missing, a directory, no access)."""
        try:
            with open(self.path(p), "rb") as fh:
                data = fh.read(limit)
        except (IOError, OSError, ValueError, TypeError):
            return None
        return data.decode("utf-8", "replace")

    def readlink(self, p):
        try:
            return os.readlink(self.path(p))
        except (OSError, ValueError, TypeError):
            return None

    def listdir(self, p):
        try:
            return os.listdir(self.path(p))
        except (OSError, ValueError, TypeError):
            return []

    def mtime(self, p):
        try:
            return os.stat(self.path(p)).st_mtime
        except (OSError, ValueError, TypeError):
            return None

    def which(self, name, extra_dirs=()):
        for d in tuple(extra_dirs) + BIN_DIRS:
            if os.access(self.path(os.path.join(d, name)), os.X_OK) and \
                    os.path.isfile(self.path(os.path.join(d, name))):
                return os.path.join(d, name)
        return None

    def run(self, argv):
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
            try:
                info = parse_docker_info(stdout)
                if not isinstance(info, dict):
                    raise ValueError("not a mapping")
            except Exception as exc:  # any output: report it, never stop the facts
                info = {"server_version": None,
                        "server_error": "docker info printed something gpufleet cannot read "
                                        "(%s): %s" % (exc.__class__.__name__, _snippet(stdout))}
            out.update(info)
            out["running"] = info.get("server_version") is not None
            if info.get("server_error"):
                out["running"] = False
                out["error"] = info["server_error"]
        else:
            out["error"] = _snippet(stderr or stdout, 500) or "docker info failed"
    if out["running"]:
        out["started_at"] = _dockerd_started_at(probe)
    seen = []
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


def run_nvidia_smi(probe, platform):
    """Run ``nvidia-smi -q -x`` (on WSL2 the copy in /usr/lib/wsl/lib) and read it.

    Returns dict(found, rc, parsed, error, cause, parse_error):
    ``error``/``cause``: nvidia-smi failed; its own words and the classified cause (see
    NVIDIA_SMI_FAILURES). ``parse_error``: it exited 0 but printed something that is not an
    nvidia-smi XML log. A failed run that still printed an XML log keeps what it listed.
    """
    out = {"found": False, "rc": None, "parsed": None, "error": None, "cause": None,
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


def _driver_evidence(probe, cause):
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


def collect_nvidia(probe, platform):
    """Run nvidia-smi (the WSL copy lives in /usr/lib/wsl/lib).  -> (parsed|None, error|None)."""
    result = run_nvidia_smi(probe, platform)
    return result["parsed"], result["error"] or result["parse_error"]


def run_rocm_smi(probe):
    """Run rocm-smi and read it. -> dict(found, rc, gpus, error, parse_error)."""
    out = {"found": False, "rc": None, "gpus": None, "error": None, "parse_error": None}
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


def collect_amd(probe):
    result = run_rocm_smi(probe)
    return result["gpus"], result["error"] or result["parse_error"]


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
    """All of gpu_facts, as one dict (``ansible_facts.gpufleet``).

    Never raises on what the host's tools print: an output gpufleet cannot read becomes a
    problem entry, and every string in the result is valid Unicode (JSON-safe).
    """
    platform = detect_platform(probe.system, probe.osrelease, probe.exists("/dev/dxg"),
                               probe.exists("/proc/sys/fs/binfmt_misc/WSLInterop")
                               or probe.exists("/usr/lib/wsl/lib"))
    facts = {"platform": platform, "gpus": {"nvidia": [], "amd": [], "intel": [], "apple": [],
                                            "other": []},
             "nvidia": {"driver_version": None, "cuda_version": None,
                        "cuda_version_source": None, "smi": None, "smi_rc": None,
                        "error": None, "error_cause": None, "parse_error": None,
                        "attached_gpus": None, "listed_gpus": 0},
             "amd": {"rocm_smi": None, "smi_rc": None, "error": None, "parse_error": None},
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
    return make_json_safe(facts)


# --------------------------------------------------------------------------- problems

def _problem(pid, message, remedy, **extra):
    problem = {"id": pid, "message": message, "remedy": remedy}
    problem.update(extra)
    return problem


NVIDIA_GPUS_MISSING_REMEDY = (
    "A GPU the driver counts is not answering: it fell off the bus or is in a bad state. "
    "Check `dmesg | grep -i xid` (Xid 79: 'GPU has fallen off the bus'), `nvidia-smi -q` "
    "for the error it prints per GPU, and `lspci | grep -i nvidia` (rev ff: the device is "
    "gone). Reset it (`nvidia-smi -r -i <id>`) when nothing uses it, otherwise reboot; "
    "reseat or replace the card (power, riser) if it happens again.")


def _nvidia_problems(nv):
    problems = []
    if nv.get("error"):
        cause = nv.get("error_cause") or "unknown"
        rc = nv.get("smi_rc")
        problems.append(_problem(
            "nvidia_smi_failed",
            "nvidia-smi failed%s: %s" % (" (exit %d)" % rc if isinstance(rc, int) and rc else "",
                                         nv["error"]),
            nvidia_smi_remedy(cause), cause=cause))
    if nv.get("parse_error"):
        problems.append(_problem(
            "nvidia_smi_unparseable",
            "nvidia-smi -q -x exited 0 but gpufleet cannot read its output, so the NVIDIA "
            "GPUs are not listed: %s" % nv["parse_error"],
            "Run `nvidia-smi -q -x` on the host: if it prints no XML log, reinstall the "
            "driver's nvidia-smi (it must match the loaded driver); if the log looks right, "
            "report it to gpufleet with the output attached."))
    attached, listed = nv.get("attached_gpus"), nv.get("listed_gpus") or 0
    if isinstance(attached, int) and attached > listed:
        problems.append(_problem(
            "nvidia_gpus_missing",
            "nvidia-smi says %d GPU%s attached but lists %d: %d GPU%s cannot be queried."
            % (attached, "s are" if attached != 1 else " is", listed, attached - listed,
               "s" if attached - listed != 1 else ""),
            NVIDIA_GPUS_MISSING_REMEDY, attached_gpus=attached, listed_gpus=listed))
    return problems


def _amd_smi_problems(amd):
    problems = []
    if amd.get("error"):
        problems.append(_problem(
            "rocm_smi_failed",
            "rocm-smi failed%s: %s; AMD GPUs are listed from sysfs instead."
            % (" (exit %d)" % amd["smi_rc"] if isinstance(amd.get("smi_rc"), int) else "",
               amd["error"]),
            "Check that the amdgpu driver is loaded (`lsmod | grep amdgpu`, `dmesg | grep "
            "amdgpu`), that the user is in the render and video groups, and that the ROCm "
            "user space matches the kernel driver (`rocm-smi --showdriverversion`)."))
    if amd.get("parse_error"):
        problems.append(_problem(
            "rocm_smi_unparseable",
            "rocm-smi --json exited 0 but gpufleet cannot read its output; AMD GPUs are "
            "listed from sysfs instead: %s" % amd["parse_error"],
            "Run `rocm-smi --showproductname --json` on the host: if it prints no JSON, "
            "reinstall rocm-smi-lib for the installed ROCm; if it does, report it to "
            "gpufleet with the output attached."))
    return problems


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
    problems.extend(_nvidia_problems(nv))
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
    problems.extend(_amd_smi_problems(facts.get("amd") or {}))
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
           "scan_drm", "collect_groups", "parse_version", "gpu_count", "clean_text",
           "is_placeholder", "classify_nvidia_smi_failure", "NVIDIA_SMI_CAUSES",
           "run_nvidia_smi", "run_rocm_smi", "parse_dpkg_status", "classify_ldconfig_output"]


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
