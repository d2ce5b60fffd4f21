# -*- coding: utf-8 -*-
"""Image recipe -> Dockerfile (pure logic, stdlib only; private to the collection).

A recipe is a small mapping (documented in docs/images.md).  ``validate_recipe`` checks it
and returns a normalized copy; every error names the field.  ``render_dockerfile`` turns
it into a multi-stage Dockerfile for BuildKit:

- ``conda`` (optional): a micromamba stage that creates an environment of system
  libraries; only the environment directory reaches the runtime stage.
- ``builder``: the base plus compilers; uv is installed from PyPI with pip (no other
  registry may be reachable, and uv is a wheel there), then a venv with ``uv pip install``
  and uv's cache mounted (``RUN --mount=type=cache,target=/root/.cache/uv``).
- ``runtime``: the base plus only what runs: the distribution's python3, the venv, a
  non-root user, labels (``com.nvidia.cuda.version`` is what ``cuda_compat`` reads),
  a healthcheck and a JSON-form CMD.  The ``dev`` variant's runtime is the builder (tools
  kept, source mounted at run time).

A TLS-intercepting proxy's CA bundle (``ca_secret: true``) is passed as the BuildKit secret
``ca`` and used through ``SSL_CERT_FILE``/``PIP_CERT``/apt's ``CaInfo`` by the RUN steps
that download; a secret mount is never written into a layer, so it reaches no stage's
image.  Verification is never turned off.

No ``# syntax=`` line: that makes BuildKit pull a frontend image from a registry; the
daemon's built-in Dockerfile frontend (Docker 20.10 and later) understands ``RUN --mount``.
"""
from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Mapping, NoReturn

VARIANTS = ("cuda", "wsl2-host-libs", "rocm", "vulkan", "cpu", "dev")
CUDA_VARIANTS = ("cuda", "wsl2-host-libs")
RECIPE_FIELDS = ("name", "version", "description", "variant", "base", "builder_base",
                 "cuda_version", "rocm_version", "python", "conda", "apt", "user", "workdir",
                 "env", "labels", "command", "healthcheck", "ca_secret", "uv_version")
PYTHON_FIELDS = ("version", "packages", "requirements", "lockfile")
CONDA_FIELDS = ("packages", "channels", "image")
APT_FIELDS = ("build", "runtime")
USER_FIELDS = ("name", "uid")
HEALTH_FIELDS = ("test", "interval", "timeout", "retries", "start_period")

# uv comes from PyPI (pip install uv==...): the one index every site with Python has.
DEFAULT_UV_VERSION = "0.13.9"
# The micromamba image is pinned by tag; pin it by digest in the recipe where a registry is
# reachable (conda.image).
DEFAULT_MICROMAMBA_IMAGE = "mambaorg/micromamba:2.0.5"
DEFAULT_USER = {"name": "app", "uid": 10001}
CA_SECRET_ID = "ca"
CA_SECRET_PATH = "/run/secrets/ca"
CUDA_LABEL = "com.nvidia.cuda.version"

# Driver user-space libraries come from the host (NVIDIA Container Toolkit, WSL's
# /usr/lib/wsl/lib, the ROCm/Mesa kernel drivers): an image that carries them breaks on
# every host whose driver differs.
_DRIVER_PACKAGE = re.compile(
    r"^(nvidia-driver|nvidia-kernel|nvidia-utils|nvidia-compute-utils|libnvidia-|libcuda1|"
    r"nvidia-headless|nvidia-dkms|amdgpu-dkms|nvidia-vulkan-icd|nvidia-egl-icd)")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_APT_PKG = re.compile(r"^[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+~:-]+)?$")
_PY_REQ = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9._,-]+\])?"
                     r"\s*((==|>=|<=|~=|!=|<|>)\s*[A-Za-z0-9.*+!-]+\s*,?\s*)*$")
_CONDA_PKG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\s*(==|>=|<=|=|<|>)\s*[A-Za-z0-9.*+_-]+)?$")
_IMAGE_REF = re.compile(r"^[a-z0-9][a-z0-9._/:-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"
                        r"(@sha256:[0-9a-f]{64})?$")
_ENV_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DURATION = re.compile(r"^\d+(ms|s|m|h)$")
_REL_PATH = re.compile(r"^(?!/)(?!.*(^|/)\.\.(/|$))[A-Za-z0-9_./-]+$")


class RecipeError(ValueError):
    """Invalid recipe; the message names the field."""


def _err(field: str, msg: str) -> NoReturn:
    raise RecipeError("recipe field '%s': %s" % (field, msg))


def image_is_pinned(ref: str) -> bool:
    return "@sha256:" in ref


def _str_list(value: object, field: str, pattern: re.Pattern[str], example: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        _err(field, "expected a list like %s, got %s" % (example, type(value).__name__))
    out = []
    for item in value:
        if not isinstance(item, str) or not pattern.match(item.strip()):
            _err(field, "%r is not a valid entry (like %s)" % (item, example))
        out.append(item.strip())
    return out


def _image(value: object, field: str) -> str:
    if not isinstance(value, str) or not value or not _IMAGE_REF.match(value):
        _err(field, "an image reference like debian:bookworm-slim@sha256:<64 hex>, got %r"
             % (value,))
    return value


def _check_version(value: object, field: str, parts: int = 2) -> str:
    text = str(value) if isinstance(value, (str, int, float)) and not isinstance(value, bool) \
        else ""
    if not re.match(r"^\d+(\.\d+){%d,2}$" % (parts - 1), text):
        _err(field, "a version like %s, got %r" % ("12.4" if parts == 2 else "3", value))
    return text


def _mapping(value: object, field: str, known: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        _err(field, "expected a mapping with %s" % ", ".join(known))
    for key in sorted(set(value) - set(known), key=str):
        _err("%s.%s" % (field, key), "unknown field (known: %s)" % ", ".join(known))
    return dict(value)


def validate_recipe(recipe: object) -> tuple[dict[str, Any], list[str]]:
    """Check a recipe; return (normalized copy, warnings).  Raises RecipeError."""
    if not isinstance(recipe, dict):
        raise RecipeError("a recipe is a mapping (name, variant, base, ...), got %s"
                          % type(recipe).__name__)
    for key in sorted(set(recipe) - set(RECIPE_FIELDS), key=str):
        _err(str(key), "unknown field (known: %s)" % ", ".join(RECIPE_FIELDS))
    warnings: list[str] = []
    out: dict[str, Any] = {}
    name = recipe.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        _err("name", "required: lowercase letters, digits, '.', '_' or '-' (the image "
                     "repository), got %r" % (name,))
    out["name"] = name
    version = recipe.get("version", "latest")
    if not isinstance(version, (str, int, float)) or isinstance(version, bool) or \
            not _VERSION.match(str(version)):
        _err("version", "a tag like 1.4.0, got %r" % (version,))
    out["version"] = str(version)
    desc = recipe.get("description", "")
    if not isinstance(desc, str):
        _err("description", "expected a string")
    out["description"] = desc
    variant = recipe.get("variant")
    if variant not in VARIANTS:
        _err("variant", "required, one of %s; got %r" % (", ".join(VARIANTS), variant))
    out["variant"] = variant
    if "base" not in recipe:
        _err("base", "required: the image to build on (CUDA runtime, ROCm, Debian, ...)")
    out["base"] = _image(recipe["base"], "base")
    out["builder_base"] = _image(recipe.get("builder_base") or out["base"], "builder_base")
    for field in ("base", "builder_base"):
        if not image_is_pinned(out[field]) and (field == "base" or "builder_base" in recipe):
            warnings.append("%s %s is not pinned by digest: add @sha256:<digest> (docker "
                            "buildx imagetools inspect %s) so every build starts from the "
                            "same bytes" % (field, out[field], out[field]))
    cuda = recipe.get("cuda_version")
    if variant in CUDA_VARIANTS:
        if cuda is None:
            _err("cuda_version", "required for the %s variant: the CUDA the image needs "
                                 "(it becomes the %s label that cuda_compat reads)"
                 % (variant, CUDA_LABEL))
        out["cuda_version"] = _check_version(cuda, "cuda_version")
        tag_cuda = re.search(r":(\d+\.\d+)(\.\d+)?-", out["base"])
        if tag_cuda and not out["cuda_version"].startswith(tag_cuda.group(1)):
            warnings.append("cuda_version %s differs from the base's CUDA %s: the base's "
                            "NVIDIA_REQUIRE_CUDA wins in cuda_compat" %
                            (out["cuda_version"], tag_cuda.group(1)))
    elif cuda is not None:
        _err("cuda_version", "only for the cuda and wsl2-host-libs variants (this is %s)"
             % variant)
    rocm = recipe.get("rocm_version")
    if rocm is not None:
        if variant != "rocm":
            _err("rocm_version", "only for the rocm variant (this is %s)" % variant)
        out["rocm_version"] = _check_version(rocm, "rocm_version")
    out["python"] = _check_python(recipe.get("python"))
    out["conda"] = _check_conda(recipe.get("conda"))
    apt = _mapping(recipe.get("apt") or {}, "apt", APT_FIELDS)
    out["apt"] = {key: _str_list(apt.get(key), "apt." + key, _APT_PKG, "[libgomp1]")
                  for key in APT_FIELDS}
    for key in APT_FIELDS:
        for pkg in out["apt"][key]:
            if _DRIVER_PACKAGE.match(pkg):
                _err("apt." + key, "%s is a GPU driver package: the driver comes from the "
                                   "host (the NVIDIA Container Toolkit, /usr/lib/wsl/lib on "
                                   "WSL2, the kernel's amdgpu/Mesa); remove it" % pkg)
    user = _mapping(recipe.get("user") or DEFAULT_USER, "user", USER_FIELDS)
    uname = user.get("name", DEFAULT_USER["name"])
    uid = user.get("uid", DEFAULT_USER["uid"])
    if not isinstance(uname, str) or not re.match(r"^[a-z_][a-z0-9_-]{0,31}$", uname) \
            or uname == "root":
        _err("user.name", "a non-root user name like app, got %r" % (uname,))
    if isinstance(uid, bool) or not isinstance(uid, int) or uid < 1000 or uid > 65533:
        _err("user.uid", "a non-root uid from 1000 to 65533, got %r" % (uid,))
    out["user"] = {"name": uname, "uid": uid}
    workdir = recipe.get("workdir", "/workspace" if variant == "dev" else "/app")
    if not isinstance(workdir, str) or not workdir.startswith("/") or " " in workdir:
        _err("workdir", "an absolute path without spaces, got %r" % (workdir,))
    out["workdir"] = workdir
    env = recipe.get("env") or {}
    if not isinstance(env, dict):
        _err("env", "expected a mapping KEY: value")
    for key, value in env.items():
        if not isinstance(key, str) or not _ENV_KEY.match(key):
            _err("env", "%r is not an environment variable name" % (key,))
        if isinstance(value, (dict, list)) or value is None:
            _err("env." + key, "must be a scalar")
    out["env"] = {k: _scalar(v) for k, v in env.items()}
    labels = recipe.get("labels") or {}
    if not isinstance(labels, dict) or not all(isinstance(k, str) and k for k in labels):
        _err("labels", "expected a mapping of label -> value")
    for key, value in labels.items():
        if isinstance(value, (dict, list)) or value is None:
            _err("labels." + key, "must be a scalar")
    out["labels"] = {k: _scalar(v) for k, v in labels.items()}
    command = recipe.get("command")
    if command is not None and (not isinstance(command, list) or not command or
                                not all(isinstance(c, str) for c in command)):
        _err("command", "a list of strings (JSON-form CMD), like [python, -m, app]; got %r"
             % (command,))
    out["command"] = command
    out["healthcheck"] = _check_health(recipe.get("healthcheck"), out)
    ca = recipe.get("ca_secret", False)
    if not isinstance(ca, bool):
        _err("ca_secret", "true or false, got %r" % (ca,))
    out["ca_secret"] = ca
    uv_version = recipe.get("uv_version", DEFAULT_UV_VERSION)
    if not isinstance(uv_version, str) or not re.match(r"^\d+\.\d+\.\d+$", uv_version):
        _err("uv_version", "an exact uv version like %s, got %r" % (DEFAULT_UV_VERSION,
                                                                    uv_version))
    out["uv_version"] = uv_version
    return out, warnings


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _check_python(python: object) -> dict[str, Any] | None:
    if python is None:
        return None
    py = _mapping(python, "python", PYTHON_FIELDS)
    if "version" not in py:
        _err("python.version", "required: the base's python3 (3.11 on bookworm, 3.13 on "
                               "trixie, 3.10 on Ubuntu 22.04, 3.12 on 24.04)")
    out: dict[str, Any] = {"version": _check_version(py["version"], "python.version")}
    out["packages"] = _str_list(py.get("packages"), "python.packages", _PY_REQ,
                                "[numpy==2.1.3, 'httpx>=0.27']")
    for key in ("requirements", "lockfile"):
        value = py.get(key)
        if value is not None and (not isinstance(value, str) or not _REL_PATH.match(value)):
            _err("python." + key, "a path relative to the recipe's directory (no '..'), "
                                  "got %r" % (value,))
        out[key] = value
    if out["lockfile"] and (out["requirements"] or out["packages"]):
        _err("python.lockfile", "a lockfile is the whole environment (uv pip sync): not "
                                "together with packages or requirements")
    return out


def _check_conda(conda: object) -> dict[str, Any] | None:
    if conda is None:
        return None
    cd = _mapping(conda, "conda", CONDA_FIELDS)
    packages = _str_list(cd.get("packages"), "conda.packages", _CONDA_PKG, "[libsndfile=1.2]")
    if not packages:
        _err("conda.packages", "required: the system libraries to take from conda")
    channels = _str_list(cd.get("channels", ["conda-forge"]), "conda.channels",
                         re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"), "[conda-forge]")
    if not channels:
        _err("conda.channels", "at least one channel, like [conda-forge]")
    return {"packages": packages, "channels": channels,
            "image": _image(cd.get("image", DEFAULT_MICROMAMBA_IMAGE), "conda.image")}


def _check_health(health: object, recipe: Mapping[str, Any]) -> dict[str, Any] | None:
    if health is False:
        return None
    if health is None:
        if recipe["python"] is not None:
            return {"test": ["CMD", "python", "-c", "import sys; sys.exit(0)"],
                    "interval": "30s", "timeout": "5s", "retries": 3}
        return None
    hc = _mapping(health, "healthcheck", HEALTH_FIELDS)
    test = hc.get("test")
    if not isinstance(test, list) or len(test) < 2 or test[0] != "CMD" or \
            not all(isinstance(t, str) for t in test):
        _err("healthcheck.test", "a list starting with CMD (exec form), like [CMD, curl, -f, "
                                 "http://localhost:8080/health]; got %r" % (test,))
    for key in ("interval", "timeout", "start_period"):
        if key in hc and (not isinstance(hc[key], str) or not _DURATION.match(hc[key])):
            _err("healthcheck." + key, "a duration like 30s, got %r" % (hc[key],))
    if "retries" in hc and (isinstance(hc["retries"], bool) or not isinstance(hc["retries"], int)
                            or hc["retries"] < 1):
        _err("healthcheck.retries", "a positive integer, got %r" % (hc["retries"],))
    return hc


def recipe_digest(recipe: Mapping[str, Any]) -> str:
    """A stable hash of a normalized recipe (the label gpufleet.image.recipe)."""
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- render

# Per variant: (apt packages of the runtime stage, environment, labels).
_VARIANT_RUNTIME: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    # The toolkit mounts libcuda/libnvidia-ml from the host's driver at start.
    "cuda": ((), {"NVIDIA_VISIBLE_DEVICES": "all",
                  "NVIDIA_DRIVER_CAPABILITIES": "compute,utility"}),
    # WSL2: the driver lives in Windows; the toolkit mounts /usr/lib/wsl/lib (libcuda,
    # libdxcore) into the container. Nothing of the driver is in the image.
    "wsl2-host-libs": ((), {"NVIDIA_VISIBLE_DEVICES": "all",
                            "NVIDIA_DRIVER_CAPABILITIES": "compute,utility",
                            "LD_LIBRARY_PATH": "/usr/lib/wsl/lib"}),
    "rocm": ((), {}),
    # The Vulkan loader and Mesa's ICDs (radv, anv, lavapipe); NVIDIA's ICD and driver come
    # from the host through the toolkit's graphics capability.
    "vulkan": (("libvulkan1", "mesa-vulkan-drivers", "vulkan-tools"),
               {"NVIDIA_VISIBLE_DEVICES": "all",
                "NVIDIA_DRIVER_CAPABILITIES": "graphics,utility,display",
                # The loader warns without one; /tmp is writable by the non-root user.
                "XDG_RUNTIME_DIR": "/tmp"}),
    "cpu": ((), {}),
    "dev": (("git", "less", "procps"), {}),
}
_BUILD_PACKAGES = ("build-essential", "python3-dev")


def _apt_install(packages: list[str], ca: bool) -> list[str]:
    """The RUN line of an apt install that leaves no lists behind."""
    opts = ' -o Acquire::https::CaInfo=%s' % CA_SECRET_PATH if ca else ""
    pkgs = " ".join(sorted(dict.fromkeys(packages)))
    mount = _ca_mount(ca)
    return ["RUN %sapt-get update%s \\" % (mount, opts),
            " && apt-get install -y --no-install-recommends%s %s \\" % (opts, pkgs),
            " && apt-get clean && rm -rf /var/lib/apt/lists/*"]


def _ca_mount(ca: bool) -> str:
    return ("--mount=type=secret,id=%s,target=%s,required=true \\\n    " % (CA_SECRET_ID,
                                                                            CA_SECRET_PATH)
            if ca else "")


def _ca_env(ca: bool) -> str:
    return ("SSL_CERT_FILE=%s PIP_CERT=%s " % (CA_SECRET_PATH, CA_SECRET_PATH)) if ca else ""


def _quote(value: str) -> str:
    return json.dumps(value)


def _healthcheck_line(hc: Mapping[str, Any]) -> str:
    opts = []
    for key in ("interval", "timeout", "start_period", "retries"):
        if key in hc:
            opts.append("--%s=%s" % (key.replace("_", "-"), hc[key]))
    return "HEALTHCHECK %sCMD %s" % ("".join(o + " " for o in opts), json.dumps(hc["test"][1:]))


def build_args(recipe: Mapping[str, Any], base: str | None = None) -> dict[str, str]:
    """The --build-arg values for a build (``base`` overrides both bases, as tests need)."""
    return {"BASE_IMAGE": base or recipe["base"],
            "BUILDER_IMAGE": base or recipe["builder_base"]}


def image_labels(recipe: Mapping[str, Any]) -> dict[str, str]:
    labels = {"org.opencontainers.image.title": recipe["name"],
              "org.opencontainers.image.version": recipe["version"],
              "gpufleet.image.variant": recipe["variant"],
              "gpufleet.image.recipe": recipe_digest(recipe),
              # The driver's user-space libraries are never in the image.
              "gpufleet.image.driver": "host"}
    if recipe["description"]:
        labels["org.opencontainers.image.description"] = recipe["description"]
    if recipe.get("cuda_version"):
        labels[CUDA_LABEL] = recipe["cuda_version"]
    if recipe.get("rocm_version"):
        labels["com.amd.rocm.version"] = recipe["rocm_version"]
    labels.update(recipe["labels"])
    return labels


def render_dockerfile(recipe: object) -> tuple[str, list[str]]:
    """Validate and render.  Returns (Dockerfile text, warnings)."""
    rc, warnings = validate_recipe(recipe)
    ca = rc["ca_secret"]
    variant = rc["variant"]
    py = rc["python"]
    conda = rc["conda"]
    lines = ["# Rendered by gpufleet from the recipe %s (variant %s); edit the recipe, not this "
             "file." % (rc["name"], variant),
             "# Build with BuildKit: docker buildx build --build-arg BASE_IMAGE=... %s." %
             ("--secret id=ca,src=/path/to/ca-bundle.crt" if ca else ""),
             "ARG BASE_IMAGE=%s" % rc["base"],
             "ARG BUILDER_IMAGE=%s" % rc["builder_base"], ""]
    if conda is not None:
        channels = " ".join("-c %s" % c for c in conda["channels"])
        lines += ["# System libraries from conda (micromamba); only /opt/conda-env is copied.",
                  "FROM %s AS conda" % conda["image"],
                  "RUN %s--mount=type=cache,target=/opt/conda/pkgs,uid=57439 \\" % _ca_mount(ca),
                  "    %smicromamba create -y -p /opt/conda-env --override-channels %s %s \\"
                  % (("CONDA_SSL_VERIFY=%s " % CA_SECRET_PATH) if ca else "", channels,
                     " ".join(_quote(p) for p in conda["packages"])),
                  " && rm -rf /opt/conda-env/pkgs /opt/conda-env/conda-meta/history", ""]
    need_builder = py is not None or variant == "dev"
    if need_builder:
        lines += ["# Builder: compilers and uv; nothing of it reaches the runtime stage "
                  "but /opt/venv.",
                  "FROM ${BUILDER_IMAGE} AS builder",
                  "ARG DEBIAN_FRONTEND=noninteractive",
                  "ENV UV_LINK_MODE=copy UV_COMPILE_BYTECODE=1 UV_PYTHON_DOWNLOADS=never \\",
                  "    UV_PYTHON_PREFERENCE=only-system PIP_DISABLE_PIP_VERSION_CHECK=1"]
        build_pkgs = ["ca-certificates", "python3", "python3-venv", *_BUILD_PACKAGES,
                      *rc["apt"]["build"]]
        if variant == "dev":
            build_pkgs += list(_VARIANT_RUNTIME["dev"][0]) + rc["apt"]["runtime"]
        lines += _apt_install(build_pkgs, ca)
        lines += ["# uv from PyPI (pinned), in its own venv: pip is the one client every "
                  "Python site can reach.",
                  "RUN %s--mount=type=cache,target=/root/.cache/pip \\" % _ca_mount(ca),
                  "    python3 -m venv /opt/uv \\",
                  " && %s/opt/uv/bin/pip install uv==%s" % (_ca_env(ca), rc["uv_version"])]
        if py is not None:
            lines.append("RUN /opt/uv/bin/uv venv --python %s /opt/venv" % py["version"])
            install = ""
            mounts = ["--mount=type=cache,target=/root/.cache/uv"]
            if py["lockfile"]:
                mounts.append("--mount=type=bind,source=%s,target=/tmp/lock.txt" % py["lockfile"])
                install = "/opt/uv/bin/uv pip sync --python /opt/venv/bin/python /tmp/lock.txt"
            else:
                args = []
                if py["requirements"]:
                    mounts.append("--mount=type=bind,source=%s,target=/tmp/requirements.txt"
                                  % py["requirements"])
                    args.append("-r /tmp/requirements.txt")
                args += [_quote(p) for p in py["packages"]]
                if args:
                    install = ("/opt/uv/bin/uv pip install --python /opt/venv/bin/python %s"
                               % " ".join(args))
            if install:
                if ca:
                    mounts.insert(0, "--mount=type=secret,id=%s,target=%s,required=true"
                                  % (CA_SECRET_ID, CA_SECRET_PATH))
                lines.append("RUN " + " \\\n    ".join(mounts) + " \\")
                lines.append("    %s%s" % (_ca_env(ca), install))
        lines.append("")
    # Runtime stage.
    variant_pkgs, variant_env = _VARIANT_RUNTIME[variant]
    lines.append("# Runtime: only what runs.%s" % (" Dev keeps the builder's tools; mount the "
                                                   "source at %s." % rc["workdir"]
                                                   if variant == "dev" else ""))
    lines.append("FROM %s AS runtime" % ("builder" if variant == "dev" else "${BASE_IMAGE}"))
    lines.append("ARG BASE_IMAGE")
    if variant != "dev":
        runtime_pkgs = list(variant_pkgs) + rc["apt"]["runtime"]
        if py is not None:
            runtime_pkgs.insert(0, "python3")
        if runtime_pkgs:
            lines.append("ARG DEBIAN_FRONTEND=noninteractive")
            lines += _apt_install(runtime_pkgs, ca)
    user = rc["user"]
    lines += ["RUN groupadd --system --gid %d %s \\" % (user["uid"], user["name"]),
              " && useradd --system --uid %d --gid %d --create-home --shell /usr/sbin/nologin %s"
              % (user["uid"], user["uid"], user["name"])]
    if py is not None and variant != "dev":
        lines.append("COPY --from=builder /opt/venv /opt/venv")
    if conda is not None:
        lines.append("COPY --from=conda /opt/conda-env /opt/conda-env")
    env: dict[str, str] = {}
    paths = []
    if py is not None:
        paths.append("/opt/venv/bin")
        env["VIRTUAL_ENV"] = "/opt/venv"
        env["PYTHONUNBUFFERED"] = "1"
    if conda is not None:
        paths.append("/opt/conda-env/bin")
    if variant == "dev":
        paths.append("/opt/uv/bin")
    if paths:
        env["PATH"] = ":".join(paths) + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    env.update(variant_env)
    if conda is not None:
        env["LD_LIBRARY_PATH"] = ":".join(p for p in (env.get("LD_LIBRARY_PATH"),
                                                      "/opt/conda-env/lib") if p)
    env.update(rc["env"])
    if env:
        lines.append("ENV " + " \\\n    ".join("%s=%s" % (k, _quote(v)) for k, v in env.items()))
    labels = image_labels(rc)
    lines.append("LABEL org.opencontainers.image.base.name=\"${BASE_IMAGE}\" \\\n      " +
                 " \\\n      ".join("%s=%s" % (k, _quote(v)) for k, v in labels.items()))
    lines += ["WORKDIR %s" % rc["workdir"],
              "USER %d:%d" % (user["uid"], user["uid"])]
    if rc["healthcheck"]:
        lines.append(_healthcheck_line(rc["healthcheck"]))
    command = rc["command"] or (["python"] if py is not None else ["/bin/sh"])
    if variant == "dev" and not rc["command"]:
        command = ["/bin/bash"]
    lines.append("CMD %s" % json.dumps(command))
    return "\n".join(lines) + "\n", warnings


# --------------------------------------------------------------------------- lint

def lint_dockerfile(text: str) -> list[str]:
    """The hadolint rules this project cares about, checked without hadolint.

    Returns findings (empty when clean): DL3006/DL3007 (FROM with a tag, not latest),
    DL3005 (no apt-get upgrade), DL3015 (--no-install-recommends), DL3009 (apt lists
    removed), DL3002 (last USER not root), DL3020 (COPY, not ADD, for local files),
    DL3025 (JSON-form CMD/ENTRYPOINT), DL3014 (apt-get install -y).
    """
    findings: list[str] = []
    joined = re.sub(r"\\\n", " ", text)
    args: dict[str, str] = {}
    stages: set[str] = set()
    users: list[str] = []
    for num, line in enumerate(joined.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        instr, dummy, rest = stripped.partition(" ")
        instr = instr.upper()
        rest = rest.strip()
        if instr == "ARG" and "=" in rest:
            key, dummy, value = rest.partition("=")
            args[key] = value
        elif instr == "FROM":
            parts = rest.split()
            ref = parts[0]
            m = re.match(r"^\$\{?(\w+)\}?$", ref)
            if m:
                ref = args.get(m.group(1), "")
            if len(parts) >= 3 and parts[1].upper() == "AS":
                stages.add(parts[2])
            if ref in stages:
                continue
            if ":" not in ref.rsplit("/", 1)[-1] and "@" not in ref:
                findings.append("DL3006 line %d: FROM %s has no tag" % (num, ref))
            elif ref.rsplit("/", 1)[-1].split("@")[0].endswith(":latest"):
                findings.append("DL3007 line %d: FROM %s uses latest" % (num, ref))
        elif instr == "RUN":
            if re.search(r"apt-get\s+(dist-)?upgrade", rest):
                findings.append("DL3005 line %d: apt-get upgrade" % num)
            if "apt-get install" in rest:
                if "--no-install-recommends" not in rest:
                    findings.append("DL3015 line %d: apt-get install without "
                                    "--no-install-recommends" % num)
                if not re.search(r"apt-get install\s+(-\S+\s+)*-y", rest):
                    findings.append("DL3014 line %d: apt-get install without -y" % num)
                if "rm -rf /var/lib/apt/lists" not in rest:
                    findings.append("DL3009 line %d: apt lists not removed" % num)
        elif instr == "ADD":
            src = rest.split()[0] if rest else ""
            if not re.match(r"^https?://", src) and not src.endswith((".tar", ".tar.gz", ".tgz")):
                findings.append("DL3020 line %d: ADD for a local file; use COPY" % num)
        elif instr in ("CMD", "ENTRYPOINT"):
            try:
                ok = isinstance(json.loads(rest), list)
            except ValueError:
                ok = False
            if not ok:
                findings.append("DL3025 line %d: %s not in JSON form" % (num, instr))
        elif instr == "USER":
            users.append(rest)
    if not users:
        findings.append("DL3002: no USER: the image runs as root")
    elif users[-1].split(":")[0] in ("root", "0"):
        findings.append("DL3002: the last USER is root")
    return findings
