#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: gpufleet contributors
# Apache-2.0
from __future__ import annotations

DOCUMENTATION = r"""
---
module: cloud_render
short_description: Render gpufleet service descriptions for Kubernetes or a cloud container service
description:
  - Validates the service descriptions (docs/services.md) and renders them for one target,
    with the GPU request that target understands (docs/cloud.md); errors name the service
    and the field, and nothing is returned but the error.
  - C(kubernetes) returns a list of objects (Deployment or Job, Service, PersistentVolumeClaim)
    for M(kubernetes.core.k8s); C(ecs), C(batch) and C(sagemaker) return per service the AWS API
    request(s); C(cloud-run) a Cloud Run Admin API v2 Service (or Job) body;
    C(azure-container-apps) a ContainerApp (or Job) body.
  - Reads nothing and changes nothing, so it runs the same in check mode; run it on the
    controller (C(delegate_to=localhost)) and hand the result to the deploying module.
  - Logic in C(module_utils/gpufleet_cloud.py) and one C(gpufleet_cloud_<target>.py) per target.
version_added: "0.2.0"
options:
  services:
    description: Mapping of service name to its description (the same as M(gpufleet.fleet.gpu_compose)'s,
      plus C(kind=job) for a run-to-completion task such as training).
    type: dict
    required: true
  target:
    description: Where the services go.
    type: str
    required: true
    choices: [kubernetes, ecs, batch, sagemaker, cloud-run, azure-container-apps]
  vendor:
    description: GPU vendor of the target's GPU nodes. Only C(kubernetes) schedules C(amd) and
      C(intel) GPUs; the managed services have NVIDIA GPUs only.
    type: str
    choices: [nvidia, amd, intel]
    default: nvidia
  options:
    description: The target's options (docs/cloud.md lists them per target), such as
      C(namespace), C(runtime_class) (kubernetes), C(region), C(accelerator) (cloud-run),
      C(region), C(gpu_profile), C(environment_id) (azure-container-apps). Unknown keys fail.
    type: dict
    default: {}
extends_documentation_fragment:
  - gpufleet.fleet.attributes.READ_ONLY
author:
  - gpufleet contributors (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Render the GPU model services for the cluster
  gpufleet.fleet.cloud_render:
    services: "{{ gpu_workload_services }}"
    target: kubernetes
    options:
      namespace: aiml
      runtime_class: nvidia
  delegate_to: localhost
  register: rendered

- name: Apply them
  kubernetes.core.k8s:
    state: present
    definition: "{{ rendered.documents }}"
  delegate_to: localhost

- name: Cloud Run services in a GPU region
  gpufleet.fleet.cloud_render:
    services: "{{ gpu_workload_services }}"
    target: cloud-run
    options: {region: europe-west4, max_instances: 3}
  delegate_to: localhost
  register: run_services
"""

RETURN = r"""
documents:
  description: The rendered document. A list of Kubernetes objects for C(kubernetes); a mapping of
    service name to its request or resource body for the other targets.
  returned: success
  type: raw
text:
  description: The same as the command line prints it (a YAML stream for C(kubernetes) when PyYAML
    is present, else JSON).
  returned: success
  type: str
render_warnings:
  description: What the user should know (CPU fallbacks of C(policy=auto), in-memory volumes,
    raised CPU/memory minimums); also shown as task warnings.
  returned: success
  type: list
  elements: str
"""

import json

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_cloud import (
    OUTPUT_FORMAT, TARGETS, ServiceError, render_target)


def _text(doc, target):
    if OUTPUT_FORMAT[target] == "yaml":
        try:
            import yaml
        except ImportError:
            return json.dumps(doc, indent=2)
        return yaml.safe_dump_all(doc, sort_keys=False, default_flow_style=False)
    return json.dumps(doc, indent=2)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            services=dict(type="dict", required=True),
            target=dict(type="str", required=True, choices=list(TARGETS)),
            vendor=dict(type="str", default="nvidia", choices=["nvidia", "amd", "intel"]),
            options=dict(type="dict", default={}),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        doc, warnings = render_target(p["services"], p["target"], vendor=p["vendor"],
                                      options=p["options"] or {})
    except ServiceError as exc:
        module.fail_json(msg="cloud_render: %s. Fix the service description or the options; "
                             "nothing was rendered." % exc)
    for w in warnings:
        module.warn(w)
    module.exit_json(changed=False, documents=doc, text=_text(doc, p["target"]),
                     render_warnings=warnings)


if __name__ == "__main__":
    main()
