"""Helpers shared by gpufleet's action plugins (controller side only).

Controller-only code, so it lives in plugin_utils (Ansible's place for helpers of
controller-side plugins), not in module_utils (code shipped to managed hosts). Action
plugins import it and the pure logic of module_utils by the collection's FQCN.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

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


def is_windows(action: ActionBase) -> bool:
    return getattr(action._connection._shell, "_IS_WINDOWS", False) or \
        getattr(action._connection._shell, "SHELL_FAMILY", "") == "powershell"


def win_read(action: ActionBase, task_vars: dict[str, Any] | None, paths: Iterable[str],
             process: str | None = None) -> tuple[dict[str, str], bool]:
    """Read files (and whether a process runs) with one win_powershell call."""
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
