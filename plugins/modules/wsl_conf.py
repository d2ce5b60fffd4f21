#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: gpufleet contributors
# Apache-2.0
from __future__ import annotations

DOCUMENTATION = r"""
---
module: wsl_conf
short_description: Set keys in a WSL distro's /etc/wsl.conf
description:
  - Edits the INI file keeping comments and order; sections and keys are checked against
    the documented ones (boot, automount, network, interop, user, gpu, time) and value types.
  - WSL reads the file when the distro starts; C(needs_restart) says to run
    C(wsl.exe --shutdown) (or C(wsl.exe -t <distro>)) from Windows.
  - Logic in C(module_utils/gpufleet_windows.py) (C(set_ini)), shared with the Windows-side
    C(wslconfig) action plugin.
options:
  path:
    description: The file.
    type: path
    default: /etc/wsl.conf
  settings:
    description: "C({section: {key: value}}), e.g. C({boot: {systemd: true}})."
    type: dict
    required: true
  state:
    description: Set the keys, or remove them.
    type: str
    choices: [present, absent]
    default: present
  backup:
    description: Keep a copy of the previous file.
    type: bool
    default: false
attributes:
  idempotent:
    support: full
    description: Writes only when the file's content changes.
extends_documentation_fragment:
  - gpufleet.fleet.attributes.FILE_EDIT
author:
  - gpufleet contributors (!UNKNOWN)
"""

EXAMPLES = r"""
- name: systemd in WSL, and the GPU on
  wsl_conf:
    settings:
      boot: {systemd: true}
      gpu: {enabled: true}
"""

RETURN = r"""
needs_restart:
  description: True when the file changed (restart the distro from Windows).
  returned: always
  type: bool
backup_file:
  description: The previous file's copy.
  returned: when backup and changed
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_files import read_text, write_text
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_windows import WindowsError_, set_ini


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", default="/etc/wsl.conf"),
            settings=dict(type="dict", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            backup=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    path = module.params["path"]
    before = read_text(path)
    try:
        after = set_ini(before or "", module.params["settings"], "wslconf",
                        module.params["state"])
    except WindowsError_ as exc:
        module.fail_json(msg="wsl_conf %s: %s. The file was left untouched." % (path, exc))
    if before is None and module.params["state"] == "absent":
        module.exit_json(changed=False, needs_restart=False)
    if after == before:
        module.exit_json(changed=False, needs_restart=False)
    result = dict(needs_restart=True)
    result.update(write_text(module, path, before, after, backup=module.params["backup"]))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
