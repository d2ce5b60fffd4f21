# -*- coding: utf-8 -*-
"""What the GPU tools print, parsed: nvidia-smi (XML log, failure messages), rocm-smi
(JSON), system_profiler (JSON), /etc/os-release, dpkg's status file, ldconfig inside WSL.

Pure functions of text, no host access (that is gpufleet_gpu.py's Probe), so the unit tests
feed them real captured outputs. Any input leaves them with a value or ParseError, never
another exception (tests/unit/plugins/module_utils/test_gpufleet_gpu_fuzz.py). Standard library only (runs on managed
hosts).
"""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any, Iterable

from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_cuda import max_cuda_for_driver


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


def clean_text(value: object) -> str:
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


def make_json_safe(value: Any) -> Any:
    """Facts -> the same facts with every string free of lone surrogates (defence in depth)."""
    if isinstance(value, dict):
        return dict((clean_text(k) if isinstance(k, (str, bytes)) else k, make_json_safe(v))
                    for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [make_json_safe(v) for v in value]
    if isinstance(value, (str, bytes)):
        return clean_text(value)
    return value


def _snippet(text: object, limit: int = 200) -> str:
    """The start of a tool's output for a message: one line, printable, bounded."""
    flat = u" ".join(clean_text(text).split())
    cut = u"".join(c if c.isprintable() else u"\ufffd" for c in flat[:limit])
    return cut + (u"..." if len(flat) > limit else u"")


def is_placeholder(value: object) -> bool:
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


def _value(raw: object, keep: tuple[str, ...] = ()) -> str | None:
    """A tool's string -> the string, or None when it is a placeholder / not a string."""
    if not isinstance(raw, (str, bytes, int, float)) or isinstance(raw, bool):
        return None
    text = clean_text(raw).strip() if not isinstance(raw, (int, float)) else str(raw)
    if text.lower() in keep:
        return text
    if is_placeholder(text):
        return None
    return text[:MAX_VALUE_CHARS]


def _int(raw: object, digits: int = 12) -> int | None:
    """'42' -> 42; anything else (N/A, '4x', '²', a 5000-digit string) -> None."""
    text = _value(raw)
    if text is None or not re.match(r"^[0-9]{1,%d}$" % digits, text):
        return None
    return int(text)


_CUDA_RE = re.compile(r"^[0-9]{1,3}\.[0-9]{1,3}(\.[0-9]{1,5})?$")
_DRIVER_RE = re.compile(r"^[0-9]{1,5}(\.[0-9]{1,5}){0,3}$")


def _check_size(text: object, tool: str) -> None:
    if text is None:
        raise ParseError("%s printed nothing" % tool)
    if not isinstance(text, str):
        raise ParseError("%s output is not text (%s)" % (tool, type(text).__name__))
    if len(text) > MAX_TOOL_OUTPUT:
        raise ParseError("%s output is %d characters, more than gpufleet reads (%d)"
                         % (tool, len(text), MAX_TOOL_OUTPUT))


# --------------------------------------------------------------------------- nvidia

def _text(el: ET.Element, path: str, default: str | None = None,
          keep: tuple[str, ...] = ()) -> str | None:
    node = el.find(path)
    if node is None or node.text is None:
        return default
    value = _value(node.text, keep=keep)
    return default if value is None else value


def _mib(value: str | None) -> int | None:
    """'81920 MiB' -> 81920 (int MiB); None for N/A."""
    if not value:
        return None
    m = re.match(r"^([0-9]{1,12})\s*MiB$", value.strip())
    return int(m.group(1)) if m else None


def _percent(value: str | None) -> int | None:
    if not value:
        return None
    m = re.match(r"^([0-9]{1,3})\s*%$", value.strip())
    return int(m.group(1)) if m else None


def parse_nvidia_smi_xml(text: str | bytes | None) -> dict[str, Any]:
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
        raise ParseError("nvidia-smi -q -x output is not XML: %s" % exc) from exc
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
    gpus: list[dict[str, Any]] = []
    for index, gpu in enumerate(root.findall("gpu")):
        mig_devices: list[dict[str, Any]] = []
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
NVIDIA_SMI_CAUSES = tuple(failure[0] for failure in NVIDIA_SMI_FAILURES) + ("unknown",)


def classify_nvidia_smi_failure(rc: int | None, output: object) -> tuple[str, str]:
    """(cause, remedy) for a failed nvidia-smi run; cause ``unknown`` when not recognised."""
    text = clean_text(output)
    for cause, pattern, remedy in NVIDIA_SMI_FAILURES:
        if pattern.search(text):
            return cause, remedy
    if rc == 9:  # nvidia-smi's documented exit status for "NVIDIA driver is not loaded"
        return NVIDIA_SMI_FAILURES[0][0], NVIDIA_SMI_FAILURES[0][2]
    return "unknown", NVIDIA_SMI_UNKNOWN_REMEDY


def nvidia_smi_remedy(cause: str) -> str:
    for name, _pattern, remedy in NVIDIA_SMI_FAILURES:
        if name == cause:
            return remedy
    return NVIDIA_SMI_UNKNOWN_REMEDY


# --------------------------------------------------------------------------- amd / drm

_HEX_ID = re.compile(r"^0x[0-9a-fA-F]+$")


def _load_json_object(text: str | bytes | None, tool: str) -> Any:
    """The JSON object in a tool's output; tolerates lines printed before it (warnings)."""
    if isinstance(text, bytes):
        text = clean_text(text)
    _check_size(text, tool)
    text = clean_text(text)
    try:
        return json.loads(text)
    except RecursionError:
        raise ParseError("%s output is nested too deeply" % tool) from None
    except ValueError as first:
        start = text.find("{")
        if start < 0:
            raise ParseError("%s output is not JSON: %s" % (tool, first)) from None
        try:
            return json.JSONDecoder().raw_decode(text[start:])[0]
        except RecursionError:
            raise ParseError("%s output is nested too deeply" % tool) from None
        except ValueError:
            raise ParseError("%s output is not JSON: %s" % (tool, first)) from None


def parse_rocm_smi_json(text: str | bytes | None) -> list[dict[str, Any]]:
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
    gpus: list[dict[str, Any]] = []
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


# --------------------------------------------------------------------------- macOS

def parse_system_profiler_displays(text: str | bytes | None) -> list[dict[str, Any]]:
    """``system_profiler SPDisplaysDataType -json`` -> GPUs (Apple silicon or discrete)."""
    data = _load_json_object(text, "system_profiler")
    if not isinstance(data, dict):
        raise ParseError("system_profiler JSON is not an object")
    items = data.get("SPDisplaysDataType") or []
    if not isinstance(items, list):
        raise ParseError("system_profiler SPDisplaysDataType is not a list")
    gpus: list[dict[str, Any]] = []
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


def parse_os_release(text: str | None) -> dict[str, str | None]:
    """/etc/os-release -> {distribution, family, release, major_version, version}.

    The same names Ansible's distribution facts use (Debian, bookworm, 12), so roles can
    take them from gpu_facts and skip a separate fact-gathering round trip.
    """
    values: dict[str, str] = {}
    for line in (text or "").splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, dummy, value = line.partition("=")
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

def detect_platform(system: str, osrelease: str | None, has_dxg: bool,
                    has_wsl_marker: bool) -> str:
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


# Packages whose installed versions gpu_facts reports, so that roles can skip an apt module
# call when everything they need is there (the apt module costs ~1 s a host).
REPORTED_PACKAGES = ("docker.io", "docker-cli", "docker-ce", "docker-ce-cli", "containerd",
                     "containerd.io", "runc", "docker-compose", "docker-compose-plugin",
                     "docker-buildx-plugin", "nvidia-container-toolkit",
                     "nvidia-container-toolkit-base", "libnvidia-container-tools",
                     "libnvidia-container1", "python3-debian", "busybox-static")


def parse_dpkg_status(text: str | None,
                      names: Iterable[str] = REPORTED_PACKAGES) -> dict[str, str | None]:
    """/var/lib/dpkg/status -> {package: version} for installed packages among ``names``."""
    wanted = set(names)
    out: dict[str, str | None] = {}
    for block in (text or "").split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            if line[:1] not in (" ", "\t") and ":" in line:
                key, dummy, value = line.partition(":")
                fields[key] = value.strip()
        name = fields.get("Package")
        if name is not None and name in wanted and fields.get("Status", "").endswith(" installed") \
                and fields["Status"].split()[-1] == "installed":
            out[name] = fields.get("Version")
    return out


def classify_ldconfig_output(text: str | None) -> dict[str, list[str]]:
    """Sort ``ldconfig`` output inside WSL into known noise and real errors.

    ``/usr/lib/wsl/lib/libcuda.so.1 is not a symbolic link`` is cosmetic: the Windows
    driver ships regular files with the same SONAME (microsoft/WSL#5548, still open).
    Returns {"noise": [...lines], "errors": [...lines]}.
    """
    noise: list[str] = []
    errors: list[str] = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        if "/usr/lib/wsl/" in line and "is not a symbolic link" in line:
            noise.append(line.strip())
        elif "ldconfig:" in line:
            errors.append(line.strip())
    return {"noise": noise, "errors": errors}


# --------------------------------------------------------------------------- host evidence
# Small readers for the files the doctor's host checks look at (gpufleet_gpu.collect_host).

_NVRM_RE = re.compile(r"NVRM version:[^\n]*?Kernel Module(?: for \S+)?\s+"
                      r"([0-9]{2,4}(?:\.[0-9]{1,5}){1,3})\b")


def parse_nvidia_proc_version(text: str | None) -> dict[str, str | None]:
    """/proc/driver/nvidia/version -> {"version", "flavor"}.

    Proprietary: ``NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.54.03  Tue Jun ...``;
    open: ``NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  550.54.14  Release ...``.
    """
    text = text or ""
    m = _NVRM_RE.search(text)
    flavor = None
    if "NVRM version:" in text:
        flavor = "open" if "Open Kernel Module" in text else "proprietary"
    return {"version": m.group(1) if m else None, "flavor": flavor}


def parse_proc_modules(text: str | None) -> list[str]:
    """/proc/modules -> the loaded module names, in order."""
    return [line.split()[0] for line in (text or "").splitlines() if line.split()]


def version_tuple(version: object) -> tuple[int, ...]:
    """'1.7.0~rc.1-1' -> (1, 7, 0); () when there is no leading number."""
    m = re.match(r"^\s*(?:[0-9]+:)?([0-9]+(?:\.[0-9]+)*)", str(version or ""))
    return tuple(int(p) for p in m.group(1).split(".")) if m else ()


def library_versions(names: Iterable[str], stem: str) -> list[str]:
    """File names like ``libnvidia-ml.so.535.54.03`` -> ['535.54.03'] (driver versions)."""
    found = set()
    pattern = re.compile(r"^%s\.so\.([0-9]{3,4}\.[0-9]{1,5}(?:\.[0-9]{1,5})?)$" % re.escape(stem))
    for name in names:
        m = pattern.match(name)
        if m:
            found.add(m.group(1))
    return sorted(found, key=version_tuple)


_CDI_LIB_VERSION = re.compile(r"lib(?:cuda|nvidia-ml|nvidia-ptxjitcompiler|nvidia-opencl)"
                              r"\.so\.([0-9]{3,4}\.[0-9]{1,5}(?:\.[0-9]{1,5})?)\b")


def cdi_spec_driver_versions(text: str | None) -> list[str]:
    """Driver versions an NVIDIA CDI spec was generated for, from its library host paths
    (``/usr/lib/x86_64-linux-gnu/libcuda.so.535.54.03``)."""
    return sorted(set(_CDI_LIB_VERSION.findall(text or "")), key=version_tuple)


def nvidia_generation(device_id: str | None) -> str | None:
    """PCI device id of an NVIDIA GPU -> 'pre_turing', 'turing_to_ada' or 'blackwell'.

    NVIDIA numbers its chips upwards: Turing starts at 0x1e02 (TU102), everything below
    0x1e00 is Maxwell, Pascal, Volta or older (proprietary kernel module only); Blackwell
    starts at 0x2900 (GB100; GB20x 0x2b00-0x2f00, after Ada's AD107 at 0x28xx) and needs
    the open kernel module.
    """
    try:
        value = int(str(device_id), 16)
    except (TypeError, ValueError):
        return None
    if value < 0x1e00:
        return "pre_turing"
    if value >= 0x2900:
        return "blackwell"
    return "turing_to_ada"


def efivar_enabled(text: str | None) -> bool | None:
    """An EFI variable file (4 attribute bytes, then the value): SecureBoot-<guid> -> on?"""
    if not text or len(text) < 5:
        return None
    return text[4] == "\x01"


def parse_toolkit_ldconfig(text: str | None) -> str | None:
    """``ldconfig = "@/sbin/ldconfig.real"`` in /etc/nvidia-container-runtime/config.toml ->
    the host path ('@' means: on the host), or None when the key is absent."""
    for line in (text or "").splitlines():
        m = re.match(r'^\s*ldconfig\s*=\s*["\']([^"\']*)["\']', line)
        if m:
            return m.group(1).lstrip("@") or None
    return None


def parse_toml_bool(text: str | None, key: str) -> bool | None:
    for line in (text or "").splitlines():
        m = re.match(r"^\s*%s\s*=\s*(true|false)\b" % re.escape(key), line)
        if m:
            return m.group(1) == "true"
    return None


def apt_signed_by(text: str | None) -> list[str]:
    """Keyring paths named by ``[signed-by=...]`` (one-line) or ``Signed-By:`` (deb822)."""
    paths: list[str] = []
    for line in (text or "").splitlines():
        if line.lstrip().startswith("#"):
            continue
        for path in re.findall(r"signed-by=([^\s\]]+)", line) + \
                re.findall(r"^Signed-By:\s*(/\S+)", line):
            if path.startswith("/") and path not in paths:
                paths.append(path)
    return paths


def parse_docker_identity(text: str | None) -> dict[str, Any]:
    """``docker info --format '{{json .}}'`` -> the daemon's Name, OperatingSystem and
    SecurityOptions (which engine answers: Docker Desktop, rootless...)."""
    try:
        info = json.loads(text or "")
    except ValueError:
        return {}
    if not isinstance(info, dict):
        return {}
    options = info.get("SecurityOptions")
    return {"name": _value(info.get("Name")),
            "operating_system": _value(info.get("OperatingSystem")),
            "security_options": [clean_text(o) for o in options if isinstance(o, str)]
            if isinstance(options, list) else []}


def docker_config_context(text: str | None) -> str | None:
    """``currentContext`` of a ~/.docker/config.json, or None."""
    try:
        data = json.loads(text or "")
    except ValueError:
        return None
    context = data.get("currentContext") if isinstance(data, dict) else None
    return _value(context) if isinstance(context, str) else None


def parse_windows_smi_driver_models(text: str | None) -> list[dict[str, str | None]]:
    """``nvidia-smi.exe --query-gpu=index,name,driver_model.current --format=csv,noheader``
    -> [{"index", "name", "driver_model"}]; lines that are not 3 fields are skipped."""
    gpus: list[dict[str, str | None]] = []
    for line in (text or "").splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) == 3 and parts[0].isdigit():
            gpus.append({"index": parts[0], "name": _value(parts[1]),
                         "driver_model": _value(parts[2])})
    return gpus
