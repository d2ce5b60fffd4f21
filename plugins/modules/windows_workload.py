# -*- coding: utf-8 -*-
# Copyright: gpufleet contributors
# Apache-2.0
"""Documentation only: the action plugin plugins/action/windows_workload.py does the work, on the controller."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: windows_workload
short_description: Deploy or remove GPU workloads on a Windows host with Docker Desktop
description:
  - Renders the service description (docs/services.md) for the C(windows) platform on the
    controller, translates bind paths for WSL (C(C:/data) -> C(/mnt/c/data)), places the file
    at C(C:\\ProgramData\\gpufleet\\<project>\\compose.yaml), runs
    C(docker compose up -d --wait) inside the WSL distro Docker Desktop integrates, and runs a
    GPU smoke test (C(nvidia-smi -L) or the service's C(gpu.smoke_test)) in each GPU service.
  - Docker Desktop's engine belongs to the logged-on user and is never started here; with the
    engine down the task fails with the host's problems and remedies.
  - Results per service in C(ansible_facts.gpu_workload_results), the same shape as the role
    gpu_workload's, with C(diagnosis) (the explain matcher's) when the GPU does not reach the
    container.
  - Over WinRM the distro is reached with C(wsl.exe -d DISTRO --exec); from inside a WSL distro of
    the machine (C(ansible_connection=local)) directly.
options:
  facts:
    description: The host's C(ansible_facts.gpufleet) from windows_facts (distro, GPUs, problems).
    type: dict
    required: true
  services:
    description: Service descriptions (docs/services.md).
    type: dict
    default: {}
  project:
    description: Compose project name (also the C(gpufleet.project) label).
    type: str
    default: gpufleet
  state:
    description: Start (present) or stop and remove (absent).
    type: str
    choices: [present, absent]
    default: present
  select:
    description: Start only these services ([] = all).
    type: list
    elements: str
    default: []
  profiles:
    description: Compose profiles to start.
    type: list
    elements: str
    default: []
  compose_dir:
    description: Windows directory of the compose file; empty means C(C:\\ProgramData\\gpufleet\\<project>).
    type: str
    default: ""
  results_dir:
    description: Windows directory where C(<project>.json) with the smoke-test results is written.
    type: str
    default: C:\ProgramData\gpufleet\results
  container_platform:
    description: C(platform) for services that set none.
    type: str
    default: ""
  smoke_test:
    description: Run the GPU smoke test in each GPU service.
    type: bool
    default: true
  wait_timeout:
    description: Seconds C(docker compose up --wait) waits for running/healthy.
    type: int
    default: 180
  remove_volumes:
    description: With state absent, also remove named volumes.
    type: bool
    default: false
attributes:
  action:
    support: full
    description: An action plugin of the same name does the work on the controller.
  check_mode:
    support: full
    description: Reads the host (the compose file, the project's containers) and reports what would change.
  diff_mode:
    support: full
    description: The compose file before and after.
  idempotent:
    support: full
    description: A second run with nothing changed changes nothing.
author:
  - gpufleet contributors (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Deploy aiml-dev on a Windows desktop
  windows_workload:
    facts: "{{ ansible_facts.gpufleet }}"
    services: "{{ gpu_workload_services }}"
    select: [aiml-dev]
"""

RETURN = r"""
compose_file:
  description: The compose file on Windows.
  returned: always
  type: str
compose_file_wsl:
  description: The same file as the WSL distro sees it.
  returned: always
  type: str
distro:
  description: The WSL distro that ran docker compose.
  returned: always
  type: str
start:
  description: Services that were (or in check mode would be) started.
  returned: state present
  type: list
  elements: str
gpu_services:
  description: Services that got a GPU.
  returned: state present
  type: list
  elements: str
containers:
  description: The project's containers after the change (docker ps JSON rows).
  returned: when something ran
  type: list
  elements: dict
ansible_facts:
  description:
    - C(gpu_workload_results) - per GPU service host, service, vendor, gpu_visible, devices,
      rc, error, duration_s and, when the GPU is not visible, diagnosis.
  returned: state present, not in check mode
  type: dict
"""
