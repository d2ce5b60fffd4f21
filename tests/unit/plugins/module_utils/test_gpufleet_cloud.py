"""The dispatcher: every target renders every example service description (docs/examples/),
and bad input fails on every target before anything is returned."""
import glob
import os

import pytest
import yaml

from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_cloud import (
    OUTPUT_FORMAT, RENDERERS, TARGETS, ServiceError, render_target, renderer)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
EXAMPLES = sorted(glob.glob(os.path.join(ROOT, "docs", "examples", "*.yml")))
TARGET_PARAMS = list(TARGETS)
# Options a target cannot render without (what the user must always say).
REQUIRED_OPTIONS = {"sagemaker": ["execution_role_arn=arn:aws:iam::123456789012:role/sagemaker"]}


def load(path):
    with open(path) as fh:
        return yaml.safe_load(fh)["gpu_workload_services"]


def test_three_examples_exist():
    assert [os.path.basename(p) for p in EXAMPLES] == [
        "core-services.yml", "gpu-models.yml", "language-processing.yml"]


@pytest.mark.parametrize("path", EXAMPLES, ids=os.path.basename)
@pytest.mark.parametrize("target", TARGET_PARAMS)
def test_every_target_renders_every_example(target, path):
    services = load(path)
    doc, warnings = render_target(services, target, options=REQUIRED_OPTIONS.get(target))
    assert all(isinstance(w, str) for w in warnings)
    if OUTPUT_FORMAT[target] == "yaml":
        names = {d["metadata"]["name"] for d in doc if d["kind"] in ("Deployment", "Job")}
        assert names == set(services)
    else:
        assert set(doc) == set(services)


@pytest.mark.parametrize("target", TARGET_PARAMS)
def test_bad_gpu_count_fails_on_every_target(target):
    with pytest.raises(ServiceError, match="service 'llm', field 'gpu.count'"):
        render_target({"llm": {"image": "i", "gpu": {"count": 0}}}, target,
                      options=REQUIRED_OPTIONS.get(target))


@pytest.mark.parametrize("target", TARGET_PARAMS)
def test_count_all_fails_on_every_target(target):
    with pytest.raises(ServiceError, match="service 'llm', field 'gpu.count'"):
        render_target({"llm": {"image": "i", "gpu": {"count": "all"}}}, target,
                      options=REQUIRED_OPTIONS.get(target))


def test_unknown_target():
    with pytest.raises(ServiceError, match="target must be one of kubernetes, ecs"):
        renderer("nomad")


def test_every_renderer_is_wired():
    assert set(RENDERERS) == set(TARGETS)
    for target in TARGETS:
        assert renderer(target) is RENDERERS[target]
        assert callable(renderer(target))
