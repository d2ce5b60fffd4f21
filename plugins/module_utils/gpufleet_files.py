# -*- coding: utf-8 -*-
"""The one way gpufleet's modules write a text file: diff, check mode, backup, atomic
rename, existing mode and owner kept (deb822_repository / blockinfile style)."""
from __future__ import annotations

import os
import tempfile
from typing import TYPE_CHECKING, Any

from ansible.module_utils.common.text.converters import to_bytes, to_native

if TYPE_CHECKING:
    from ansible.module_utils.basic import AnsibleModule


def read_text(path: str) -> str | None:
    """The file's text, or None when it does not exist."""
    if not os.path.exists(path):
        return None
    with open(path, "rb") as fh:
        return to_native(fh.read(), errors="surrogate_or_strict")


def write_text(module: AnsibleModule, path: str, before: str | None, after: str,
               mode: str | int = "0644", backup: bool = False) -> dict[str, Any]:
    """Write ``after`` to ``path`` (whose current text is ``before``, None if absent).

    Returns the result keys to add: changed, diff (with --diff), backup_file. Does nothing
    but report in check mode. The caller has already decided that before != after.
    """
    result: dict[str, Any] = {"changed": True}
    if module._diff:
        result["diff"] = {"before": before or "", "after": after,
                          "before_header": path if before is not None else path + " (absent)",
                          "after_header": path}
    if module.check_mode:
        return result
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    if before is not None and backup:
        result["backup_file"] = module.backup_local(path)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", dir=directory)
    with os.fdopen(fd, "wb") as fh:
        fh.write(to_bytes(after))
    if before is not None:
        st = os.stat(path)
        os.chmod(tmp, st.st_mode & 0o7777)
        try:
            os.chown(tmp, st.st_uid, st.st_gid)
        except OSError:
            pass  # not root: the new file keeps the caller's ownership
    module.atomic_move(tmp, path, unsafe_writes=False)
    if before is None:
        module.set_mode_if_different(path, mode, False)
    return result
