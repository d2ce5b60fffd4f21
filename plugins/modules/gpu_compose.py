#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: gpufleet contributors
# Apache-2.0
from __future__ import annotations

DOCUMENTATION = r"""
---
module: gpu_compose
short_description: Render one compose file for a host's platform from gpufleet service descriptions
description:
  - Validates the service descriptions (docs/services.md) and renders a compose document with
    the platform's GPU rules; errors name the service and the field and nothing is written.
  - C(linux), C(cloud), C(wsl2), C(windows) with NVIDIA use C(deploy.resources.reservations.devices),
    or CDI device names (C(nvidia.com/gpu=all)) with I(gpu_mode=cdi); C(rocm) passes C(/dev/kfd)
    and C(/dev/dri) with the video and render groups; C(intel) passes C(/dev/dri); C(macos)
    never asks for a GPU and warns per GPU service; C(cloud) adds a restart policy and log rotation.
  - The file is JSON, which is YAML, so it needs no YAML library on the host and renders the
    same everywhere; it is written atomically and only when its content changes.
  - With I(image_lock), services run what the gpu_image role built (digest-pinned, or checked
    against this host's image IDs before anything is written); with I(device_node_access),
    GPU services get the host's numeric render/video GIDs.
  - Logic in C(module_utils/gpufleet_compose.py) and C(module_utils/gpufleet_workload.py).
version_added: "0.1.0"
options:
  services:
    description: Mapping of service name to its description (image, command, environment, ports,
      volumes, healthcheck, restart, resources, profiles, labels, gpu, cuda_version, platform).
    type: dict
    required: true
  platform:
    description: The host's platform.
    type: str
    required: true
    choices: [linux, cloud, wsl2, windows, macos, rocm, intel]
  gpu_vendor:
    description: GPU vendor on the host (C(rocm) and C(intel) platforms imply theirs).
    type: str
    choices: [nvidia, amd, intel, none]
    default: nvidia
  gpu_mode:
    description: NVIDIA through the device-request API (C(runtime)) or CDI device names (C(cdi)).
    type: str
    choices: [runtime, cdi]
    default: runtime
  gpu_available:
    description: Whether the host has a working GPU path (from gpu_facts). With C(false), policy
      C(required) fails and C(auto) falls back to the CPU with a warning.
    type: bool
    default: true
  project_name:
    description: Compose project name (C(name:) in the file, label C(gpufleet.project)).
    type: str
    required: true
  dest:
    description: Where to write the file; omit to only render.
    type: path
  container_platform:
    description: C(platform:) for services that do not set one (e.g. C(linux/arm64) on Apple silicon).
    type: str
  render_gid:
    description: Numeric GID of the host's render group (the name may not exist in the image);
      overrides the one read from I(device_node_access).
    type: int
  video_gid:
    description: Numeric GID of the host's video group; overrides the one read from
      I(device_node_access).
    type: int
  device_node_access:
    description:
      - gpu_facts' C(host.device_node_access) (path, uid, gid, group, mode of C(/dev/kfd) and
        the render nodes). The numeric GIDs that own them go into C(group_add) of AMD, Intel
        and VideoCore services, so images without a C(render) group (or with another GID for
        it) still open the nodes.
    type: list
    elements: dict
    default: []
  image_lock:
    description:
      - The image lock (C(gpu_image_lock), written by the gpu_image role and
        C(gpufleet image build --lock)), service -> C({image, recipe, digest, ids}).
      - A service with a C(digest) runs C(repository@digest). One with only C(ids[host]) keeps
        its tag and the local image must have that ID (C(docker image inspect)), or the module
        fails naming the service, both IDs and the remedy, and writes nothing. Services without
        an entry are unchanged; an entry that records another image than the service runs fails.
    type: dict
    default: {}
  host:
    description: This host's inventory name, the key of the lock's C(ids).
    type: str
    default: ""
  check_paths:
    description: Check that bind-mount sources exist on this host.
    type: bool
    default: true
  mode:
    description: Mode of a new file.
    type: raw
    default: "0644"
attributes:
  idempotent:
    support: full
    description: Writes only when the file's rendered content changes.
extends_documentation_fragment:
  - gpufleet.fleet.attributes.FILE_EDIT
author:
  - gpufleet contributors (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Render the compose file for this host
  gpu_compose:
    services: "{{ gpufleet_services }}"
    platform: "{{ ansible_facts.gpufleet.platform }}"
    project_name: aiml
    dest: /opt/gpufleet/aiml/compose.yaml
    gpu_available: "{{ ansible_facts.gpufleet.problems | length == 0 }}"
"""

RETURN = r"""
compose:
  description: The rendered compose document.
  returned: success
  type: dict
gpu_services:
  description: Services that got a GPU.
  returned: success
  type: list
  elements: str
render_warnings:
  description: What the user should know (CPU fallbacks, macOS); also shown as task warnings.
  returned: success
  type: list
  elements: str
images:
  description: The image each service runs (digest-pinned where the lock has a digest).
  returned: success
  type: dict
image_checks:
  description: The lock's image IDs checked against this host's images (service, image,
    expected_id, found_id).
  returned: success
  type: list
  elements: dict
dest:
  description: The file written (or that would be).
  returned: when dest is set
  type: str
"""

import json
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_compose import ServiceError, render
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_files import read_text, write_text
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_workload import (
    LockError, check_image_ids, host_group_ids, pin_images)

HEADER = "# Managed by gpufleet (gpu_compose): edit the service description, not this file.\n"


def local_image_id(module, image):
    """The ID of ``image`` on this host (``docker image inspect``), None when it is absent."""
    docker = module.get_bin_path("docker")
    if not docker:
        module.fail_json(msg="gpu_compose: the image lock asks to check the ID of %s, but this "
                             "host has no docker CLI; install Docker (role docker_engine). "
                             "Nothing was written." % image)
    rc, out, dummy = module.run_command([docker, "image", "inspect", "--format", "{{.Id}}", image])
    return (out.strip() or None) if rc == 0 else None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            services=dict(type="dict", required=True),
            platform=dict(type="str", required=True,
                          choices=["linux", "cloud", "wsl2", "windows", "macos", "rocm", "intel"]),
            gpu_vendor=dict(type="str", default="nvidia", choices=["nvidia", "amd", "intel", "none"]),
            gpu_mode=dict(type="str", default="runtime", choices=["runtime", "cdi"]),
            gpu_available=dict(type="bool", default=True),
            project_name=dict(type="str", required=True),
            dest=dict(type="path"),
            container_platform=dict(type="str"),
            render_gid=dict(type="int"),
            video_gid=dict(type="int"),
            device_node_access=dict(type="list", elements="dict", default=[]),
            image_lock=dict(type="dict", default={}),
            host=dict(type="str", default=""),
            check_paths=dict(type="bool", default=True),
            mode=dict(type="raw", default="0644"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    render_gid, video_gid = host_group_ids(p["device_node_access"])
    try:
        services, checks, lock_warnings = pin_images(p["services"], p["image_lock"], p["host"])
    except LockError as exc:
        module.fail_json(msg="gpu_compose: %s. Nothing was written." % exc)
    try:
        doc, warnings, gpu_services = render(
            services, p["platform"], p["project_name"], gpu_vendor=p["gpu_vendor"],
            gpu_mode=p["gpu_mode"], gpu_available=p["gpu_available"],
            container_platform=p["container_platform"],
            render_gid=p["render_gid"] if p["render_gid"] is not None else render_gid,
            video_gid=p["video_gid"] if p["video_gid"] is not None else video_gid,
            path_exists=os.path.exists if p["check_paths"] and p["platform"] != "windows" else None)
    except ServiceError as exc:
        module.fail_json(msg="gpu_compose: %s. Nothing was written." % exc)
    # Only after the description is valid: the lock's IDs against this host's images.
    found = dict((c["service"], local_image_id(module, c["image"])) for c in checks)
    errors = check_image_ids(checks, found, p["host"])
    image_checks = [dict(c, found_id=found[c["service"]]) for c in checks]
    if errors:
        module.fail_json(msg="gpu_compose: " + " ".join(errors) + " Nothing was written.",
                         image_checks=image_checks)
    warnings = lock_warnings + warnings
    for w in warnings:
        module.warn(w)
    result = dict(changed=False, compose=doc, render_warnings=warnings, gpu_services=gpu_services,
                  images=dict((name, svc["image"]) for name, svc in doc["services"].items()),
                  image_checks=image_checks)
    dest = p["dest"]
    if not dest:
        module.exit_json(**result)
    result["dest"] = dest
    text = HEADER + json.dumps(doc, indent=2) + "\n"
    before = read_text(dest)
    if before != text:
        result.update(write_text(module, dest, before, text, mode=p["mode"]))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
