#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: gpufleet contributors
# Apache-2.0
from __future__ import annotations

DOCUMENTATION = r"""
---
module: gpu_facts
short_description: GPUs, device nodes, Docker GPU state and what is wrong, in one call
description:
  - Returns C(ansible_facts.gpufleet) for a Linux, WSL2 or macOS host.
  - NVIDIA GPUs come from C(nvidia-smi -q -x) (on WSL2 the copy in C(/usr/lib/wsl/lib)),
    AMD GPUs from C(rocm-smi --json) or else sysfs, Intel and other GPUs from
    C(/sys/class/drm) and C(/dev/dri); macOS from C(system_profiler SPDisplaysDataType -json).
  - Docker state comes from C(docker info) and the CDI spec directories it names.
  - C(problems) lists what keeps GPU containers from working, each with a remedy.
  - A host with no GPU and no Docker is a valid answer, not an error.
  - The parsing and decisions live in C(module_utils/gpufleet_gpu.py), unit-tested on real
    captured outputs.
version_added: "0.1.0"
options:
  user:
    description:
      - The user whose membership of C(docker), C(video) and C(render) is reported.
      - Defaults to C(SUDO_USER) when running under become, else the user running the module.
    type: str
attributes:
  check_mode:
    support: full
    description: Read-only; runs the same in check mode.
  diff_mode:
    support: none
  idempotent:
    support: full
    description: Never changes the host.
author:
  - gpufleet contributors
"""

EXAMPLES = r"""
- name: Read GPU facts
  gpu_facts:

- name: Show what is wrong with the GPU path
  ansible.builtin.debug:
    var: ansible_facts.gpufleet.problems

- name: Fail when an NVIDIA GPU has no container runtime
  ansible.builtin.assert:
    that: ansible_facts.gpufleet.problems | selectattr('id', 'eq', 'nvidia_runtime_missing') | list | length == 0
"""

RETURN = r"""
ansible_facts:
  description: Facts under the C(gpufleet) key.
  returned: always
  type: dict
  contains:
    gpufleet:
      description: Everything gpufleet knows about the host's GPU path.
      type: dict
      contains:
        platform:
          description: C(linux), C(wsl2) or C(macos).
          type: str
          sample: linux
        gpus:
          description: GPUs per vendor (C(nvidia), C(amd), C(intel), C(apple), C(other)).
            NVIDIA entries carry name, uuid, memory_total_mib, driver_version,
            cuda_version (the highest CUDA the driver supports), mig_mode and mig_devices.
          type: dict
          sample: {"nvidia": [{"name": "NVIDIA A100-SXM4-80GB", "uuid": "GPU-5135...",
                   "memory_total_mib": 81920, "driver_version": "535.54.03",
                   "cuda_version": "12.2", "mig_mode": "Enabled"}], "amd": [], "intel": []}
        device_nodes:
          description: GPU device nodes present (/dev/nvidia*, /dev/dxg, /dev/kfd, /dev/dri/*).
          type: list
          elements: str
        docker:
          description: installed, running, server_version, runtimes, default_runtime,
            cdi_spec_dirs, cdi_devices (e.g. C(nvidia.com/gpu=all)).
          type: dict
        groups:
          description: Membership of I(user) in docker/video/render (null when the group does not exist).
          type: dict
          sample: {"docker": true, "video": false, "render": null}
        problems:
          description: What is wrong, as a list of C({id, message, remedy}).
          type: list
          elements: dict
          sample: [{"id": "nvidia_runtime_missing", "message": "An NVIDIA GPU is present but ...",
                    "remedy": "Install the NVIDIA Container Toolkit ..."}]
gpu_count:
  description: Number of GPUs found, all vendors.
  returned: always
  type: int
  sample: 2
"""

import os
import platform as _platform
import pwd

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.gpufleet_gpu import Probe, collect, gpu_count


def main():
    module = AnsibleModule(
        argument_spec=dict(user=dict(type="str")),
        supports_check_mode=True,
    )
    user = module.params["user"] or os.environ.get("SUDO_USER") or \
        pwd.getpwuid(os.getuid()).pw_name

    def run(argv):
        if not os.path.isabs(argv[0]) and module.get_bin_path(argv[0]) is None:
            return 127, "", "%s: not found" % argv[0]
        # LC_ALL=C: tool messages in English so problems can quote them.
        return module.run_command(argv, environ_update={"LC_ALL": "C"})

    probe = Probe(run, root="/", system=_platform.system())
    facts = collect(probe, user=user)
    module.exit_json(changed=False, ansible_facts={"gpufleet": facts},
                     gpu_count=gpu_count(facts))


if __name__ == "__main__":
    main()
