# -*- coding: utf-8 -*-
"""Jinja filters over gpufleet's Windows logic (module_utils/gpufleet_windows.py)."""
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


class FilterModule(object):
    def filters(self):
        return {"gpufleet_windows_build": gpufleet_windows_build,
                "gpufleet_wsl_text": gpufleet_wsl_text}
