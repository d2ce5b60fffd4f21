"""Azure Container Apps rendering: the azure-mgmt-appcontainers models read every field of
the body (a walk that fails on any key the model does not define, since the SDK itself
keeps unknown keys silently), plus our checks of what the SDK does not validate: workload
profile names, GPU profile sizes, Consumption CPU/memory pairs."""
import glob
import os
import re

import pytest
import yaml
from azure.mgmt.appcontainers import models

from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_cloud_azure import (
    GPU_PROFILES, render)
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_cloud_common import ServiceError

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
EXAMPLES = sorted(glob.glob(os.path.join(ROOT, "docs", "examples", "*.yml")))
GPU = {"llm": {"image": "vllm:1", "ports": ["8000:8000", "9000:9001"],
               "gpu": {"policy": "required", "count": 1}}}
ENV_ID = "/subscriptions/s1/resourceGroups/rg/providers/Microsoft.App/managedEnvironments/aiml"


def strict_walk(model, raw, path="body"):
    """Every key of ``raw`` must be a REST field of ``model``'s class; recurse into
    sub-models through the SDK's own typed accessors."""
    fields = {f._rest_name: attr for attr, f in model._attr_to_rest_field.items()}
    for key, value in raw.items():
        assert key in fields, "%s.%s: not a field of %s" % (path, key, type(model).__name__)
        typed = getattr(model, fields[key])
        if hasattr(typed, "_attr_to_rest_field"):  # a sub-model
            strict_walk(typed, value, path + "." + key)
        elif isinstance(typed, list):
            for i, (t, v) in enumerate(zip(typed, value, strict=True)):
                if hasattr(t, "_attr_to_rest_field"):
                    strict_walk(t, v, "%s.%s[%d]" % (path, key, i))
                else:
                    assert t == v
        else:
            assert typed == value or str(typed) == str(value), (path, key, typed, value)


def check(name, body, is_job):
    cls = models.Job if is_job else models.ContainerApp
    model = cls(body)
    strict_walk(model, body)
    assert model.as_dict() == body  # serialises back unchanged
    props = model.properties
    assert props.workload_profile_name in ("gpu", "Consumption")  # the defaults
    assert re.match(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$|^[a-z]$", props.template.containers[0].name)
    res = props.template.containers[0].resources
    mem = float(res.memory[:-2])
    assert res.memory.endswith("Gi")
    if props.workload_profile_name == "Consumption":
        assert res.cpu * 4 == int(res.cpu * 4) and 0.25 <= res.cpu <= 4 and mem == res.cpu * 2
    else:
        profile_cpu, profile_gib = GPU_PROFILES["Consumption-GPU-NC8as-T4"][:2]
        assert 0 < res.cpu <= profile_cpu and 0 < mem <= profile_gib
    for vol in props.template.volumes or []:  # enum values the SDK does not check
        assert vol.storage_type in [e.value for e in models.StorageType]
    if is_job:
        assert props.configuration.trigger_type in [e.value for e in models.TriggerType]
    elif props.configuration.ingress:
        assert props.configuration.ingress.transport in [
            e.value for e in models.IngressTransportMethod]
        assert props.configuration.active_revisions_mode in [
            e.value for e in models.ActiveRevisionsMode]
    return model


@pytest.mark.parametrize("path", EXAMPLES, ids=os.path.basename)
def test_examples_serialise_through_the_sdk(path):
    services = load(path)
    out, _w = render(services, "nvidia", ["environment_id=" + ENV_ID])
    assert set(out) == set(services)
    for name, body in out.items():
        check(name, body, services[name].get("kind") == "job")
        assert body["properties"]["environmentId"] == ENV_ID


def load(path):
    with open(path) as fh:
        return yaml.safe_load(fh)["gpu_workload_services"]


def test_walk_catches_unknown_fields():
    out, _w = render(GPU)
    out["llm"]["properties"]["template"]["containers"][0]["gpu"] = 1
    with pytest.raises(AssertionError, match="not a field of Container"):
        strict_walk(models.ContainerApp(out["llm"]), out["llm"])


def test_gpu_app_shape():
    out, warnings = render(GPU, "nvidia", ["external=true", "max_replicas=2"])
    body = out["llm"]
    assert body["location"] == "westus3"
    props = body["properties"]
    assert props["workloadProfileName"] == "gpu"
    assert props["template"]["containers"][0]["resources"] == {"cpu": 8, "memory": "56Gi"}
    assert props["configuration"]["ingress"] == {
        "external": True, "targetPort": 8000, "transport": "auto",
        "additionalPortMappings": [{"external": True, "targetPort": 9001, "exposedPort": 9000}]}
    assert props["template"]["scale"] == {"minReplicas": 0, "maxReplicas": 2}
    assert any("placeholders" in w for w in warnings)
    check("llm", body, False)


def test_a100_and_dedicated_profiles():
    out, _w = render(GPU, "nvidia", ["gpu_profile=Consumption-GPU-NC24-A100",
                                     "region=swedencentral"])
    assert out["llm"]["properties"]["template"]["containers"][0]["resources"] == {
        "cpu": 24, "memory": "220Gi"}
    out, _w = render({"x": dict(GPU["llm"], resources={"cpus": 12, "memory": "100g"})}, "nvidia",
                     ["gpu_profile=NC24-A100", "region=North Europe", "gpu_profile_name=a100"])
    props = out["x"]["properties"]
    assert out["x"]["location"] == "northeurope"
    assert props["workloadProfileName"] == "a100"
    assert props["template"]["containers"][0]["resources"] == {"cpu": 12.0, "memory": "100Gi"}


def test_consumption_pairs_volumes_and_job():
    services = {"db": {"image": "postgres:16", "resources": {"cpus": 0.3, "memory": "3g"},
                       "volumes": ["db-data:/data"]},
                "train": {"kind": "job", "image": "t:1", "gpu": {"count": 1},
                          "command": ["python", "-m", "train"]}}
    out, warnings = render(services, "nvidia", ["storage=azurefile", "replica_retry_limit=5"])
    db = out["db"]["properties"]
    assert db["template"]["containers"][0]["resources"] == {"cpu": 1.5, "memory": "3Gi"}
    assert db["template"]["volumes"] == [{"name": "vol-0", "storageType": "AzureFile",
                                         "storageName": "db-data"}]
    job = out["train"]["properties"]
    assert job["configuration"]["replicaRetryLimit"] == 5
    assert job["template"]["containers"][0]["args"] == ["python", "-m", "train"]
    check("train", out["train"], True)
    check("db", out["db"], False)


@pytest.mark.parametrize("services,vendor,options,message", [
    (GPU, "nvidia", ["region=eastus"], "service 'llm', field 'gpu': policy required, but region eastus"),
    (GPU, "intel", [], "service 'llm', field 'gpu': policy required, but Container Apps has NVIDIA GPUs only"),
    ({"x": {"image": "i", "gpu": {"count": 2}}}, "nvidia", [], "service 'x', field 'gpu.count'"),
    ({"x": {"image": "i", "gpu": {"count": True}}}, "nvidia", [], "service 'x', field 'gpu.count'"),
    ({"x": {"image": "i", "volumes": ["./data:/data"]}}, "nvidia", [], "service 'x', field 'volumes'"),
    ({"x": {"image": "i", "resources": {"cpus": 8}}}, "nvidia", [], "service 'x', field 'resources.cpus'"),
    ({"x": {"image": "i", "resources": {"memory": "16g"}}}, "nvidia", [], "service 'x', field 'resources.memory'"),
    ({"x": {"image": "i", "resources": {"memory": "64g"}, "gpu": {"count": 1}}}, "nvidia", [],
     "service 'x', field 'resources'"),
    ({"x": {"image": "i"}}, "nvidia", ["gpu_profile=T4"], "option 'gpu_profile'"),
    ({"x": {"image": "i"}}, "nvidia", ["environment_id=rg/env"], "option 'environment_id'"),
    ({"x": {"image": "i"}}, "nvidia", ["storage=nfs"], "option 'storage'"),
])
def test_bad_input(services, vendor, options, message):
    with pytest.raises(ServiceError, match=re.escape(message)):
        render(services, vendor, options)


def test_given_resources_on_a_gpu_profile_and_region_check_off():
    out, _w = render({"x": dict(GPU["llm"], resources={"cpus": 4, "memory": "15g"})}, "nvidia",
                     ["gpu_profile=Consumption-GPU-NC24-A100", "region=eastus2",
                      "check_region=false"])
    props = out["x"]["properties"]
    assert props["workloadProfileName"] == "gpu"
    assert props["template"]["containers"][0]["resources"] == {"cpu": 4.0, "memory": "15Gi"}


def test_cpu_services_on_a_dedicated_profile_are_not_capped():
    out, _w = render({"db": {"image": "postgres:16", "resources": {"cpus": 8, "memory": "20g"}},
                      "cache": {"image": "redis:7", "resources": {"cpus": 1}}}, "nvidia",
                     ["cpu_profile_name=d8"])
    assert out["db"]["properties"]["workloadProfileName"] == "d8"
    assert out["db"]["properties"]["template"]["containers"][0]["resources"] == {
        "cpu": 8.0, "memory": "20Gi"}
    assert out["cache"]["properties"]["template"]["containers"][0]["resources"] == {
        "cpu": 1.0, "memory": "2Gi"}


def test_auto_policy_runs_on_consumption_in_a_region_without_gpus():
    out, warnings = render({"x": {"image": "i", "gpu": {"count": 1, "policy": "auto"}}}, "nvidia",
                           ["region=eastus"])
    assert out["x"]["properties"]["workloadProfileName"] == "Consumption"
    assert any("eastus" in w for w in warnings)
