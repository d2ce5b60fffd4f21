"""Cloud Run rendering, parsed by the google-cloud-run package's v2 Service / Job messages
with unknown fields rejected (the API's own protobuf definitions), plus the GPU rules."""
import glob
import json
import os
import re

import pytest
import yaml
from google.cloud import run_v2

from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_cloud_common import ServiceError
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_cloud_gcp import render

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
EXAMPLES = sorted(glob.glob(os.path.join(ROOT, "docs", "examples", "*.yml")))
GPU = {"llm": {"image": "vllm:1", "ports": ["8000:8000"], "gpu": {"policy": "required", "count": 1}}}


def load(path):
    with open(path) as fh:
        return yaml.safe_load(fh)["gpu_workload_services"]


def parse(body):
    """Strict parse: a Job body has template.template, a Service body does not."""
    cls = run_v2.Job if "template" in body.get("template", {}) else run_v2.Service
    return cls.from_json(json.dumps(body), ignore_unknown_fields=False)


@pytest.mark.parametrize("path", EXAMPLES, ids=os.path.basename)
def test_examples_parse_strictly(path):
    out, _w = render(load(path), "nvidia", ["region=europe-west4", "bucket=aiml-models"])
    for name, body in out.items():
        msg = parse(body)
        assert msg.template is not None, name


def test_unknown_field_is_rejected():
    out, _w = render(GPU)
    out["llm"]["template"]["containers"][0]["resources"]["gpus"] = 1
    with pytest.raises(Exception, match="gpus"):
        parse(out["llm"])


def test_gpu_service_shape():
    out, warnings = render({"llm": dict(GPU["llm"], resources={"cpus": 2, "memory": "8g"})})
    svc = parse(out["llm"])
    c = svc.template.containers[0]
    assert dict(c.resources.limits) == {"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": "1"}
    assert c.resources.cpu_idle is False
    assert out["llm"]["template"]["containers"][0]["resources"]["cpuIdle"] is False
    assert svc.template.node_selector.accelerator == "nvidia-l4"
    assert svc.template.gpu_zonal_redundancy_disabled is True
    assert svc.template.scaling.max_instance_count == 1
    assert c.ports[0].container_port == 8000
    assert any("raised to 4" in w for w in warnings) and any("16Gi" in w for w in warnings)


def test_rtx_pro_minimums_and_zonal_redundancy():
    out, _w = render(GPU, "nvidia", ["accelerator=nvidia-rtx-pro-6000", "zonal_redundancy=true",
                                     "max_instances=3"])
    t = out["llm"]["template"]
    assert t["containers"][0]["resources"]["limits"] == {"cpu": "20", "memory": "80Gi",
                                                         "nvidia.com/gpu": "1"}
    assert t["gpuZonalRedundancyDisabled"] is False and t["scaling"]["maxInstanceCount"] == 3
    parse(out["llm"])


def test_job_and_volumes():
    services = {"train": {"kind": "job", "image": "t:1", "volumes": ["models:/models"],
                          "gpu": {"count": 1}},
                "api": {"image": "a:1", "volumes": ["cache:/cache"], "resources": {"cpus": 0.5}}}
    out, warnings = render(services)
    job = parse(out["train"])
    task = job.template.template
    assert task.node_selector.accelerator == "nvidia-l4" and task.max_retries == 3
    assert task.volumes[0].empty_dir.medium == run_v2.EmptyDirVolumeSource.Medium.MEMORY
    assert out["api"]["template"]["containers"][0]["resources"]["limits"] == {"cpu": "500m"}
    assert any("in memory" in w for w in warnings)
    out, _w = render(services, "nvidia", ["bucket=b1"])
    assert out["train"]["template"]["template"]["volumes"][0]["gcs"] == {
        "bucket": "b1", "readOnly": False, "mountOptions": ["only-dir=models"]}
    parse(out["train"])


def test_region_check_can_be_turned_off():
    out, _w = render(GPU, "nvidia", ["region=us-west1", "check_region=false"])
    assert out["llm"]["template"]["nodeSelector"] == {"accelerator": "nvidia-l4"}


def test_auto_policy_falls_back_outside_gpu_regions():
    out, warnings = render({"x": {"image": "i", "gpu": {"policy": "auto", "count": 1}}}, "nvidia",
                           ["region=us-west1"])
    assert "nodeSelector" not in out["x"]["template"]
    assert "nvidia.com/gpu" not in json.dumps(out)
    assert warnings and "us-west1" in warnings[0]


@pytest.mark.parametrize("services,vendor,options,message", [
    (GPU, "nvidia", ["region=us-west1"], "service 'llm', field 'gpu': policy required, but region us-west1"),
    (GPU, "amd", [], "service 'llm', field 'gpu': policy required, but Cloud Run has NVIDIA GPUs only"),
    ({"x": {"image": "i", "gpu": {"count": 2}}}, "nvidia", [], "service 'x', field 'gpu.count'"),
    ({"x": {"image": "i", "gpu": {"count": 0}}}, "nvidia", [], "service 'x', field 'gpu.count'"),
    ({"x": {"image": "i", "volumes": ["/srv:/srv"]}}, "nvidia", [], "service 'x', field 'volumes'"),
    ({"x": {"image": "i", "ports": ["80", "443"]}}, "nvidia", [], "service 'x', field 'ports'"),
    ({"x": {"image": "i", "ports": ["53/udp"]}}, "nvidia", [], "service 'x', field 'ports'"),
    ({"x": {"image": "i"}}, "nvidia", ["accelerator=nvidia-h100"], "option 'accelerator'"),
    ({"x": {"image": "i"}}, "nvidia", ["namespace=x"], "option 'namespace': unknown for cloud-run"),
    ({"x": {"image": "i"}}, "nvidia", ["min_instances=3"], "option 'min_instances'"),
])
def test_bad_input(services, vendor, options, message):
    with pytest.raises(ServiceError, match=re.escape(message)):
        render(services, vendor, options)
