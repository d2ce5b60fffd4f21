#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: gpufleet contributors
# Apache-2.0
from __future__ import annotations

DOCUMENTATION = r"""
---
module: docker_daemon_config
short_description: Merge settings into Docker's daemon.json, safely
description:
  - Deep-merges I(settings) into the daemon configuration file (or, with C(state=absent),
    removes the keys it names), keeping every other key, the file's mode and owner.
  - The candidate is validated with C(dockerd --validate --config-file) when the installed
    dockerd has that flag (Docker 23+); older engines skip it and return C(validated=false).
  - Writes atomically (temp file in the same directory, then rename), only when the parsed
    content changes; formatting-only differences never cause a write.
  - An existing file that is not valid JSON fails the task with the file name and the
    parse error, and is left untouched.
  - This module does not restart Docker. Notify a handler when C(changed); the
    C(docker_engine) role restarts with rollback to the backup when dockerd will not start.
version_added: "0.1.0"
options:
  path:
    description: The daemon configuration file.
    type: path
    default: /etc/docker/daemon.json
  settings:
    description:
      - With C(state=present), the settings to merge. Objects merge key by key, recursively;
        lists and scalars replace (see I(list_merge)).
      - With C(state=absent), the keys to remove. A nested object descends; any other value
        removes that key; a list removes those items from the list. Objects left empty are removed.
    type: dict
    required: true
  state:
    description: Merge (C(present)) or remove (C(absent)).
    type: str
    choices: [present, absent]
    default: present
  list_merge:
    description: C(replace) a list, or C(union) it with the existing one (new items appended).
    type: str
    choices: [replace, union]
    default: replace
  validate:
    description: Validate the candidate with C(dockerd --validate) when available.
    type: bool
    default: true
  dockerd_path:
    description: The dockerd binary used for validation (found on PATH when omitted).
    type: path
  backup:
    description: Keep a timestamped copy of the previous file next to it.
    type: bool
    default: false
  mode:
    description: Mode for a newly created file. An existing file keeps its mode.
    type: raw
    default: "0644"
attributes:
  idempotent:
    support: full
    description: Writes only when the file's parsed content changes.
extends_documentation_fragment:
  - gpufleet.fleet.attributes.FILE_EDIT
author:
  - gpufleet contributors (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Register the NVIDIA runtime, keep everything else
  docker_daemon_config:
    settings:
      runtimes:
        nvidia:
          path: nvidia-container-runtime
          args: []
    backup: true
  notify: Restart docker

- name: Enable CDI and add a registry mirror to the existing list
  docker_daemon_config:
    settings:
      features: {cdi: true}
      registry-mirrors: ["https://mirror.example.internal"]
    list_merge: union

- name: Stop making nvidia the default runtime
  docker_daemon_config:
    state: absent
    settings:
      default-runtime: null
"""

RETURN = r"""
config:
  description: The configuration after the change (what is, or in check mode would be, on disk).
  returned: success
  type: dict
  sample: {"log-driver": "json-file", "runtimes": {"nvidia": {"args": [], "path": "nvidia-container-runtime"}}}
changed_keys:
  description: Dotted paths of the keys that changed.
  returned: success
  type: list
  elements: str
  sample: ["runtimes.nvidia"]
backup_file:
  description: The backup of the previous file.
  returned: when backup=true and the file changed
  type: str
  sample: /etc/docker/daemon.json.12345.2026-11-24@10:00:00~
validated:
  description: Whether dockerd --validate checked the candidate.
  returned: success
  type: bool
created:
  description: Whether the file did not exist before (a rollback removes it).
  returned: success
  type: bool
path:
  description: The file that was (or would be) written.
  returned: success
  type: str
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_docker import (
    ConfigError, changed_keys, load_daemon_json, merge_settings, remove_settings, render_daemon_json)
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_files import read_text, write_text


def dockerd_validates(module, dockerd):
    """True when this dockerd has --validate (Docker 23+)."""
    rc, out, err = module.run_command([dockerd, "--help"])
    return rc == 0 and "--validate" in (out + err)


def validate_candidate(module, dockerd, text, directory):
    fd, tmp = tempfile.mkstemp(prefix=".daemon.json.validate.", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(to_bytes(text))
        rc, out, err = module.run_command([dockerd, "--validate", "--config-file", tmp])
    finally:
        os.unlink(tmp)
    return rc, out, err


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", default="/etc/docker/daemon.json"),
            settings=dict(type="dict", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            list_merge=dict(type="str", default="replace", choices=["replace", "union"]),
            validate=dict(type="bool", default=True),
            dockerd_path=dict(type="path"),
            backup=dict(type="bool", default=False),
            mode=dict(type="raw", default="0644"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    path = p["path"]
    directory = os.path.dirname(path) or "."
    exists = os.path.exists(path)
    if exists and not os.path.isfile(path):
        module.fail_json(msg="%s exists and is not a regular file; point 'path' at the daemon "
                             "configuration file." % path)
    before_text = read_text(path) or ""
    try:
        before = load_daemon_json(before_text, path)
        if p["state"] == "present":
            after = merge_settings(before, p["settings"], p["list_merge"])
        else:
            after = remove_settings(before, p["settings"])
    except ConfigError as exc:
        module.fail_json(msg=str(exc), path=path)

    result = dict(changed=False, config=after, changed_keys=changed_keys(before, after),
                  validated=False, path=path, created=False)
    if after == before and (exists or p["state"] == "absent"):
        module.exit_json(**result)

    after_text = render_daemon_json(after)
    result["changed"] = True
    result["created"] = not exists

    if p["validate"]:
        dockerd = p["dockerd_path"] or module.get_bin_path("dockerd")
        if dockerd and dockerd_validates(module, dockerd):
            if os.path.isdir(directory):
                rc, out, err = validate_candidate(module, dockerd, after_text, directory)
            else:  # directory not created yet (check mode on a fresh host)
                rc, out, err = validate_candidate(module, dockerd, after_text,
                                                  tempfile.gettempdir())
            result["validated"] = True
            if rc != 0:
                module.fail_json(msg="dockerd rejected the new configuration for %s: %s. "
                                     "Fix the settings; the file was left untouched."
                                 % (path, (err or out).strip()), rc=rc, stdout=out, stderr=err,
                                 candidate=after)

    result.update(write_text(module, path, before_text if exists else None, after_text,
                             mode=p["mode"], backup=p["backup"]))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
