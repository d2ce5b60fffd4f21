# -*- coding: utf-8 -*-
"""Action plugin: manage %UserProfile%\\.wslconfig on a Windows host, with check mode and diff."""
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
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
author: gpufleet contributors
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


from ansible.plugins.action import ActionBase

from ansible_collections.gpufleet.fleet.plugins.plugin_utils.gpufleet_actions import win_read, win_write
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_windows import WindowsError_, set_ini


class ActionModule(ActionBase):
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _, args = self.validate_argument_spec(argument_spec=dict(
            path=dict(type="str", required=True),
            settings=dict(type="dict", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"])))
        path = args["path"]
        try:
            files, _ = win_read(self, task_vars, [path])
            before = files.get(path)
            after = set_ini(before or "", args["settings"], "wslconfig", args["state"])
        except (WindowsError_, RuntimeError) as exc:
            result.update(failed=True, msg="wslconfig %s: %s" % (path, exc))
            return result
        if args["state"] == "absent" and before is None:
            after = None
        changed = after is not None and after != (before or "") if before is not None \
            else after is not None
        result.update(changed=changed, needs_shutdown=changed, path=path)
        if changed and self._task.diff:
            result["diff"] = {"before": before or "", "after": after,
                              "before_header": path if before is not None else path + " (absent)",
                              "after_header": path}
        if changed and not self._task.check_mode:
            try:
                win_write(self, task_vars, path, after)
            except RuntimeError as exc:
                result.update(failed=True, msg="writing %s failed: %s" % (path, exc))
        return result
