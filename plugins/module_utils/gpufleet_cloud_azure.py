# -*- coding: utf-8 -*-
"""Service description -> Azure Container Apps resource bodies (pure logic, stdlib only).

``{service: body}``: a ``Microsoft.App/containerApps`` body (``ContainerApp``) for a
long-running service, a ``Microsoft.App/jobs`` body (``Job``, manual trigger) for
``kind: job``; the ARM JSON (camelCase, ``location`` + ``properties``).

GPU rules (learn.microsoft.com/azure/container-apps: gpu-serverless-overview,
workload-profiles-overview):

- GPUs come from a GPU workload profile of a workload-profiles environment: serverless
  ``Consumption-GPU-NC8as-T4`` (default) or ``Consumption-GPU-NC24-A100``, or the dedicated
  ``NC24-A100`` / ``NC48-A100`` / ``NC96-A100``.  The environment declares the profile under
  a name (option ``gpu_profile_name``, default ``gpu``) that the app's
  ``workloadProfileName`` refers to; CPU services run on ``Consumption``;
- the GPU goes to the app's first (here: only) container, one GPU per replica: a count
  above 1 cannot be met;
- GPU profiles exist in a few regions only (option ``region``); a GPU service elsewhere
  cannot get its GPU;
- NVIDIA only.

A GPU replica gets ``resources`` up to the profile's size, or the whole profile (T4: 8 vCPU /
56 GiB) when none are given; on the Consumption profile CPU and memory come in pairs (0.25
vCPU steps, 2 GiB per vCPU, at most 4 vCPU / 8 GiB); a dedicated CPU profile
(``cpu_profile_name``) takes ``resources`` as given.  Named volumes are EmptyDir (with a
warning: data is lost with the replica) or Azure Files shares with ``storage=azurefile`` (the
environment's storage named after the volume); bind mounts are refused.
"""
from __future__ import annotations

import math
import re
from typing import Any, Mapping

from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_cloud_common import (
    ServiceError,
    base_container,
    check_options,
    check_vendor,
    cpus,
    dns_name,
    fail,
    gpu_count,
    gpu_decision,
    kind,
    memory_mib,
    named_volumes,
    normalize,
    option_bool,
    option_int,
    option_str,
    parse_options,
    ports,
    refuse_bind_mounts,
)

TARGET = "azure-container-apps"
SERVERLESS_GPU_REGIONS = ("australiaeast", "swedencentral", "westus3")
DEDICATED_GPU_REGIONS = ("northeurope", "westus3")
# workload profile type -> (vCPU, memory GiB, GPUs per replica, regions)
GPU_PROFILES: dict[str, tuple[float, int, int, tuple[str, ...]]] = {
    "Consumption-GPU-NC8as-T4": (8, 56, 1, SERVERLESS_GPU_REGIONS),
    "Consumption-GPU-NC24-A100": (24, 220, 1, SERVERLESS_GPU_REGIONS),
    "NC24-A100": (24, 220, 1, DEDICATED_GPU_REGIONS),
    "NC48-A100": (48, 440, 1, DEDICATED_GPU_REGIONS),
    "NC96-A100": (96, 880, 1, DEDICATED_GPU_REGIONS),
}
CONSUMPTION_MAX_CPU = 4.0
OPTIONS = {
    "region": "Azure region (location) of the apps (default westus3); GPU services need "
              "a region with the GPU profile",
    "environment_id": "resource ID of the Container Apps environment (default: built from "
                      "subscription, resource_group, environment)",
    "subscription": "subscription ID for the environment ID",
    "resource_group": "resource group for the environment ID",
    "environment": "environment name for the environment ID",
    "gpu_profile": "GPU workload profile type (default Consumption-GPU-NC8as-T4)",
    "gpu_profile_name": "the GPU profile's name in the environment (default gpu)",
    "cpu_profile_name": "the profile CPU services run on (default Consumption)",
    "external": "ingress reachable from the internet (default false: inside the environment)",
    "min_replicas": "scale.minReplicas (default 0)",
    "max_replicas": "scale.maxReplicas (default 1)",
    "storage": "emptydir (default) or azurefile for named volumes",
    "check_region": "refuse GPU services outside the known GPU regions (default true; "
                    "false for a region added after this list)",
    "replica_timeout": "a job replica's timeout in seconds (default 3600)",
    "replica_retry_limit": "retries of a failed job replica (default 3)",
}
_ENV_ID = re.compile(r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/"
                     r"Microsoft\.App/managedEnvironments/[^/]+$", re.I)


def _consumption_size(cpu: float | None, mib: int | None, name: str) -> tuple[float, str]:
    """The smallest Consumption pair (0.25 vCPU steps, 2 GiB per vCPU) that fits."""
    need = max(cpu or 0.5, (mib or 0) / 2048.0, 0.25)
    step = math.ceil(need * 4 - 1e-9) / 4.0
    if step > CONSUMPTION_MAX_CPU:
        field = "resources.cpus" if (cpu or 0) > CONSUMPTION_MAX_CPU else "resources.memory"
        fail(name, field, "the Consumption profile gives at most 4 vCPU / 8Gi per replica; "
             "lower it, or run the service on a dedicated profile (option cpu_profile_name)")
    memory = step * 2
    return step, ("%gGi" % memory)


def render(services: object, vendor: str = "nvidia",
           options: Mapping[str, str] | list[str] | None = None
           ) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Validate and render.  Returns ({service: ContainerApp or Job body}, warnings)."""
    check_vendor(vendor)
    opts = parse_options(options)
    check_options(opts, OPTIONS, TARGET)
    normalized = normalize(services, TARGET)
    warnings: list[str] = []
    region = option_str(opts, "region", "westus3").lower().replace(" ", "")
    profile = option_str(opts, "gpu_profile", "Consumption-GPU-NC8as-T4")
    if profile not in GPU_PROFILES:
        raise ServiceError("option 'gpu_profile': one of %s, got %r"
                           % (", ".join(GPU_PROFILES), profile))
    profile_cpu, profile_gib, profile_gpus, profile_regions = GPU_PROFILES[profile]
    gpu_profile_name = option_str(opts, "gpu_profile_name", "gpu")
    cpu_profile_name = option_str(opts, "cpu_profile_name", "Consumption")
    external = option_bool(opts, "external", False)
    min_replicas = option_int(opts, "min_replicas", 0, minimum=0)
    max_replicas = option_int(opts, "max_replicas", 1, minimum=1)
    if min_replicas > max_replicas:
        raise ServiceError("option 'min_replicas': %d is above max_replicas %d"
                           % (min_replicas, max_replicas))
    check_region = option_bool(opts, "check_region", True)
    storage = option_str(opts, "storage", "emptydir")
    if storage not in ("emptydir", "azurefile"):
        raise ServiceError("option 'storage': emptydir or azurefile, got %r" % storage)
    replica_timeout = option_int(opts, "replica_timeout", 3600, minimum=1)
    retry_limit = option_int(opts, "replica_retry_limit", 3, minimum=0)
    env_id = opts.get("environment_id")
    if env_id is None:
        parts = [opts.get(k) for k in ("subscription", "resource_group", "environment")]
        if not all(parts):
            warnings.append("environment ID has placeholders: give --option environment_id=... "
                            "(or subscription, resource_group, environment) before deploying")
        env_id = ("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.App/"
                  "managedEnvironments/%s" % (opts.get("subscription") or "SUBSCRIPTION_ID",
                                              opts.get("resource_group") or "RESOURCE_GROUP",
                                              opts.get("environment") or "ENVIRONMENT"))
    elif not _ENV_ID.match(env_id):
        raise ServiceError("option 'environment_id': %r is not /subscriptions/<id>/"
                           "resourceGroups/<rg>/providers/Microsoft.App/"
                           "managedEnvironments/<name>" % env_id)
    out: dict[str, dict[str, Any]] = {}
    for name, svc in normalized.items():
        dns = dns_name(name, 32)  # Container Apps names: at most 32 characters
        refuse_bind_mounts(svc, name, TARGET, "use a named volume (EmptyDir, or an Azure "
                                              "Files share with --option storage=azurefile)")
        wanted = gpu_count(svc, name, TARGET)
        unavailable = None
        if wanted and vendor != "nvidia":
            unavailable = "Container Apps has NVIDIA GPUs only (vendor %s)" % vendor
        elif wanted and check_region and region not in profile_regions:
            unavailable = ("region %s has no %s workload profile (GPU regions: %s); set "
                           "--option region=..., or check_region=false for a region added since"
                           % (region, profile, ", ".join(profile_regions)))
        elif wanted > profile_gpus:
            fail(name, "gpu.count", "a Container Apps replica gets one GPU, got %d; use "
                 "count: 1 (and more replicas) or another target" % wanted)
        count = gpu_decision(svc, name, TARGET, warnings, unavailable,
                             "gpu" if unavailable else "gpu.policy")
        container = base_container(svc, name, dns, working_dir=False)  # no workingDir there
        cpu = cpus(svc)
        mib = memory_mib(svc, name)
        if count:
            if (cpu is not None and cpu > profile_cpu) or \
                    (mib is not None and mib > profile_gib * 1024):
                fail(name, "resources", "more than a %s replica has (%g vCPU, %dGi)"
                     % (profile, profile_cpu, profile_gib))
            # Given resources (up to the profile's size), else the whole profile.
            res: dict[str, Any] = {
                "cpu": cpu or profile_cpu,
                "memory": "%dGi" % math.ceil((mib or profile_gib * 1024) / 1024)}
        elif cpu_profile_name == "Consumption":
            size_cpu, size_mem = _consumption_size(cpu, mib, name)
            res = {"cpu": size_cpu, "memory": size_mem}
        else:  # a dedicated profile of the environment: its nodes bound the size, not us
            res = {"cpu": cpu or 0.5,
                   "memory": "%gGi" % (math.ceil((mib or (cpu or 0.5) * 2048) / 512) / 2)}
        container["resources"] = res
        volumes: list[dict[str, Any]] = []
        mounts: list[dict[str, Any]] = []
        for index, vol in enumerate(named_volumes(svc)):
            vname = "vol-%d" % index
            if storage == "azurefile":
                volumes.append({"name": vname, "storageType": "AzureFile",
                                "storageName": dns_name(vol["source"], 32)})
            else:
                volumes.append({"name": vname, "storageType": "EmptyDir"})
                warnings.append("service '%s': volume %s is an EmptyDir (lost with the "
                                "replica); give --option storage=azurefile for an Azure Files "
                                "share" % (name, vol["source"]))
            mounts.append({"volumeName": vname, "mountPath": vol["target"]})
        if mounts:
            container["volumeMounts"] = mounts
        hc = svc.get("healthcheck")
        if hc and not hc.get("disable"):
            warnings.append("service '%s': healthcheck not rendered: Container Apps probes "
                            "are HTTP or TCP, not commands" % name)
        template: dict[str, Any] = {"containers": [container]}
        if volumes:
            template["volumes"] = volumes
        props: dict[str, Any] = {
            "environmentId": env_id,
            "workloadProfileName": gpu_profile_name if count else cpu_profile_name}
        body: dict[str, Any] = {"location": region, "tags": {"managed-by": "gpufleet"},
                                "properties": props}
        port_list = ports(svc, name, TARGET)
        if kind(svc) == "job":
            props["configuration"] = {
                "triggerType": "Manual", "replicaTimeout": replica_timeout,
                "replicaRetryLimit": retry_limit,
                "manualTriggerConfig": {"replicaCompletionCount": 1, "parallelism": 1}}
            props["template"] = template
            out[name] = body
            continue
        configuration: dict[str, Any] = {"activeRevisionsMode": "Single"}
        if port_list:
            if any(p != "tcp" for _c, _pub, p in port_list):
                fail(name, "ports", "Container Apps ingress carries TCP only")
            first, rest = port_list[0], port_list[1:]
            ingress: dict[str, Any] = {"external": external, "targetPort": first[0],
                                       "transport": "auto"}
            if rest:
                ingress["additionalPortMappings"] = [
                    {"external": external, "targetPort": c, "exposedPort": pub}
                    for c, pub, _p in rest]
            configuration["ingress"] = ingress
        props["configuration"] = configuration
        template["scale"] = {"minReplicas": min_replicas, "maxReplicas": max_replicas}
        props["template"] = template
        out[name] = body
    return out, warnings
