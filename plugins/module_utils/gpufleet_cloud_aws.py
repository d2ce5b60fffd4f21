# -*- coding: utf-8 -*-
"""One service description -> AWS API requests: ECS, Batch, SageMaker (pure logic, stdlib).

Each renderer returns ``(document, warnings)``; the document maps a service name to the
request(s) one would send with boto3 (``client.register_task_definition(**request)``):

- ``render_ecs``: ``{service: RegisterTaskDefinition request}``. A GPU is a container
  ``resourceRequirements`` entry ``{"type": "GPU", "value": "<count>"}``; ECS then starts the
  container with the NVIDIA runtime on a GPU container instance (ECS GPU-optimized AMI,
  ``ECS_ENABLE_GPU_SUPPORT=true``). GPU tasks are EC2-only: Fargate has no GPUs.
- ``render_batch``: ``{service: RegisterJobDefinition request}``: ``type: container``,
  ``containerProperties.resourceRequirements`` VCPU / MEMORY (MiB) / GPU as strings, and a
  retry strategy that retries a job whose Spot host was reclaimed (status reason
  ``Host EC2*``) and stops on anything else (an ``evaluateOnExit`` list that matches
  nothing retries, hence the final catch-all ``EXIT``).
- ``render_sagemaker``: ``{service: {"CreateModel": ..., "CreateEndpointConfig": ...}}``
  with an instance type picked from the GPU count, CPUs and memory (or given).

Only NVIDIA GPUs are scheduled through these fields (the ECS/Batch ``GPU`` resource and
SageMaker's GPU instance types); AWS's own accelerators (Inferentia/Trainium, Neuron) are not
reachable from a service description, so another vendor fails.

Errors are ``ServiceError`` naming the service and the field (or the option); nothing is
printed. Options (``--option KEY=VALUE``) are listed in ``ECS_OPTIONS``, ``BATCH_OPTIONS``,
``SAGEMAKER_OPTIONS``; ``endpoint_url`` is accepted (and ignored) by all three, since
``gpufleet deploy`` uses it for the API endpoint.
"""
from __future__ import annotations

import math
import re
from typing import Any, Iterable, Mapping, Optional, Union

from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_cloud_common import (
    ServiceError,
    bind_mounts,
    check_vendor,
    command_list,
    cpus,
    dns_name,
    environment,
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
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_compose import parse_size

Options = Optional[Union[Iterable[str], Mapping[str, object]]]  # runtime alias: no `|` (Python < 3.10 hosts)

DEFAULT_REGION = "us-east-1"
DEFAULT_MEMORY_MIB = 2048
# Options understood by every AWS target (used by `gpufleet deploy`, not by the render).
_DEPLOY_OPTIONS = {"endpoint_url": "the AWS API endpoint (a moto server in tests)"}
ECS_OPTIONS = dict(_DEPLOY_OPTIONS, **{
    "region": "region for awslogs (default %s)" % DEFAULT_REGION,
    "launch_type": "EC2 (default) or FARGATE; GPU services need EC2",
    "network_mode": "bridge (default on EC2), host, awsvpc (always on Fargate) or none",
    "memory": "container memory in MiB where resources.memory is not given (default %d)"
              % DEFAULT_MEMORY_MIB,
    "family_prefix": "prefix of every task definition family (default none)",
    "log_group": "awslogs group (default /ecs/<family>)",
    "logging": "false: no logConfiguration (default true: awslogs)",
    "execution_role_arn": "task execution role (ECR pulls, awslogs on Fargate)",
    "task_role_arn": "IAM role the containers run as",
})
BATCH_OPTIONS = dict(_DEPLOY_OPTIONS, **{
    "region": "region for awslogs (default %s)" % DEFAULT_REGION,
    "attempts": "job attempts 1-10 (default 3): retries after Spot reclaims",
    "memory": "MEMORY in MiB where resources.memory is not given (default %d)"
              % DEFAULT_MEMORY_MIB,
    "timeout": "attemptDurationSeconds (at least 60; default none)",
    "name_prefix": "prefix of every job definition name (default none)",
    "log_group": "awslogs group (default: Batch's /aws/batch/job)",
    "job_role_arn": "IAM role the job runs as",
    "execution_role_arn": "execution role (ECR pulls, logs)",
})
SAGEMAKER_OPTIONS = dict(_DEPLOY_OPTIONS, **{
    "region": "accepted for deploy (not part of the requests)",
    "execution_role_arn": "required: the role SageMaker assumes (ECR, S3)",
    "model_data_url": "s3://.../model.tar.gz unpacked to /opt/ml/model (also "
                      "model_data_url.<service>)",
    "instance_type": "ml.* instance type (also instance_type.<service>; default: picked "
                     "from GPUs, CPUs and memory)",
    "instance_count": "InitialInstanceCount (default 1)",
    "name_prefix": "prefix of every model and endpoint config name (default none)",
    "variant_name": "production variant name (default AllTraffic)",
})
_PER_SERVICE = ("model_data_url", "instance_type")

# ECS/Batch names: letters, digits, '_' and '-' (up to 255 / 128 characters).
_AWS_NAME_BAD = re.compile(r"[^A-Za-z0-9_-]")
_DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+)s)?(?:(\d+)ms)?$")
_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/\S+$")
_ECR = re.compile(r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/")

# Fargate: task CPU units -> (smallest, largest, step) task memory in MiB.
FARGATE_SIZES = (
    (256, (512, 2048, 512)),
    (512, (1024, 4096, 1024)),
    (1024, (2048, 8192, 1024)),
    (2048, (4096, 16384, 1024)),
    (4096, (8192, 30720, 1024)),
    (8192, (16384, 61440, 4096)),
    (16384, (32768, 122880, 8192)),
)

# SageMaker instance types: (name, GPUs, vCPUs, memory GiB), smallest first. The G5 family
# (NVIDIA A10G, 24 GB each) and P4d (8x A100) for GPUs, M5 for the rest.
SAGEMAKER_GPU_TYPES = (
    ("ml.g5.xlarge", 1, 4, 16), ("ml.g5.2xlarge", 1, 8, 32), ("ml.g5.4xlarge", 1, 16, 64),
    ("ml.g5.8xlarge", 1, 32, 128), ("ml.g5.16xlarge", 1, 64, 256),
    ("ml.g5.12xlarge", 4, 48, 192), ("ml.g5.24xlarge", 4, 96, 384),
    ("ml.g5.48xlarge", 8, 192, 768), ("ml.p4d.24xlarge", 8, 96, 1152),
)
SAGEMAKER_CPU_TYPES = (
    ("ml.m5.large", 0, 2, 8), ("ml.m5.xlarge", 0, 4, 16), ("ml.m5.2xlarge", 0, 8, 32),
    ("ml.m5.4xlarge", 0, 16, 64), ("ml.m5.12xlarge", 0, 48, 192),
    ("ml.m5.24xlarge", 0, 96, 384),
)


# --------------------------------------------------------------------------- shared

def _options(options: Options, known: Mapping[str, str], target: str,
             services: Iterable[str] = ()) -> dict[str, str]:
    opts = parse_options(options)
    names = set(services)
    for key in sorted(opts):
        base, _dot, svc = key.partition(".")
        if key in known and not svc:
            continue
        if svc and base in _PER_SERVICE and base in known:
            if svc not in names:
                raise ServiceError("option %r: no service named %r (services: %s)"
                                   % (key, svc, ", ".join(sorted(names))))
            continue
        raise ServiceError("option %r: unknown for %s (known: %s)"
                           % (key, target, ", ".join(sorted(known))))
    return opts


def _vendor(vendor: str, services: Mapping[str, Mapping[str, Any]], target: str) -> None:
    check_vendor(vendor)
    if vendor == "nvidia":
        return
    for name, svc in services.items():
        if gpu_count(svc, name, target) > 0:
            fail(name, "gpu", "vendor %s: %s schedules NVIDIA GPUs only (its GPU resource and "
                 "GPU instance types); AWS's own accelerators (Neuron) are not requested this "
                 "way. Render with --vendor nvidia or set gpu.policy: none" % (vendor, target))


def aws_name(name: str, prefix: str = "", max_len: int = 255) -> str:
    """An ECS family / container / Batch job definition name: letters, digits, '_', '-'."""
    out = _AWS_NAME_BAD.sub("-", prefix + name)
    if len(out) > max_len:
        raise ServiceError("service name %r: %r is longer than %d characters"
                           % (name, out, max_len))
    return out


def duration_seconds(value: object, service: str, field: str) -> int:
    """A compose duration ('10s', '1m30s', 30) -> whole seconds (rounded up)."""
    if isinstance(value, bool):
        fail(service, field, "expected a duration like 10s or 1m30s, got %r" % (value,))
    if isinstance(value, (int, float)):
        if value < 0:
            fail(service, field, "must not be negative, got %r" % (value,))
        return math.ceil(value)
    m = _DURATION.match(str(value).strip())
    if not m or not any(m.groups()):
        fail(service, field, "expected a duration like 10s or 1m30s, got %r" % (value,))
    h, mins, s, ms = (int(g or 0) for g in m.groups())
    return h * 3600 + mins * 60 + s + math.ceil(ms / 1000)


def _bounded(value: int, low: int, high: int, service: str, field: str, target: str) -> int:
    if not low <= value <= high:
        fail(service, field, "%d is outside what %s accepts (%d-%d)" % (value, target, low, high))
    return value


def _health_check(svc: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    """The compose healthcheck as ECS's HealthCheck (seconds; ECS's bounds)."""
    hc = svc.get("healthcheck")
    if not hc or hc.get("disable"):
        return None
    test = hc["test"]
    if isinstance(test, str):
        command = ["CMD-SHELL", test]
    elif isinstance(test, list) and test and all(isinstance(t, str) for t in test):
        if test[0] == "NONE":
            return None
        if test[0] not in ("CMD", "CMD-SHELL"):
            command = ["CMD"] + list(test)
        else:
            command = list(test)
    else:
        fail(name, "healthcheck.test", "a string or a list like [CMD, curl, -f, URL]")
    out: dict[str, Any] = {"command": command}
    for key, field, low, high in (("interval", "interval", 5, 300),
                                  ("timeout", "timeout", 2, 60),
                                  ("start_period", "startPeriod", 0, 300)):
        if key in hc:
            out[field] = _bounded(duration_seconds(hc[key], name, "healthcheck." + key),
                                  low, high, name, "healthcheck." + key, "ECS")
    if "retries" in hc:
        retries = hc["retries"]
        if isinstance(retries, bool) or not isinstance(retries, int):
            fail(name, "healthcheck.retries", "expected an integer, got %r" % (retries,))
        out["retries"] = _bounded(retries, 1, 10, name, "healthcheck.retries", "ECS")
    return out


def _gpu_environment(svc: Mapping[str, Any], env: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """NVIDIA_DRIVER_CAPABILITIES from gpu.capabilities (ECS sets NVIDIA_VISIBLE_DEVICES
    itself; images not built on CUDA's need the capabilities to get the driver's libraries)."""
    caps = [c for c in (svc.get("gpu") or {}).get("capabilities", ["gpu"]) if c != "gpu"]
    if caps and "NVIDIA_DRIVER_CAPABILITIES" not in dict(env):
        env = sorted(env + [("NVIDIA_DRIVER_CAPABILITIES", ",".join(caps))])
    return env


def _shm_mib(svc: Mapping[str, Any], name: str) -> int | None:
    res = svc.get("resources") or {}
    if "shm_size" not in res:
        return None
    return max(1, math.ceil(parse_size(res["shm_size"], name, "resources.shm_size")
                            / (1024 * 1024)))


def _volume_name(source: str, used: dict[str, str]) -> str:
    base = _AWS_NAME_BAD.sub("-", source.strip("/")) or "root"
    label = base
    n = 2
    while label in used and used[label] != source:
        label = "%s-%d" % (base, n)
        n += 1
    used[label] = source
    return label


def _fargate_size(cpu_units: int, mem_mib: int, name: str) -> tuple[int, int]:
    """The smallest Fargate task size holding cpu_units and mem_mib."""
    for units, (low, high, step) in FARGATE_SIZES:
        if units < cpu_units or mem_mib > high:
            continue
        memory = max(low, mem_mib)
        memory = low + math.ceil((memory - low) / step) * step
        return units, memory
    fail(name, "resources", "%d CPU units with %d MiB is larger than any Fargate task "
         "(16 vCPU, 120 GiB); use launch_type=EC2" % (cpu_units, mem_mib))


# --------------------------------------------------------------------------- ECS

def render_ecs(services: object, vendor: str = "nvidia", options: Options = None
               ) -> tuple[dict[str, Any], list[str]]:
    """{service: RegisterTaskDefinition request}, warnings."""
    normalized = normalize(services, "ecs")
    opts = _options(options, ECS_OPTIONS, "ecs")
    _vendor(vendor, normalized, "ecs")
    launch = option_str(opts, "launch_type", "EC2").upper()
    if launch not in ("EC2", "FARGATE"):
        raise ServiceError("option 'launch_type': EC2 or FARGATE, got %r" % opts["launch_type"])
    fargate = launch == "FARGATE"
    network = option_str(opts, "network_mode", "awsvpc" if fargate else "bridge")
    if network not in ("bridge", "host", "awsvpc", "none"):
        raise ServiceError("option 'network_mode': bridge, host, awsvpc or none, got %r"
                           % network)
    if fargate and network != "awsvpc":
        raise ServiceError("option 'network_mode': Fargate tasks use awsvpc, got %r" % network)
    region = option_str(opts, "region", DEFAULT_REGION)
    default_mem = option_int(opts, "memory", DEFAULT_MEMORY_MIB, minimum=6)
    logging = option_bool(opts, "logging", True)
    warnings: list[str] = []
    out: dict[str, Any] = {}
    for name, svc in normalized.items():
        family = aws_name(name, option_str(opts, "family_prefix", ""))
        gpus = gpu_decision(svc, name, "ecs", warnings,
                            "Fargate has no GPUs (launch_type=FARGATE): GPU tasks need "
                            "launch_type=EC2 with GPU container instances" if fargate else None)
        container: dict[str, Any] = {"name": aws_name(name), "image": svc["image"],
                                     "essential": True}
        mem = memory_mib(svc, name)
        if mem is None:
            mem = default_mem
            if not fargate:
                warnings.append("service '%s': no resources.memory; ECS on EC2 needs one, "
                                "using %d MiB (option memory=MiB)" % (name, mem))
        cpu = cpus(svc)
        cpu_units = math.ceil(cpu * 1024) if cpu is not None else None
        request: dict[str, Any] = {"family": family, "networkMode": network,
                                   "containerDefinitions": [container],
                                   "requiresCompatibilities": [launch]}
        if fargate:
            units, task_mem = _fargate_size(cpu_units or 256, mem, name)
            request["cpu"], request["memory"] = str(units), str(task_mem)
            container["memory"] = mem
        else:
            container["memory"] = mem
            if cpu_units is not None:
                container["cpu"] = cpu_units
        for src, field in (("command", "command"), ("entrypoint", "entryPoint")):
            argv = command_list(svc, name, src)
            if argv is not None:
                container[field] = argv
        if svc.get("working_dir"):
            container["workingDirectory"] = str(svc["working_dir"])
        if svc.get("user") is not None:
            container["user"] = str(svc["user"])
        env = environment(svc)
        if gpus:
            env = _gpu_environment(svc, env)
            container["resourceRequirements"] = [{"type": "GPU", "value": str(gpus)}]
        if env:
            container["environment"] = [{"name": k, "value": v} for k, v in env]
        mappings = []
        for cport, hport, proto in ports(svc, name, "ecs"):
            mapping: dict[str, Any] = {"containerPort": cport, "protocol": proto}
            if network in ("awsvpc", "host"):
                if hport != cport:
                    fail(name, "ports", "%d:%d: with network mode %s the host port is the "
                         "container port; publish %d:%d" % (hport, cport, network, cport, cport))
            else:
                mapping["hostPort"] = hport
            mappings.append(mapping)
        if mappings:
            container["portMappings"] = mappings
        health = _health_check(svc, name)
        if health:
            container["healthCheck"] = health
        volumes: list[dict[str, Any]] = []
        mounts: list[dict[str, Any]] = []
        used: dict[str, str] = {}
        if fargate:
            refuse_bind_mounts(svc, name, "ECS on Fargate",
                               "use a named volume (task storage) or EFS, or launch_type=EC2")
        for vol in svc.get("volumes") or []:
            vname = _volume_name(vol["source"], used)
            if vol["bind"]:
                volumes.append({"name": vname, "host": {"sourcePath": vol["source"]}})
            elif fargate:
                volumes.append({"name": vname})  # task storage: gone with the task
                warnings.append("service '%s': volume %s is task storage on Fargate (lost "
                                "when the task stops); use EFS to keep it" % (name, vol["source"]))
            else:
                volumes.append({"name": vname, "dockerVolumeConfiguration": {
                    "scope": "shared", "autoprovision": True, "driver": "local"}})
            mounts.append({"sourceVolume": vname, "containerPath": vol["target"],
                           "readOnly": bool(vol["mode"] and vol["mode"].startswith("ro"))})
        if mounts:
            container["mountPoints"] = mounts
            request["volumes"] = volumes
        shm = _shm_mib(svc, name)
        if shm is not None:
            if fargate:
                warnings.append("service '%s': resources.shm_size is not supported on "
                                "Fargate; left out" % name)
            else:
                container["linuxParameters"] = {"sharedMemorySize": shm}
        labels = {str(k): str(v) for k, v in (svc.get("labels") or {}).items()}
        if gpus:
            labels["gpufleet.gpu"] = "nvidia"
        if labels:
            container["dockerLabels"] = labels
        if logging:
            container["logConfiguration"] = {"logDriver": "awslogs", "options": {
                "awslogs-group": option_str(opts, "log_group", "/ecs/" + family),
                "awslogs-region": region, "awslogs-stream-prefix": family}}
        for key, field in (("execution_role_arn", "executionRoleArn"),
                           ("task_role_arn", "taskRoleArn")):
            if opts.get(key):
                request[field] = _role(opts, key)
        if svc.get("depends_on"):
            warnings.append("service '%s': depends_on left out: each service is its own "
                            "task definition on ECS" % name)
        out[name] = request
    return out, warnings


def _role(opts: Mapping[str, str], key: str) -> str:
    value = opts[key]
    if not _ARN.match(value):
        raise ServiceError("option %r: expected an IAM role ARN like "
                           "arn:aws:iam::123456789012:role/name, got %r" % (key, value))
    return value


# --------------------------------------------------------------------------- Batch

def render_batch(services: object, vendor: str = "nvidia", options: Options = None
                 ) -> tuple[dict[str, Any], list[str]]:
    """{service: RegisterJobDefinition request}, warnings. Every service becomes a job
    definition (jobs run to completion: ports and health checks do not apply)."""
    normalized = normalize(services, "batch")
    opts = _options(options, BATCH_OPTIONS, "batch")
    _vendor(vendor, normalized, "batch")
    attempts = option_int(opts, "attempts", 3, minimum=1)
    if attempts > 10:
        raise ServiceError("option 'attempts': 1-10 (AWS Batch's limit), got %d" % attempts)
    default_mem = option_int(opts, "memory", DEFAULT_MEMORY_MIB, minimum=4)
    timeout = option_int(opts, "timeout", 0)
    if 0 < timeout < 60:
        raise ServiceError("option 'timeout': at least 60 seconds (AWS Batch), got %d" % timeout)
    warnings: list[str] = []
    out: dict[str, Any] = {}
    for name, svc in normalized.items():
        gpus = gpu_decision(svc, name, "batch", warnings)
        props: dict[str, Any] = {"image": svc["image"]}
        mem = memory_mib(svc, name)
        if mem is None:
            mem = default_mem
            warnings.append("service '%s': no resources.memory; Batch needs one, using %d MiB "
                            "(option memory=MiB)" % (name, mem))
        cpu = cpus(svc)
        vcpus = max(1, math.ceil(cpu)) if cpu is not None else 1
        if cpu is not None and cpu != vcpus:
            warnings.append("service '%s': resources.cpus %s rounded up to %d vCPU (Batch on EC2 "
                            "takes whole vCPUs)" % (name, cpu, vcpus))
        requirements = [{"type": "VCPU", "value": str(vcpus)},
                        {"type": "MEMORY", "value": str(mem)}]
        env = environment(svc)
        if gpus:
            requirements.append({"type": "GPU", "value": str(gpus)})
            env = _gpu_environment(svc, env)
        props["resourceRequirements"] = requirements
        argv = command_list(svc, name)
        if argv is not None:
            props["command"] = argv
        if svc.get("entrypoint") is not None:
            warnings.append("service '%s': entrypoint left out (Batch job definitions set the "
                            "command only; bake the entrypoint into the image)" % name)
        if env:
            props["environment"] = [{"name": k, "value": v} for k, v in env]
        if svc.get("user") is not None:
            props["user"] = str(svc["user"])
        volumes: list[dict[str, Any]] = []
        mounts: list[dict[str, Any]] = []
        used: dict[str, str] = {}
        for vol in bind_mounts(svc) + named_volumes(svc):
            vname = _volume_name(vol["source"], used)
            if vol["bind"]:
                volumes.append({"name": vname, "host": {"sourcePath": vol["source"]}})
            else:
                volumes.append({"name": vname})
                warnings.append("service '%s': volume %s is scratch space on the Batch host "
                                "(not kept between jobs); use EFS to keep it"
                                % (name, vol["source"]))
            mounts.append({"sourceVolume": vname, "containerPath": vol["target"],
                           "readOnly": bool(vol["mode"] and vol["mode"].startswith("ro"))})
        if mounts:
            props["volumes"], props["mountPoints"] = volumes, mounts
        shm = _shm_mib(svc, name)
        if shm is not None:
            props["linuxParameters"] = {"sharedMemorySize": shm}
        if opts.get("log_group"):
            props["logConfiguration"] = {"logDriver": "awslogs", "options": {
                "awslogs-group": opts["log_group"],
                "awslogs-region": option_str(opts, "region", DEFAULT_REGION)}}
        for key, field in (("job_role_arn", "jobRoleArn"),
                           ("execution_role_arn", "executionRoleArn")):
            if opts.get(key):
                props[field] = _role(opts, key)
        dropped = [f for f in ("ports", "healthcheck", "depends_on", "working_dir")
                   if svc.get(f)]
        if dropped:
            warnings.append("service '%s': %s left out (a Batch job has no %s)"
                            % (name, ", ".join(dropped),
                               "published ports, health check, dependencies or working "
                               "directory setting"))
        request: dict[str, Any] = {
            "jobDefinitionName": aws_name(name, option_str(opts, "name_prefix", ""), 128),
            "type": "container", "platformCapabilities": ["EC2"],
            "containerProperties": props,
            "retryStrategy": {"attempts": attempts, "evaluateOnExit": [
                {"onStatusReason": "Host EC2*", "action": "RETRY"},
                {"onReason": "*", "action": "EXIT"}]},
            "tags": {"gpufleet.kind": kind(svc)}}
        if timeout:
            request["timeout"] = {"attemptDurationSeconds": timeout}
        out[name] = request
    return out, warnings


# --------------------------------------------------------------------------- SageMaker

def pick_instance_type(gpus: int, vcpus: float | None, mem_mib: int | None, name: str) -> str:
    """The smallest SageMaker instance type with the GPUs, vCPUs and memory asked for."""
    table = SAGEMAKER_GPU_TYPES if gpus else SAGEMAKER_CPU_TYPES
    for itype, g, v, mem_gib in table:
        if g >= gpus and v >= (vcpus or 0) and mem_gib * 1024 >= (mem_mib or 0):
            return itype
    fail(name, "gpu.count" if gpus else "resources",
         "no SageMaker instance type in gpufleet's table has %d GPU(s), %s vCPU and %s MiB; "
         "give one with --option instance_type.%s=ml.…" % (gpus, vcpus, mem_mib, name))


def render_sagemaker(services: object, vendor: str = "nvidia", options: Options = None
                     ) -> tuple[dict[str, Any], list[str]]:
    """{service: {"CreateModel": request, "CreateEndpointConfig": request}}, warnings."""
    normalized = normalize(services, "sagemaker")
    opts = _options(options, SAGEMAKER_OPTIONS, "sagemaker", normalized)
    _vendor(vendor, normalized, "sagemaker")
    if not opts.get("execution_role_arn"):
        raise ServiceError("option 'execution_role_arn' is required for sagemaker: the IAM role "
                           "SageMaker assumes to pull the image and read the model, e.g. "
                           "--option execution_role_arn=arn:aws:iam::123456789012:role/sagemaker")
    role = _role(opts, "execution_role_arn")
    count = option_int(opts, "instance_count", 1, minimum=1)
    prefix = option_str(opts, "name_prefix", "")
    warnings: list[str] = []
    out: dict[str, Any] = {}
    for name, svc in normalized.items():
        refuse_bind_mounts(svc, name, "sagemaker", "put the files in the model archive "
                           "(model_data_url, unpacked to /opt/ml/model) or the image")
        gpus = gpu_decision(svc, name, "sagemaker", warnings)
        model_name = dns_name(prefix + name)
        itype = opts.get("instance_type." + name) or opts.get("instance_type") or \
            pick_instance_type(gpus, cpus(svc), memory_mib(svc, name), name)
        if not itype.startswith("ml."):
            raise ServiceError("option 'instance_type': SageMaker instance types start with "
                               "'ml.' (e.g. ml.g5.xlarge), got %r" % itype)
        container: dict[str, Any] = {"Image": svc["image"]}
        env = environment(svc)
        if env:
            if len(env) > 100:
                fail(name, "environment", "SageMaker takes at most 100 variables, got %d"
                     % len(env))
            container["Environment"] = dict(env)
        url = opts.get("model_data_url." + name) or opts.get("model_data_url")
        if url:
            if not url.startswith(("s3://", "https://")):
                raise ServiceError("option 'model_data_url': an s3:// URL of a model.tar.gz, "
                                   "got %r" % url)
            container["ModelDataUrl"] = url
        if not _ECR.match(svc["image"]):
            warnings.append("service '%s': SageMaker pulls images from Amazon ECR; push %s "
                            "there and use the ECR URI" % (name, svc["image"]))
        container_ports = [c for c, _h, _p in ports(svc, name, "sagemaker")]
        if container_ports and 8080 not in container_ports:
            warnings.append("service '%s': SageMaker sends /ping and /invocations to port "
                            "8080; the service listens on %s"
                            % (name, ", ".join(str(p) for p in container_ports)))
        dropped = [f for f in ("command", "entrypoint", "volumes", "healthcheck")
                   if svc.get(f)]
        if dropped:
            warnings.append("service '%s': %s left out (SageMaker runs `docker run IMAGE "
                            "serve` and checks GET /ping)" % (name, ", ".join(dropped)))
        tags = [{"Key": "gpufleet.service", "Value": name}]
        out[name] = {
            "CreateModel": {"ModelName": model_name, "ExecutionRoleArn": role,
                            "PrimaryContainer": container, "Tags": tags},
            "CreateEndpointConfig": {
                "EndpointConfigName": model_name,
                "ProductionVariants": [{
                    "VariantName": option_str(opts, "variant_name", "AllTraffic"),
                    "ModelName": model_name, "InstanceType": itype,
                    "InitialInstanceCount": count}],
                "Tags": tags}}
    return out, warnings
