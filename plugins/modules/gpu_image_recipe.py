#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: gpufleet contributors
# Apache-2.0
from __future__ import annotations

DOCUMENTATION = r"""
---
module: gpu_image_recipe
short_description: Render an image recipe into a Dockerfile
description:
  - Validates an image recipe (name, variant, base, cuda_version, python installed with uv,
    optional conda; see docs/images.md) and writes the multi-stage Dockerfile it describes into I(dest),
    the build context that C(community.docker.docker_image_build) then builds with BuildKit.
  - A bad recipe fails naming the field, before anything is written.
  - Returns what the build needs (build arguments, the image labels, the recipe's hash) so the
    role can tell whether an existing image was built from this recipe.
version_added: "0.1.0"
options:
  recipe:
    description: The recipe (a mapping, as in a recipe YAML file).
    type: dict
    required: true
  dest:
    description: The build context directory; C(Dockerfile) is written there.
    type: path
    required: true
  base:
    description: Build from this image instead of the recipe's bases (build arguments
      C(BASE_IMAGE) and C(BUILDER_IMAGE)).
    type: str
  ca_secret:
    description: Render the CA bundle secret mounts (overrides the recipe's C(ca_secret)).
    type: bool
attributes:
  idempotent:
    support: full
    description: Writes the Dockerfile only when its text changes.
extends_documentation_fragment:
  - gpufleet.fleet.attributes.FILE_EDIT
author:
  - gpufleet contributors (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Render the API image's Dockerfile
  gpu_image_recipe:
    recipe:
      name: api
      version: "1.4.0"
      variant: cuda
      base: "{{ cuda_runtime_image }}"   # nvidia/cuda:12.4.1-runtime-ubuntu22.04@sha256:...
      cuda_version: "12.4"
      python: {version: "3.10", packages: [fastapi==0.115.0, uvicorn==0.30.6]}
    dest: /var/lib/gpufleet/images/api
  register: __recipe
"""

RETURN = r"""
dockerfile:
  description: The path of the Dockerfile.
  returned: always
  type: str
image:
  description: C(name:version) of the recipe.
  returned: always
  type: str
  sample: api:1.4.0
build_args:
  description: The build arguments to pass (C(BASE_IMAGE), C(BUILDER_IMAGE)).
  returned: always
  type: dict
labels:
  description: The labels the image will carry (C(com.nvidia.cuda.version) for the CUDA variants).
  returned: always
  type: dict
recipe_digest:
  description: A hash of the normalized recipe (the image label C(gpufleet.image.recipe)).
  returned: always
  type: str
ca_secret:
  description: Whether the Dockerfile expects the BuildKit secret C(ca).
  returned: always
  type: bool
recipe_warnings:
  description: Recipe warnings (an unpinned base, a CUDA version that differs from the base's).
  returned: always
  type: list
  elements: str
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_files import read_text, write_text
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_image import (
    RecipeError, build_args, image_labels, recipe_digest, render_dockerfile, validate_recipe)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            recipe=dict(type="dict", required=True),
            dest=dict(type="path", required=True),
            base=dict(type="str"),
            ca_secret=dict(type="bool"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    recipe = dict(p["recipe"])
    if p["ca_secret"] is not None:
        recipe["ca_secret"] = p["ca_secret"]
    try:
        normalized, dummy = validate_recipe(recipe)
        text, warnings = render_dockerfile(recipe)
    except RecipeError as exc:
        module.fail_json(msg="%s; fix the recipe of %s" % (exc, recipe.get("name", "(unnamed)")))
    path = os.path.join(p["dest"], "Dockerfile")
    if os.path.exists(p["dest"]) and not os.path.isdir(p["dest"]):
        module.fail_json(msg="dest %s exists and is not a directory; point dest at the build "
                             "context directory" % p["dest"])
    result = dict(changed=False, dockerfile=path,
                  image="%s:%s" % (normalized["name"], normalized["version"]),
                  build_args=build_args(normalized, p["base"]), labels=image_labels(normalized),
                  recipe_digest=recipe_digest(normalized), ca_secret=normalized["ca_secret"],
                  recipe_warnings=warnings)
    before = read_text(path)
    if before != text:
        result.update(write_text(module, path, before, text))
    for w in warnings:
        module.warn(w)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
