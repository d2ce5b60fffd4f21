# -*- coding: utf-8 -*-
# Copyright: gpufleet contributors
# Apache-2.0
"""Documentation only: the action plugin plugins/action/docker_desktop_settings.py does the work, on the controller."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: docker_desktop_settings
short_description: Merge settings into Docker Desktop's settings file, only while it is stopped
description:
  - Edits C(settings-store.json) (Docker Desktop 4.35+) or C(settings.json) (4.34 and
    earlier), whichever exists (the newer one first), in I(settings_dir).
  - Keys are given in their settings.json (camelCase) names; each is written in the spelling
    the file already uses (camelCase or PascalCase), new keys in the file's style.
  - A running Docker Desktop overwrites the file, so the task fails with a clear message when
    Desktop runs and a change is needed (I(stop_running=false)), or stops it first.
  - Windows hosts are edited with C(ansible.windows.win_powershell); macOS with
    C(ansible.builtin.slurp)/C(ansible.builtin.copy).
options:
  settings_dir:
    description: Windows C(C:\\Users\\<user>\\AppData\\Roaming\\Docker); macOS
      C(~/Library/Group Containers/group.com.docker).
    type: str
    required: true
  settings:
    description: "Managed keys: wslEngineEnabled, integratedWslDistros,
      enableIntegrationWithDefaultWslDistro, memoryMiB, cpus, autoStart, useWindowsContainers."
    type: dict
    required: true
  stop_running:
    description: Quit a running Docker Desktop before writing (Windows only).
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Reports whether the file would change (and the diff, with --diff) without writing it
      or stopping Docker Desktop.
  diff_mode:
    support: full
    description: The file before and after.
extends_documentation_fragment:
  - gpufleet.fleet.attributes.ACTION
author:
  - gpufleet contributors (!UNKNOWN)
"""

EXAMPLES = r"""
- name: WSL2 engine with integration into Ubuntu
  docker_desktop_settings:
    settings_dir: C:\Users\alice\AppData\Roaming\Docker
    settings: {wslEngineEnabled: true, integratedWslDistros: [Ubuntu-24.04]}
"""

RETURN = r"""
file:
  description: The settings file that was (or would be) written.
  returned: always
  type: str
changed_keys:
  description: Keys written, in the file's spelling.
  returned: always
  type: list
  elements: str
"""
