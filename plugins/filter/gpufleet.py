# -*- coding: utf-8 -*-
"""Jinja filters over gpufleet's Windows logic (module_utils/gpufleet_windows.py) and the
failure matcher (module_utils/gpufleet_explain.py)."""
from __future__ import annotations


from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_windows import (
    decode_wsl_output, windows_build_check)


def gpufleet_windows_build(version, arch="x64", edition=""):
    """'10.0.19045.0' | gpufleet_windows_build('x64', 'Windows 10 Pro Client') -> checks."""
    arch = "arm64" if "arm" in str(arch).lower() else "x64"
    return windows_build_check(version, arch, edition)


def gpufleet_wsl_text(value):
    """wsl.exe output as received (UTF-16LE as text, or UTF-8) -> clean text."""
    return decode_wsl_output(value or "")


def gpufleet_explain(value, limit=3):
    """A failure's output -> its diagnosis from gpufleet's failure catalog (the matcher of
    `gpufleet explain`): [{id, cause, remedy}], best first, [] when it is no known GPU
    failure. ``value``: text, a list of texts, or a registered result (its msg, stderr,
    stdout, module_stderr and per-item results are read)."""
    from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_explain import (
        diagnosis)
    return diagnosis(u"\n".join(_failure_texts(value)), limit=int(limit))


def _failure_texts(value, depth=0):
    if value is None or depth > 3:
        return []
    if isinstance(value, (str, bytes)):
        return [value.decode("utf-8", "replace") if isinstance(value, bytes) else value]
    if isinstance(value, dict):
        texts = []
        for key in ("msg", "stderr", "stdout", "module_stderr", "module_stdout"):
            texts.extend(_failure_texts(value.get(key), depth + 1))
        texts.extend(_failure_texts(value.get("results"), depth + 1))
        return texts
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _failure_texts(v, depth + 1)]
    return [str(value)]


class FilterModule(object):
    def filters(self):
        return {"gpufleet_windows_build": gpufleet_windows_build,
                "gpufleet_wsl_text": gpufleet_wsl_text,
                "gpufleet_explain": gpufleet_explain}
