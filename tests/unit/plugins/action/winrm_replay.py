"""Replaying recorded WinRM module transcripts through an action plugin's _execute_module
(the way ansible.windows tests its action plugins), shared by the Windows action plugin tests.

The replay behaves like Ansible in check mode: a call made while the task is in check mode
to a module that skips there (win_command, win_powershell without SupportsShouldProcess,
command) gets the skip result Ansible would return, so a plugin that forgets to read with
check mode off sees what users saw (no distros, empty files)."""
import importlib.util
import json
import os
from unittest.mock import MagicMock

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", ".."))
FIX = os.path.join(ROOT, "tests", "fixtures", "winrm")
SKIPS_IN_CHECK_MODE = {"ansible.windows.win_command", "ansible.windows.win_powershell",
                       "ansible.builtin.command"}


def load_plugin(name):
    spec = importlib.util.spec_from_file_location(
        "gpufleet_action_" + name, os.path.join(ROOT, "plugins", "action", name + ".py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.ActionModule


def subset(expected, actual):
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(subset(v, actual.get(k)) for k, v in expected.items())
    return expected == actual


class Replay:
    def __init__(self, transcript, action=None):
        with open(os.path.join(FIX, transcript)) as fh:
            self.calls = json.load(fh)["calls"]
        self.seen = []
        self.action = action

    def __call__(self, module_name=None, module_args=None, task_vars=None, **kw):
        check = bool(self.action._task.check_mode)
        if check and module_name in SKIPS_IN_CHECK_MODE:
            self.seen.append((module_name, module_args, check))
            return {"skipped": True, "changed": False,
                    "msg": "remote module (%s) does not support check mode" % module_name}
        assert self.calls, "unexpected extra call %s %s" % (module_name, module_args)
        call = self.calls.pop(0)
        assert module_name == call["module_name"], (module_name, call["module_name"], module_args)
        assert subset(call["args"], module_args), (call["args"], module_args)
        if "check_mode" in call:
            assert check == call["check_mode"], (module_name, module_args)
        self.seen.append((module_name, module_args, check))
        return call["result"]


def run(plugin, transcript, args, check=False, diff=True, windows=True, task_vars=None):
    task = MagicMock()
    task.args = args
    task.async_val = 0
    task.check_mode = check
    task.diff = diff
    connection = MagicMock()
    if windows:
        connection._shell.SHELL_FAMILY = "powershell"
        connection._shell._IS_WINDOWS = True
    else:
        connection._shell.SHELL_FAMILY = "sh"
        connection._shell._IS_WINDOWS = False
    action = load_plugin(plugin)(task, connection, MagicMock(), loader=None, templar=None,
                                 shared_loader_obj=None)
    replay = Replay(transcript, action)
    action._execute_module = replay
    result = action.run(task_vars=dict({"inventory_hostname": "ws-alice.lab.example",
                                        "docker_desktop_logon_user": "alice"},
                                       **(task_vars or {})))
    assert replay.calls == [], "calls not made: %s" % [c["module_name"] for c in replay.calls]
    assert task.check_mode is check, "check mode was not restored"
    return result, replay
