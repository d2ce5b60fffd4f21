# -*- coding: utf-8 -*-
"""Action plugin: list WSL distros on a Windows host (wsl.exe -l -v), parsed on the controller.

Its documentation (DOCUMENTATION, EXAMPLES, RETURN) is plugins/modules/wsl_distros.py.
"""
from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_windows import (
    DOCKER_DESKTOP_DISTROS, parse_wsl_list)
from ansible_collections.gpufleet.fleet.plugins.plugin_utils.gpufleet_actions import read_only


class ActionModule(ActionBase):
    _supports_check_mode = True
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        dummy, args = self.validate_argument_spec(argument_spec=dict(
            skip_docker_desktop=dict(type="bool", default=True)))
        # Read-only, so it runs in check mode too (win_command would skip there).
        with read_only(self):
            res = self._execute_module(
                module_name="ansible.windows.win_command",
                module_args={"_raw_params": "wsl.exe -l -v"}, task_vars=task_vars)
        output = (res.get("stdout") or "") + (res.get("stderr") or "")
        everything = parse_wsl_list(output)
        if res.get("rc", 0) != 0 and not everything and "no installed distributions" not in \
                output.replace("\x00", ""):
            result.update(failed=True, rc=res.get("rc"), stdout=res.get("stdout"),
                          stderr=res.get("stderr"),
                          msg="wsl.exe -l -v failed: is WSL installed? Run the wsl2 role "
                              "(it enables the features and runs wsl --update).")
            return result
        distros = [d for d in everything
                   if not (args["skip_docker_desktop"] and d["name"] in DOCKER_DESKTOP_DISTROS)]
        default = next((d["name"] for d in everything if d["default"]), None)
        result.update(changed=False, distros=distros, default_distro=default,
                      docker_desktop=any(d["name"] == "docker-desktop" for d in everything))
        return result
