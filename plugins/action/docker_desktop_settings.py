# -*- coding: utf-8 -*-
"""Action plugin: merge settings into Docker Desktop's settings file (Windows or macOS)."""
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
  diff_mode:
    support: full
author: gpufleet contributors
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

import json

from ansible.plugins.action import ActionBase

from ansible_collections.gpufleet.fleet.plugins.plugin_utils.gpufleet_actions import is_windows, win_read, win_write
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_windows import (WindowsError_, desktop_settings_file, load_json_settings,
                              merge_desktop_settings)

NAMES = ("settings-store.json", "settings.json")


class ActionModule(ActionBase):
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        _, args = self.validate_argument_spec(argument_spec=dict(
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
