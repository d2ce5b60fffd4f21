# -*- coding: utf-8 -*-
"""Shared helpers of the cloud renderers (pure logic, stdlib only).

Every renderer (``gpufleet_cloud_k8s``, ``gpufleet_cloud_gcp``, ``gpufleet_cloud_azure``,
``gpufleet_cloud_aws``) starts from the one service description of docs/services.md,
validated by ``gpufleet_compose.validate_services`` with the ``cloud`` rules, and reads it
through these helpers so that every target refuses the same things with the same words:
errors are ``gpufleet_compose.ServiceError`` naming the service and the field.

Cloud rules that differ from a host:

- a GPU is requested by count only: ``count: all`` and ``device_ids`` name a host's GPUs and
  mean nothing to a scheduler, so they are refused; a GPU service without ``count`` asks
  for one GPU;
- ``policy: required`` on a target (or with options) that cannot give that GPU fails;
  ``policy: auto`` runs on the CPU there, with a warning; ``policy: none`` never gets a GPU;
- bind mounts (host paths) are refused where the target has no host to mount from.
"""
from __future__ import annotations

import math
import re
import shlex
from typing import Any, Iterable, Mapping, NoReturn

from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_compose import (
    ServiceError,
    parse_size,
    validate_services,
)

TARGETS = ("kubernetes", "ecs", "batch", "sagemaker", "cloud-run", "azure-container-apps")
CLOUD_VENDORS = ("nvidia", "amd", "intel")
KINDS = ("service", "job")
MIB = 1024 * 1024
_OPTION_KEY = re.compile(r"^[a-z][a-z0-9_.-]*$")
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_PORT = re.compile(r"^(?:(?P<ip>\d+(?:\.\d+){3}):)?(?:(?P<host>\d+(?:-\d+)?):)?"
                   r"(?P<container>\d+(?:-\d+)?)(?:/(?P<proto>tcp|udp))?$")

__all__ = ["TARGETS", "CLOUD_VENDORS", "KINDS", "ServiceError", "fail", "normalize",
           "check_target", "check_vendor", "parse_options", "check_options", "option_str",
           "option_int", "option_bool", "gpu_count", "gpu_decision", "memory_mib", "cpus",
           "bind_mounts", "refuse_bind_mounts", "named_volumes", "ports", "command_list",
           "environment", "kind", "dns_name", "env_value"]


def fail(service: str, field: str, msg: str) -> NoReturn:
    """Raise the project's error: ``service 'x', field 'y': msg``."""
    raise ServiceError("service '%s', field '%s': %s" % (service, field, msg))


def check_target(target: str) -> str:
    if target not in TARGETS:
        raise ServiceError("target must be one of %s, got %r" % (", ".join(TARGETS), target))
    return target


def check_vendor(vendor: str) -> str:
    if vendor not in CLOUD_VENDORS:
        raise ServiceError("vendor must be one of %s, got %r"
                           % (", ".join(CLOUD_VENDORS), vendor))
    return vendor


def normalize(services: object, target: str) -> dict[str, dict[str, Any]]:
    """Validate with the compose rules for ``cloud`` (no host paths checked) and the cloud
    rules above; return the normalized mapping (name -> description)."""
    check_target(target)
    out = validate_services(services, "cloud", path_exists=None)
    seen: dict[str, str] = {}
    for name, svc in out.items():
        svc.setdefault("kind", "service")
        gpu = svc["gpu"]
        if gpu["policy"] != "none":
            if "device_ids" in gpu:
                fail(name, "gpu.device_ids", "names GPUs of one host, which a %s scheduler "
                     "does not know; give gpu.count (a positive integer) instead" % target)
            if gpu.get("count") == "all":
                fail(name, "gpu.count", "'all' means every GPU of one host, which %s has "
                     "no notion of; give a positive integer" % target)
        label = dns_name(name)
        if label in seen:
            fail(name, "(name)", "becomes %r on %s, the same as service '%s'; rename one"
                 % (label, target, seen[label]))
        seen[label] = name
    return out


# --------------------------------------------------------------------------- options

def parse_options(items: Iterable[str] | Mapping[str, object] | None) -> dict[str, str]:
    """``["region=us-central1", "namespace=ml"]`` (or a mapping) -> {key: value}."""
    if items is None:
        return {}
    if isinstance(items, Mapping):
        pairs: list[tuple[str, object]] = [(str(k), v) for k, v in items.items()]
    elif isinstance(items, (str, bytes)):
        raise ServiceError("options must be a list of KEY=VALUE, got the string %r" % (items,))
    else:
        pairs = []
        for item in items:
            if not isinstance(item, str) or "=" not in item:
                raise ServiceError("option %r: expected KEY=VALUE (e.g. region=us-central1)"
                                   % (item,))
            left, _sep, right = item.partition("=")
            pairs.append((left.strip(), right.strip()))
    out: dict[str, str] = {}
    for key, value in pairs:
        if not _OPTION_KEY.match(key):
            raise ServiceError("option %r: keys are lowercase words like region or "
                               "workload_profile" % (key,))
        if key in out:
            raise ServiceError("option %r given twice" % key)
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, (str, int, float)):
            out[key] = str(value)
        else:
            raise ServiceError("option %r: expected a scalar value, got %s"
                               % (key, type(value).__name__))
    return out


def check_options(options: Mapping[str, str], known: Mapping[str, str], target: str) -> None:
    """Refuse options the target does not know; ``known`` maps key -> description."""
    for key in sorted(options):
        if key not in known:
            raise ServiceError("option %r: unknown for %s (known: %s)"
                               % (key, target, ", ".join(sorted(known)) or "none"))


def option_str(options: Mapping[str, str], key: str, default: str) -> str:
    value = options.get(key, default)
    return value if value != "" else default


def option_int(options: Mapping[str, str], key: str, default: int, minimum: int = 0) -> int:
    raw = options.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ServiceError("option %r: expected an integer, got %r" % (key, raw)) from None
    if value < minimum:
        raise ServiceError("option %r: must be at least %d, got %d" % (key, minimum, value))
    return value


def option_bool(options: Mapping[str, str], key: str, default: bool) -> bool:
    raw = options.get(key)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("true", "yes", "1", "on"):
        return True
    if raw.lower() in ("false", "no", "0", "off"):
        return False
    raise ServiceError("option %r: expected true or false, got %r" % (key, raw))


# --------------------------------------------------------------------------- GPU, CPU, memory

def gpu_count(svc: Mapping[str, Any], name: str, target: str) -> int:
    """GPUs the service asks for on a cloud target: 0 for ``policy: none`` or no ``gpu``;
    a positive integer otherwise (1 when ``count`` is absent)."""
    gpu = svc.get("gpu") or {"policy": "none"}
    if gpu.get("policy", "auto") == "none":
        return 0
    if "device_ids" in gpu:
        fail(name, "gpu.device_ids", "not on %s: give gpu.count instead" % target)
    count = gpu.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        fail(name, "gpu.count", "must be a positive integer on %s, got %r" % (target, count))
    return count


def gpu_decision(svc: Mapping[str, Any], name: str, target: str, warnings: list[str],
                 unavailable: str | None = None, field: str = "gpu.policy") -> int:
    """The GPU count to render.  ``unavailable`` is None when the target (with its options)
    can give the GPU, else the reason it cannot: ``required`` fails with it, ``auto``
    falls back to the CPU with a warning."""
    count = gpu_count(svc, name, target)
    if count == 0 or unavailable is None:
        return count
    policy = (svc.get("gpu") or {}).get("policy", "auto")
    if policy == "required":
        fail(name, field, "policy required, but %s" % unavailable)
    warnings.append("service '%s': %s; running on the CPU (gpu.policy auto)"
                    % (name, unavailable))
    return 0


def memory_mib(svc: Mapping[str, Any], name: str) -> int | None:
    """``resources.memory`` in MiB (rounded up), or None when not given."""
    res = svc.get("resources") or {}
    if "memory" not in res:
        return None
    return max(1, math.ceil(parse_size(res["memory"], name, "resources.memory") / MIB))


def cpus(svc: Mapping[str, Any]) -> float | None:
    """``resources.cpus`` (already checked positive by validate_services), or None."""
    res = svc.get("resources") or {}
    value = res.get("cpus")
    return float(value) if value is not None else None


# --------------------------------------------------------------------------- volumes, ports

def bind_mounts(svc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The service's bind mounts (normalized volume entries with ``bind`` true)."""
    return [v for v in svc.get("volumes") or [] if v["bind"]]


def named_volumes(svc: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [v for v in svc.get("volumes") or [] if not v["bind"]]


def refuse_bind_mounts(svc: Mapping[str, Any], name: str, target: str, instead: str) -> None:
    """Fail on the first bind mount: ``target`` has no host path to mount."""
    for vol in bind_mounts(svc):
        fail(name, "volumes", "%s:%s is a bind mount (a host path); %s has no host to mount "
             "it from: %s" % (vol["source"], vol["target"], target, instead))


def ports(svc: Mapping[str, Any], name: str, target: str) -> list[tuple[int, int, str]]:
    """Ports as (container_port, published_port, protocol).  Ranges are refused: cloud
    port lists name single ports."""
    out: list[tuple[int, int, str]] = []
    for spec in svc.get("ports") or []:
        m = _PORT.match(str(spec))
        if not m:
            fail(name, "ports", "%r is not [ip:]host:container[/proto]" % (spec,))
        if "-" in m.group("container") or "-" in (m.group("host") or ""):
            fail(name, "ports", "%r: port ranges are not supported on %s; list each port"
                 % (spec, target))
        container = int(m.group("container"))
        published = int(m.group("host") or container)
        for number in (container, published):
            if not 1 <= number <= 65535:
                fail(name, "ports", "%r: %d is not a port (1-65535)" % (spec, number))
        out.append((container, published, (m.group("proto") or "tcp").lower()))
    return out


# --------------------------------------------------------------------------- the rest

def command_list(svc: Mapping[str, Any], name: str, field: str = "command") -> list[str] | None:
    """``command`` / ``entrypoint`` as an argv list (a string is split like a shell would)."""
    value = svc.get(field)
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return shlex.split(value)
        except ValueError as exc:
            fail(name, field, "cannot split %r: %s" % (value, exc))
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return [str(v) for v in value]
    fail(name, field, "expected a string or a list of strings, got %r" % (value,))


def env_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def environment(svc: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The environment as sorted (name, value) pairs of strings."""
    return sorted((str(k), env_value(v)) for k, v in (svc.get("environment") or {}).items())


def base_container(svc: Mapping[str, Any], name: str, dns: str,
                   working_dir: bool = True) -> dict[str, Any]:
    """The container fields Kubernetes, Cloud Run v2 and Container Apps spell alike: name,
    image, ``command`` (the entrypoint), ``args`` (the service's command), ``workingDir``
    (where the target has it) and ``env`` as [{name, value}]."""
    container: dict[str, Any] = {"name": dns, "image": svc["image"]}
    entrypoint = command_list(svc, name, "entrypoint")
    args = command_list(svc, name, "command")
    if entrypoint is not None:
        container["command"] = entrypoint
    if args is not None:
        container["args"] = args
    if working_dir and svc.get("working_dir"):
        container["workingDir"] = str(svc["working_dir"])
    env = environment(svc)
    if env:
        container["env"] = [{"name": k, "value": v} for k, v in env]
    return container


def kind(svc: Mapping[str, Any]) -> str:
    """``service`` (long-running) or ``job`` (runs to completion, e.g. training)."""
    return str(svc.get("kind") or "service")


def dns_name(name: str, max_len: int = 63) -> str:
    """A service name as a DNS-1123 label (Kubernetes object names, Cloud Run and Container
    Apps names): lowercase, '_' and '.' become '-', at most ``max_len`` characters."""
    label = re.sub(r"[^a-z0-9-]", "-", name.lower()).strip("-")
    label = re.sub(r"-{2,}", "-", label)[:max_len].rstrip("-")
    if not label or not _DNS1123_LABEL.match(label):
        raise ServiceError("service name %r: cannot become a DNS-1123 name; use lowercase "
                           "letters, digits and '-'" % (name,))
    if not label[0].isalpha():
        # Cloud Run and Container Apps names must start with a letter.
        label = ("s-" + label)[:max_len].rstrip("-")
    return label
