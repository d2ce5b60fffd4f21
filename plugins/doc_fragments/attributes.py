# -*- coding: utf-8 -*-
# Copyright: gpufleet contributors
# Apache-2.0
"""Shared attribute documentation of gpufleet's modules (extends_documentation_fragment)."""
from __future__ import annotations


class ModuleDocFragment:
    # Modules that edit one file on the managed host: check mode reports, diff shows it.
    FILE_EDIT = r"""
attributes:
  check_mode:
    support: full
    description: Reports whether the file would change (and the diff, with --diff) without writing it.
  diff_mode:
    support: full
    description: The file before and after.
"""

    # Modules that only read.
    READ_ONLY = r"""
attributes:
  check_mode:
    support: full
    description: Read-only; runs the same in check mode.
  diff_mode:
    support: none
    description: Nothing to show; the module changes nothing.
  idempotent:
    support: full
    description: Never changes the host.
"""

    # The documentation of an action plugin (the work is done on the controller).
    ACTION = r"""
attributes:
  action:
    support: full
    description: An action plugin of the same name does the work on the controller.
"""
