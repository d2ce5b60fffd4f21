# -*- coding: utf-8 -*-
"""Windows / WSL / Docker Desktop logic shared by gpufleet's modules and action plugins.

Pure functions, standard library only (REFERENCE.md section 1):
- ``parse_wsl_list``: ``wsl.exe -l -v`` bytes (UTF-16LE without BOM, or UTF-8 with
  ``WSL_UTF8=1``) -> distros.
- ``windows_build_check``: can this Windows build run WSL2 / Docker Desktop?
- ``set_ini``: edit ``.wslconfig`` / ``/etc/wsl.conf`` keeping comments and order, with the
  documented keys checked (a malformed .wslconfig is *silently ignored* by WSL).
- ``merge_desktop_settings``: Docker Desktop's settings file, both names, both key spellings.
"""
from __future__ import annotations

import json
import re
from typing import Any, Container, Mapping

DOCKER_DESKTOP_DISTROS = ("docker-desktop", "docker-desktop-data")
NO_DISTROS_MARKERS = ("has no installed distributions", "WSL_E_DEFAULT_DISTRO_NOT_FOUND")
WSL_STATES = ("Running", "Stopped", "Installing", "Uninstalling", "Converting", "Exporting")


class WindowsError_(ValueError):
    """Invalid input for a Windows-side edit; the message says what to fix."""


# --------------------------------------------------------------------------- wsl -l -v

def decode_wsl_output(raw: bytes | str) -> str:
    """wsl.exe writes UTF-16LE (no BOM) unless WSL_UTF8=1; return text without NULs/CRs."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    if raw.startswith(b"\xff\xfe"):
        raw = raw[2:]
    if raw.count(b"\x00") >= max(1, len(raw) // 4):
        text = raw.decode("utf-16-le", errors="replace")
    else:
        text = raw.decode("utf-8", errors="replace")
    return text.replace("\x00", "").replace("\r", "").replace("\ufeff", "")


def parse_wsl_list(raw: bytes | str, skip_docker_desktop: bool = False) -> list[dict[str, Any]]:
    """``wsl.exe -l -v`` output -> [{name, state, version, default}].

    The "no installed distributions" error (WSL_E_DEFAULT_DISTRO_NOT_FOUND) gives [].
    With ``skip_docker_desktop``, Docker Desktop's own distros are left out.
    """
    text = decode_wsl_output(raw)
    if any(marker in text for marker in NO_DISTROS_MARKERS):
        return []
    distros: list[dict[str, Any]] = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        # Leading blanks tolerated: wsl.exe writes "* name" / "  name", but a listing that
        # went through another tool (or a paste) may be indented (docker/for-win#14517).
        m = re.match(r"^\s*(\*?)\s*(\S+)\s+(\S+)\s+(\d+)\s*$", line)
        if not m:
            continue
        default, name, state, version = m.groups()
        if name == "NAME" and state == "STATE":
            continue
        if skip_docker_desktop and name in DOCKER_DESKTOP_DISTROS:
            continue
        distros.append({"name": name, "state": state, "version": int(version),
                        "default": default == "*"})
    return distros


def parse_wsl_version(raw: bytes | str) -> dict[str, str]:
    """``wsl.exe --version`` -> {'wsl': '2.1.5.0', 'kernel': ..., 'windows': ...}.

    The labels are localized; only the English ones are read, others give {}."""
    out: dict[str, str] = {}
    for line in decode_wsl_output(raw).split("\n"):
        key, dummy, value = line.partition(":")
        key = key.strip().lower()
        if key == "wsl version":
            out["wsl"] = value.strip()
        elif key == "kernel version":
            out["kernel"] = value.strip()
        elif key == "windows version":
            out["windows"] = value.strip()
    return out


def version_tuple(text: str | None) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", text or ""))


# --------------------------------------------------------------------------- builds

def windows_build_check(version: str, arch: str = "x64",
                        edition: str | None = "") -> dict[str, Any]:
    """``10.0.19045.0`` -> {build, wsl2, wsl_install, docker_desktop, messages}.

    WSL2: x64 build 18362+ (ARM64 19041+); ``wsl --install`` 19041+; Docker Desktop:
    Windows 10 22H2 (19045) or Windows 11 23H2 (22631), not Windows Server.
    """
    parts = version_tuple(version)
    if len(parts) < 3:
        raise WindowsError_("Windows version %r is not like 10.0.19045.0" % (version,))
    build = parts[2]
    arm = arch.lower() in ("arm64", "aarch64")
    server = "server" in (edition or "").lower()
    res: dict[str, Any] = {"build": build, "windows11": build >= 22000, "messages": []}
    res["wsl2"] = build >= (19041 if arm else 18362)
    res["wsl_install"] = build >= 19041
    res["docker_desktop"] = (not server) and ((build >= 22631) if build >= 22000 else build >= 19045)
    if not res["wsl2"]:
        res["messages"].append("Windows build %d cannot run WSL2 (needs %s build %d or later): "
                               "update Windows." % (build, "ARM64" if arm else "x64",
                                                    19041 if arm else 18362))
    if not res["docker_desktop"]:
        res["messages"].append(
            "Docker Desktop needs Windows 10 22H2 (build 19045) or Windows 11 23H2 (22631) and "
            "is not supported on Windows Server; this is %sbuild %d."
            % ("Windows Server, " if server else "", build))
    return res


# --------------------------------------------------------------------------- ini files

# Documented keys (REFERENCE.md 1.3, 1.4). A malformed .wslconfig is silently ignored by
# WSL, so typos are refused here instead.
WSLCONFIG_KEYS: dict[str, dict[str, str | tuple[str, ...]]] = {
    "wsl2": {"memory": "size", "processors": "int", "swap": "size", "swapFile": "path",
             "localhostForwarding": "bool", "kernel": "path", "kernelModules": "path",
             "kernelCommandLine": "str", "safeMode": "bool", "guiApplications": "bool",
             "nestedVirtualization": "bool", "vmIdleTimeout": "int", "dnsProxy": "bool",
             "networkingMode": ("none", "nat", "bridged", "mirrored", "virtioproxy"),
             "firewall": "bool", "dnsTunneling": "bool", "autoProxy": "bool",
             "defaultVhdSize": "size"},
    "experimental": {"autoMemoryReclaim": ("disabled", "gradual", "dropCache"),
                     "sparseVhd": "bool", "bestEffortDnsParsing": "bool",
                     "dnsTunnelingIpAddress": "str", "initialAutoProxyTimeout": "int",
                     "ignoredPorts": "str", "hostAddressLoopback": "bool"},
}
WSLCONF_KEYS: dict[str, dict[str, str | tuple[str, ...]]] = {
    "boot": {"systemd": "bool", "command": "str", "protectBinfmt": "bool"},
    "automount": {"enabled": "bool", "mountFsTab": "bool", "root": "str", "options": "str"},
    "network": {"generateHosts": "bool", "generateResolvConf": "bool", "hostname": "str"},
    "interop": {"enabled": "bool", "appendWindowsPath": "bool"},
    "user": {"default": "str"},
    "gpu": {"enabled": "bool"},
    "time": {"useWindowsTimezone": "bool"},
}
SCHEMAS = {"wslconfig": WSLCONFIG_KEYS, "wslconf": WSLCONF_KEYS}


def ini_value(value: object, kind: str | tuple[str, ...], where: str) -> str:
    """Render and check one value for its documented type."""
    if isinstance(kind, tuple):
        if str(value) not in kind:
            raise WindowsError_("%s must be one of %s, got %r" % (where, ", ".join(kind), value))
        return str(value)
    if kind == "bool":
        if isinstance(value, bool):
            return "true" if value else "false"
        if str(value).lower() in ("true", "false"):
            return str(value).lower()
        raise WindowsError_("%s must be true or false, got %r" % (where, value))
    if kind == "int":
        if isinstance(value, bool) or not re.match(r"^\d+$", str(value)):
            raise WindowsError_("%s must be a whole number, got %r" % (where, value))
        return str(value)
    if kind == "size":
        if not re.match(r"^\d+(\.\d+)?\s*(GB|MB|KB|TB|B)?$", str(value), re.I):
            raise WindowsError_("%s must be a size like 8GB or 512MB, got %r" % (where, value))
        return str(value).replace(" ", "")
    if kind == "path":
        # .wslconfig paths need escaped backslashes (REFERENCE.md 1.3).
        text = str(value)
        return re.sub(r"(?<!\\)\\(?!\\)", r"\\\\", text)
    return str(value)


def set_ini(text: str | None, settings: Mapping[str, Any], schema: str | None = None,
            state: str = "present") -> str:
    """Set (or remove) ``{section: {key: value}}`` in INI text, keeping everything else.

    Keys are matched case-insensitively (WSL does); new sections and keys are appended.
    ``schema`` ('wslconfig' or 'wslconf') checks sections, keys and value types.
    Returns the new text (ending in a newline, CRLF kept if the file used it).
    """
    keys = SCHEMAS.get(schema) if schema else None
    newline = "\r\n" if "\r\n" in (text or "") else "\n"
    lines = (text or "").replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    rendered: dict[str, list[tuple[str, str | None]]] = {}
    for section, values in settings.items():
        if not isinstance(values, dict):
            raise WindowsError_("[%s] must be a mapping of key: value" % section)
        if keys is not None:
            known = {s.lower(): s for s in keys}
            if section.lower() not in known:
                raise WindowsError_("unknown section [%s] (known: %s)"
                                    % (section, ", ".join(sorted(keys))))
            section_keys = keys[known[section.lower()]]
        for key, value in values.items():
            if keys is not None:
                kmap = {k.lower(): k for k in section_keys}
                if key.lower() not in kmap:
                    raise WindowsError_("unknown key %s in [%s] (known: %s)"
                                        % (key, section, ", ".join(sorted(section_keys))))
                kind = section_keys[kmap[key.lower()]]
            else:
                kind = "str"
            rendered.setdefault(section.lower(), []).append(
                (key, None if state == "absent" else ini_value(value, kind, "%s.%s" % (section, key))))
    out: list[str] = []
    current: str | None = None
    done: set[tuple[str, str]] = set()

    def flush_section(sec: str | None) -> None:
        if sec is None or state == "absent":
            return
        for key, value in rendered.get(sec, []):
            if (sec, key.lower()) not in done:
                out.append("%s=%s" % (key, value))
                done.add((sec, key.lower()))

    for line in lines:
        stripped = line.strip()
        m = re.match(r"^\[([^\]]+)\]\s*$", stripped)
        if m:
            flush_section(current)
            # keep a blank line before the next section if we appended keys
            current = m.group(1).strip().lower()
            out.append(line)
            continue
        km = re.match(r"^([^#;=\s][^=]*?)\s*=\s*(.*)$", stripped)
        if km and current is not None and current in rendered:
            match = [kv for kv in rendered[current] if kv[0].lower() == km.group(1).lower()]
            if match:
                key, value = match[0]
                done.add((current, key.lower()))
                if value is None:
                    continue  # removed
                if km.group(2).strip() == value:
                    out.append(line)
                else:
                    out.append("%s=%s" % (km.group(1), value))
                continue
        out.append(line)
    flush_section(current)
    if state != "absent":
        for sec, items in rendered.items():
            missing = [(k, v) for k, v in items if (sec, k.lower()) not in done]
            if missing:
                if out and out[-1].strip():
                    out.append("")
                name = next(s for s in settings if s.lower() == sec)
                out.append("[%s]" % name)
                for key, value in missing:
                    out.append("%s=%s" % (key, value))
                    done.add((sec, key.lower()))
    return newline.join(out) + newline


# --------------------------------------------------------------------------- Docker Desktop

# Canonical (settings.json, camelCase) names of the keys gpufleet manages. Docker Desktop
# 4.35+ writes settings-store.json, which appears to use PascalCase (REFERENCE.md 1.5,
# UNVERIFIED): both spellings are read; a key is written in the spelling the file uses.
DESKTOP_KEYS = ("wslEngineEnabled", "integratedWslDistros",
                "enableIntegrationWithDefaultWslDistro", "memoryMiB", "cpus", "autoStart",
                "useWindowsContainers")


def _pascal(key: str) -> str:
    return key[0].upper() + key[1:]


def desktop_settings_file(existing_names: Container[str]) -> str:
    """Which settings file to edit: the newer settings-store.json when present, else
    settings.json when present, else settings-store.json (Docker Desktop 4.35+)."""
    if "settings-store.json" in existing_names:
        return "settings-store.json"
    if "settings.json" in existing_names:
        return "settings.json"
    return "settings-store.json"


def merge_desktop_settings(current: object, desired: Mapping[str, Any],
                           file_name: str = "settings-store.json") -> tuple[dict[str, Any], list[str]]:
    """Merge ``desired`` ({canonical key: value}) into a settings document.

    Each key is written in the spelling already present (camelCase or PascalCase); a new key
    takes the file's style (PascalCase for settings-store.json, camelCase for settings.json).
    Returns (new_document, changed_keys).
    """
    if not isinstance(current, dict):
        raise WindowsError_("the Docker Desktop settings file must hold a JSON object")
    new = dict(current)
    changed: list[str] = []
    for key, value in desired.items():
        if key not in DESKTOP_KEYS:
            raise WindowsError_("unknown Docker Desktop setting %r (managed: %s)"
                                % (key, ", ".join(DESKTOP_KEYS)))
        spellings = [k for k in (key, _pascal(key)) if k in current]
        if not spellings:
            spellings = [_pascal(key) if file_name == "settings-store.json" else key]
        for name in spellings:
            if new.get(name) != value:
                new[name] = value
                changed.append(name)
    return new, changed


def load_json_settings(text: str | None, path: str) -> dict[str, Any]:
    text = text or ""
    if not text.strip():
        return {}
    try:
        data = json.loads(text.lstrip("\ufeff"))
    except ValueError as exc:
        raise WindowsError_("%s is not valid JSON (%s); fix it or let Docker Desktop recreate "
                            "it (quit Desktop, move the file away, start Desktop)" % (path, exc)) from exc
    if not isinstance(data, dict):
        raise WindowsError_("%s must hold a JSON object" % path)
    return data


# --------------------------------------------------------------------------- Windows workloads
#
# A Windows machine runs gpufleet's workloads on Docker Desktop's engine. That engine belongs
# to the logged-in user (docker/for-win#11396: Desktop "only works for interactive use";
# `docker desktop start` over WinRM hangs, docker/for-win#14510), so gpufleet never starts
# it; it uses the engine the way the original scripts did, through Desktop's WSL
# integration: `docker compose` inside a WSL distro that Desktop integrates. Over WinRM that
# is `wsl.exe -d <distro> -- docker compose ...`; when gpufleet itself runs inside that
# distro (the original design: the control plane in WSL on the same machine) it is plain
# `docker compose`. The compose file lives on the Windows side (C:\ProgramData\gpufleet\
# <project>\compose.yaml, reachable from WSL as /mnt/c/...), so both ways read one file.

DESKTOP_MIN_WSL = "2.1.5"          # Docker Desktop's documented WSL floor (REFERENCE.md 1.5)
_DRIVE = re.compile(r"^([A-Za-z]):[\\/]")


def windows_to_wsl_path(path: str, root: str = "/mnt/") -> str:
    """``C:\\ProgramData\\x`` (or ``C:/ProgramData/x``) -> ``/mnt/c/ProgramData/x``: the path
    as WSL's automount shows it (``root``: wsl.conf ``[automount] root``, default /mnt/).
    A path that is not on a drive letter is refused."""
    m = _DRIVE.match(path or "")
    if not m:
        raise WindowsError_("%r is not a Windows path on a drive (like C:\\data): WSL reaches "
                            "Windows files as /mnt/<drive>/..." % (path,))
    rest = path[3:].replace("\\", "/").strip("/")
    base = "/" + root.strip("/") + "/" if root.strip("/") else "/"
    return base + m.group(1).lower() + ("/" + rest if rest else "")


def compose_for_wsl(doc: Mapping[str, Any], root: str = "/mnt/") -> dict[str, Any]:
    """The ``windows`` compose document (binds as ``C:/data``, Docker Desktop's form for the
    Windows CLI) made right for the Linux ``docker compose`` inside a WSL distro: every bind
    source on a drive becomes ``/mnt/<drive>/...`` (the Linux CLI would take ``C:/data`` for
    a path relative to the project). Other fields are unchanged."""
    out = json.loads(json.dumps(doc))
    for svc in (out.get("services") or {}).values():
        volumes = svc.get("volumes") or []
        for i, vol in enumerate(volumes):
            if isinstance(vol, dict) and vol.get("type") == "bind" and \
                    _DRIVE.match(str(vol.get("source", ""))):
                vol["source"] = windows_to_wsl_path(vol["source"], root)
            elif isinstance(vol, str) and _DRIVE.match(vol):
                src, sep, rest = vol[2:].partition(":")
                volumes[i] = windows_to_wsl_path(vol[:2] + src, root) + sep + rest
    return out


def parse_wsl_status(raw: bytes | str) -> dict[str, Any]:
    """``wsl.exe --status`` -> {default_distro, default_version}.

    English labels only (the output is localized; other languages give None values):
    "Default Distribution: Debian" / "Default Version: 2" (microsoft/WSL#9448)."""
    out: dict[str, Any] = {"default_distro": None, "default_version": None}
    for line in decode_wsl_output(raw).split("\n"):
        key, dummy, value = line.partition(":")
        key, value = key.strip().lower(), value.strip()
        if key == "default distribution" and value:
            out["default_distro"] = value
        elif key == "default version" and value.isdigit():
            out["default_version"] = int(value)
    return out


def parse_json_lines(text: str | None) -> list[dict[str, Any]]:
    """``docker ... --format '{{json .}}'`` output (one object per line), or a JSON array
    (``docker compose ps --format json`` before Compose 2.21 printed one array). Lines that
    are not JSON objects are skipped."""
    text = (text or "").strip()
    if not text:
        return []
    if text.startswith("["):
        try:
            data = json.loads(text)
        except ValueError:
            data = []
        return [d for d in data if isinstance(d, dict)] if isinstance(data, list) else []
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if isinstance(item, dict):
            out.append(item)
    return out


def desktop_settings_view(doc: Mapping[str, Any] | None) -> dict[str, Any]:
    """What gpufleet reads from Docker Desktop's settings (settings.json camelCase, or
    settings-store.json PascalCase; nested under PlatformSpecificContent in old logs):
    {wsl_engine_enabled, integrated_distros, integrate_default_distro}. None where the
    file does not say (Desktop's defaults then apply: WSL 2 engine and default-distro
    integration on)."""
    doc = dict(doc or {})
    nested = doc.get("PlatformSpecificContent") or doc.get("platformSpecificContent")
    if isinstance(nested, dict):
        doc = dict(nested, **{k: v for k, v in doc.items() if k not in nested})

    def read(key: str) -> Any:
        for name in (key, _pascal(key)):
            if name in doc:
                return doc[name]
        return None

    distros = read("integratedWslDistros")
    return {"wsl_engine_enabled": read("wslEngineEnabled"),
            "integrated_distros": list(distros) if isinstance(distros, list) else None,
            "integrate_default_distro": read("enableIntegrationWithDefaultWslDistro")}


def _problem(pid: str, message: str, remedy: str) -> dict[str, Any]:
    return {"id": pid, "message": message, "remedy": remedy}


# gpufleet problem ids that mean "the GPU cannot reach a container on this Windows host".
WINDOWS_BLOCKING = ("wsl_not_installed", "wsl_distro_missing", "wsl1_distro",
                    "desktop_not_installed", "desktop_not_running", "desktop_wsl2_backend_off",
                    "desktop_wsl_integration_off", "windows_no_nvidia_driver",
                    "nvidia_tcc_mode", "wsl_outdated")


def windows_problems(state: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The problems of a Windows GPU host, each with a remedy (pure; unit-tested).

    ``state`` is what :func:`windows_state` builds from the host's outputs."""
    out: list[dict[str, Any]] = []
    wsl = state.get("wsl") or {}
    desktop = state.get("desktop") or {}
    nvidia = state.get("nvidia") or {}
    distro = wsl.get("target_distro")
    if not wsl.get("installed"):
        out.append(_problem(
            "wsl_not_installed", "wsl.exe does not run: WSL is not installed or not enabled.",
            "Run gpufleet's wsl2 role (`gpufleet up -l <host>`), or as administrator "
            "`wsl --install --no-distribution` and restart Windows."))
    else:
        version = wsl.get("version") or {}
        if not wsl.get("version_command", True):
            out.append(_problem(
                "wsl_outdated", "`wsl --version` is not understood: this is the WSL built "
                "into Windows (or a version before 0.67), whose kernel is not updated from the "
                "Store; Docker Desktop needs WSL %s or later." % DESKTOP_MIN_WSL,
                "Run `wsl --update` as administrator (gpufleet's wsl2 role does), then "
                "`wsl --shutdown`."))
        elif version.get("wsl") and version_tuple(version["wsl"]) < version_tuple(DESKTOP_MIN_WSL):
            out.append(_problem(
                "wsl_outdated", "WSL %s (kernel %s) is older than the %s Docker Desktop needs."
                % (version["wsl"], version.get("kernel") or "?", DESKTOP_MIN_WSL),
                "Run `wsl --update` (add --web-download without the Store), then "
                "`wsl --shutdown`."))
        found = {d["name"]: d for d in wsl.get("distros") or []}
        if not distro:
            out.append(_problem(
                "wsl_distro_missing", "No WSL distro is installed (Docker Desktop's own do "
                "not count): there is nowhere to run `docker compose`.",
                "Install one (wsl2_distros in the inventory, then `gpufleet up -l <host>`, or "
                "`wsl --install -d Ubuntu-24.04`) and enable Docker Desktop's integration "
                "for it."))
        elif distro not in found:
            out.append(_problem(
                "wsl_distro_missing", "The WSL distro %s is not installed (installed: %s)."
                % (distro, ", ".join(sorted(found)) or "none"),
                "Install it (wsl2_distros, or `wsl --install -d %s`) or set "
                "gpufleet_windows_distro to one that exists." % distro))
        elif found[distro].get("version") == 1:
            out.append(_problem(
                "wsl1_distro", "The WSL distro %s runs as WSL 1: Docker Desktop's integration "
                "and GPU paravirtualization need WSL 2." % distro,
                "Convert it: `wsl --set-version %s 2` (and `wsl --set-default-version 2` for "
                "new distros)." % distro))
    if not desktop.get("installed"):
        out.append(_problem(
            "desktop_not_installed", "Docker Desktop is not installed (no settings file, no "
            "docker-desktop distro, no engine).",
            "Run gpufleet's docker_desktop role (`gpufleet up -l <host>`) or install Docker "
            "Desktop with the WSL 2 backend."))
    else:
        settings = desktop.get("settings") or {}
        if settings.get("wsl_engine_enabled") is False:
            out.append(_problem(
                "desktop_wsl2_backend_off", "Docker Desktop uses the Hyper-V backend "
                "(wslEngineEnabled is false): GPUs reach containers only with the WSL 2 "
                "backend.",
                "Settings -> General -> 'Use the WSL 2 based engine', or "
                "docker_desktop_settings: {wslEngineEnabled: true} and `gpufleet up` while "
                "Desktop is stopped."))
        if not desktop.get("running") and not desktop.get("integration_off"):
            out.append(_problem(
                "desktop_not_running", "Docker Desktop's engine does not answer%s. It runs "
                "only in the logged-on user's session and cannot be started over WinRM."
                % (" (%s)" % desktop["error"] if desktop.get("error") else ""),
                "Log on to the machine as the Docker Desktop user (gpufleet's scheduled task "
                "starts Desktop at logon) or start Docker Desktop there, then run again."))
        integrated = settings.get("integrated_distros") or []
        default_on = settings.get("integrate_default_distro") is not False
        listed = distro in {d["name"] for d in wsl.get("distros") or []}
        off_by_settings = distro not in integrated and not (
            default_on and distro == wsl.get("default_distro"))
        if distro and listed and (desktop.get("integration_off") or (
                off_by_settings and not desktop.get("docker_in_distro"))):
            out.append(_problem(
                "desktop_wsl_integration_off", "Docker Desktop's WSL integration is off for "
                "%s: `docker` inside it does not reach Desktop's engine." % distro,
                "Settings -> Resources -> WSL integration -> enable %s, or add it to "
                "docker_desktop_integrated_distros and run `gpufleet up` while Desktop is "
                "stopped." % distro))
    if not nvidia.get("present"):
        out.append(_problem(
            "windows_no_nvidia_driver", "nvidia-smi.exe does not run%s: no NVIDIA driver is "
            "installed on Windows, so WSL and containers get no GPU."
            % (" (%s)" % nvidia["error"] if nvidia.get("error") else ""),
            "Install NVIDIA's Windows driver (GeForce/RTX/Data Center with WSL support); do "
            "not install a Linux NVIDIA driver inside WSL."))
    else:
        tcc = [g for g in nvidia.get("gpus") or [] if (g.get("driver_model") or "").upper() == "TCC"]
        if tcc:
            names = ", ".join("%s (GPU %s)" % (g.get("name") or "?", g.get("index")) for g in tcc)
            out.append(_problem(
                "nvidia_tcc_mode", "%s run%s in TCC mode: GPU paravirtualization (WSL 2, "
                "Docker Desktop) only shares GPUs in WDDM mode." % (names, "s" if len(tcc) == 1 else ""),
                "Switch to WDDM as administrator: `nvidia-smi -i <index> -dm 0` (0 = WDDM), "
                "then reboot."))
    return out


def windows_state(outputs: Mapping[str, Any], distro: str | None = None,
                  parse_nvidia: Any = None) -> dict[str, Any]:
    """gpufleet's facts for a Windows GPU host from its command outputs (pure).

    ``outputs`` holds {name: {rc, stdout, stderr}} for ``wsl_list`` (wsl.exe -l -v),
    ``wsl_status``, ``wsl_version``, ``nvidia_smi`` (nvidia-smi.exe -q -x),
    ``docker_version`` / ``docker_info`` (JSON, run in the distro), ``docker_ps``; and
    ``settings`` ({path: text} of Docker Desktop's settings files) and ``desktop_process``
    (bool or None). ``parse_nvidia`` is gpufleet_gpu_parse.parse_nvidia_smi_xml (passed in
    so this module stays import-light). Shaped like gpu_facts: platform, gpus, nvidia,
    docker, problems, plus wsl and desktop."""
    def out(name: str) -> dict[str, Any]:
        value = outputs.get(name)
        return value if isinstance(value, dict) else {}

    def ran(name: str) -> bool:
        o = out(name)
        return bool(o) and o.get("rc") == 0 and not o.get("failed") and not o.get("skipped")

    wl = out("wsl_list")
    wsl_text = (wl.get("stdout") or "") + (wl.get("stderr") or "")
    wsl_installed = ran("wsl_list") or any(m in decode_wsl_output(wsl_text)
                                           for m in NO_DISTROS_MARKERS)
    everything = parse_wsl_list(wsl_text) if wsl_installed else []
    status = parse_wsl_status(out("wsl_status").get("stdout") or "") if ran("wsl_status") else {}
    # `wsl --version` fails on the WSL built into Windows (it prints its usage): outdated.
    # It runs but its labels are localized: the version is unknown, not outdated.
    version = parse_wsl_version(out("wsl_version").get("stdout") or "") if ran("wsl_version") else {}
    version_known = ran("wsl_version") or not out("wsl_version")
    distros = [d for d in everything if d["name"] not in DOCKER_DESKTOP_DISTROS]
    default = next((d["name"] for d in everything if d["default"]), None) or \
        status.get("default_distro")
    target = distro or (default if default not in DOCKER_DESKTOP_DISTROS else None) or \
        (distros[0]["name"] if distros else None)
    settings_doc: dict[str, Any] = {}
    settings_file = None
    for path, text in sorted((outputs.get("settings") or {}).items(),
                             key=lambda kv: not kv[0].endswith("settings-store.json")):
        try:
            settings_doc = load_json_settings(text, path)
        except WindowsError_:
            continue
        settings_file = path
        break
    dv = parse_json_lines(out("docker_version").get("stdout")) if ran("docker_version") else []
    info = parse_json_lines(out("docker_info").get("stdout")) if ran("docker_info") else []
    server = (dv[0].get("Server") or {}) if dv else {}
    info0 = info[0] if info else {}
    running = bool(server) or bool(info0.get("ServerVersion"))
    dvo = out("docker_version")
    docker_err = "" if running else " ".join(" ".join(
        [dvo.get("stderr") or "", dvo.get("stdout") or "", dvo.get("msg") or ""]).split())[:400]
    # Desktop's stub when its integration is off for the distro: "The command 'docker'
    # could not be found in this WSL 2 distro. We recommend to activate the WSL integration
    # in Docker Desktop settings."
    integration_off = "could not be found in this WSL 2 distro" in docker_err
    in_distro = ran("docker_version") or "Cannot connect to the Docker daemon" in docker_err
    desktop = {
        "installed": bool(settings_file) or any(d["name"] == "docker-desktop" for d in everything)
        or running,
        "running": running,
        "process_running": outputs.get("desktop_process"),
        "version": (server.get("Platform") or {}).get("Name") or None,
        "engine_version": server.get("Version") or info0.get("ServerVersion"),
        "backend": ("wsl-2" if desktop_settings_view(settings_doc)["wsl_engine_enabled"] is not False
                    else "hyper-v") if settings_file else None,
        "settings_file": settings_file,
        "settings": desktop_settings_view(settings_doc),
        # `docker` found in the distro (it answered, or said the daemon is down): Desktop's
        # integration put it there, so the integration is on whatever the file says.
        "docker_in_distro": bool(in_distro),
        "integration_off": integration_off,
        "error": docker_err or None,
    }
    nv = out("nvidia_smi")
    nvidia: dict[str, Any] = {"present": False, "gpus": [], "driver_version": None,
                              "cuda_version": None, "error": None}
    if ran("nvidia_smi") and parse_nvidia is not None:
        try:
            parsed = parse_nvidia(nv.get("stdout") or "")
        except ValueError as exc:
            nvidia["error"] = "nvidia-smi.exe output not understood: %s" % exc
        else:
            nvidia.update(present=True, gpus=parsed["gpus"],
                          driver_version=parsed["driver_version"],
                          cuda_version=parsed["cuda_version"])
    elif nv:
        nvidia["error"] = " ".join(((nv.get("stderr") or "") + " " + (nv.get("stdout") or "")
                                    + " " + (nv.get("msg") or "")).split())[:300] or None
    state: dict[str, Any] = {
        "platform": "windows",
        "wsl": {"installed": wsl_installed, "distros": distros, "default_distro": default,
                "default_version": status.get("default_version"), "target_distro": target,
                "version": version, "version_command": version_known},
        "desktop": desktop,
        "nvidia": nvidia,
        "gpus": {"nvidia": nvidia["gpus"], "amd": [], "intel": []},
        "docker": {"running": running, "server_version": desktop["engine_version"],
                   "runtimes": sorted((info0.get("Runtimes") or {}).keys()),
                   "cdi_devices": [d.get("ID") for d in info0.get("DiscoveredDevices") or []
                                   if isinstance(d, dict) and d.get("Source") == "cdi"],
                   "operating_system": info0.get("OperatingSystem")},
        "containers": parse_json_lines(out("docker_ps").get("stdout")) if ran("docker_ps") else [],
    }
    state["problems"] = windows_problems(state)
    return state


def workload_gpu_path(facts: Mapping[str, Any]) -> tuple[str, bool]:
    """(gpu_vendor, gpu_available) for rendering on a Windows host from its facts."""
    vendor = "nvidia" if (facts.get("gpus") or {}).get("nvidia") else "none"
    blocking = [p for p in facts.get("problems") or [] if p.get("id") in WINDOWS_BLOCKING]
    return vendor, vendor != "none" and not blocking


def compose_service_of(container: Mapping[str, Any]) -> str | None:
    """The compose service of a ``docker ps --format '{{json .}}'`` row (its Labels string
    ``k=v,k=v``), or of a ``docker compose ps`` row (its Service field)."""
    if container.get("Service"):
        return str(container["Service"])
    for pair in str(container.get("Labels") or "").split(","):
        key, dummy, value = pair.partition("=")
        if key == "com.docker.compose.service":
            return value
    return None


def wanted_services(services: Mapping[str, Any], select: list[str] | None,
                    profiles: list[str] | None) -> list[str]:
    """What ``docker compose up`` starts: the selection, else every service without a
    profile or with one of ``profiles``."""
    if select:
        return list(select)
    active = set(profiles or [])
    return [name for name, svc in services.items()
            if not (svc or {}).get("profiles") or active & set((svc or {}).get("profiles") or [])]


def workload_plan(current_text: str | None, new_text: str | None,
                  containers: list[dict[str, Any]], wanted: list[str]) -> dict[str, Any]:
    """What a deploy (new_text set) or removal (new_text None) changes (pure).

    {file_changes, start: [services not running], remove: bool, changed}."""
    running = {compose_service_of(c) for c in containers
               if str(c.get("State", "")).lower() == "running"}
    if new_text is None:
        remove = bool(containers) or current_text is not None
        return {"file_changes": current_text is not None, "start": [], "remove": remove,
                "changed": remove}
    start = [s for s in wanted if s not in running]
    file_changes = current_text != new_text
    return {"file_changes": file_changes, "start": start, "remove": False,
            "changed": file_changes or bool(start)}
