# -*- coding: utf-8 -*-
"""Jinja filters over gpufleet's Windows logic (module_utils/gpufleet_windows.py)."""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "module_utils"))
from gpufleet_windows import decode_wsl_output, windows_build_check  # noqa: E402


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
