#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: gpufleet contributors
# Apache-2.0
from __future__ import annotations

DOCUMENTATION = r"""
---
module: cuda_compat
short_description: Can this NVIDIA driver run this CUDA version?
description:
  - Implements NVIDIA's CUDA/driver compatibility rules (release notes Table 3 and the
    minor-version compatibility table) for a preflight before GPU containers start.
  - The CUDA version comes from the image when it is available locally
    (C(NVIDIA_REQUIRE_CUDA), C(CUDA_VERSION), label C(com.nvidia.cuda.version)), else from
    I(cuda_version).
  - Never changes anything; a result of C(compatible=false) is not a failure unless
    I(fail_on_incompatible) is set.
version_added: "0.1.0"
options:
  driver_version:
    description: The NVIDIA driver version (C(ansible_facts.gpufleet.nvidia.driver_version)).
    type: str
    required: true
  cuda_version:
    description: The CUDA version the workload needs (C(12.4) or C(12.4.1)); used when the image does not say.
    type: str
  image:
    description: A local image to read the CUDA version from (C(docker image inspect)).
    type: str
  os:
    description: Whose driver table to use; WSL2 and Docker Desktop use the Windows driver.
    type: str
    choices: [linux, windows]
    default: linux
  fail_on_incompatible:
    description: Fail the task (with the remedy) when the result is not compatible.
    type: bool
    default: false
extends_documentation_fragment:
  - gpufleet.fleet.attributes.READ_ONLY
author:
  - gpufleet contributors (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Check the driver against the image's CUDA
  cuda_compat:
    driver_version: "{{ ansible_facts.gpufleet.nvidia.driver_version }}"
    image: nvcr.io/nvidia/pytorch:24.05-py3
    cuda_version: "12.4"          # fallback when the image is not local
    fail_on_incompatible: true
"""

RETURN = r"""
compatible:
  description: Whether the workload can run on this driver (native or minor-version compatibility).
  returned: when a CUDA version is known
  type: bool
mode:
  description: C(native), C(minor_version), C(forward_compat_required), C(incompatible) or C(unknown).
  returned: always
  type: str
min_driver:
  description: The driver the CUDA version needs natively.
  returned: when a CUDA version is known
  type: str
  sample: 550.54.14
max_native_cuda:
  description: The highest CUDA this driver supports natively.
  returned: when a CUDA version is known
  type: str
cuda_version:
  description: The CUDA version checked.
  returned: always
  type: str
cuda_source:
  description: Where it came from (C(env NVIDIA_REQUIRE_CUDA), C(env CUDA_VERSION), a label, or C(parameter)).
  returned: always
  type: str
msg:
  description: What it means and what to do.
  returned: always
  type: str
"""

import json

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_cuda import check_compat, cuda_from_image_config


def image_cuda(module, image):
    docker = module.get_bin_path("docker")
    if not docker:
        return None, None
    rc, out, dummy = module.run_command([docker, "image", "inspect", "--format",
                                         "{{json .Config}}", image])
    if rc != 0:
        return None, None
    try:
        config = json.loads(out) or {}
    except ValueError:
        return None, None
    return cuda_from_image_config(config.get("Env"), config.get("Labels"))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            driver_version=dict(type="str", required=True),
            cuda_version=dict(type="str"),
            image=dict(type="str"),
            os=dict(type="str", choices=["linux", "windows"], default="linux"),
            fail_on_incompatible=dict(type="bool", default=False),
        ),
        required_one_of=[("cuda_version", "image")],
        supports_check_mode=True,
    )
    p = module.params
    cuda, source = (None, None)
    if p["image"]:
        cuda, source = image_cuda(module, p["image"])
    if cuda is None and p["cuda_version"]:
        cuda, source = p["cuda_version"], "parameter"
    if cuda is None:
        module.exit_json(changed=False, mode="unknown", cuda_version=None, cuda_source=None,
                         msg="No CUDA version: image %s is not available locally or does not "
                             "say, and cuda_version is not set. Set cuda_version in the service "
                             "description." % p["image"])
    try:
        res = check_compat(p["driver_version"], cuda, p["os"])
    except ValueError as exc:
        module.fail_json(msg="cuda_compat: %s" % exc)
    res["cuda_source"] = source
    if p["fail_on_incompatible"] and not res["compatible"]:
        module.fail_json(**res)
    module.exit_json(changed=False, **res)


if __name__ == "__main__":
    main()
