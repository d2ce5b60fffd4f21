# -*- coding: utf-8 -*-
"""What gpu_workload decides before it renders a compose file (pure logic, stdlib only).

- ``pin_images``: the image lock (``gpu_image_lock``, written by the gpu_image role and
  ``gpufleet image build --lock``, docs/images.md) applied to the service descriptions.
  A service whose lock entry has a registry ``digest`` runs ``repo@digest``; one whose entry
  has only this host's image ``ids`` keeps its tag, and the local image must have that ID
  (``check_image_ids``); a service without an entry is left as it is.
- ``host_group_ids``: the numeric GIDs that own the host's GPU device nodes (gpu_facts'
  ``host.device_node_access``), for ``group_add`` so images without a ``render`` group (or
  with another GID for it) still open ``/dev/dri/renderD*`` and ``/dev/kfd``.
"""
from __future__ import annotations

import copy
import re
from typing import Any, Mapping

_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_IMAGE_ID = re.compile(r"^(sha256:)?[0-9a-f]{12,64}$")
LOCK_FIELDS = ("image", "recipe", "digest", "ids")
REMEDY = ("rebuild it on this host (ansible-playbook playbooks/images.yml, or `gpufleet image "
          "build RECIPE --lock LOCKFILE --service %s`) so the lock records the new ID, or push "
          "it and record its digest")


class LockError(ValueError):
    """The lock does not fit the services or this host; the message names the service."""


def split_reference(image: str) -> tuple[str, str | None, str | None]:
    """``registry:5000/ns/app:1.0@sha256:..`` -> (repository, tag, digest)."""
    ref, _sep, digest = image.partition("@")
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        return ref[:colon], ref[colon + 1:], digest or None
    return ref, None, digest or None


def _same_image(a: str, b: str) -> bool:
    """Equal references once the digest is dropped and a missing tag reads as latest."""
    ra, ta, _da = split_reference(a)
    rb, tb, _db = split_reference(b)
    return ra == rb and (ta or "latest") == (tb or "latest")


def _check_entry(name: str, entry: object) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise LockError("gpu_image_lock, service '%s': expected a mapping {image, recipe, "
                        "digest, ids}, got %s" % (name, type(entry).__name__))
    unknown = sorted(set(entry) - set(LOCK_FIELDS))
    if unknown:
        raise LockError("gpu_image_lock, service '%s', field '%s': unknown (known: %s)"
                        % (name, unknown[0], ", ".join(LOCK_FIELDS)))
    digest = entry.get("digest")
    if digest is not None:
        if not isinstance(digest, str):
            raise LockError("gpu_image_lock, service '%s', field 'digest': a string, got %r"
                            % (name, digest))
        if not _DIGEST.match(split_reference(digest)[2] or digest):
            raise LockError("gpu_image_lock, service '%s', field 'digest': %r is not sha256:<64 "
                            "hex> or REPOSITORY@sha256:<64 hex>" % (name, digest))
    ids = entry.get("ids") or {}
    if not isinstance(ids, dict):
        raise LockError("gpu_image_lock, service '%s', field 'ids': a mapping of build host to "
                        "image ID" % name)
    for host, image_id in ids.items():
        if image_id is not None and not (isinstance(image_id, str) and _IMAGE_ID.match(image_id)):
            raise LockError("gpu_image_lock, service '%s', field 'ids.%s': %r is not an image "
                            "ID (sha256:<hex>)" % (name, host, image_id))
    return entry


def pin_images(services: Mapping[str, Any], lock: object, host: str
               ) -> tuple[dict[str, Any], list[dict[str, str]], list[str]]:
    """Apply the image lock to ``services`` for ``host``.

    Returns (services with digest-pinned images, ID checks ``[{service, image,
    expected_id}]`` to run against the host's local images, warnings).  Raises LockError
    when an entry is malformed or records another image than the service runs.
    """
    if lock is None:
        lock = {}
    if not isinstance(lock, dict):
        raise LockError("gpu_image_lock: expected a mapping of service -> {image, recipe, digest, "
                        "ids}, got %s" % type(lock).__name__)
    out = copy.deepcopy(dict(services))
    checks: list[dict[str, str]] = []
    warnings: list[str] = []
    for name, svc in out.items():
        if name not in lock or not isinstance(svc, dict) or not isinstance(svc.get("image"), str):
            continue  # no entry, or a description gpu_compose rejects with its own message
        entry = _check_entry(name, lock[name])
        image = svc["image"]
        if entry.get("image") and not _same_image(str(entry["image"]), image):
            raise LockError("service '%s': the lock (gpu_image_lock) records image %s but the "
                            "service runs %s; nothing was started. Rebuild (ansible-playbook "
                            "playbooks/images.yml or `gpufleet image build --lock`) or drop the "
                            "service's lock entry" % (name, entry["image"], image))
        digest = entry.get("digest")
        ids = entry.get("ids") or {}
        if digest:
            d_repo, _tag, d_sum = split_reference(digest)
            # A RepoDigest (REPOSITORY@sha256:..) names where it was pushed; a bare digest
            # belongs to the service's repository.
            svc["image"] = digest if d_sum else "%s@%s" % (split_reference(image)[0], digest)
        elif ids.get(host):
            checks.append({"service": name, "image": image, "expected_id": str(ids[host])})
        else:
            warnings.append("service '%s': the lock has no digest for %s and no image ID for "
                            "host %s (built on %s); running the tag as it is here. Push the "
                            "image and record its digest, or build it on this host"
                            % (name, image, host, ", ".join(sorted(ids)) or "no host"))
    return out, checks, warnings


def _normalize_id(image_id: str) -> str:
    return image_id if image_id.startswith("sha256:") else "sha256:" + image_id


def check_image_ids(checks: list[dict[str, str]], found: Mapping[str, str | None],
                    host: str) -> list[str]:
    """Compare the lock's IDs with the IDs of the local images (``found``: service -> the
    ID of its image on this host, None when absent).  Returns one message per service that
    does not match (empty: all match)."""
    errors: list[str] = []
    for check in checks:
        name, image, expected = check["service"], check["image"], check["expected_id"]
        actual = found.get(name)
        if actual and _normalize_id(actual).startswith(_normalize_id(expected)):
            continue
        errors.append("service '%s': image %s on %s is %s, but the lock (gpu_image_lock) "
                      "records %s; nothing was started. Remedy: %s"
                      % (name, image, host, actual or "not present", expected, REMEDY % name))
    return errors


def host_group_ids(nodes: object) -> tuple[int | None, int | None]:
    """(render_gid, video_gid) from gpu_facts' ``host.device_node_access``
    (``[{path, uid, gid, group, mode}]`` for /dev/kfd and /dev/dri/renderD*).

    render: the group of the render nodes (else of the node whose group is named render);
    video: the group named video among the nodes, else /dev/kfd's group when it differs from
    the render nodes' (older ROCm installs give /dev/kfd to video). None: not known here, and
    the compose file keeps the group's name (``video`` exists in Debian, Ubuntu and Alpine
    images; ``render`` often does not).
    """
    entries = [n for n in nodes if isinstance(n, dict) and isinstance(n.get("gid"), int)
               and not isinstance(n.get("gid"), bool)] if isinstance(nodes, list) else []
    render = next((n["gid"] for n in entries
                   if str(n.get("path", "")).startswith("/dev/dri/renderD")), None)
    if render is None:
        render = next((n["gid"] for n in entries if n.get("group") == "render"), None)
    video = next((n["gid"] for n in entries if n.get("group") == "video"), None)
    if video is None:
        kfd = next((n["gid"] for n in entries if n.get("path") == "/dev/kfd"), None)
        if kfd is not None and kfd != render:
            video = kfd
    return render, video
