# -*- coding: utf-8 -*-
"""Service description -> Cloud Run Admin API v2 resources (pure logic, stdlib only).

``{service: body}``: a ``Service`` body (``projects.locations.services.create`` with
``serviceId=<name>``) for a long-running service, a ``Job`` body (``jobs.create``) for
``kind: job``.  JSON field names are the API's camelCase.

GPU rules (cloud.google.com/run/docs/configuring/services/gpu):

- one GPU per instance, attached to one container: ``resources.limits["nvidia.com/gpu"]
  = "1"`` and ``template.nodeSelector.accelerator`` (``nvidia-l4`` by default, or the
  ``accelerator`` option); a GPU count above 1 cannot be met;
- minimum CPU and memory per accelerator (L4: 4 CPU / 16 GiB): smaller requests are raised
  to the minimum, with a warning;
- instance-based billing: ``cpuIdle: false`` (CPU always allocated);
- GPU regions per accelerator (the ``region`` option); a GPU service in another region
  cannot get its GPU;
- NVIDIA only: AMD or Intel GPU services cannot be scheduled.

Named volumes become Cloud Storage FUSE volumes of the ``bucket`` option (one directory per
volume through ``only-dir``), or in-memory volumes with a warning (their data is lost when
the instance stops); bind mounts are refused.
"""
from __future__ import annotations

import math
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

TARGET = "cloud-run"
# accelerator -> (minimum CPUs, minimum memory MiB, regions).  nvidia-rtx-pro-6000: the
# RTX PRO 6000 Blackwell (20 CPU / 80 GiB minimum) is documented, its accelerator value is
# taken from the API's naming pattern and not confirmed by a deployment here.
ACCELERATORS: dict[str, tuple[int, int, tuple[str, ...]]] = {
    "nvidia-l4": (4, 16 * 1024, ("asia-south1", "asia-southeast1", "europe-west1",
                                 "europe-west4", "us-central1", "us-east4")),
    "nvidia-rtx-pro-6000": (20, 80 * 1024,
                            ("asia-south2", "asia-southeast1", "europe-west4", "us-central1")),
}
OPTIONS = {
    "region": "the region the services are created in (default us-central1); GPU services "
              "need a GPU region of the accelerator",
    "accelerator": "GPU type: nvidia-l4 (default) or nvidia-rtx-pro-6000",
    "max_instances": "scaling.maxInstanceCount (default 1; at most your regional GPU quota "
                     "for GPU services)",
    "min_instances": "scaling.minInstanceCount (default 0: scale to zero)",
    "zonal_redundancy": "GPU zonal redundancy (default false: gpuZonalRedundancyDisabled, "
                        "cheaper, needs less quota)",
    "check_region": "refuse GPU services outside the known GPU regions (default true; "
                    "false for a region added after this list)",
    "bucket": "Cloud Storage bucket for named volumes (default: in-memory volumes)",
    "ingress": "all (default), internal or internal-and-cloud-load-balancing",
    "max_retries": "retries of a job's task (default 3)",
    "task_timeout": "a job task's timeout in seconds (default 3600)",
}
_INGRESS = {"all": "INGRESS_TRAFFIC_ALL", "internal": "INGRESS_TRAFFIC_INTERNAL_ONLY",
            "internal-and-cloud-load-balancing":
                "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"}


def _cpu_text(value: float) -> str:
    millis = int(round(value * 1000))
    return str(millis // 1000) if millis % 1000 == 0 else "%dm" % millis


def _memory_text(mib: int) -> str:
    return "%dGi" % (mib // 1024) if mib % 1024 == 0 else "%dMi" % mib


def render(services: object, vendor: str = "nvidia",
           options: Mapping[str, str] | list[str] | None = None
           ) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Validate and render.  Returns ({service: Service or Job body}, warnings)."""
    check_vendor(vendor)
    opts = parse_options(options)
    check_options(opts, OPTIONS, TARGET)
    normalized = normalize(services, TARGET)
    warnings: list[str] = []
    region = option_str(opts, "region", "us-central1")
    accelerator = option_str(opts, "accelerator", "nvidia-l4")
    if accelerator not in ACCELERATORS:
        raise ServiceError("option 'accelerator': one of %s, got %r"
                           % (", ".join(ACCELERATORS), accelerator))
    min_cpu, min_mib, regions = ACCELERATORS[accelerator]
    max_instances = option_int(opts, "max_instances", 1, minimum=1)
    min_instances = option_int(opts, "min_instances", 0, minimum=0)
    if min_instances > max_instances:
        raise ServiceError("option 'min_instances': %d is above max_instances %d"
                           % (min_instances, max_instances))
    zonal = option_bool(opts, "zonal_redundancy", False)
    check_region = option_bool(opts, "check_region", True)
    ingress = option_str(opts, "ingress", "all")
    if ingress not in _INGRESS:
        raise ServiceError("option 'ingress': one of %s, got %r" % (", ".join(_INGRESS), ingress))
    max_retries = option_int(opts, "max_retries", 3, minimum=0)
    task_timeout = option_int(opts, "task_timeout", 3600, minimum=1)
    bucket = opts.get("bucket")
    out: dict[str, dict[str, Any]] = {}
    for name, svc in normalized.items():
        dns = dns_name(name, 49)  # Cloud Run service and job names: at most 49 characters
        refuse_bind_mounts(svc, name, TARGET, "use a named volume (a Cloud Storage bucket "
                                              "with the bucket option, or in-memory)")
        unavailable = None
        wanted = gpu_count(svc, name, TARGET)
        field = "gpu.policy"
        if wanted and vendor != "nvidia":
            unavailable = "Cloud Run has NVIDIA GPUs only (vendor %s)" % vendor
            field = "gpu"
        elif wanted and check_region and region not in regions:
            unavailable = ("region %s has no %s GPUs on Cloud Run (GPU regions: %s); set "
                           "--option region=..., or check_region=false for a region added since"
                           % (region, accelerator, ", ".join(regions)))
            field = "gpu"
        elif wanted > 1:
            fail(name, "gpu.count", "Cloud Run attaches one GPU per instance, got %d; use "
                 "count: 1 (and more instances) or another target" % wanted)
        count = gpu_decision(svc, name, TARGET, warnings, unavailable, field)
        container = base_container(svc, name, dns)
        port_list = ports(svc, name, TARGET)
        if len(port_list) > 1:
            fail(name, "ports", "Cloud Run routes requests to one container port, got %d; "
                 "keep the serving port only" % len(port_list))
        if port_list and port_list[0][2] != "tcp":
            fail(name, "ports", "Cloud Run serves HTTP over TCP only, got %s" % port_list[0][2])
        if port_list and kind(svc) != "job":
            container["ports"] = [{"name": "http1", "containerPort": port_list[0][0]}]
        cpu = cpus(svc)
        mib = memory_mib(svc, name)
        if count:
            if cpu is None or cpu < min_cpu:
                if cpu is not None:
                    warnings.append("service '%s': resources.cpus %g raised to %d, the "
                                    "minimum with a %s GPU" % (name, cpu, min_cpu, accelerator))
                cpu = float(min_cpu)
            if mib is None or mib < min_mib:
                if mib is not None:
                    warnings.append("service '%s': resources.memory raised to %s, the "
                                    "minimum with a %s GPU" % (name, _memory_text(min_mib),
                                                               accelerator))
                mib = min_mib
        if cpu is not None and cpu > 1 and cpu != int(cpu):
            warnings.append("service '%s': resources.cpus %g rounded up to %d (Cloud Run "
                            "takes whole CPUs above 1)" % (name, cpu, math.ceil(cpu)))
            cpu = float(math.ceil(cpu))
        limits: dict[str, str] = {}
        if cpu is not None:
            limits["cpu"] = _cpu_text(cpu)
        if mib is not None:
            limits["memory"] = _memory_text(mib)
        if count:
            limits["nvidia.com/gpu"] = "1"
        if limits or count:
            resources: dict[str, Any] = {"limits": limits}
            if count and kind(svc) != "job":
                resources["cpuIdle"] = False  # instance-based billing, required with a GPU
            container["resources"] = resources
        volumes: list[dict[str, Any]] = []
        mounts: list[dict[str, Any]] = []
        for index, vol in enumerate(named_volumes(svc)):
            vname = "vol-%d" % index
            read_only = bool(vol["mode"] and vol["mode"].startswith("ro"))
            if bucket:
                volumes.append({"name": vname, "gcs": {
                    "bucket": bucket, "readOnly": read_only,
                    "mountOptions": ["only-dir=%s" % vol["source"]]}})
            else:
                volumes.append({"name": vname, "emptyDir": {"medium": "MEMORY"}})
                warnings.append("service '%s': volume %s is in memory on Cloud Run (lost when "
                                "the instance stops, counts against memory); give "
                                "--option bucket=<name> for Cloud Storage"
                                % (name, vol["source"]))
            mounts.append({"name": vname, "mountPath": vol["target"]})
        if mounts:
            container["volumeMounts"] = mounts
        labels = {"managed-by": "gpufleet"}
        if kind(svc) == "job":
            task: dict[str, Any] = {"containers": [container], "maxRetries": max_retries,
                                    "timeout": "%ds" % task_timeout}
            if volumes:
                task["volumes"] = volumes
            if count:
                task["nodeSelector"] = {"accelerator": accelerator}
                task["gpuZonalRedundancyDisabled"] = not zonal
            out[name] = {"labels": labels,
                         "template": {"taskCount": 1, "parallelism": 1, "template": task}}
            continue
        template: dict[str, Any] = {"containers": [container],
                                    "scaling": {"minInstanceCount": min_instances,
                                                "maxInstanceCount": max_instances}}
        if volumes:
            template["volumes"] = volumes
        if count:
            template["nodeSelector"] = {"accelerator": accelerator}
            template["gpuZonalRedundancyDisabled"] = not zonal
        hc = svc.get("healthcheck")
        if hc and not hc.get("disable"):
            warnings.append("service '%s': healthcheck not rendered: Cloud Run probes are HTTP, "
                            "TCP or gRPC, not commands" % name)
        out[name] = {"labels": labels, "ingress": _INGRESS[ingress], "template": template}
    return out, warnings
