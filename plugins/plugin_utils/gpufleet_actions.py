"""Helpers shared by gpufleet's action plugins (controller side only).

Controller-only code, so it lives in plugin_utils (Ansible's place for helpers of
controller-side plugins), not in module_utils (code shipped to managed hosts). Action
plugins import it and the pure logic of module_utils by the collection's FQCN.
"""
from __future__ import annotations

import base64
import contextlib
from typing import TYPE_CHECKING, Any, Iterator, Iterable, Sequence

if TYPE_CHECKING:
    from ansible.plugins.action import ActionBase

# Write text as UTF-8 *without* BOM (Windows PowerShell 5.1's -Encoding utf8 adds one, and
# WSL silently ignores a .wslconfig it cannot parse).
PS_READ = r"""
param([string[]]$Paths, [string]$Process)
$out = @{ files = @{}; running = $false }
foreach ($p in $Paths) {
  if (Test-Path -LiteralPath $p -PathType Leaf) {
    $out.files[$p] = [System.IO.File]::ReadAllText($p)
  }
}
if ($Process) { $out.running = [bool](Get-Process -Name $Process -ErrorAction SilentlyContinue) }
$Ansible.Result = $out
"""
PS_WRITE = r"""
param([string]$Path, [string]$Text)
$dir = Split-Path -Parent $Path
if ($dir -and -not (Test-Path -LiteralPath $dir)) { New-Item -ItemType Directory -Path $dir | Out-Null }
[System.IO.File]::WriteAllText($Path, $Text, (New-Object System.Text.UTF8Encoding $false))
$Ansible.Changed = $true
"""


@contextlib.contextmanager
def read_only(action: ActionBase) -> Iterator[None]:
    """Run the module calls inside with check mode off: for reads that change nothing.

    ``_execute_module`` sets ``_ansible_check_mode`` from ``action._task.check_mode`` (a
    value passed in module_args is overwritten), and win_command / win_powershell skip in
    check mode, so a plan would read nothing and diff against empty files. Check mode is
    off for these calls only."""
    task = action._task
    if not task.check_mode:
        yield
        return
    # The task object is this worker's own (each host's task runs in its own worker
    # process), so flipping the flag and restoring it affects no other host or task.
    task.check_mode = False
    try:
        yield
    finally:
        task.check_mode = True


def is_windows(action: ActionBase) -> bool:
    return getattr(action._connection._shell, "_IS_WINDOWS", False) or \
        getattr(action._connection._shell, "SHELL_FAMILY", "") == "powershell"


def win_read(action: ActionBase, task_vars: dict[str, Any] | None, paths: Iterable[str],
             process: str | None = None) -> tuple[dict[str, str], bool]:
    """Read files (and whether a process runs) with one win_powershell call; it runs in check
    mode too (read_only)."""
    with read_only(action):
        res = action._execute_module(
            module_name="ansible.windows.win_powershell",
            module_args={"script": PS_READ, "parameters": {"Paths": list(paths),
                                                           "Process": process or ""}},
            task_vars=task_vars)
    if res.get("failed"):
        raise RuntimeError(res.get("msg") or "; ".join(str(e) for e in res.get("error", [])))
    out = res.get("result") or {}
    return out.get("files") or {}, bool(out.get("running"))


def win_write(action: ActionBase, task_vars: dict[str, Any] | None, path: str,
              text: str) -> dict[str, Any]:
    res = action._execute_module(
        module_name="ansible.windows.win_powershell",
        module_args={"script": PS_WRITE, "parameters": {"Path": path, "Text": text}},
        task_vars=task_vars)
    if res.get("failed"):
        raise RuntimeError(res.get("msg") or "; ".join(str(e) for e in res.get("error", [])))
    return res


# --------------------------------------------------------------------------- Windows hosts
#
# A Windows GPU host is reached one of two ways, and the action plugins use either through
# the same four calls (win, distro, read, write):
# - WinRM: Windows programs through ansible.windows.win_command, programs inside a WSL
#   distro through `wsl.exe -d DISTRO --exec ...`, files through win_powershell;
# - from inside a WSL distro on that machine (ansible_connection local, or SSH into the
#   distro): Windows programs through WSL's interop (/mnt/c/Windows/System32/...), the
#   distro's own programs directly, Windows files as /mnt/<drive>/...


def _clean(res: dict[str, Any]) -> dict[str, Any]:
    return {"rc": res.get("rc", 1 if res.get("failed") else 0),
            "stdout": res.get("stdout") or "", "stderr": res.get("stderr") or "",
            "msg": res.get("msg") or "", "failed": bool(res.get("failed")),
            "skipped": bool(res.get("skipped")), "cmd": res.get("cmd")}


class WindowsHost:
    """Commands and files of a Windows host over WinRM."""

    via = "winrm"

    def __init__(self, action: ActionBase, task_vars: dict[str, Any] | None) -> None:
        self.action = action
        self.task_vars = task_vars

    @property
    def mount_root(self) -> str:
        """Where WSL mounts the Windows drives (wsl.conf [automount] root; inventory
        variable gpufleet_wsl_mount_root, default /mnt/)."""
        return str((self.task_vars or {}).get("gpufleet_wsl_mount_root") or "/mnt/")

    def path(self, windows_path: str) -> str:
        from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_windows import (
            windows_to_wsl_path)
        return windows_to_wsl_path(windows_path, self.mount_root)

    def _command(self, argv: Sequence[str], read: bool) -> dict[str, Any]:
        module = "ansible.windows.win_command"
        args: dict[str, Any] = {"argv": list(argv)}
        if read:
            with read_only(self.action):
                return _clean(self.action._execute_module(module_name=module, module_args=args,
                                                          task_vars=self.task_vars))
        return _clean(self.action._execute_module(module_name=module, module_args=args,
                                                  task_vars=self.task_vars))

    def win(self, argv: Sequence[str], read: bool = True) -> dict[str, Any]:
        """A Windows program (``wsl.exe``, ``nvidia-smi.exe``)."""
        return self._command(argv, read)

    def distro(self, name: str | None, argv: Sequence[str], read: bool = True) -> dict[str, Any]:
        """A program inside the WSL distro ``name`` (None: the default distro)."""
        return self._command(["wsl.exe"] + (["-d", name] if name else []) + ["--exec"]
                             + list(argv), read)

    def read(self, paths: Iterable[str], process: str | None = None
             ) -> tuple[dict[str, str], bool | None]:
        files, running = win_read(self.action, self.task_vars, paths, process)
        return files, running if process else None

    def write(self, path: str, text: str) -> None:
        win_write(self.action, self.task_vars, path, text)

    def remove(self, path: str) -> None:
        res = self.action._execute_module(
            module_name="ansible.windows.win_file", module_args={"path": path, "state": "absent"},
            task_vars=self.task_vars)
        if res.get("failed"):
            raise RuntimeError(res.get("msg") or "removing %s failed" % path)


class WslLocalHost(WindowsHost):
    """The same Windows host seen from inside one of its WSL distros (gpufleet running there,
    or reached over SSH into the distro): Docker Desktop's WSL integration gives the distro
    the engine, WSL's interop runs Windows programs."""

    via = "wsl"

    def _run(self, argv: Sequence[str], read: bool) -> dict[str, Any]:
        args: dict[str, Any] = {"argv": list(argv)}
        if read:
            with read_only(self.action):
                return _clean(self.action._execute_module(
                    module_name="ansible.builtin.command", module_args=args,
                    task_vars=self.task_vars))
        return _clean(self.action._execute_module(module_name="ansible.builtin.command",
                                                  module_args=args, task_vars=self.task_vars))

    def win(self, argv: Sequence[str], read: bool = True) -> dict[str, Any]:
        exe = argv[0]
        if "/" not in exe and "\\" not in exe:
            exe = self.path("C:\\Windows\\System32\\" + exe)
        return self._run([exe] + list(argv[1:]), read)

    def distro(self, name: str | None, argv: Sequence[str], read: bool = True) -> dict[str, Any]:
        # gpufleet (or the SSH session) is inside the distro that runs docker: run it here.
        return self._run(argv, read)

    def read(self, paths: Iterable[str], process: str | None = None
             ) -> tuple[dict[str, str], bool | None]:
        files: dict[str, str] = {}
        for path in paths:
            with read_only(self.action):
                res = self.action._execute_module(
                    module_name="ansible.builtin.slurp",
                    module_args={"src": self.path(path)}, task_vars=self.task_vars)
            if not res.get("failed") and "content" in res:
                files[path] = base64.b64decode(res["content"]).decode("utf-8", "replace")
        running = None
        if process:
            res = self.win(["tasklist.exe", "/FI", "IMAGENAME eq %s.exe" % process, "/NH"])
            running = process.lower() + ".exe" in (res["stdout"] or "").lower()
        return files, running

    def write(self, path: str, text: str) -> None:
        target = self.path(path)
        action = self.action
        res = action._execute_module(
            module_name="ansible.builtin.file",
            module_args={"path": target.rsplit("/", 1)[0], "state": "directory"},
            task_vars=self.task_vars)
        if res.get("failed"):
            raise RuntimeError(res.get("msg") or "creating the directory of %s failed" % target)
        # The copy module takes a file on the host (`content` is the copy action's): send
        # the text to the host's temporary directory first.
        tmp = action._make_tmp_path()
        try:
            remote = action._connection._shell.join_path(tmp, "gpufleet-upload")
            action._transfer_data(remote, text)
            action._fixup_perms2((tmp, remote))
            res = action._execute_module(
                module_name="ansible.builtin.copy",
                module_args={"src": remote, "dest": target, "mode": "0644",
                             "_original_basename": target.rsplit("/", 1)[-1]},
                task_vars=self.task_vars)
        finally:
            action._remove_tmp_path(tmp)
        if res.get("failed"):
            raise RuntimeError(res.get("msg") or "writing %s failed" % target)

    def remove(self, path: str) -> None:
        res = self.action._execute_module(
            module_name="ansible.builtin.file",
            module_args={"path": self.path(path), "state": "absent"},
            task_vars=self.task_vars)
        if res.get("failed"):
            raise RuntimeError(res.get("msg") or "removing %s failed" % path)


def windows_host(action: ActionBase, task_vars: dict[str, Any] | None) -> WindowsHost:
    """WinRM when the connection is a Windows shell, else the WSL view of the machine."""
    return WindowsHost(action, task_vars) if is_windows(action) else \
        WslLocalHost(action, task_vars)
