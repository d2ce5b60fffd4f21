# -*- coding: utf-8 -*-
"""Service description -> Kubernetes objects (pure logic, stdlib only).

Per service: a Deployment (apps/v1), or a Job (batch/v1) for ``kind: job``; a Service (v1)
when it publishes ports; a PersistentVolumeClaim per named volume.  GPUs are the vendor's
extended resource (``nvidia.com/gpu``, ``amd.com/gpu``, ``gpu.intel.com/i915``) in
``limits`` with ``requests`` equal (Kubernetes refuses a GPU request that differs from the
limit), a toleration of that resource's taint (``<resource>:NoSchedule``: GKE adds it to GPU
pools, AKS/EKS users choose theirs, extra ones through the ``tolerations`` option), and,
with options, ``runtimeClassName`` (the GPU Operator's ``nvidia``) and node selectors on
GPU feature discovery labels (``nvidia.com/gpu.product``).  GPU Deployments roll out with
``Recreate``: a rolling update would wait for a second free GPU that may not exist.

Returns a list of documents; the caller writes them as a YAML stream.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_cloud_common import (
    ServiceError,
    base_container,
    bind_mounts,
    check_options,
    check_vendor,
    cpus,
    dns_name,
    fail,
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
)
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_compose import parse_size

TARGET = "kubernetes"
GPU_RESOURCES = {"nvidia": "nvidia.com/gpu", "amd": "amd.com/gpu",
                 "intel": "gpu.intel.com/i915"}
SERVICE_TYPES = ("ClusterIP", "NodePort", "LoadBalancer")
BIND_MODES = ("refuse", "hostpath")
OPTIONS = {
    "namespace": "metadata.namespace of every object (default: none, kubectl's context)",
    "project": "app.kubernetes.io/part-of label (default gpufleet)",
    "replicas": "Deployment replicas (default 1)",
    "runtime_class": "runtimeClassName of GPU pods, e.g. nvidia (GPU Operator)",
    "create_runtime_class": "also emit the RuntimeClass (node.k8s.io/v1) named runtime_class",
    "gpu_product": "nodeSelector nvidia.com/gpu.product (GPU feature discovery), e.g. "
                   "NVIDIA-A100-SXM4-40GB",
    "node_selector": "extra nodeSelector for GPU pods: key=value[,key=value]",
    "tolerations": "extra tolerations for GPU pods: key[=value]:Effect[,...], e.g. "
                   "sku=gpu:NoSchedule (AKS)",
    "gpu_toleration": "tolerate the GPU resource's own taint (default true)",
    "service_type": "Service type: ClusterIP (default), NodePort, LoadBalancer",
    "storage_class": "storageClassName of the PVCs (default: the cluster's default class)",
    "storage_size": "PVC size (default 10Gi)",
    "bind_mounts": "refuse (default) or hostpath (hostPath volumes: only for single-node "
                   "clusters that have the path)",
    "backoff_limit": "Job backoffLimit (default 2)",
}
_QUALIFIED = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                        r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|us|ns|h|m|s)")
_QUANTITY = re.compile(r"^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$")


def cpu_quantity(value: float) -> str:
    """2 -> '2', 0.5 -> '500m', 1.25 -> '1250m'."""
    millis = int(round(value * 1000))
    return str(millis // 1000) if millis % 1000 == 0 else "%dm" % millis


def _duration_seconds(value: object, service: str, field: str) -> int:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return max(1, int(value))
    text = str(value).strip()
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        fail(service, field, "expected a duration like 10s or 1m30s, got %r" % (value,))
    scale = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, "us": 1e-6, "ns": 1e-9}
    return max(1, int(round(sum(float(n) * scale[u] for n, u in parts))))


def _probe(hc: Mapping[str, Any], service: str) -> dict[str, Any] | None:
    if hc.get("disable"):
        return None
    test = hc["test"]
    if isinstance(test, str):
        argv = ["/bin/sh", "-c", test]
    elif isinstance(test, list) and test and test[0] == "CMD":
        argv = [str(t) for t in test[1:]]
    elif isinstance(test, list) and len(test) == 2 and test[0] == "CMD-SHELL":
        argv = ["/bin/sh", "-c", str(test[1])]
    elif isinstance(test, list) and test and test[0] == "NONE":
        return None
    else:
        fail(service, "healthcheck.test", "expected [CMD, ...], [CMD-SHELL, cmd] or a string, "
             "got %r" % (test,))
    if not argv:
        fail(service, "healthcheck.test", "[CMD] needs a command after CMD")
    probe: dict[str, Any] = {"exec": {"command": argv}}
    for key, field in (("interval", "periodSeconds"), ("timeout", "timeoutSeconds"),
                       ("start_period", "initialDelaySeconds")):
        if key in hc:
            probe[field] = _duration_seconds(hc[key], service, "healthcheck." + key)
    if "retries" in hc:
        retries = hc["retries"]
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 1:
            fail(service, "healthcheck.retries", "must be a positive integer, got %r" % (retries,))
        probe["failureThreshold"] = retries
    return probe


def _pairs(raw: str, option: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in filter(None, (p.strip() for p in raw.split(","))):
        key, sep, value = item.partition("=")
        if not sep or not _QUALIFIED.match(key) or not _LABEL_VALUE.match(value) \
                or len(value) > 63:
            raise ServiceError("option %r: %r is not key=value with a Kubernetes label key "
                               "and value" % (option, item))
        out[key] = value
    return out


def _tolerations(raw: str) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for item in filter(None, (p.strip() for p in raw.split(","))):
        left, sep, effect = item.rpartition(":")
        if not sep or effect not in _EFFECTS:
            raise ServiceError("option 'tolerations': %r is not key[=value]:Effect (Effect: %s)"
                               % (item, ", ".join(_EFFECTS)))
        key, eq, value = left.partition("=")
        if not _QUALIFIED.match(key):
            raise ServiceError("option 'tolerations': %r is not a valid taint key" % key)
        tol = {"key": key, "operator": "Equal" if eq else "Exists", "effect": effect}
        if eq:
            tol["value"] = value
        out.append(tol)
    return out


def _labels(svc: Mapping[str, Any], name: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in (svc.get("labels") or {}).items():
        text = "true" if value is True else "false" if value is False else str(value)
        if not _QUALIFIED.match(str(key)) or len(str(key).rsplit("/", 1)[-1]) > 63:
            fail(name, "labels", "%r is not a Kubernetes label key ([prefix/]name, name at "
                 "most 63 characters of letters, digits, '-', '_', '.')" % (key,))
        if len(text) > 63 or not _LABEL_VALUE.match(text):
            fail(name, "labels", "%s: %r is not a Kubernetes label value (at most 63 "
                 "characters of letters, digits, '-', '_', '.')" % (key, text))
        out[str(key)] = text
    return out


def _security_context(svc: Mapping[str, Any], name: str) -> dict[str, int] | None:
    user = svc.get("user")
    if user is None:
        return None
    uid, _sep, gid = str(user).partition(":")
    if not uid.isdigit() or (gid and not gid.isdigit()):
        fail(name, "user", "Kubernetes runs containers as a numeric UID[:GID], got %r" % (user,))
    ctx = {"runAsUser": int(uid)}
    if gid:
        ctx["runAsGroup"] = int(gid)
    return ctx


def render(services: object, vendor: str = "nvidia",
           options: Mapping[str, str] | list[str] | None = None
           ) -> tuple[list[dict[str, Any]], list[str]]:
    """Validate and render.  Returns (documents, warnings)."""
    check_vendor(vendor)
    opts = parse_options(options)
    check_options(opts, OPTIONS, TARGET)
    normalized = normalize(services, TARGET)
    warnings: list[str] = []
    namespace = opts.get("namespace")
    if namespace is not None and not re.match(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", namespace):
        raise ServiceError("option 'namespace': %r is not a DNS-1123 label" % namespace)
    project = option_str(opts, "project", "gpufleet")
    if not _LABEL_VALUE.match(project) or len(project) > 63:
        raise ServiceError("option 'project': %r is not a Kubernetes label value" % project)
    replicas = option_int(opts, "replicas", 1, minimum=0)
    backoff = option_int(opts, "backoff_limit", 2, minimum=0)
    runtime_class = opts.get("runtime_class")
    if runtime_class is not None and not re.match(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$",
                                                  runtime_class):
        raise ServiceError("option 'runtime_class': %r is not a DNS-1123 name" % runtime_class)
    if option_bool(opts, "create_runtime_class", False) and not runtime_class:
        raise ServiceError("option 'create_runtime_class': needs runtime_class=<name> too")
    service_type = option_str(opts, "service_type", "ClusterIP")
    if service_type not in SERVICE_TYPES:
        raise ServiceError("option 'service_type': one of %s, got %r"
                           % (", ".join(SERVICE_TYPES), service_type))
    bind_mode = option_str(opts, "bind_mounts", "refuse")
    if bind_mode not in BIND_MODES:
        raise ServiceError("option 'bind_mounts': refuse or hostpath, got %r" % bind_mode)
    storage_size = option_str(opts, "storage_size", "10Gi")
    if not _QUANTITY.match(storage_size):
        raise ServiceError("option 'storage_size': %r is not a quantity like 10Gi" % storage_size)
    node_selector = _pairs(opts.get("node_selector", ""), "node_selector")
    if opts.get("gpu_product"):
        if vendor != "nvidia":
            raise ServiceError("option 'gpu_product': the nvidia.com/gpu.product label is set "
                               "by NVIDIA's GPU feature discovery; use node_selector for %s"
                               % vendor)
        node_selector.update(_pairs("nvidia.com/gpu.product=" + opts["gpu_product"],
                                    "gpu_product"))
    extra_tolerations = _tolerations(opts.get("tolerations", ""))
    gpu_toleration = option_bool(opts, "gpu_toleration", True)
    resource = GPU_RESOURCES[vendor]

    def meta(name: str, labels: Mapping[str, str] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"name": name}
        if namespace:
            out["namespace"] = namespace
        if labels:
            out["labels"] = dict(labels)
        return out

    docs: list[dict[str, Any]] = []
    if runtime_class and option_bool(opts, "create_runtime_class", False):
        docs.append({"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass",
                     "metadata": {"name": runtime_class}, "handler": runtime_class})
    claims: dict[str, str] = {}
    for name, svc in normalized.items():
        for vol in named_volumes(svc):
            claim = dns_name(vol["source"])
            if claim in claims and claims[claim] != vol["source"]:
                fail(name, "volumes", "volume %r becomes PVC %r, the same as volume %r; "
                     "rename one" % (vol["source"], claim, claims[claim]))
            if claim not in claims:
                claims[claim] = vol["source"]
                pvc: dict[str, Any] = {
                    "apiVersion": "v1", "kind": "PersistentVolumeClaim",
                    "metadata": meta(claim, {"app.kubernetes.io/part-of": project,
                                             "app.kubernetes.io/managed-by": "gpufleet"}),
                    "spec": {"accessModes": ["ReadWriteOnce"],
                             "resources": {"requests": {"storage": storage_size}}}}
                if opts.get("storage_class"):
                    pvc["spec"]["storageClassName"] = opts["storage_class"]
                docs.append(pvc)
    for name, svc in normalized.items():
        dns = dns_name(name)
        selector = {"app.kubernetes.io/name": dns, "app.kubernetes.io/instance": dns}
        labels = _labels(svc, name)
        labels.update(selector)
        labels.update({"app.kubernetes.io/part-of": project,
                       "app.kubernetes.io/managed-by": "gpufleet"})
        container = base_container(svc, name, dns)
        port_list = ports(svc, name, TARGET)
        if port_list:
            container["ports"] = [{"containerPort": c, "protocol": p.upper()}
                                  for c, _pub, p in port_list]
        count = gpu_decision(svc, name, TARGET, warnings)
        requests: dict[str, str] = {}
        limits: dict[str, str] = {}
        if cpus(svc) is not None:
            requests["cpu"] = limits["cpu"] = cpu_quantity(cpus(svc) or 0)
        mib = memory_mib(svc, name)
        if mib is not None:
            requests["memory"] = limits["memory"] = "%dMi" % mib
        if count:
            requests[resource] = limits[resource] = str(count)
        if limits:
            container["resources"] = {"requests": requests, "limits": limits}
        hc = svc.get("healthcheck")
        if hc:
            probe = _probe(hc, name)
            if probe:
                container["livenessProbe"] = probe
        ctx = _security_context(svc, name)
        if ctx:
            container["securityContext"] = ctx
        pod: dict[str, Any] = {"containers": [container]}
        volumes: list[dict[str, Any]] = []
        mounts: list[dict[str, Any]] = []
        for index, vol in enumerate(svc.get("volumes") or []):
            vname = "vol-%d" % index
            if vol["bind"]:
                if bind_mode == "refuse":
                    fail(name, "volumes", "%s:%s is a bind mount (a host path); a cluster "
                         "schedules pods on any node: use a named volume (a PVC), or the "
                         "option bind_mounts=hostpath on a single-node cluster"
                         % (vol["source"], vol["target"]))
                if not vol["source"].startswith("/"):
                    fail(name, "volumes", "%s: hostPath needs an absolute path" % vol["source"])
                volumes.append({"name": vname, "hostPath": {"path": vol["source"],
                                                            "type": "Directory"}})
            else:
                volumes.append({"name": vname, "persistentVolumeClaim": {
                    "claimName": dns_name(vol["source"])}})
            mount: dict[str, Any] = {"name": vname, "mountPath": vol["target"]}
            if vol["mode"] and vol["mode"].startswith("ro"):
                mount["readOnly"] = True
            mounts.append(mount)
        shm = (svc.get("resources") or {}).get("shm_size")
        if shm is not None:
            shm_mib = max(1, -(-parse_size(shm, name, "resources.shm_size") // (1024 * 1024)))
            volumes.append({"name": "dshm", "emptyDir": {"medium": "Memory",
                                                         "sizeLimit": "%dMi" % shm_mib}})
            mounts.append({"name": "dshm", "mountPath": "/dev/shm"})
        if mounts:
            container["volumeMounts"] = mounts
            pod["volumes"] = volumes
        selectors: dict[str, str] = {}
        if svc.get("platform"):
            arch = str(svc["platform"]).split("/")
            if len(arch) >= 2 and arch[0] == "linux":
                selectors["kubernetes.io/arch"] = arch[1]
        if count:
            selectors.update(node_selector)
            tolerations = []
            if gpu_toleration:
                tolerations.append({"key": resource, "operator": "Exists",
                                    "effect": "NoSchedule"})
            tolerations.extend(extra_tolerations)
            if tolerations:
                pod["tolerations"] = tolerations
            if runtime_class:
                pod["runtimeClassName"] = runtime_class
        if selectors:
            pod["nodeSelector"] = selectors
        template = {"metadata": {"labels": dict(labels)}, "spec": pod}
        if kind(svc) == "job":
            pod["restartPolicy"] = "OnFailure" if svc.get("restart") == "on-failure" else "Never"
            docs.append({"apiVersion": "batch/v1", "kind": "Job", "metadata": meta(dns, labels),
                         "spec": {"backoffLimit": backoff, "template": template}})
            if port_list:
                warnings.append("service '%s': a job gets no Service; its ports are reachable "
                                "only through the pod" % name)
            continue
        if svc.get("restart") in ("no", "on-failure"):
            warnings.append("service '%s': restart %s has no Deployment equivalent (pods "
                            "always restart); use kind: job for a run-to-completion task"
                            % (name, svc["restart"]))
        spec: dict[str, Any] = {"replicas": replicas, "selector": {"matchLabels": selector},
                                "template": template}
        if count or named_volumes(svc) or bind_mounts(svc):
            # One GPU / one ReadWriteOnce volume: the old pod must go before the new starts.
            spec["strategy"] = {"type": "Recreate"}
        docs.append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta(dns, labels),
                     "spec": spec})
        if port_list:
            seen: set[tuple[int, str]] = set()
            svc_ports = []
            for c, pub, p in port_list:
                if (pub, p) in seen:
                    fail(name, "ports", "port %d/%s is published twice" % (pub, p))
                seen.add((pub, p))
                svc_ports.append({"name": "%s-%d" % (p, pub), "port": pub, "targetPort": c,
                                  "protocol": p.upper()})
            docs.append({"apiVersion": "v1", "kind": "Service", "metadata": meta(dns, labels),
                         "spec": {"type": service_type, "selector": dict(selector),
                                  "ports": svc_ports}})
    return docs, warnings
