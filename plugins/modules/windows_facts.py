# -*- coding: utf-8 -*-
# Copyright: gpufleet contributors
# Apache-2.0
"""Documentation only: the action plugin plugins/action/windows_facts.py does the work, on the controller."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: windows_facts
short_description: GPU, WSL and Docker Desktop facts of a Windows host, with problems and remedies
description:
  - Reads a Windows GPU host the way gpu_facts reads a Linux one and sets C(ansible_facts.gpufleet)
    in the same shape (platform C(windows), gpus, nvidia, docker, problems) plus C(wsl),
    C(desktop) and C(containers).
  - Runs C(wsl.exe -l -v) (UTF-16LE), C(wsl.exe --status), C(wsl.exe --version),
    C(nvidia-smi.exe -q -x) (the Windows driver's), reads Docker Desktop's
    C(settings-store.json) / C(settings.json) and asks the engine (C(docker version),
    C(docker info), C(docker ps) of gpufleet projects) inside the WSL distro Desktop integrates.
  - Over WinRM the distro is reached with C(wsl.exe -d DISTRO --exec); when gpufleet runs
    inside a WSL distro of the machine (C(ansible_connection=local)) the distro's own
    C(docker) and WSL's interop (C(/mnt/c/Windows/System32/...)) are used.
  - Problems (each with a remedy) C(wsl_not_installed), C(wsl_outdated), C(wsl_distro_missing),
    C(wsl1_distro), C(desktop_not_installed), C(desktop_not_running),
    C(desktop_wsl2_backend_off), C(desktop_wsl_integration_off), C(windows_no_nvidia_driver),
    C(nvidia_tcc_mode).
options:
  distro:
    description: The WSL distro that runs C(docker); empty means the default distro.
    type: str
    default: ""
  user:
    description: Whose Docker Desktop settings to read; empty means C(docker_desktop_logon_user), else C(ansible_user).
    type: str
    default: ""
  settings_dir:
    description: Docker Desktop's settings directory; empty means C(C:\\Users\\<user>\\AppData\\Roaming\\Docker).
    type: str
    default: ""
  containers:
    description: Also list the containers of gpufleet projects (label C(gpufleet.project)).
    type: bool
    default: true
extends_documentation_fragment:
  - gpufleet.fleet.attributes.ACTION
  - gpufleet.fleet.attributes.READ_ONLY
author:
  - gpufleet contributors (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Read the Windows GPU host
  windows_facts:
    distro: Ubuntu-24.04

- name: Show its problems
  ansible.builtin.debug:
    msg: "{{ ansible_facts.gpufleet.problems }}"
"""

RETURN = r"""
ansible_facts:
  description: C(gpufleet) - platform, gpus, nvidia, docker, wsl, desktop, containers, problems, via (winrm or wsl).
  returned: always
  type: dict
"""
