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
        m = re.match(r"^(\*?)\s*(\S+)\s+(\S+)\s+(\d+)\s*$", line)
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
