"""ECS, Batch and SageMaker requests rendered from one service description, checked against
botocore's own service models (the JSON API definitions boto3 sends with): ParamValidator
(required members, types, minimums, unknown keys) plus what it skips, checked here by
walking the shapes: enum values, string patterns and maximum lengths."""
import glob
import os
import re

import botocore.session
import pytest
import yaml
from botocore.validate import ParamValidator

from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_cloud_aws import (
    ServiceError, duration_seconds, pick_instance_type, render_batch, render_ecs,
    render_sagemaker)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))))
ROLE = "arn:aws:iam::123456789012:role/gpufleet"
SM_OPTIONS = {"execution_role_arn": ROLE, "model_data_url": "s3://bucket/model.tar.gz"}
SESSION = botocore.session.get_session()


def example_files():
    """The example service descriptions of docs/examples (the seeds' container groups)."""
    return sorted(glob.glob(os.path.join(ROOT, "docs", "examples", "*.yml")))


def load_services(path):
    with open(path) as fh:
        doc = yaml.safe_load(fh)
    return doc.get("gpu_workload_services", doc)


def fixture_services():
    """tests/fixtures/compose/services.yml made cloud-ready: a scheduler places GPUs by count,
    so the host-specific device_ids become a count."""
    services = load_services(os.path.join(ROOT, "tests", "fixtures", "compose", "services.yml"))
    services["embeddings"]["gpu"] = {"policy": "auto", "count": 2}
    return services


def all_inputs():
    inputs = [pytest.param(fixture_services(), id="fixture-services")]
    for path in example_files():
        inputs.append(pytest.param(load_services(path), id=os.path.basename(path)))
    return inputs


def problems(service, operation, params):
    """Everything botocore's model says is wrong with ``params`` for ``operation``."""
    model = SESSION.get_service_model(service).operation_model(operation)
    report = ParamValidator().validate(params, model.input_shape)
    found = [report.generate_report()] if report.has_errors() else []
    _walk(params, model.input_shape, operation, found)
    return found


def _walk(value, shape, path, found):
    if shape.type_name == "structure":
        for key, member in shape.members.items():
            if key in value:
                _walk(value[key], member, "%s.%s" % (path, key), found)
    elif shape.type_name == "list":
        for i, item in enumerate(value):
            _walk(item, shape.member, "%s[%d]" % (path, i), found)
    elif shape.type_name == "map":
        for key, item in value.items():
            _walk(key, shape.key, "%s{key}" % path, found)
            _walk(item, shape.value, "%s[%s]" % (path, key), found)
    elif shape.type_name == "string":
        if shape.enum and value not in shape.enum:
            found.append("%s: %r is not one of %s" % (path, value, shape.enum))
        meta = shape.metadata
        if "max" in meta and len(value) > meta["max"]:
            found.append("%s: longer than %d" % (path, meta["max"]))
        if "pattern" in meta:
            try:
                pattern = re.compile(meta["pattern"])
            except re.error:  # a Java-only construct: not checkable here
                return
            if not pattern.fullmatch(value):
                found.append("%s: %r does not match %s" % (path, value, meta["pattern"]))
    elif shape.type_name in ("integer", "long"):
        meta = shape.metadata
        if "max" in meta and value > meta["max"]:
            found.append("%s: %r above %s" % (path, value, meta["max"]))


# --------------------------------------------------------------------------- the checker

def test_checker_catches_what_param_validator_skips():
    bad = {"family": "x", "networkMode": "bridged", "containerDefinitions": [
        {"name": "x", "image": "i", "resourceRequirements": [{"type": "TPU", "value": "1"}]}]}
    report = ParamValidator().validate(bad, SESSION.get_service_model("ecs").operation_model(
        "RegisterTaskDefinition").input_shape)
    assert not report.has_errors()  # botocore's own validator lets bad enums through
    found = problems("ecs", "RegisterTaskDefinition", bad)
    assert any("networkMode" in p and "bridged" in p for p in found)
    assert any("resourceRequirements[0].type" in p and "TPU" in p for p in found)


def test_checker_catches_missing_and_unknown_members():
    found = problems("batch", "RegisterJobDefinition", {"jobDefinitionName": "j", "tipe": "x"})
    assert len(found) == 1 and "type" in found[0] and "tipe" in found[0]


def test_checker_catches_patterns():
    found = problems("sagemaker", "CreateModel", {"ModelName": "bad_name"})
    assert any("ModelName" in p and "bad_name" in p for p in found)


# --------------------------------------------------------------------------- all valid

@pytest.mark.parametrize("services", all_inputs())
@pytest.mark.parametrize("options", [{}, {"region": "eu-west-1", "family_prefix": "aiml-",
                                         "execution_role_arn": ROLE, "task_role_arn": ROLE},
                                     {"network_mode": "awsvpc", "logging": "false"}],
                         ids=["defaults", "roles", "awsvpc"])
def test_ecs_requests_are_valid(services, options):
    if options.get("network_mode") == "awsvpc":  # awsvpc: host port = container port
        services = {n: dict(s, ports=[p.split(":")[-1] for p in s.get("ports") or []])
                    for n, s in services.items()}
    doc, _warnings = render_ecs(services, "nvidia", options)
    assert set(doc) == set(services)
    for name, request in doc.items():
        assert problems("ecs", "RegisterTaskDefinition", request) == [], name


def test_ecs_fargate_requests_are_valid():
    services = {n: s for n, s in fixture_services().items() if n in ("api", "nlp")}
    doc, warnings = render_ecs(services, "nvidia", {"launch_type": "FARGATE",
                                                    "execution_role_arn": ROLE})
    for request in doc.values():
        assert problems("ecs", "RegisterTaskDefinition", request) == []
        assert request["requiresCompatibilities"] == ["FARGATE"]
        assert request["networkMode"] == "awsvpc"
    assert (doc["api"]["cpu"], doc["api"]["memory"]) == ("2048", "4096")  # 2 vCPU, 2g -> 4 GiB
    assert (doc["nlp"]["cpu"], doc["nlp"]["memory"]) == ("256", "2048")   # 2048 MiB default
    assert any("task storage" in w for w in warnings)


@pytest.mark.parametrize("services", all_inputs())
@pytest.mark.parametrize("options", [{}, {"attempts": "5", "timeout": "3600",
                                         "name_prefix": "train-", "log_group": "/batch/x",
                                         "job_role_arn": ROLE, "execution_role_arn": ROLE}],
                         ids=["defaults", "all-options"])
def test_batch_requests_are_valid(services, options):
    doc, _warnings = render_batch(services, "nvidia", options)
    for name, request in doc.items():
        assert problems("batch", "RegisterJobDefinition", request) == [], name


@pytest.mark.parametrize("services", all_inputs())
@pytest.mark.parametrize("options", [SM_OPTIONS, dict(SM_OPTIONS, instance_type="ml.p4d.24xlarge",
                                                      instance_count="2", name_prefix="prod-")],
                         ids=["picked", "given"])
def test_sagemaker_requests_are_valid(services, options):
    doc, _warnings = render_sagemaker(services, "nvidia", options)
    for name, requests in doc.items():
        assert set(requests) == {"CreateModel", "CreateEndpointConfig"}
        for operation, request in requests.items():
            assert problems("sagemaker", operation, request) == [], (name, operation)


# --------------------------------------------------------------------------- GPU rules

def test_ecs_gpu_is_a_resource_requirement_on_ec2():
    doc, _ = render_ecs(fixture_services(), "nvidia", {"region": "eu-west-1"})
    llm = doc["llm"]
    container = llm["containerDefinitions"][0]
    assert container["resourceRequirements"] == [{"type": "GPU", "value": "1"}]
    assert llm["requiresCompatibilities"] == ["EC2"]
    assert container["memory"] == 24 * 1024
    assert {"name": "NVIDIA_DRIVER_CAPABILITIES", "value": "compute,utility"} in \
        container["environment"]
    assert container["logConfiguration"] == {"logDriver": "awslogs", "options": {
        "awslogs-group": "/ecs/llm", "awslogs-region": "eu-west-1",
        "awslogs-stream-prefix": "llm"}}
    assert container["linuxParameters"] == {"sharedMemorySize": 8192}
    assert doc["embeddings"]["containerDefinitions"][0]["resourceRequirements"] == [
        {"type": "GPU", "value": "2"}]
    assert "resourceRequirements" not in doc["nlp"]["containerDefinitions"][0]


def test_ecs_maps_ports_health_and_volumes():
    doc, _ = render_ecs(fixture_services(), "nvidia", {})
    api = doc["api"]["containerDefinitions"][0]
    assert api["portMappings"] == [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}]
    assert api["healthCheck"] == {"command": ["CMD", "curl", "-fsS",
                                              "http://localhost:8080/health"],
                                  "interval": 10, "timeout": 3, "retries": 5}
    assert api["cpu"] == 2048 and api["memory"] == 2048
    assert api["mountPoints"] == [{"sourceVolume": "api-data", "containerPath": "/var/lib/api",
                                   "readOnly": False}]
    assert doc["api"]["volumes"][0]["dockerVolumeConfiguration"]["scope"] == "shared"
    assert doc["nlp"]["containerDefinitions"][0]["command"] == [
        "python", "-m", "pipeline", "--watch", "/inbox"]


def test_ecs_keeps_bind_mounts_on_ec2():
    doc, _ = render_ecs({"a": {"image": "i", "volumes": ["/srv/models:/models:ro"]}})
    assert doc["a"]["volumes"] == [{"name": "srv-models", "host": {"sourcePath": "/srv/models"}}]


def test_ecs_memory_default_is_warned():
    doc, warnings = render_ecs({"a": {"image": "i"}}, "nvidia", {"memory": "4096"})
    assert doc["a"]["containerDefinitions"][0]["memory"] == 4096
    assert warnings == ["service 'a': no resources.memory; ECS on EC2 needs one, using 4096 MiB "
                        "(option memory=MiB)"]


def test_ecs_auto_gpu_on_fargate_runs_on_cpu_with_a_warning():
    doc, warnings = render_ecs({"a": {"image": "i", "gpu": {"count": 1}}}, "nvidia",
                               {"launch_type": "FARGATE"})
    assert "resourceRequirements" not in doc["a"]["containerDefinitions"][0]
    assert any("Fargate has no GPUs" in w for w in warnings)


def test_batch_resources_and_spot_retry():
    doc, _ = render_batch(fixture_services(), "nvidia", {"attempts": "4"})
    llm = doc["llm"]
    assert llm["type"] == "container"
    assert llm["containerProperties"]["resourceRequirements"] == [
        {"type": "VCPU", "value": "1"}, {"type": "MEMORY", "value": "24576"},
        {"type": "GPU", "value": "1"}]
    assert llm["retryStrategy"] == {"attempts": 4, "evaluateOnExit": [
        {"onStatusReason": "Host EC2*", "action": "RETRY"}, {"onReason": "*", "action": "EXIT"}]}
    api = doc["api"]["containerProperties"]["resourceRequirements"]
    assert api == [{"type": "VCPU", "value": "2"}, {"type": "MEMORY", "value": "2048"}]


def test_batch_rounds_fractional_cpus_up():
    doc, warnings = render_batch({"a": {"image": "i", "resources": {"cpus": 1.5, "memory": "1g"}}})
    assert doc["a"]["containerProperties"]["resourceRequirements"][0] == {"type": "VCPU",
                                                                          "value": "2"}
    assert any("rounded up to 2 vCPU" in w for w in warnings)


@pytest.mark.parametrize("gpus, cpus, memory, expected", [
    (1, None, None, "ml.g5.xlarge"),
    (1, None, "24g", "ml.g5.2xlarge"),
    (1, 12, None, "ml.g5.4xlarge"),
    (2, None, None, "ml.g5.12xlarge"),
    (4, None, "300g", "ml.g5.24xlarge"),
    (8, None, None, "ml.g5.48xlarge"),
    (0, None, None, "ml.m5.large"),
    (0, 6, None, "ml.m5.2xlarge"),
])
def test_sagemaker_instance_type_from_gpus_cpus_memory(gpus, cpus, memory, expected):
    svc = {"image": "i", "resources": {}}
    if gpus:
        svc["gpu"] = {"policy": "required", "count": gpus}
    if cpus:
        svc["resources"]["cpus"] = cpus
    if memory:
        svc["resources"]["memory"] = memory
    doc, _ = render_sagemaker({"m": svc}, "nvidia", SM_OPTIONS)
    variant = doc["m"]["CreateEndpointConfig"]["ProductionVariants"][0]
    assert variant["InstanceType"] == expected
    assert variant["ModelName"] == doc["m"]["CreateModel"]["ModelName"] == "m"


def test_sagemaker_per_service_options():
    services = fixture_services()
    doc, _ = render_sagemaker(services, "nvidia", {
        "execution_role_arn": ROLE, "instance_type.llm": "ml.p4d.24xlarge",
        "model_data_url.llm": "s3://b/llm.tar.gz"})
    assert doc["llm"]["CreateEndpointConfig"]["ProductionVariants"][0]["InstanceType"] == \
        "ml.p4d.24xlarge"
    assert doc["llm"]["CreateModel"]["PrimaryContainer"]["ModelDataUrl"] == "s3://b/llm.tar.gz"
    assert "ModelDataUrl" not in doc["api"]["CreateModel"]["PrimaryContainer"]
    assert doc["llm"]["CreateModel"]["PrimaryContainer"]["Environment"] == {
        "MAX_BATCH": "8", "MODEL": "llama-3-8b"}


def test_sagemaker_names_are_sagemaker_names():
    doc, _ = render_sagemaker({"my_model.v2": {"image": "i"}}, "nvidia", SM_OPTIONS)
    assert doc["my_model.v2"]["CreateModel"]["ModelName"] == "my-model-v2"


def test_warnings_say_what_was_left_out():
    _, warnings = render_sagemaker(fixture_services(), "nvidia", SM_OPTIONS)
    assert "service 'llm': SageMaker sends /ping and /invocations to port 8080; the service " \
           "listens on 8000" in warnings
    assert any(w.startswith("service 'api': SageMaker pulls images from Amazon ECR")
               for w in warnings)


@pytest.mark.parametrize("value, seconds", [("10s", 10), ("1m30s", 90), ("1h", 3600),
                                            ("500ms", 1), (30, 30), ("2m", 120)])
def test_durations(value, seconds):
    assert duration_seconds(value, "s", "f") == seconds


def test_no_instance_type_is_big_enough():
    with pytest.raises(ServiceError, match=r"service 'm', field 'gpu.count': no SageMaker "
                                           r"instance type .* instance_type.m="):
        pick_instance_type(16, None, None, "m")


# --------------------------------------------------------------------------- bad input

GPU = {"image": "i", "gpu": {"policy": "required", "count": 1}}
BAD = [
    ("ecs", {"a": {"image": "i", "gpu": {"count": 0}}}, {}, r"service 'a', field 'gpu.count'"),
    ("ecs", {"a": {"image": "i", "gpu": {"count": "two"}}}, {},
     r"service 'a', field 'gpu.count'"),
    ("ecs", {"a": {"image": "i", "gpu": {"device_ids": ["0"]}}}, {},
     r"service 'a', field 'gpu.device_ids'"),
    ("ecs", {"a": GPU}, {"launch_type": "FARGATE"},
     r"service 'a', field 'gpu.policy': policy required, but Fargate has no GPUs"),
    ("ecs", {"a": {"image": "i", "volumes": ["/srv:/srv"]}}, {"launch_type": "FARGATE"},
     r"service 'a', field 'volumes': /srv:/srv is a bind mount"),
    ("ecs", {"a": {"image": "i"}}, {"launch_type": "LAMBDA"}, r"option 'launch_type'"),
    ("ecs", {"a": {"image": "i"}}, {"launch_type": "FARGATE", "network_mode": "bridge"},
     r"option 'network_mode': Fargate tasks use awsvpc"),
    ("ecs", {"a": {"image": "i", "ports": ["80:8080"]}}, {"network_mode": "awsvpc"},
     r"service 'a', field 'ports': 80:8080: with network mode awsvpc"),
    ("ecs", {"a": {"image": "i", "ports": ["8000-8010:8000-8010"]}}, {},
     r"service 'a', field 'ports': .*port ranges"),
    ("ecs", {"a": {"image": "i", "healthcheck": {"test": ["CMD", "x"], "interval": "1s"}}}, {},
     r"service 'a', field 'healthcheck.interval': 1 is outside what ECS accepts \(5-300\)"),
    ("ecs", {"a": {"image": "i", "healthcheck": {"test": ["CMD", "x"], "interval": "soon"}}},
     {}, r"service 'a', field 'healthcheck.interval': expected a duration"),
    ("ecs", {"a": {"image": "i", "resources": {"cpus": 32, "memory": "1g"}}},
     {"launch_type": "FARGATE"}, r"service 'a', field 'resources': .*larger than any Fargate"),
    ("ecs", {"a": {"image": "i"}}, {"regoin": "x"}, r"option 'regoin': unknown for ecs"),
    ("ecs", {"a": {"image": "i"}}, {"task_role_arn": "admin"}, r"option 'task_role_arn'"),
    ("ecs", {"a": {"image": "i"}}, ["region"], r"option 'region': expected KEY=VALUE"),
    ("ecs", {"a": {"image": "i"}}, {"memory": "lots"}, r"option 'memory': expected an integer"),
    ("ecs", {"a": {}}, {}, r"service 'a', field 'image'"),
    ("batch", {"a": GPU}, {"attempts": "11"}, r"option 'attempts': 1-10"),
    ("batch", {"a": GPU}, {"timeout": "30"}, r"option 'timeout': at least 60"),
    ("batch", {"a": {"image": "i", "gpu": {"count": -1}}}, {}, r"service 'a', field 'gpu.count'"),
    ("sagemaker", {"a": GPU}, {}, r"option 'execution_role_arn' is required for sagemaker"),
    ("sagemaker", {"a": GPU}, {"execution_role_arn": "role"},
     r"option 'execution_role_arn': expected an IAM role ARN"),
    ("sagemaker", {"a": GPU}, dict(SM_OPTIONS, instance_type="g5.xlarge"),
     r"option 'instance_type': SageMaker instance types start with 'ml.'"),
    ("sagemaker", {"a": GPU}, dict(SM_OPTIONS, model_data_url="/tmp/m.tar.gz"),
     r"option 'model_data_url': an s3:// URL"),
    ("sagemaker", {"a": GPU}, dict(SM_OPTIONS, **{"instance_type.b": "ml.g5.xlarge"}),
     r"option 'instance_type.b': no service named 'b'"),
    ("sagemaker", {"a": {"image": "i", "volumes": ["/srv:/srv"]}}, SM_OPTIONS,
     r"service 'a', field 'volumes': .*bind mount"),
    ("sagemaker", {"a": {"image": "i", "gpu": {"count": 9}}}, SM_OPTIONS,
     r"service 'a', field 'gpu.count': no SageMaker instance type"),
]
RENDER = {"ecs": render_ecs, "batch": render_batch, "sagemaker": render_sagemaker}


@pytest.mark.parametrize("target, services, options, message", BAD,
                         ids=["%s-%d" % (b[0], i) for i, b in enumerate(BAD)])
def test_bad_input_fails_naming_what_to_fix(target, services, options, message, capsys):
    with pytest.raises(ServiceError, match=message):
        RENDER[target](services, "nvidia", options)
    assert capsys.readouterr() == ("", "")  # nothing printed


@pytest.mark.parametrize("target", sorted(RENDER))
@pytest.mark.parametrize("vendor", ["amd", "intel"])
def test_other_vendors_fail_on_aws(target, vendor):
    options = SM_OPTIONS if target == "sagemaker" else {}
    with pytest.raises(ServiceError, match=r"service 'a', field 'gpu': vendor %s: %s schedules "
                                           r"NVIDIA GPUs only" % (vendor, target)):
        RENDER[target]({"a": {"image": "i", "gpu": {"policy": "auto"}}}, vendor, options)
    # A description without GPU services renders for any vendor.
    doc, _ = RENDER[target]({"b": {"image": "i"}}, vendor, options)
    assert set(doc) == {"b"}


def test_unknown_vendor_is_refused():
    with pytest.raises(ServiceError, match="vendor must be one of"):
        render_ecs({"a": {"image": "i"}}, "none", {})


def test_endpoint_url_is_accepted_for_deploy():
    for target, render in RENDER.items():
        options = dict(SM_OPTIONS if target == "sagemaker" else {},
                       endpoint_url="http://127.0.0.1:5000")
        render({"a": {"image": "i"}}, "nvidia", options)
