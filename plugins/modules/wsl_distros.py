# -*- coding: utf-8 -*-
# Copyright: gpufleet contributors
# Apache-2.0
"""Documentation only: the action plugin plugins/action/wsl_distros.py does the work, on the controller."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: wsl_distros
short_description: List the WSL distributions of a Windows host
description:
  - Runs C(wsl.exe -l -v) through C(ansible.windows.win_command) and parses its UTF-16LE
    (or UTF-8 with C(WSL_UTF8=1)) output with C(parse_wsl_list) from module_utils.
  - An empty list when no distribution is installed (wsl.exe says "no installed distributions"), not a failure.
options:
  skip_docker_desktop:
    description: Leave out Docker Desktop's own distros (docker-desktop, docker-desktop-data).
    type: bool
    default: true
extends_documentation_fragment:
  - gpufleet.fleet.attributes.ACTION
  - gpufleet.fleet.attributes.READ_ONLY
author:
  - gpufleet contributors (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Which distros are there
  wsl_distros:
  register: distros
"""

RETURN = r"""
distros:
  description: "[{name, state, version, default}]"
  returned: always
  type: list
  elements: dict
default_distro:
  description: The default distro's name, or null.
  returned: always
  type: str
docker_desktop:
  description: Whether Docker Desktop's distro exists (so Desktop is installed and was started).
  returned: always
  type: bool
"""
