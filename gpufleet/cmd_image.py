"""``gpufleet image``: Dockerfiles from recipes, built with the local engine (BuildKit).

    gpufleet image render RECIPE [--ca-bundle FILE]
    gpufleet image build  RECIPE [--base IMAGE] [--tag TAG] [--ca-bundle FILE]
                          [--platform P] [--no-cache] [--lock FILE --service NAME] [--json]

A recipe is a YAML file (docs/images.md). ``build`` renders the Dockerfile into a temporary
build context with only the files the recipe names (its requirements or lockfile, relative
to the recipe), runs ``docker buildx build`` (BuildKit: secret and cache mounts) and prints
what was built: ``{"image", "id", "size_bytes", "digest", "labels"}`` with ``--json``.
``--base`` replaces the recipe's bases (build argument BASE_IMAGE/BUILDER_IMAGE), e.g. a
locally imported image where no registry is reachable. ``--ca-bundle`` passes a CA bundle
(a TLS-intercepting proxy's) as the BuildKit secret ``ca``; it never lands in a layer.
``--lock FILE --service NAME`` records the result in FILE under the service (the
``gpu_image_lock`` mapping the role gpu_image writes too).

Exit status: 0 built (or rendered), 1 the build failed, 2 bad usage or a bad recipe (the
message names the field; nothing was built).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any


def add_parser(sub: Any) -> None:
    p = sub.add_parser("image", help="render and build images from recipes",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    isub = p.add_subparsers(dest="image_command", required=True)
    r = isub.add_parser("render", help="print the Dockerfile of a recipe")
    r.add_argument("recipe", metavar="RECIPE")
    r.add_argument("--ca-bundle", metavar="FILE",
                   help="render as if the CA bundle secret were passed (ca_secret: true)")
    r.set_defaults(func=cmd_render)
    b = isub.add_parser("build", help="build a recipe with the local engine")
    b.add_argument("recipe", metavar="RECIPE")
    b.add_argument("--base", metavar="IMAGE", help="build FROM this image instead of the recipe's")
    b.add_argument("--tag", metavar="TAG", help="image reference (default NAME:VERSION)")
    b.add_argument("--ca-bundle", metavar="FILE",
                   help="CA bundle passed as the BuildKit secret 'ca' (TLS-intercepting proxy)")
    b.add_argument("--platform", metavar="P", help="target platform, e.g. linux/arm64")
    b.add_argument("--no-cache", action="store_true", help="build without BuildKit's cache")
    b.add_argument("--lock", metavar="FILE", help="record the result in this lock file")
    b.add_argument("--service", metavar="NAME", help="the service name to record (with --lock)")
    b.add_argument("--json", action="store_true", help="print the result as JSON")
    b.set_defaults(func=cmd_build)


def _fail(msg: str, status: int = 2) -> int:
    print("gpufleet: %s" % msg, file=sys.stderr)
    return status


def load_recipe(path: str, ca_bundle: str | None) -> tuple[dict[str, Any], str, list[str]]:
    """Read, validate and render; raises ValueError (RecipeError) or OSError."""
    import yaml

    from ansible_collections.gpufleet.fleet.plugins.module_utils import gpufleet_image as gi
    with open(path, encoding="utf-8") as fh:
        try:
            recipe = yaml.safe_load(fh)
        except yaml.YAMLError as exc:
            raise gi.RecipeError("%s is not YAML: %s" % (path, exc)) from exc
    if isinstance(recipe, dict) and ca_bundle:
        recipe["ca_secret"] = True
    normalized, dummy = gi.validate_recipe(recipe)
    text, warnings = gi.render_dockerfile(recipe)
    return normalized, text, warnings


def _import_collection() -> None:
    """Make ``ansible_collections.gpufleet.fleet`` importable (checkout or wheel)."""
    from gpufleet import api
    api.content()


def cmd_render(args: argparse.Namespace) -> int:
    _import_collection()
    try:
        dummy, text, warnings = load_recipe(args.recipe, args.ca_bundle)
    except OSError as exc:
        return _fail("cannot read recipe %s: %s" % (args.recipe, exc.strerror or exc))
    except ValueError as exc:
        return _fail("%s: %s" % (args.recipe, exc))
    for w in warnings:
        print("gpufleet: warning: %s" % w, file=sys.stderr)
    sys.stdout.write(text)
    return 0


def prepare_context(recipe_path: str, recipe: dict[str, Any], dockerfile: str, dest: str) -> None:
    """A build context with the Dockerfile and only the files the recipe names."""
    base = os.path.dirname(os.path.abspath(recipe_path))
    with open(os.path.join(dest, "Dockerfile"), "w", encoding="utf-8") as fh:
        fh.write(dockerfile)
    py = recipe.get("python") or {}
    for key in ("requirements", "lockfile"):
        rel = py.get(key)
        if rel:
            src = os.path.join(base, rel)
            if not os.path.isfile(src):
                raise ValueError("recipe field 'python.%s': %s does not exist (paths are "
                                 "relative to the recipe)" % (key, src))
            os.makedirs(os.path.dirname(os.path.join(dest, rel)) or dest, exist_ok=True)
            shutil.copyfile(src, os.path.join(dest, rel))


def buildx_argv(recipe: dict[str, Any], context: str, tag: str, base: str | None,
                ca_bundle: str | None, platform: str | None, no_cache: bool,
                iidfile: str) -> list[str]:
    from ansible_collections.gpufleet.fleet.plugins.module_utils import gpufleet_image as gi
    argv = ["docker", "buildx", "build", "--progress=plain", "--load", "--iidfile", iidfile,
            "-t", tag]
    for key, value in gi.build_args(recipe, base).items():
        argv += ["--build-arg", "%s=%s" % (key, value)]
    if ca_bundle:
        argv += ["--secret", "id=%s,src=%s" % (gi.CA_SECRET_ID, os.path.abspath(ca_bundle))]
    if platform:
        argv += ["--platform", platform]
    if no_cache:
        argv.append("--no-cache")
    return argv + [context]


def inspect_image(ref: str) -> dict[str, Any]:
    out = subprocess.run(["docker", "image", "inspect", ref], capture_output=True, text=True,
                         check=True).stdout
    doc = json.loads(out)[0]
    digests = doc.get("RepoDigests") or []
    return {"image": ref, "id": doc["Id"], "size_bytes": doc.get("Size"),
            "digest": digests[0] if digests else None,
            "labels": (doc.get("Config") or {}).get("Labels") or {}}


def write_lock(path: str, service: str, result: dict[str, Any], host: str = "localhost") -> None:
    """Record ``service -> {image, recipe, digest, ids: {host: image ID}}`` in the lock file
    (YAML), keeping the other services and hosts: the format the gpu_image role writes."""
    import yaml
    doc: dict[str, Any] = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            doc = yaml.safe_load(fh) or {}
    lock = doc.setdefault("gpu_image_lock", {})
    entry = lock.get(service) or {}
    ids = entry.get("ids") or {}
    if entry.get("image") != result["image"]:
        ids = {}  # another image now: the old IDs say nothing about it
    ids[host] = result["id"]
    lock[service] = {"image": result["image"], "digest": result["digest"], "ids": ids,
                     "recipe": result["labels"].get("gpufleet.image.recipe")}
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write("# Written by `gpufleet image build --lock` / the gpu_image role: the image "
                 "each service runs,\n# its registry digest (null until pushed) and the image "
                 "ID per build host.\n")
        yaml.safe_dump(doc, fh, sort_keys=True)
    os.replace(tmp, path)


def cmd_build(args: argparse.Namespace) -> int:
    _import_collection()
    if bool(args.lock) != bool(args.service):
        return _fail("--lock and --service go together (the lock records a service's image)")
    if args.ca_bundle and not os.path.isfile(args.ca_bundle):
        return _fail("--ca-bundle %s: no such file" % args.ca_bundle)
    try:
        recipe, text, warnings = load_recipe(args.recipe, args.ca_bundle)
    except OSError as exc:
        return _fail("cannot read recipe %s: %s" % (args.recipe, exc.strerror or exc))
    except ValueError as exc:
        return _fail("%s: %s" % (args.recipe, exc))
    if recipe["ca_secret"] and not args.ca_bundle:
        return _fail("%s: recipe field 'ca_secret' is true: pass the CA bundle with "
                     "--ca-bundle FILE (e.g. /etc/ssl/certs/ca-certificates.crt)" % args.recipe)
    if shutil.which("docker") is None:
        return _fail("docker is not installed: the build needs the Docker CLI with the buildx "
                     "plugin (docs/images.md)")
    if subprocess.run(["docker", "buildx", "version"], capture_output=True).returncode != 0:
        return _fail("the Docker CLI has no buildx plugin: install Debian's docker-buildx "
                     "(trixie and later) or see docs/images.md for bookworm")
    for w in warnings:
        print("gpufleet: warning: %s" % w, file=sys.stderr)
    tag = args.tag or "%s:%s" % (recipe["name"], recipe["version"])
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="gpufleet-image-") as tmp:
        context = os.path.join(tmp, "context")
        os.mkdir(context)
        try:
            prepare_context(args.recipe, recipe, text, context)
        except ValueError as exc:
            return _fail("%s: %s" % (args.recipe, exc))
        iidfile = os.path.join(tmp, "iid")
        argv = buildx_argv(recipe, context, tag, args.base, args.ca_bundle, args.platform,
                           args.no_cache, iidfile)
        # Build output to stderr: stdout is the result.
        proc = subprocess.run(argv, stdout=sys.stderr, stderr=sys.stderr)
        if proc.returncode != 0:
            return _fail("docker buildx build failed (exit %d) for %s; the log is above"
                         % (proc.returncode, tag), 1)
    try:
        result = inspect_image(tag)
    except (subprocess.CalledProcessError, ValueError, IndexError) as exc:
        return _fail("built %s but cannot inspect it: %s" % (tag, exc), 1)
    result["warnings"] = warnings
    result["seconds"] = round(time.monotonic() - started, 1)
    if args.lock:
        write_lock(args.lock, args.service, result)
    if args.json:
        print(json.dumps(result, indent=2, sort_keys=True))
    else:
        print("%s  %s  %.1f MB  (%.0f s)" % (tag, result["id"][:19], (result["size_bytes"] or 0)
                                              / 1e6, result["seconds"]))
    return 0
