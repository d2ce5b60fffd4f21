# -*- coding: utf-8 -*-
"""One service description -> a compose document per platform (pure logic, stdlib only).

The service description (documented in docs/services.md) is validated first; every
error names the service and the field.  ``render`` then applies the platform's GPU rules
(REFERENCE.md sections 3-5):

- linux / cloud / wsl2 / windows + nvidia: ``deploy.resources.reservations.devices``
  (driver nvidia, count or device_ids, capabilities), or CDI device names with
  ``gpu_mode='cdi'`` (``nvidia.com/gpu=all``) as a device request with driver ``cdi``.
  Not the short ``devices: [nvidia.com/gpu=all]`` form: Compose before 2.30 (trixie ships
  2.26) passes that to Docker as a device *path* and the container fails with "error
  gathering device information while adding custom device"; the ``driver: cdi`` request
  is what ``docker run --device nvidia.com/gpu=all`` sends, and every Compose v2 passes
  it through (seen on the simulated GPU host: Docker 26 + Compose 2.26 resolve it).
- rocm (linux + amd): ``/dev/kfd`` + ``/dev/dri``, groups video and render.
- intel (linux + intel): ``/dev/dri``, groups video and render.
- macos: never a GPU; a warning per GPU service saying what to use instead.
- cloud: the Linux rules plus a restart policy and log rotation.
- windows: bind sources translated from ``C:\\x`` to ``C:/x`` (Docker Desktop's form).
"""
from __future__ import annotations

import copy
import ntpath
import os
import re
from typing import Any, Callable, Mapping, NoReturn

PLATFORMS = ("linux", "cloud", "wsl2", "windows", "macos", "rocm", "intel")
VENDORS = ("nvidia", "amd", "intel", "none")
GPU_MODES = ("runtime", "cdi")
POLICIES = ("required", "auto", "none")
CAPABILITIES = ("gpu", "compute", "utility", "graphics", "video", "display", "compat32")
RESTART = ("no", "always", "on-failure", "unless-stopped")
SERVICE_FIELDS = ("image", "command", "entrypoint", "environment", "ports", "volumes",
                  "healthcheck", "restart", "resources", "profiles", "labels", "gpu",
                  "cuda_version", "platform", "working_dir", "user", "depends_on", "kind",
                  "display")
KINDS = ("service", "job")
GPU_FIELDS = ("policy", "count", "device_ids", "capabilities", "smoke_test", "vendor")
# gpu.vendor: the device rules for this service when they differ from the host's GPU vendor
# (videocore: a Raspberry Pi's /dev/dri + /dev/vchiq).
SERVICE_VENDORS = ("nvidia", "amd", "intel", "videocore")
DRI_DEVICES = {"amd": ["/dev/kfd", "/dev/dri"], "intel": ["/dev/dri"],
               "videocore": ["/dev/dri", "/dev/vchiq"]}
DISPLAY_FIELDS = ("protocol", "display", "xauthority", "runtime_dir", "socket")
DISPLAY_PLATFORMS = ("linux", "wsl2", "rocm", "intel")
XHOST_ADVICE = ("service '%s' uses the host's X11 display: allow only the container's user "
                "with `xhost +SI:localuser:<user>` on the host (the user the container runs "
                "as); `xhost +local:` opens the display to every local process and container")
RESOURCE_FIELDS = ("cpus", "memory", "shm_size")
HEALTH_FIELDS = ("test", "interval", "timeout", "retries", "start_period", "disable")
CLOUD_LOGGING = {"driver": "json-file", "options": {"max-size": "50m", "max-file": "3"}}
MAC_ADVICE = ("Linux containers on macOS get no GPU (Docker Desktop passes no Metal/CUDA "
              "device into its VM): service '%s' runs on the CPU. For acceleration use Docker "
              "Model Runner on the host (Metal) or Podman machine with libkrun (Vulkan via "
              "/dev/dri).")
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmgt]?)b?$", re.I)
_WIN_ABS = re.compile(r"^[A-Za-z]:[\\/]")
_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")


class ServiceError(ValueError):
    """Invalid service description; the message names the service and the field."""


def _err(service: str, field: str, msg: str) -> NoReturn:
    raise ServiceError("service '%s', field '%s': %s" % (service, field, msg))


def parse_size(value: object, service: str, field: str) -> int:
    """'4g' / '512m' / 1073741824 -> bytes (int). Negative or malformed: ServiceError."""
    if isinstance(value, bool):
        _err(service, field, "expected a size like 512m or 4g, got %r" % (value,))
    if isinstance(value, (int, float)):
        if value <= 0:
            _err(service, field, "must be positive, got %r" % (value,))
        return int(value)
    m = _SIZE.match(str(value).strip())
    if not m:
        _err(service, field, "expected a size like 512m or 4g, got %r" % (value,))
    number = float(m.group(1))
    if number <= 0:
        _err(service, field, "must be positive, got %r" % (value,))
    return int(number * 1024 ** " kmgt".index((m.group(2) or " ").lower()))


def is_bind_source(source: str) -> bool:
    return source.startswith(("/", ".", "~")) or bool(_WIN_ABS.match(source)) or "\\" in source


def split_volume(spec: object, service: str) -> tuple[str, str, str | None]:
    """'src:dst[:mode]' (Windows drive letters allowed in src) -> (src, dst, mode)."""
    if not isinstance(spec, str) or not spec:
        _err(service, "volumes", "each volume is a string 'source:target[:ro]', got %r" % (spec,))
    drive = ""
    rest = spec
    if _WIN_ABS.match(spec):
        drive, rest = spec[:2], spec[2:]
    parts = rest.split(":")
    if len(parts) < 2 or len(parts) > 3 or not parts[1]:
        _err(service, "volumes", "%r is not 'source:target[:ro|rw]'" % spec)
    mode = parts[2] if len(parts) == 3 else None
    if mode is not None and mode not in ("ro", "rw", "z", "Z", "ro,z", "ro,Z"):
        _err(service, "volumes", "%r: mode must be ro or rw" % spec)
    return drive + parts[0], parts[1], mode


def validate_services(services: object, platform: str,
                      path_exists: Callable[[str], bool] | None = os.path.exists
                      ) -> dict[str, dict[str, Any]]:
    """Check every service; return a normalized copy.  Raises ServiceError."""
    if platform not in PLATFORMS:
        raise ServiceError("platform must be one of %s, got %r" % (", ".join(PLATFORMS), platform))
    if not isinstance(services, dict) or not services:
        raise ServiceError("services must be a non-empty mapping of name -> description")
    out: dict[str, dict[str, Any]] = {}
    for name, desc in services.items():
        if not isinstance(name, str) or not _NAME.match(name):
            raise ServiceError("service name %r: use letters, digits, '.', '_' or '-'" % (name,))
        if not isinstance(desc, dict):
            _err(name, "(service)", "expected a mapping, got %s" % type(desc).__name__)
        unknown = sorted(set(desc) - set(SERVICE_FIELDS))
        if unknown:
            _err(name, unknown[0], "unknown field (known: %s)" % ", ".join(SERVICE_FIELDS))
        if not desc.get("image") or not isinstance(desc["image"], str):
            _err(name, "image", "required: the image to run")
        svc = copy.deepcopy(desc)
        env = svc.get("environment")
        if isinstance(env, list):
            parsed: dict[str, str] = {}
            for item in env:
                if not isinstance(item, str) or "=" not in item:
                    _err(name, "environment", "list items must be 'KEY=value', got %r" % (item,))
                key, dummy, value = item.partition("=")
                parsed[key] = value
            svc["environment"] = parsed
        elif env is not None and not isinstance(env, dict):
            _err(name, "environment", "expected a mapping or a list of KEY=value")
        for key, value in (svc.get("environment") or {}).items():
            if isinstance(value, (dict, list)):
                _err(name, "environment", "%s must be a scalar" % key)
        for port in svc.get("ports") or []:
            if not re.match(r"^(\d+(\.\d+){3}:)?(\d+(-\d+)?:)?\d+(-\d+)?(/(tcp|udp))?$", str(port)):
                _err(name, "ports", "%r is not [ip:]host:container[/proto]" % (port,))
        svc["volumes"] = [_check_volume(v, name, platform, path_exists)
                          for v in svc.get("volumes") or []]
        if "restart" in svc and svc["restart"] not in RESTART:
            _err(name, "restart", "must be one of %s" % ", ".join(RESTART))
        if "kind" in svc:
            if svc["kind"] not in KINDS:
                _err(name, "kind", "must be service (long-running) or job (runs to "
                                   "completion, e.g. training), got %r" % (svc["kind"],))
            if svc["kind"] == "job" and svc.get("restart") in ("always", "unless-stopped"):
                _err(name, "restart", "a job runs to completion: use no or on-failure, "
                                      "not %s" % svc["restart"])
        res = svc.get("resources") or {}
        if not isinstance(res, dict):
            _err(name, "resources", "expected a mapping")
        for key in sorted(set(res) - set(RESOURCE_FIELDS)):
            _err(name, "resources." + key, "unknown field (known: %s)" % ", ".join(RESOURCE_FIELDS))
        if "cpus" in res:
            if isinstance(res["cpus"], bool) or not isinstance(res["cpus"], (int, float)) \
                    or res["cpus"] <= 0:
                _err(name, "resources.cpus", "must be a positive number, got %r" % (res["cpus"],))
        for key in ("memory", "shm_size"):
            if key in res:
                parse_size(res[key], name, "resources." + key)
        hc = svc.get("healthcheck")
        if hc is not None:
            if not isinstance(hc, dict):
                _err(name, "healthcheck", "expected a mapping")
            for key in sorted(set(hc) - set(HEALTH_FIELDS)):
                _err(name, "healthcheck." + key, "unknown field (known: %s)" % ", ".join(HEALTH_FIELDS))
            if "test" not in hc and not hc.get("disable"):
                _err(name, "healthcheck.test", "required (e.g. [CMD, curl, -f, http://localhost])")
        profiles = svc.get("profiles") or []
        if not isinstance(profiles, list) or not all(
                isinstance(p, str) and _NAME.match(p) for p in profiles):
            _err(name, "profiles", "a list of names like [core, gpu-models]")
        svc["gpu"] = _check_gpu(svc.get("gpu"), name)
        if svc.get("display") is not None:
            svc["display"] = _check_display(svc["display"], name, platform)
        out[name] = svc
    return out


def _check_volume(spec: object, service: str, platform: str,
                  path_exists: Callable[[str], bool] | None) -> dict[str, Any]:
    src, dst, mode = split_volume(spec, service)
    if not dst.startswith("/"):
        _err(service, "volumes", "%r: the container path must be absolute" % spec)
    if is_bind_source(src):
        windows_path = bool(_WIN_ABS.match(src)) or "\\" in src
        if platform == "windows":
            if src.startswith("/"):
                _err(service, "volumes", "%r: %s is a Linux path; on Windows use a Windows "
                                         "path such as C:\\data" % (spec, src))
        elif windows_path:
            _err(service, "volumes", "%r: %s is a Windows path, which does not exist on %s; "
                                     "use %s" % (spec, src, platform,
                                                 "/mnt/" + src[0].lower() + "/" +
                                                 src[3:].replace("\\", "/")
                                                 if platform == "wsl2" else "a POSIX path"))
        elif src.startswith("/") and path_exists is not None and not path_exists(src):
            _err(service, "volumes", "%r: %s does not exist on this %s host; create it or "
                                     "fix the path" % (spec, src, platform))
    return {"source": src, "target": dst, "mode": mode, "bind": is_bind_source(src)}


def _check_display(display: object, service: str, platform: str) -> dict[str, Any]:
    """``display: x11`` / ``wayland`` or a mapping (protocol, display, xauthority,
    runtime_dir, socket) -> normalized mapping."""
    if isinstance(display, str):
        display = {"protocol": display}
    if not isinstance(display, dict):
        _err(service, "display", "x11, wayland, or a mapping like {protocol: x11, display: ':0'}")
    for key in sorted(set(display) - set(DISPLAY_FIELDS)):
        _err(service, "display." + key, "unknown field (known: %s)" % ", ".join(DISPLAY_FIELDS))
    if platform not in DISPLAY_PLATFORMS:
        _err(service, "display", "a host display reaches containers on %s hosts only, not %s"
             % (", ".join(DISPLAY_PLATFORMS), platform))
    out = dict(display)
    out.setdefault("protocol", "x11")
    if out["protocol"] not in ("x11", "wayland"):
        _err(service, "display.protocol", "x11 or wayland, got %r" % (out["protocol"],))
    if out["protocol"] == "x11":
        out.setdefault("display", ":0")
        if not re.match(r"^:\d+(\.\d+)?$", str(out["display"])):
            _err(service, "display.display", "a local display like :0 (the X11 socket is "
                                             "mounted; TCP displays are not), got %r"
                 % (out["display"],))
    else:
        out.setdefault("runtime_dir", "/run/user/1000")
        out.setdefault("socket", "wayland-0")
        if not str(out["runtime_dir"]).startswith("/"):
            _err(service, "display.runtime_dir", "the host's absolute XDG_RUNTIME_DIR, "
                                                 "like /run/user/1000")
        if not re.match(r"^[A-Za-z0-9_.-]+$", str(out["socket"])):
            _err(service, "display.socket", "a socket name like wayland-0")
    if out.get("xauthority") is not None and not str(out["xauthority"]).startswith("/"):
        _err(service, "display.xauthority", "an absolute path on the host")
    return out


def _check_gpu(gpu: object, service: str) -> dict[str, Any]:
    if gpu is None:
        return {"policy": "none"}
    if not isinstance(gpu, dict):
        _err(service, "gpu", "expected a mapping like {policy: auto, count: 1}")
    for key in sorted(set(gpu) - set(GPU_FIELDS)):
        _err(service, "gpu." + key, "unknown field (known: %s)" % ", ".join(GPU_FIELDS))
    gpu = dict(gpu)
    gpu.setdefault("policy", "auto")
    if gpu["policy"] not in POLICIES:
        _err(service, "gpu.policy", "must be one of %s" % ", ".join(POLICIES))
    if "vendor" in gpu and gpu["vendor"] not in SERVICE_VENDORS:
        _err(service, "gpu.vendor", "must be one of %s" % ", ".join(SERVICE_VENDORS))
    if "count" in gpu and "device_ids" in gpu:
        _err(service, "gpu", "count and device_ids are mutually exclusive (compose spec)")
    if "count" in gpu:
        count = gpu["count"]
        if count != "all" and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
            _err(service, "gpu.count", "must be a positive integer or 'all', got %r" % (count,))
    if "device_ids" in gpu:
        ids = gpu["device_ids"]
        if not isinstance(ids, list) or not ids:
            _err(service, "gpu.device_ids", "a non-empty list like ['0', '3'] or GPU UUIDs")
        gpu["device_ids"] = [str(i) for i in ids]
    caps = gpu.get("capabilities", ["gpu"])
    if not isinstance(caps, list) or not caps or any(c not in CAPABILITIES for c in caps):
        _err(service, "gpu.capabilities", "a list from %s" % ", ".join(CAPABILITIES))
    gpu["capabilities"] = list(caps)
    if "gpu" not in gpu["capabilities"]:
        gpu["capabilities"].insert(0, "gpu")  # required by the daemon to pick a GPU driver
    return gpu


# --------------------------------------------------------------------------- render

def effective_vendor(platform: str, gpu_vendor: str | None) -> str:
    if platform == "rocm":
        return "amd"
    if platform == "intel":
        return "intel"
    if platform == "macos":
        return "none"
    return gpu_vendor or "nvidia"


def render(services: object, platform: str, project_name: str, gpu_vendor: str = "nvidia",
           gpu_mode: str = "runtime", gpu_available: bool = True,
           container_platform: str | None = None, render_gid: int | str | None = None,
           video_gid: int | str | None = None,
           path_exists: Callable[[str], bool] | None = os.path.exists
           ) -> tuple[dict[str, Any], list[str], list[str]]:
    """Validate and render.  Returns (compose_document, warnings, gpu_services)."""
    if gpu_vendor not in VENDORS:
        raise ServiceError("gpu_vendor must be one of %s" % ", ".join(VENDORS))
    if gpu_mode not in GPU_MODES:
        raise ServiceError("gpu_mode must be one of %s" % ", ".join(GPU_MODES))
    if not project_name or not re.match(r"^[a-z0-9][a-z0-9_-]*$", project_name):
        raise ServiceError("project_name %r: lowercase letters, digits, '_' and '-' "
                           "(compose's rule)" % (project_name,))
    normalized = validate_services(services, platform, path_exists)
    vendor = effective_vendor(platform, gpu_vendor)
    warnings: list[str] = []
    doc_services: dict[str, dict[str, Any]] = {}
    named_volumes: dict[str, dict[str, Any]] = {}
    gpu_services: list[str] = []
    for name, svc in normalized.items():
        out: dict[str, Any] = {"image": svc["image"]}
        for key in ("command", "entrypoint", "working_dir", "user", "depends_on"):
            if key in svc:
                out[key] = svc[key]
        if svc.get("platform") or container_platform:
            out["platform"] = svc.get("platform") or container_platform
        if svc.get("environment"):
            out["environment"] = {k: _env_value(v) for k, v in svc["environment"].items()}
        if svc.get("ports"):
            out["ports"] = [str(p) for p in svc["ports"]]
        if svc["volumes"]:
            out["volumes"] = [_render_volume(v, platform) for v in svc["volumes"]]
            for v in svc["volumes"]:
                if not v["bind"]:
                    named_volumes[v["source"]] = {}
        if svc.get("healthcheck"):
            out["healthcheck"] = svc["healthcheck"]
        if svc.get("restart"):
            out["restart"] = svc["restart"]
        elif platform == "cloud":
            # A job (kind: job) runs once; a restart policy would rerun a finished training.
            out["restart"] = "no" if svc.get("kind") == "job" else "unless-stopped"
        if platform == "cloud":
            out["logging"] = copy.deepcopy(CLOUD_LOGGING)
        if svc.get("profiles"):
            out["profiles"] = svc["profiles"]
        labels = dict(svc.get("labels") or {})
        labels["gpufleet.project"] = project_name
        res = svc.get("resources") or {}
        limits: dict[str, str] = {}
        if "cpus" in res:
            limits["cpus"] = str(res["cpus"])
        if "memory" in res:
            limits["memory"] = str(parse_size(res["memory"], name, "resources.memory"))
        if "shm_size" in res:
            out["shm_size"] = str(parse_size(res["shm_size"], name, "resources.shm_size"))
        gpu = svc["gpu"]
        use_gpu = False
        svc_vendor = vendor if vendor == "none" and platform == "macos" else \
            gpu.get("vendor") or vendor
        if gpu["policy"] != "none":
            if vendor == "none" and platform == "macos":
                warnings.append(MAC_ADVICE % name)
            elif svc_vendor == "none":
                if gpu["policy"] == "required":
                    raise ServiceError("service '%s', field 'gpu.policy': required, but this "
                                       "host has no GPU (gpu_vendor none); run it on a GPU "
                                       "host or set policy: auto" % name)
                warnings.append("service '%s': this host has no GPU (gpu_vendor none), running "
                                "on the CPU (policy auto)" % name)
            elif not gpu_available:
                if gpu["policy"] == "required":
                    raise ServiceError("service '%s', field 'gpu.policy': required, but this "
                                       "host has no working GPU path; fix the host (see "
                                       "gpu_facts problems) or set policy: auto" % name)
                warnings.append("service '%s': no working GPU path on this host, falling back "
                                "to the CPU (policy auto)" % name)
            elif platform in ("wsl2", "windows") and svc_vendor != "nvidia":
                msg = ("service '%s': on %s only NVIDIA GPUs reach containers (GPU-PV)" %
                       (name, platform))
                if gpu["policy"] == "required":
                    raise ServiceError(msg)
                warnings.append(msg + "; running on the CPU")
            else:
                use_gpu = True
        deploy: dict[str, Any] = {}
        if use_gpu:
            gpu_services.append(name)
            labels["gpufleet.gpu"] = svc_vendor
            if svc_vendor == "nvidia" and gpu_mode == "cdi":
                deploy.setdefault("resources", {})["reservations"] = {"devices": [
                    {"driver": "cdi", "device_ids": _cdi_devices(gpu),
                     "capabilities": gpu["capabilities"]}]}
            elif svc_vendor == "nvidia":
                caps = list(gpu["capabilities"])
                if svc.get("display"):  # the toolkit mounts the GL/Vulkan ICDs and display libs
                    caps += [c for c in ("graphics", "display") if c not in caps]
                request: dict[str, Any] = {"driver": "nvidia", "capabilities": caps}
                if "device_ids" in gpu:
                    request["device_ids"] = gpu["device_ids"]
                else:
                    request["count"] = gpu.get("count", "all")
                deploy.setdefault("resources", {})["reservations"] = {"devices": [request]}
            else:  # amd / intel / videocore: device nodes and the groups that own them
                out["devices"] = list(DRI_DEVICES[svc_vendor])
                # Numeric host GIDs (gpu_facts) work in images that lack these groups.
                out["group_add"] = [str(video_gid) if video_gid else "video",
                                    str(render_gid) if render_gid else "render"]
        if svc.get("display"):
            warnings.extend(_render_display(out, svc["display"], name))
        if limits:
            deploy.setdefault("resources", {})["limits"] = limits
        if deploy:
            out["deploy"] = deploy
        out["labels"] = labels
        doc_services[name] = out
    doc: dict[str, Any] = {"name": project_name, "services": doc_services}
    if named_volumes:
        doc["volumes"] = named_volumes
    return doc, warnings, gpu_services


def _render_display(out: dict[str, Any], display: Mapping[str, Any], name: str) -> list[str]:
    """Mount the host's display socket and point the client at it; returns warnings."""
    volumes = out.setdefault("volumes", [])
    env = out.setdefault("environment", {})
    if display["protocol"] == "x11":
        volumes.append("/tmp/.X11-unix:/tmp/.X11-unix:ro")
        env.setdefault("DISPLAY", str(display["display"]))
        if display.get("xauthority"):
            volumes.append("%s:/tmp/.Xauthority:ro" % display["xauthority"])
            env.setdefault("XAUTHORITY", "/tmp/.Xauthority")
        return [XHOST_ADVICE % name]
    socket = str(display["socket"])
    volumes.append("%s/%s:/tmp/wayland/%s:ro" % (str(display["runtime_dir"]).rstrip("/"),
                                                 socket, socket))
    env.setdefault("XDG_RUNTIME_DIR", "/tmp/wayland")
    env.setdefault("WAYLAND_DISPLAY", socket)
    return []


def _env_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def _cdi_devices(gpu: Mapping[str, Any]) -> list[str]:
    if "device_ids" in gpu:
        return ["nvidia.com/gpu=%s" % i for i in gpu["device_ids"]]
    count = gpu.get("count", "all")
    if count == "all":
        return ["nvidia.com/gpu=all"]
    return ["nvidia.com/gpu=%d" % i for i in range(count)]


def _render_volume(vol: Mapping[str, Any], platform: str) -> dict[str, Any] | str:
    src = vol["source"]
    if platform == "windows" and vol["bind"]:
        # Long syntax: a drive letter's colon cannot be confused with the separator.
        long: dict[str, Any] = {"type": "bind", "source": ntpath.normpath(src).replace("\\", "/"),
                                "target": vol["target"]}
        if vol["mode"] and vol["mode"].startswith("ro"):
            long["read_only"] = True
        return long
    spec = "%s:%s" % (src, vol["target"])
    return spec + (":" + vol["mode"] if vol["mode"] else "")
