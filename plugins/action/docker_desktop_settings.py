# -*- coding: utf-8 -*-
"""Action plugin: merge settings into Docker Desktop's settings file (Windows or macOS).

Its documentation (DOCUMENTATION, EXAMPLES, RETURN) is plugins/modules/docker_desktop_settings.py.
"""
from __future__ import annotations

import json

from ansible.plugins.action import ActionBase

from ansible_collections.gpufleet.fleet.plugins.plugin_utils.gpufleet_actions import is_windows, win_read, win_write
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_windows import (
    WindowsError_, desktop_settings_file, load_json_settings, merge_desktop_settings)

NAMES = ("settings-store.json", "settings.json")


class ActionModule(ActionBase):
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        dummy, args = self.validate_argument_spec(argument_spec=dict(
            settings_dir=dict(type="str", required=True),
            settings=dict(type="dict", required=True),
            stop_running=dict(type="bool", default=False)))
        windows = is_windows(self)
        sep = "\\" if windows else "/"
        base = args["settings_dir"].rstrip("\\/")
        paths = {name: base + sep + name for name in NAMES}
        try:
            if windows:
                files, running = win_read(self, task_vars, paths.values(), "Docker Desktop")
            else:
                files, running = self._posix_read(task_vars, paths.values()), False
            existing = {name for name, p in paths.items() if p in files}
            name = desktop_settings_file(existing)
            path = paths[name]
            before_text = files.get(path, "")
            current = load_json_settings(before_text, path)
            new, changed_keys = merge_desktop_settings(current, args["settings"], name)
        except (WindowsError_, RuntimeError) as exc:
            result.update(failed=True, msg="docker_desktop_settings: %s" % exc)
            return result
        result.update(changed=bool(changed_keys), file=path, changed_keys=changed_keys,
                      desktop_running=running)
        if not changed_keys:
            return result
        after_text = json.dumps(new, indent=2) + "\n"
        if self._task.diff:
            result["diff"] = {"before": before_text, "after": after_text,
                              "before_header": path, "after_header": path}
        if running and not args["stop_running"]:
            result.update(failed=True, msg=(
                "Docker Desktop is running and would overwrite %s: quit it (tray icon -> Quit) "
                "and run again, or set stop_running: true." % path))
            return result
        if self._task.check_mode:
            return result
        try:
            if running:
                self._execute_module(module_name="ansible.windows.win_powershell", module_args={
                    "script": "Stop-Process -Name 'Docker Desktop' -ErrorAction SilentlyContinue; "
                              "Start-Sleep -Seconds 5"}, task_vars=task_vars)
            if windows:
                win_write(self, task_vars, path, after_text)
            else:
                self._posix_write(task_vars, path, after_text)
        except RuntimeError as exc:
            result.update(failed=True, msg="writing %s failed: %s" % (path, exc))
        return result

    def _posix_read(self, task_vars, paths):
        files = {}
        for path in paths:
            res = self._execute_module(module_name="ansible.builtin.slurp",
                                       module_args={"src": path}, task_vars=task_vars)
            if not res.get("failed"):
                import base64
                files[path] = base64.b64decode(res["content"]).decode("utf-8")
        return files

    def _posix_write(self, task_vars, path, text):
        tmp = self._make_tmp_path()
        remote = self._connection._shell.join_path(tmp, "settings.json")
        self._transfer_data(remote, text)
        self._fixup_perms2((tmp, remote))
        res = self._execute_module(module_name="ansible.builtin.copy",
                                   module_args={"src": remote, "dest": path, "mode": "0644",
                                                "_original_basename": "settings.json"},
                                   task_vars=task_vars)
        self._remove_tmp_path(tmp)
        if res.get("failed"):
            raise RuntimeError(res.get("msg"))
