# -*- coding: utf-8 -*-
"""Action plugin: manage %UserProfile%\\.wslconfig on a Windows host, with check mode and diff.

Its documentation (DOCUMENTATION, EXAMPLES, RETURN) is plugins/modules/wslconfig.py.
"""
from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.gpufleet.fleet.plugins.plugin_utils.gpufleet_actions import win_read, win_write
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_windows import WindowsError_, set_ini


class ActionModule(ActionBase):
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        dummy, args = self.validate_argument_spec(argument_spec=dict(
            path=dict(type="str", required=True),
            settings=dict(type="dict", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"])))
        path = args["path"]
        try:
            files, dummy = win_read(self, task_vars, [path])
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
