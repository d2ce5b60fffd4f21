"""aws_batch_job_definition: the comparison that keeps it idempotent, and main() in-process
against moto's in-process AWS Batch (the moto server round trip through the playbook is in
tests/integration/test_cloud_moto.py)."""
import os

import pytest

import aws_batch_job_definition as mod

REQUEST = {
    "jobDefinitionName": "train", "type": "container", "platformCapabilities": ["EC2"],
    "containerProperties": {"image": "r/train:1", "resourceRequirements": [
        {"type": "VCPU", "value": "8"}, {"type": "MEMORY", "value": "30720"},
        {"type": "GPU", "value": "1"}]},
    "retryStrategy": {"attempts": 3, "evaluateOnExit": [
        {"onStatusReason": "Host EC2*", "action": "RETRY"}, {"onReason": "*", "action": "EXIT"}]},
    "tags": {"gpufleet.kind": "job"}}


def described(**changes):
    """What DescribeJobDefinitions gives back: defaults added, actions lowercased (moto),
    requirements reordered, tags left out."""
    out = {"jobDefinitionName": "train", "revision": 1, "status": "ACTIVE", "type": "container",
           "platformCapabilities": ["EC2"],
           "containerProperties": {"image": "r/train:1", "volumes": [], "environment": [],
                                   "resourceRequirements": [
                                       {"type": "GPU", "value": "1"},
                                       {"type": "VCPU", "value": "8"},
                                       {"type": "MEMORY", "value": "30720"}]},
           "retryStrategy": {"attempts": 3, "evaluateOnExit": [
               {"onStatusReason": "Host EC2*", "action": "retry"},
               {"onReason": "*", "action": "exit"}]}}
    out.update(changes)
    return out


def test_same_definition_is_contained():
    assert mod.contains(REQUEST, described())


@pytest.mark.parametrize("change", [
    {"retryStrategy": {"attempts": 4, "evaluateOnExit": described()["retryStrategy"][
        "evaluateOnExit"]}},
    {"containerProperties": dict(described()["containerProperties"], resourceRequirements=[
        {"type": "GPU", "value": "2"}, {"type": "VCPU", "value": "8"},
        {"type": "MEMORY", "value": "30720"}])},
    {"containerProperties": dict(described()["containerProperties"], image="r/train:2")},
    {"platformCapabilities": ["FARGATE"]},
], ids=["attempts", "gpu-count", "image", "platform"])
def test_a_change_is_seen(change):
    assert not mod.contains(REQUEST, described(**change))


@pytest.fixture
def aws(monkeypatch):
    moto = pytest.importorskip("moto")
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with moto.mock_aws():
        yield


def test_register_then_no_change_then_absent(aws, run_module):
    first = run_module(mod, {"request": REQUEST})
    assert first["changed"] and first["revision"] == 1
    assert {r["type"]: r["value"] for r in first["job_definition"]["containerProperties"][
        "resourceRequirements"]} == {"VCPU": "8", "MEMORY": "30720", "GPU": "1"}
    assert run_module(mod, {"request": REQUEST})["changed"] is False
    changed = dict(REQUEST, retryStrategy=dict(REQUEST["retryStrategy"], attempts=5))
    check = run_module(mod, {"request": changed}, check=True)
    assert check["changed"] and check["revision"] is None
    assert run_module(mod, {"request": changed})["revision"] == 2
    gone = run_module(mod, {"name": "train", "state": "absent"})
    assert gone["changed"] and len(gone["deregistered"]) == 2  # both revisions were active
    assert run_module(mod, {"name": "train", "state": "absent"})["changed"] is False


def test_a_bad_request_fails_with_what_to_check(aws, run_module):
    out = run_module(mod, {"request": {"jobDefinitionName": "x", "type": "container",
                                       "retryStrategy": {"attempts": "three"}}})
    assert out["failed"]
    assert out["msg"].startswith("AWS Batch job definition x: ")
    assert "gpufleet render --platform batch" in out["msg"]


def test_no_region_says_so(run_module, monkeypatch, tmp_path):
    for key in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.path.join(str(tmp_path), "none"))
    out = run_module(mod, {"request": REQUEST})
    assert out["failed"] and out["msg"].startswith("no AWS region")
