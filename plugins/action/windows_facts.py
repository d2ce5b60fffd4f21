# -*- coding: utf-8 -*-
"""Action plugin: gpufleet's facts for a Windows GPU host with Docker Desktop.

Its documentation (DOCUMENTATION, EXAMPLES, RETURN) is plugins/modules/windows_facts.py.
Every command it runs only reads, so it runs the same in check mode.
"""
from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_gpu_parse import (
    parse_nvidia_smi_xml)
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_windows import (
    windows_state)
from ansible_collections.gpufleet.fleet.plugins.plugin_utils.gpufleet_actions import windows_host

JSON = "{{json .}}"


def collect(host, distro, settings_dir, containers=True):
    """Run the read-only commands on ``host`` (a gpufleet_actions.WindowsHost) and build the
    facts. Windows-side reads first; the distro comes from them when none is given."""
    outputs = {
        "wsl_list": host.win(["wsl.exe", "-l", "-v"]),
        "wsl_status": host.win(["wsl.exe", "--status"]),
        "wsl_version": host.win(["wsl.exe", "--version"]),
        "nvidia_smi": host.win(["nvidia-smi.exe", "-q", "-x"]),
    }
    base = settings_dir.rstrip("\\")
    files, running = host.read([base + "\\settings-store.json", base + "\\settings.json"],
                               "Docker Desktop")
    outputs["settings"] = files
    outputs["desktop_process"] = running
    target = windows_state(outputs, distro)["wsl"]["target_distro"]
    if target:
        outputs["docker_version"] = host.distro(target, ["docker", "version", "--format", JSON])
    # No engine answering (or no docker in the distro): info and ps would only fail the same
    # way, each a WinRM round trip.
    if target and outputs["docker_version"]["rc"] == 0:
        outputs["docker_info"] = host.distro(target, ["docker", "info", "--format", JSON])
        if containers:
            outputs["docker_ps"] = host.distro(target, [
                "docker", "ps", "-a", "--filter", "label=gpufleet.project", "--format", JSON])
    state = windows_state(outputs, distro, parse_nvidia=parse_nvidia_smi_xml)
    state["via"] = host.via
    return state


class ActionModule(ActionBase):
    _supports_check_mode = True
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        task_vars = task_vars or {}
        dummy, args = self.validate_argument_spec(argument_spec=dict(
            distro=dict(type="str", default=""),
            settings_dir=dict(type="str", default=""),
            user=dict(type="str", default=""),
            containers=dict(type="bool", default=True)))
        user = args["user"] or str(task_vars.get("docker_desktop_logon_user")
                                   or task_vars.get("ansible_user") or "")
        settings_dir = args["settings_dir"] or (
            "C:\\Users\\%s\\AppData\\Roaming\\Docker" % user if user else "")
        if not settings_dir:
            result.update(failed=True, msg="windows_facts: say whose Docker Desktop this is: "
                          "set docker_desktop_logon_user (or user / settings_dir)")
            return result
        try:
            state = collect(windows_host(self, task_vars), args["distro"] or None, settings_dir,
                            args["containers"])
        except RuntimeError as exc:
            result.update(failed=True, msg="windows_facts: reading the host failed: %s" % exc)
            return result
        result.update(changed=False, ansible_facts={"gpufleet": state})
        return result
