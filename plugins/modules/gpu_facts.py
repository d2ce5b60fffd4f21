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
  - Whatever the tools print (placeholders such as C(N/A) or C(Not Found), truncated or
    non-UTF-8 output) the module does not fail; an output it cannot read becomes a problem
    entry, and placeholders are reported as null, never as values.
  - The parsing and decisions live in C(plugins/module_utils/gpufleet_gpu*.py), unit-tested on real
    captured outputs.
version_added: "0.1.0"
options:
  user:
    description:
      - The user whose membership of C(docker), C(video) and C(render) is reported.
      - Defaults to C(SUDO_USER) when running under become, else the user running the module.
    type: str
extends_documentation_fragment:
  - gpufleet.fleet.attributes.READ_ONLY
author:
  - gpufleet contributors (!UNKNOWN)
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

- name: Say why nvidia-smi failed (cause driver_not_loaded, driver_library_mismatch, gpu_lost, ...)
  ansible.builtin.debug:
    msg: "{{ item.cause }}: {{ item.remedy }}"
  loop: "{{ ansible_facts.gpufleet.problems | selectattr('id', 'eq', 'nvidia_smi_failed') | list }}"
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
          description:
            - GPUs per vendor (C(nvidia), C(amd), C(intel), C(apple), C(other)).
            - NVIDIA entries carry name, uuid, serial, pci_bus_id, minor_number,
              memory_total_mib, driver_version, cuda_version (the highest CUDA the driver
              supports), driver_model (C(WDDM)/C(TCC) on Windows), virtualization_mode,
              host_vgpu_mode, mig_mode, mig_pending and mig_devices.
            - virtualization_mode is nvidia-smi's own word - C(None) (bare metal),
              C(Pass-Through), C(VGPU) (a vGPU guest), C(Host VGPU), C(Host VSGA) - and null
              when not reported. A vGPU host is reported, not treated as a problem.
            - Every value is a value or null, never C(N/A), C(Not Found) or another
              placeholder; a GPU whose UUID is C(N/A) is listed with uuid null.
            - AMD entries (rocm-smi) carry name, uuid, serial, pci_bus_id, gfx_version,
              memory_total_mib and driver_version.
          type: dict
          sample: {"nvidia": [{"name": "NVIDIA A100-SXM4-80GB", "uuid": "GPU-5135...",
                   "memory_total_mib": 81920, "driver_version": "535.54.03",
                   "cuda_version": "12.2", "mig_mode": "Enabled",
                   "virtualization_mode": "None", "driver_model": null}],
                   "amd": [], "intel": []}
        nvidia:
          description:
            - What nvidia-smi said about the driver.
            - C(driver_version), C(cuda_version) (from nvidia-smi, or from NVIDIA's
              driver table when it prints none or C(Not Found), as C(cuda_version_source) says -
              C(nvidia-smi) or C(driver-table)).
            - C(attached_gpus) (nvidia-smi's count, null when not printed) and
              C(listed_gpus) (GPUs it could describe); more attached than listed is the
              C(nvidia_gpus_missing) problem.
            - C(smi) (true when its output was read), C(smi_rc) (its exit status),
              C(error) and C(error_cause) (when it failed, see C(nvidia_smi_failed)),
              C(parse_error) (when it exited 0 with output gpufleet cannot read).
          type: dict
          sample: {"driver_version": "535.54.03", "cuda_version": "12.2",
                   "cuda_version_source": "nvidia-smi", "attached_gpus": 1,
                   "listed_gpus": 1, "smi": true, "smi_rc": 0, "error": null,
                   "error_cause": null, "parse_error": null}
        amd:
          description: C(rocm_smi) (true when its JSON was read), C(smi_rc), C(error)
            (non-zero exit) and C(parse_error) (unreadable output); AMD GPUs then come from
            sysfs.
          type: dict
        device_nodes:
          description: GPU device nodes present (/dev/nvidia*, /dev/dxg, /dev/kfd, /dev/dri/*).
          type: list
          elements: str
        docker:
          description: installed, running, server_version, runtimes, default_runtime,
            cdi_spec_dirs, cdi_devices (e.g. C(nvidia.com/gpu=all)), daemon_config
            (C(/etc/docker/daemon.json) as read, C({}) when there is none, null when it is
            not a JSON object; the roles skip a merge that would change nothing).
          type: dict
        host:
          description:
            - Host evidence for the doctor's checks (not on macOS), read from files only
              (plus Windows' C(nvidia-smi.exe) on WSL).
            - C(nvidia_kernel) - C(loaded), C(version) and C(flavor) (C(open)/C(proprietary))
              from /proc/driver/nvidia/version, C(uvm_loaded), C(uvm_node),
              C(nouveau_loaded), C(userspace_versions) (from libnvidia-ml.so.<version> and
              libcuda.so.<version> on disk), C(pci_gpus) and C(nvswitches) (sysfs),
              C(secure_boot), C(kernel_release), C(module_files), C(dkms_sources).
            - C(fabricmanager_running), C(fabricmanager_enabled), C(cgroup_v2),
              C(dev_char_nvidia_links), C(libnvidia_container_version), C(toolkit_config)
              (ldconfig path, whether it exists, no-cgroups).
            - C(docker_client) - the I(user)'s docker context (C(current_context), C(home)),
              C(env_context), C(env_host), C(desktop_socket), C(snap) (snap Docker paths).
            - C(nvidia_apt_sources), C(cdi_specs) (NVIDIA specs with the driver versions
              they name), C(device_node_access) (path, uid, gid, group, mode of /dev/kfd and
              render nodes) and C(user_ids) (uid, gids of I(user)).
            - On WSL C(wsl_version), C(wsl_libcuda) (exists, symlink, in_ld_cache) and
              C(windows_gpus) (index, name, driver_model from Windows' nvidia-smi.exe).
          type: dict
          returned: when the platform is not macos
        groups:
          description: Membership of I(user) in docker/video/render (null when the group does not exist).
          type: dict
          sample: {"docker": true, "video": false, "render": null}
        problems:
          description:
            - What is wrong, as a list of C({id, message, remedy}); some carry more keys.
            - C(nvidia_smi_failed) carries C(cause), one of C(driver_not_loaded),
              C(driver_library_mismatch), C(gpu_lost), C(nvml_unknown_error),
              C(insufficient_permissions), C(libnvidia_ml_missing), C(no_devices),
              C(unknown); the message quotes nvidia-smi's own words.
            - C(nvidia_smi_unparseable) and C(rocm_smi_unparseable) - the tool exited 0
              but printed something gpufleet cannot read; C(rocm_smi_failed) - rocm-smi
              exited non-zero (AMD GPUs then come from sysfs).
            - C(nvidia_gpus_missing) carries C(attached_gpus) and C(listed_gpus) - a GPU
              the driver counts does not answer (fell off the bus, Xid 79).
            - C(nvidia_module_not_loaded) carries C(cause), one of C(nouveau),
              C(secure_boot), C(dkms_missing), C(not_installed), C(unknown);
              C(gpu_device_group_missing) carries C(gids) (the numeric gids to add).
            - The README's problem table lists every id (generated from the rules,
              C(RULES) in gpufleet_gpu_problems.py).
          type: list
          elements: dict
          sample: [{"id": "nvidia_smi_failed", "cause": "driver_not_loaded",
                    "message": "nvidia-smi failed (exit 9): NVIDIA-SMI has failed because it
                    couldn't communicate with the NVIDIA driver. ...",
                    "remedy": "The NVIDIA kernel driver is not loaded. ..."}]
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
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_gpu import Probe, collect, gpu_count


def main():
    module = AnsibleModule(
        argument_spec=dict(user=dict(type="str")),
        supports_check_mode=True,
    )
    user = module.params["user"] or os.environ.get("SUDO_USER") or \
        pwd.getpwuid(os.getuid()).pw_name

    def run(argv):
        if not os.path.isabs(argv[0]) and module.get_bin_path(argv[0]) is None:
            return 127, b"", ("%s: not found" % argv[0]).encode("utf-8")
        # LC_ALL=C: tool messages in English so problems can quote them.
        # encoding=None: bytes back. run_command's default decoding (surrogateescape) would
        # turn a latin-1 process name into lone surrogates that no JSON encoder accepts;
        # the Probe decodes the bytes as UTF-8 with U+FFFD instead.
        # handle_exceptions=False: a tool that cannot start is reported, not a failed module.
        try:
            return module.run_command(argv, environ_update={"LC_ALL": "C"}, encoding=None,
                                      handle_exceptions=False)
        except Exception as exc:  # OSError (exec format, permission), anything else
            return 126, b"", ("%s: %s" % (argv[0], exc)).encode("utf-8", "replace")

    # The docker CLI's environment decides which daemon it talks to (Docker Desktop checks);
    # PATH and HOME decide where the tools are (a Mac's Homebrew or ~/.docker/bin docker).
    env = {k: os.environ[k] for k in ("DOCKER_HOST", "DOCKER_CONTEXT", "PATH", "HOME")
           if k in os.environ}
    probe = Probe(run, root="/", system=_platform.system(), env=env)
    facts = collect(probe, user=user)
    module.exit_json(changed=False, ansible_facts={"gpufleet": facts},
                     gpu_count=gpu_count(facts))


if __name__ == "__main__":
    main()
