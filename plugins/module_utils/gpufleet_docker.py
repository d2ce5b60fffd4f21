# -*- coding: utf-8 -*-
"""Docker daemon configuration and state: pure logic shared by gpufleet modules.

- ``merge_settings`` / ``remove_settings``: the daemon.json edit semantics of the
  ``docker_daemon_config`` module (deep merge; lists replace unless asked to union).
- ``render_daemon_json``: the on-disk format (4-space indent like ``nvidia-ctk``, key order
  kept so a human-edited file does not get reshuffled).
- ``parse_docker_info``, ``parse_cdi_spec``: read-only state for ``gpu_facts``.
Standard library only.
"""
from __future__ import annotations

import copy
import json
import re
from typing import Any, Mapping


class ConfigError(ValueError):
    """Invalid input for a daemon.json edit; the message says what to fix."""


def load_daemon_json(text: str | None, path: str = "/etc/docker/daemon.json") -> dict[str, Any]:
    """Parse daemon.json text; an empty file counts as {}."""
    if text is None or not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigError("%s is not valid JSON (%s). Fix or remove the file by hand; it was "
                          "left untouched." % (path, exc)) from exc
    if not isinstance(data, dict):
        raise ConfigError("%s must hold a JSON object at the top level, found %s. Fix the file "
                          "by hand; it was left untouched." % (path, type(data).__name__))
    return data


def merge_settings(current: dict[str, Any], settings: Mapping[str, Any],
                   list_merge: str = "replace") -> dict[str, Any]:
    """Deep-merge ``settings`` into a copy of ``current``.

    Objects merge key by key, recursively.  Lists replace, or with ``list_merge='union'``
    gain the new items that are not there yet (order kept).  Scalars replace.  A value of
    ``None`` is stored as JSON null (use ``remove_settings`` to delete a key).
    """
    if list_merge not in ("replace", "union"):
        raise ConfigError("list_merge must be 'replace' or 'union', got %r" % (list_merge,))
    result = copy.deepcopy(current)
    _merge_into(result, settings, list_merge, [])
    return result


def _merge_into(target: dict[str, Any], settings: Mapping[str, Any], list_merge: str,
                path: list[str]) -> None:
    for key, value in settings.items():
        if not isinstance(key, str):
            raise ConfigError("daemon.json keys must be strings, got %r at %s"
                              % (key, "/".join(path) or "top level"))
        here = target.get(key)
        if isinstance(value, dict) and isinstance(here, dict):
            _merge_into(here, value, list_merge, path + [key])
        elif isinstance(value, list) and isinstance(here, list) and list_merge == "union":
            for item in value:
                if item not in here:
                    here.append(copy.deepcopy(item))
        else:
            target[key] = copy.deepcopy(value)


def remove_settings(current: dict[str, Any], settings: Mapping[str, Any]) -> dict[str, Any]:
    """Remove from a copy of ``current`` every key named in ``settings``.

    A nested object in ``settings`` descends; any other value (null, true, ...) removes
    that key.  A list value removes those items from the list at that key.  Objects left
    empty by the removal are pruned, so ``{"runtimes": {"nvidia": null}}`` leaves no
    ``"runtimes": {}`` behind.
    """
    result = copy.deepcopy(current)
    _remove_from(result, settings)
    return result


def _remove_from(target: dict[str, Any], settings: Mapping[str, Any]) -> None:
    for key, value in settings.items():
        if key not in target:
            continue
        here = target[key]
        if isinstance(value, dict) and value and isinstance(here, dict):
            _remove_from(here, value)
            if not here:
                del target[key]
        elif isinstance(value, list) and isinstance(here, list):
            target[key] = [item for item in here if item not in value]
        else:
            del target[key]


def render_daemon_json(data: Mapping[str, Any]) -> str:
    """The bytes written to disk: 4-space indent (nvidia-ctk's format), trailing newline."""
    return json.dumps(data, indent=4, ensure_ascii=False) + "\n"


def changed_keys(before: Mapping[str, Any], after: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Dotted paths that differ between two configs (for messages and RETURN)."""
    keys: list[str] = []
    for key in sorted(set(before) | set(after)):
        path = prefix + key
        b, a = before.get(key, _MISSING), after.get(key, _MISSING)
        if isinstance(b, dict) and isinstance(a, dict):
            keys.extend(changed_keys(b, a, path + "."))
        elif b != a:
            keys.append(path)
    return keys


_MISSING = object()


# --------------------------------------------------------------------------- docker info

def parse_docker_info(text: str | bytes) -> dict[str, Any]:
    """``docker info --format '{{json .}}'`` -> the fields gpufleet uses.

    When the client cannot reach the daemon, docker prints client info with
    ``ServerErrors``; that is reported as ``server_error``.  ``containers_running`` and
    ``live_restore`` tell whether restarting dockerd would stop containers.
    """
    try:
        info = json.loads(text)
    except ValueError:
        return {"server_version": None, "server_error": "docker info printed no JSON"}
    errors = info.get("ServerErrors") or []
    runtimes = sorted((info.get("Runtimes") or {}).keys())
    cdi_dirs = info.get("CDISpecDirs")
    server = bool(info.get("ServerVersion")) and not errors
    running = info.get("ContainersRunning")
    live_restore = info.get("LiveRestoreEnabled")
    return {
        "server_version": info.get("ServerVersion") or None,
        "server_error": "; ".join(errors) if errors else None,
        "runtimes": runtimes,
        "default_runtime": info.get("DefaultRuntime"),
        # Docker < 25 has no CDI and no CDISpecDirs; 25-28.2 lists dirs only with the
        # feature on; 28.3+ on by default (REFERENCE.md 4).
        "cdi_spec_dirs": list(cdi_dirs) if cdi_dirs else ["/etc/cdi", "/var/run/cdi"],
        "cdi_enabled": bool(cdi_dirs) if cdi_dirs is not None else None,
        "storage_driver": info.get("Driver"),
        "cgroup_driver": info.get("CgroupDriver"),
        "cgroup_version": info.get("CgroupVersion"),
        # What a dockerd restart would do to running containers (docker_engine asks for
        # consent when containers run and live-restore is off). None: no daemon answered
        # (a client without a server prints zeros that mean nothing).
        "containers_running": int(running) if server and isinstance(running, int) else None,
        "live_restore": bool(live_restore) if server and live_restore is not None else None,
    }


# --------------------------------------------------------------------------- CDI

def parse_cdi_spec(text: str | None) -> list[str]:
    """Fully-qualified CDI device names (``vendor.com/class=name``) in one spec file.

    Specs are YAML (as ``nvidia-ctk cdi generate`` writes them) or JSON.  PyYAML is used
    when the host has it; otherwise a line parser handles the block style nvidia-ctk
    and amd-ctk emit (top-level ``kind:`` and ``devices:`` entries ``- name:``).
    """
    text = text or ""
    data: Any = None
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            return []
    else:
        try:
            import yaml  # noqa: F401 (optional on managed hosts)
            data = yaml.safe_load(text)
        except ImportError:
            data = None
        except Exception:  # malformed spec: report nothing rather than crash the facts
            return []
    if isinstance(data, dict):
        kind = data.get("kind")
        names = [str(d.get("name")) for d in data.get("devices") or []
                 if isinstance(d, dict) and d.get("name") is not None]
        return ["%s=%s" % (kind, n) for n in names] if kind else []
    return _parse_cdi_lines(text)


def _parse_cdi_lines(text: str) -> list[str]:
    """Block-style YAML only: a device's ``name`` is either the item's first key
    (``- name: x``) or a later key aligned with it (``  name: x``)."""
    kind: str | None = None
    names: list[str] = []
    in_devices = False
    item_indent: int | None = None
    for raw in text.splitlines():
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        indent = len(raw) - len(raw.lstrip())
        line = raw.strip()
        if indent == 0 and not line.startswith("- "):
            in_devices = line.startswith("devices:")
            m = re.match(r"kind:\s*['\"]?([^'\"\s]+)", line)
            if m:
                kind = m.group(1)
            continue
        if not in_devices:
            continue
        if line.startswith("- ") and (item_indent is None or indent <= item_indent):
            item_indent = indent
            line, indent = line[2:].lstrip(), indent + 2
        if item_indent is not None and indent == item_indent + 2:
            m = re.match(r"name:\s*['\"]?([^'\"]+?)['\"]?\s*$", line)
            if m:
                names.append(m.group(1))
    return ["%s=%s" % (kind, n) for n in names] if kind else []
