"""Kubernetes rendering, checked by kubernetes-validate (the API's own OpenAPI schemas, strict:
unknown fields fail) for two Kubernetes versions, plus what the schemas do not check:
quantity syntax, DNS-1123 names, selector vs template labels, GPU requests equal limits."""
import glob
import os
import re

import kubernetes_validate
import pytest
import yaml

from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_cloud_common import ServiceError
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_cloud_k8s import GPU_RESOURCES, render

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
EXAMPLES = sorted(glob.glob(os.path.join(ROOT, "docs", "examples", "*.yml")))
# Two fixed versions (an older supported one and a recent one) and the newest schemas the
# installed kubernetes-validate ships (1.37 in 1.37.0).
K8S_VERSIONS = tuple(dict.fromkeys(("1.30.0", "1.33.0", kubernetes_validate.latest_version())))
QUANTITY = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$")
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
GPU = {"llm": {"image": "vllm:1", "ports": ["8000:8000"], "resources": {"cpus": 4, "memory": "16g"},
               "gpu": {"policy": "required", "count": 2}},
       "web": {"image": "nginx:1", "ports": ["80:8080"]}}


def load(path):
    with open(path) as fh:
        return yaml.safe_load(fh)["gpu_workload_services"]


def own_checks(docs):
    """What the OpenAPI schemas leave out."""
    names = set()
    for doc in docs:
        key = (doc["kind"], doc["metadata"]["name"])
        assert key not in names, "duplicate %s" % (key,)
        names.add(key)
        assert DNS1123_LABEL.match(doc["metadata"]["name"]) and len(doc["metadata"]["name"]) <= 63
        if doc["kind"] in ("Deployment", "Job"):
            pod = doc["spec"]["template"]["spec"]
            labels = doc["spec"]["template"]["metadata"]["labels"]
            if doc["kind"] == "Deployment":
                for k, v in doc["spec"]["selector"]["matchLabels"].items():
                    assert labels[k] == v, "selector does not match the template"
            else:
                assert pod["restartPolicy"] in ("Never", "OnFailure")
            for c in pod["containers"]:
                assert DNS1123_LABEL.match(c["name"])
                res = c.get("resources", {})
                for section in ("requests", "limits"):
                    for q in res.get(section, {}).values():
                        assert isinstance(q, str) and QUANTITY.match(q), q
                for r in GPU_RESOURCES.values():
                    if r in res.get("requests", {}) or r in res.get("limits", {}):
                        assert res["requests"][r] == res["limits"][r], "GPU request != limit"
                        assert int(res["limits"][r]) >= 1
                mounts = {m["name"] for m in c.get("volumeMounts", [])}
                assert mounts <= {v["name"] for v in pod.get("volumes", [])}
        if doc["kind"] == "Service":
            deploy = [d for d in docs if d["kind"] == "Deployment"
                      and d["metadata"]["name"] == doc["metadata"]["name"]][0]
            tmpl = deploy["spec"]["template"]["metadata"]["labels"]
            assert all(tmpl[k] == v for k, v in doc["spec"]["selector"].items())
            ports = {p["containerPort"] for c in deploy["spec"]["template"]["spec"]["containers"]
                     for p in c.get("ports", [])}
            assert {p["targetPort"] for p in doc["spec"]["ports"]} <= ports
        if doc["kind"] == "PersistentVolumeClaim":
            assert QUANTITY.match(doc["spec"]["resources"]["requests"]["storage"])


def validate_all(docs):
    for version in K8S_VERSIONS:
        for doc in docs:
            kubernetes_validate.validate(doc, version, strict=True)
    own_checks(docs)


@pytest.mark.parametrize("path", EXAMPLES, ids=os.path.basename)
@pytest.mark.parametrize("vendor", ["nvidia", "amd", "intel"])
def test_examples_validate(path, vendor):
    docs, _warnings = render(load(path), vendor, ["namespace=aiml", "replicas=2"])
    validate_all(docs)
    assert {d["kind"] for d in docs} >= {"Deployment"} or {d["kind"] for d in docs} >= {"Job"}


def test_strict_validation_catches_an_unknown_field():
    """The validator is strict: a misspelt field fails (so a pass means something)."""
    docs, _w = render(GPU)
    docs[0]["spec"]["template"]["spec"]["containers"][0]["resource"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(docs[0], K8S_VERSIONS[0], strict=True)


@pytest.mark.parametrize("vendor", ["nvidia", "amd", "intel"])
def test_gpu_limit_is_the_vendor_resource(vendor):
    docs, _w = render(GPU, vendor)
    llm = [d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "llm"][0]
    pod = llm["spec"]["template"]["spec"]
    res = pod["containers"][0]["resources"]
    assert res["limits"] == {"cpu": "4", "memory": "16384Mi", GPU_RESOURCES[vendor]: "2"}
    assert res["requests"] == res["limits"]
    assert pod["tolerations"] == [{"key": GPU_RESOURCES[vendor], "operator": "Exists",
                                   "effect": "NoSchedule"}]
    assert llm["spec"]["strategy"] == {"type": "Recreate"}
    web = [d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "web"][0]
    assert "resources" not in web["spec"]["template"]["spec"]["containers"][0]
    assert "tolerations" not in web["spec"]["template"]["spec"]
    svc = [d for d in docs if d["kind"] == "Service" and d["metadata"]["name"] == "web"][0]
    assert svc["spec"]["ports"] == [{"name": "tcp-80", "port": 80, "targetPort": 8080,
                                     "protocol": "TCP"}]
    validate_all(docs)


def test_policy_none_gets_no_gpu():
    docs, _w = render({"x": {"image": "i", "gpu": {"policy": "none", "count": 1}}})
    assert "resources" not in docs[0]["spec"]["template"]["spec"]["containers"][0]


def test_gpu_options_runtime_class_selectors_tolerations():
    docs, _w = render(GPU, "nvidia", ["runtime_class=nvidia", "create_runtime_class=true",
                                      "gpu_product=NVIDIA-A100-SXM4-40GB",
                                      "node_selector=pool=gpu",
                                      "tolerations=sku=gpu:NoSchedule,dedicated:NoExecute"])
    assert docs[0] == {"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass",
                       "metadata": {"name": "nvidia"}, "handler": "nvidia"}
    pod = [d for d in docs if d["metadata"]["name"] == "llm"][0]["spec"]["template"]["spec"]
    assert pod["runtimeClassName"] == "nvidia"
    assert pod["nodeSelector"] == {"pool": "gpu", "nvidia.com/gpu.product": "NVIDIA-A100-SXM4-40GB"}
    assert pod["tolerations"][1:] == [
        {"key": "sku", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"},
        {"key": "dedicated", "operator": "Exists", "effect": "NoExecute"}]
    web = [d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "web"][0]
    assert "runtimeClassName" not in web["spec"]["template"]["spec"]
    validate_all(docs)


def test_job_volumes_shm_probe_user_mapping():
    services = {"train": {"kind": "job", "image": "t:1", "restart": "on-failure",
                          "entrypoint": ["python"], "command": "-m train --x 'a b'",
                          "user": "1000:1000", "working_dir": "/w",
                          "volumes": ["models:/models:ro", "data:/data"],
                          "resources": {"shm_size": "1g"}, "gpu": {"count": 1}},
                "api": {"image": "a:1", "healthcheck": {"test": ["CMD-SHELL", "curl -f x"],
                                                        "interval": "1m30s", "retries": 5},
                        "volumes": ["data:/data"], "platform": "linux/arm64"}}
    docs, _w = render(services, "nvidia", ["storage_class=fast", "storage_size=50Gi",
                                           "backoff_limit=4"])
    validate_all(docs)
    kinds = [(d["kind"], d["metadata"]["name"]) for d in docs]
    assert kinds == [("PersistentVolumeClaim", "models"), ("PersistentVolumeClaim", "data"),
                     ("Job", "train"), ("Deployment", "api")]
    assert docs[0]["spec"] == {"accessModes": ["ReadWriteOnce"], "storageClassName": "fast",
                               "resources": {"requests": {"storage": "50Gi"}}}
    job = docs[2]["spec"]
    assert job["backoffLimit"] == 4
    pod = job["template"]["spec"]
    c = pod["containers"][0]
    assert pod["restartPolicy"] == "OnFailure"
    assert c["command"] == ["python"] and c["args"] == ["-m", "train", "--x", "a b"]
    assert c["securityContext"] == {"runAsUser": 1000, "runAsGroup": 1000}
    assert c["workingDir"] == "/w"
    assert {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "1024Mi"}} in pod["volumes"]
    assert c["volumeMounts"][0] == {"name": "vol-0", "mountPath": "/models", "readOnly": True}
    api = docs[3]["spec"]["template"]["spec"]
    assert api["containers"][0]["livenessProbe"] == {
        "exec": {"command": ["/bin/sh", "-c", "curl -f x"]}, "periodSeconds": 90,
        "failureThreshold": 5}
    assert api["nodeSelector"] == {"kubernetes.io/arch": "arm64"}


def test_names_become_dns_labels():
    docs, _w = render({"My_Service.v2": {"image": "i", "ports": ["80"]}})
    assert {d["metadata"]["name"] for d in docs} == {"my-service-v2"}
    validate_all(docs)


def test_bind_mount_hostpath_option():
    docs, _w = render({"x": {"image": "i", "volumes": ["/srv/models:/models:ro"]}}, "nvidia",
                      ["bind_mounts=hostpath"])
    assert docs[0]["spec"]["template"]["spec"]["volumes"] == [
        {"name": "vol-0", "hostPath": {"path": "/srv/models", "type": "Directory"}}]
    validate_all(docs)


@pytest.mark.parametrize("services,options,message", [
    ({"x": {"image": "i", "gpu": {"count": 0}}}, [], "service 'x', field 'gpu.count'"),
    ({"x": {"image": "i", "gpu": {"count": "2"}}}, [], "service 'x', field 'gpu.count'"),
    ({"x": {"image": "i", "gpu": {"count": "all"}}}, [], "service 'x', field 'gpu.count': 'all'"),
    ({"x": {"image": "i", "gpu": {"device_ids": ["0"]}}}, [], "service 'x', field 'gpu.device_ids'"),
    ({"x": {"image": "i", "volumes": ["/srv:/srv"]}}, [], "service 'x', field 'volumes': /srv:/srv is a bind mount"),
    ({"x": {"image": "i", "user": "www-data"}}, [], "service 'x', field 'user'"),
    ({"x": {"image": "i", "labels": {"a": "has space"}}}, [], "service 'x', field 'labels'"),
    ({"x": {"image": "i", "ports": ["8000-8010:8000-8010"]}}, [], "service 'x', field 'ports'"),
    ({"x": {"image": "i", "kind": "cron"}}, [], "service 'x', field 'kind'"),
    ({"x": {"image": "i", "kind": "job", "restart": "always"}}, [], "service 'x', field 'restart'"),
    ({"a_b": {"image": "i"}, "a-b": {"image": "i"}}, [], "becomes 'a-b'"),
    ({"x": {"image": "i"}}, ["namespace=Bad_NS"], "option 'namespace'"),
    ({"x": {"image": "i"}}, ["region=x"], "option 'region': unknown for kubernetes"),
    ({"x": {"image": "i"}}, ["replicas=two"], "option 'replicas': expected an integer"),
    ({"x": {"image": "i"}}, ["tolerations=sku=gpu"], "option 'tolerations'"),
    ({"x": {"image": "i"}}, ["service_type=External"], "option 'service_type'"),
    ({"x": {"image": "i"}}, ["noequals"], "expected KEY=VALUE"),
])
def test_bad_input_names_what_to_fix(services, options, message):
    with pytest.raises(ServiceError, match=re.escape(message)):
        render(services, "nvidia", options)


def test_gpu_product_is_nvidia_only():
    with pytest.raises(ServiceError, match="gpu_product"):
        render(GPU, "amd", ["gpu_product=x"])
