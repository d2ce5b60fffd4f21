#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: gpufleet contributors
# Apache-2.0
from __future__ import annotations

DOCUMENTATION = r"""
---
module: aws_batch_job_definition
short_description: Register an AWS Batch job definition from a full RegisterJobDefinition request
description:
  - Registers the request as M(gpufleet.fleet.cloud_render) renders it for C(target=batch)
    (C(containerProperties.resourceRequirements) with VCPU, MEMORY and GPU, and a
    C(retryStrategy) with C(evaluateOnExit) rules), when the newest active revision of that
    job definition differs from it; otherwise it reports no change.
  - Exists because M(community.aws.batch_job_definition) takes C(vcpus), C(memory) and
    C(attempts) only, so it cannot request a GPU or retry on Spot reclaims.
  - Credentials come from boto3's usual chain (environment, shared files, instance role).
version_added: "0.2.0"
options:
  request:
    description: The RegisterJobDefinition request (camelCase, as boto3 takes it). Required with
      C(state=present).
    type: dict
  name:
    description: The job definition name; defaults to C(request.jobDefinitionName). With
      C(state=absent) every active revision of it is deregistered.
    type: str
  state:
    description: Whether the job definition should be registered (present) or deregistered.
    type: str
    choices: [present, absent]
    default: present
  region:
    description: AWS region; defaults to the environment (C(AWS_REGION), C(AWS_DEFAULT_REGION))
      or the shared configuration.
    type: str
  endpoint_url:
    description: Send the API calls here instead of AWS (for example a local moto server).
    type: str
  profile:
    description: Named profile of the shared credentials files.
    type: str
requirements:
  - boto3
attributes:
  check_mode:
    support: full
    description: Describes the job definition and reports whether a revision would be
      registered (or deregistered) without doing it.
  diff_mode:
    support: none
    description: No diff; RETURN has the job definition.
  idempotent:
    support: full
    description: A new revision is registered only when the newest active one differs from
      the request (tags are not compared).
author:
  - gpufleet contributors (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Render the training jobs for AWS Batch
  gpufleet.fleet.cloud_render:
    services: "{{ gpu_workload_services }}"
    target: batch
  register: rendered

- name: Register them
  gpufleet.fleet.aws_batch_job_definition:
    request: "{{ item.value }}"
    region: us-east-1
  loop: "{{ rendered.documents | dict2items }}"
  loop_control:
    label: "{{ item.key }}"
"""

RETURN = r"""
job_definition:
  description: The newest active revision after the run, as DescribeJobDefinitions returns it
    (the request in check mode when it would register one; absent after C(state=absent)).
  returned: state is present
  type: dict
revision:
  description: Its revision number (none in check mode when a new revision would be registered).
  returned: state is present
  type: int
deregistered:
  description: ARNs deregistered by C(state=absent).
  returned: state is absent
  type: list
  elements: str
"""

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

try:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError
    HAS_BOTO3 = True
    BOTO3_IMPORT_ERROR = None
except ImportError:
    HAS_BOTO3 = False
    BOTO3_IMPORT_ERROR = traceback.format_exc()

# Not compared: tags may not be described back, and a tag change alone is no new revision.
_NOT_COMPARED = ("jobDefinitionName", "tags", "propagateTags")
# Values AWS Batch treats case-insensitively (API_EvaluateOnExit: "The values aren't case
# sensitive"); describe may return them in another case.
_CASELESS = ("action",)


def contains(sent, got, key=None):
    """True when every value of ``sent`` is in ``got`` (described objects carry defaults)."""
    if isinstance(sent, dict):
        if not isinstance(got, dict):
            return False
        return all(contains(v, got.get(k), k) for k, v in sent.items()
                   if k not in _NOT_COMPARED)
    if isinstance(sent, list):
        if not isinstance(got, list) or len(sent) != len(got):
            return False
        if key == "resourceRequirements":  # a set of {type, value}: order is not kept
            sent = sorted(sent, key=lambda r: str(r.get("type")))
            got = sorted(got, key=lambda r: str(r.get("type")))
        return all(contains(sent[i], got[i]) for i in range(len(sent)))
    if key in _CASELESS and isinstance(sent, str) and isinstance(got, str):
        return sent.lower() == got.lower()
    return sent == got


def newest_active(client, name):
    found = []
    kwargs = {"jobDefinitionName": name, "status": "ACTIVE"}
    while True:
        page = client.describe_job_definitions(**kwargs)
        found.extend(page.get("jobDefinitions") or [])
        if not page.get("nextToken"):
            break
        kwargs["nextToken"] = page["nextToken"]
    return sorted(found, key=lambda d: d["revision"])


def main():
    module = AnsibleModule(
        argument_spec=dict(
            request=dict(type="dict"),
            name=dict(type="str"),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            region=dict(type="str"),
            endpoint_url=dict(type="str"),
            profile=dict(type="str"),
        ),
        required_if=[("state", "present", ["request"])],
        required_one_of=[("request", "name")],
        supports_check_mode=True,
    )
    if not HAS_BOTO3:
        module.fail_json(msg=missing_required_lib("boto3"), exception=BOTO3_IMPORT_ERROR)
    p = module.params
    request = p["request"] or {}
    name = p["name"] or request.get("jobDefinitionName")
    if not name:
        module.fail_json(msg="no job definition name: give name, or request.jobDefinitionName")
    if request and request.get("jobDefinitionName", name) != name:
        module.fail_json(msg="name %r and request.jobDefinitionName %r differ; give one"
                             % (name, request["jobDefinitionName"]))
    try:
        session = boto3.session.Session(profile_name=p["profile"], region_name=p["region"])
        if session.region_name is None:
            module.fail_json(msg="no AWS region: set region, or AWS_REGION / AWS_DEFAULT_REGION")
        client = session.client("batch", endpoint_url=p["endpoint_url"])
        active = newest_active(client, name)
        if p["state"] == "absent":
            arns = [d["jobDefinitionArn"] for d in active]
            if not module.check_mode:
                for arn in arns:
                    client.deregister_job_definition(jobDefinition=arn)
            module.exit_json(changed=bool(arns), deregistered=arns)
        request = dict(request, jobDefinitionName=name)
        if active and contains(request, active[-1]):
            module.exit_json(changed=False, job_definition=active[-1],
                             revision=active[-1]["revision"])
        if module.check_mode:
            module.exit_json(changed=True, job_definition=request, revision=None)
        arn = client.register_job_definition(**request)["jobDefinitionArn"]
        described = client.describe_job_definitions(jobDefinitions=[arn])["jobDefinitions"]
    except (BotoCoreError, ClientError) as exc:
        module.fail_json(msg="AWS Batch job definition %s: %s. Check the credentials, the region "
                             "and the request (gpufleet render --platform batch shows it)"
                             % (name, exc), exception=traceback.format_exc())
    module.exit_json(changed=True, job_definition=described[0] if described else request,
                     revision=described[0]["revision"] if described else None)


if __name__ == "__main__":
    main()
