# -*- coding: utf-8 -*-
# Test-suite helper, not product code: records which role tasks ran (ok, changed or failed,
# not skipped) so tests/integration/test_molecule.py can prove that every task of the
# Linux roles runs somewhere in CI ("a branch that no test takes is broken until proven
# otherwise"). Active only when GPUFLEET_TASK_COVERAGE names a file to append to.
from __future__ import annotations

DOCUMENTATION = r"""
name: gpufleet_task_coverage
type: aggregate
short_description: append the path of every task that ran to a JSON-lines file
description:
  - Writes one JSON object per task result (keys path and status) to the file named by
    the environment variable C(GPUFLEET_TASK_COVERAGE); does nothing when it is not set.
requirements:
  - enable in callbacks_enabled
"""

import json  # noqa: E402 (Ansible's plugin layout: DOCUMENTATION first)
import os  # noqa: E402

from ansible.plugins.callback import CallbackBase  # noqa: E402


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "gpufleet_task_coverage"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._path = os.environ.get("GPUFLEET_TASK_COVERAGE")

    def _record(self, result, status):
        if not self._path:
            return
        task_path = result._task.get_path()
        if not task_path:
            return
        with open(self._path, "a") as fh:
            fh.write(json.dumps({"path": task_path, "status": status}) + "\n")

    def v2_runner_on_ok(self, result):
        self._record(result, "changed" if result._result.get("changed") else "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_item_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_item_on_failed(self, result):
        self._record(result, "failed")
