# -*- coding: utf-8 -*-
"""One entry point for every cloud renderer: ``render_target(services, target, ...)``.

Targets (docs/cloud.md):

- ``kubernetes``: a list of Kubernetes objects (gpufleet_cloud_k8s)
- ``ecs``, ``batch``, ``sagemaker``: {service: AWS API request(s)} (gpufleet_cloud_aws)
- ``cloud-run``: {service: Cloud Run Admin API v2 Service/Job} (gpufleet_cloud_gcp)
- ``azure-container-apps``: {service: ContainerApp/Job body} (gpufleet_cloud_azure)

Each renderer validates everything before it returns; nothing is half-rendered.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

# Imported by name, not through importlib: Ansible packs into a module's payload only the
# module_utils it sees imported, so `cloud_render` run by Ansible needs every renderer here.
from ansible_collections.gpufleet.fleet.plugins.module_utils import (
    gpufleet_cloud_aws,
    gpufleet_cloud_azure,
    gpufleet_cloud_gcp,
    gpufleet_cloud_k8s,
)
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_cloud_common import (
    TARGETS,
    ServiceError,
    check_target,
)

# target -> its render function (services, vendor, options) -> (document, warnings)
RENDERERS: dict[str, Callable[..., Any]] = {
    "kubernetes": gpufleet_cloud_k8s.render,
    "ecs": gpufleet_cloud_aws.render_ecs,
    "batch": gpufleet_cloud_aws.render_batch,
    "sagemaker": gpufleet_cloud_aws.render_sagemaker,
    "cloud-run": gpufleet_cloud_gcp.render,
    "azure-container-apps": gpufleet_cloud_azure.render,
}
OUTPUT_FORMAT = {t: ("yaml" if t == "kubernetes" else "json") for t in TARGETS}

__all__ = ["TARGETS", "RENDERERS", "OUTPUT_FORMAT", "ServiceError", "renderer",
           "render_target"]


def renderer(target: str) -> Callable[..., Any]:
    """The render function of ``target``."""
    check_target(target)
    return RENDERERS[target]


def render_target(services: object, target: str, vendor: str = "nvidia",
                  options: Mapping[str, object] | list[str] | None = None
                  ) -> tuple[Any, list[str]]:
    """Validate and render ``services`` for ``target``.  Returns (document, warnings):
    a list of objects for kubernetes, a mapping of service -> request/resource otherwise.
    Raises ServiceError (naming service and field) on bad input."""
    result = renderer(target)(services, vendor, options)
    if isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], list):
        return result[0], [str(w) for w in result[1]]
    return result, []
