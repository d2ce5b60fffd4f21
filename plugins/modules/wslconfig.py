# -*- coding: utf-8 -*-
# Copyright: gpufleet contributors
# Apache-2.0
"""Documentation only: the action plugin plugins/action/wslconfig.py does the work, on the controller."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: wslconfig
short_description: Set keys in a Windows user's .wslconfig (WSL2 VM settings)
description:
  - Reads the file with C(ansible.windows.win_powershell), edits it on the controller with
    C(set_ini) (comments, order and CRLF kept; documented keys and value types checked,
    because WSL silently ignores a malformed file) and writes it back as UTF-8 without BOM.
  - Changes take effect after C(wsl --shutdown); the result says so in C(needs_shutdown).
options:
  path:
    description: The file, normally C(C:\\Users\\<user>\\.wslconfig).
    type: str
    required: true
  settings:
    description: "C({section: {key: value}}) for sections C(wsl2) and C(experimental)."
    type: dict
    required: true
  state:
    description: Set the keys, or remove them (C(absent)).
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - gpufleet.fleet.attributes.ACTION
  - gpufleet.fleet.attributes.FILE_EDIT
author:
  - gpufleet contributors (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Give the WSL2 VM 16 GB and mirrored networking
  wslconfig:
    path: C:\Users\alice\.wslconfig
    settings:
      wsl2: {memory: 16GB, processors: 8, networkingMode: mirrored}
"""

RETURN = r"""
needs_shutdown:
  description: True when the file changed; run C(wsl --shutdown) for WSL to read it.
  returned: always
  type: bool
"""
