"""ECS, Batch and SageMaker requests through boto3 to moto's server (a local stand-in for the
AWS APIs, in server mode on 127.0.0.1): what gpufleet renders registers, and describing it
back gives the same GPU resource requirements, memory, ports, environment and retry rules.
Then `gpufleet deploy --platform ecs|batch` (the playbook playbooks/cloud_deploy.yml with
community.aws.ecs_taskdefinition and gpufleet.fleet.batch_job_definition) against the
same server.

No AWS account is reached: credentials are fake and every client's endpoint_url is the moto
server started here (stopped at the end)."""
import glob
import json
import os
import socket
import subprocess
import sys

import boto3
import pytest
import yaml

from conftest import ROOT

from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_cloud import render_target

moto_server = pytest.importorskip("moto.server", reason="moto[server] is in the test extra")

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/gpufleet"
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION,
                    "AWS_REGION": REGION}


def example_files():
    files = sorted(glob.glob(os.path.join(ROOT, "docs", "examples", "*.yml")))
    return files or [os.path.join(ROOT, "tests", "fixtures", "compose", "services.yml")]


def load_services(path):
    with open(path) as fh:
        doc = yaml.safe_load(fh)
    services = doc.get("gpu_workload_services", doc)
    for svc in services.values():  # the host fixture names device ids; clouds take a count
        gpu = svc.get("gpu") or {}
        if "device_ids" in gpu:
            svc["gpu"] = {"policy": gpu.get("policy", "auto"), "count": len(gpu["device_ids"])}
    return services


EXAMPLES = [pytest.param(p, id=os.path.basename(p)) for p in example_files()]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def moto_endpoint():
    saved = {k: os.environ.get(k) for k in FAKE_CREDENTIALS}
    os.environ.update(FAKE_CREDENTIALS)
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(),
                                            verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield "http://%s:%d" % (host, port)
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def client(name, endpoint):
    return boto3.client(name, region_name=REGION, endpoint_url=endpoint,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def retry_strategy(described):
    """The retry strategy as sent: Batch's actions are case-insensitive ("The values aren't
    case sensitive", API_EvaluateOnExit) and moto describes them in lowercase."""
    strategy = dict(described["retryStrategy"])
    strategy["evaluateOnExit"] = [dict(rule, action=rule["action"].upper())
                                  for rule in strategy.get("evaluateOnExit", [])]
    return strategy


def by_type(requirement):
    return requirement["type"]


def _gpu(requirements):
    return [r for r in requirements or [] if r["type"] == "GPU"]


# --------------------------------------------------------------------------- round trips

@pytest.mark.parametrize("path", EXAMPLES)
def test_ecs_task_definitions_round_trip(moto_endpoint, path):
    services = load_services(path)
    doc, _ = render_target(services, "ecs", options={"family_prefix": "rt-",
                                                     "region": REGION})
    ecs = client("ecs", moto_endpoint)
    for name, request in doc.items():
        registered = ecs.register_task_definition(**request)["taskDefinition"]
        described = ecs.describe_task_definition(
            taskDefinition=registered["taskDefinitionArn"])["taskDefinition"]
        assert described["family"] == "rt-" + name
        assert described["requiresCompatibilities"] == request["requiresCompatibilities"]
        assert described["networkMode"] == request["networkMode"]
        sent, got = request["containerDefinitions"][0], described["containerDefinitions"][0]
        assert _gpu(got.get("resourceRequirements")) == _gpu(sent.get("resourceRequirements"))
        for key in ("image", "memory", "cpu", "command", "entryPoint", "environment",
                    "portMappings", "healthCheck", "mountPoints", "logConfiguration",
                    "linuxParameters", "dockerLabels"):
            assert (got.get(key) or None) == sent.get(key), (name, key)  # ECS lists [] for none
        assert described.get("volumes", []) == request.get("volumes", [])


@pytest.mark.parametrize("path", EXAMPLES)
def test_batch_job_definitions_round_trip(moto_endpoint, path):
    services = load_services(path)
    doc, _ = render_target(services, "batch", options={"name_prefix": "rt-", "attempts": "4"})
    batch = client("batch", moto_endpoint)
    for name, request in doc.items():
        arn = batch.register_job_definition(**request)["jobDefinitionArn"]
        [described] = batch.describe_job_definitions(jobDefinitions=[arn])["jobDefinitions"]
        assert described["jobDefinitionName"] == "rt-" + name
        assert described["type"] == "container"
        assert retry_strategy(described) == {"attempts": 4, "evaluateOnExit": [
            {"onStatusReason": "Host EC2*", "action": "RETRY"},
            {"onReason": "*", "action": "EXIT"}]}
        props, sent = described["containerProperties"], request["containerProperties"]
        assert sorted(props["resourceRequirements"], key=by_type) == \
            sorted(sent["resourceRequirements"], key=by_type)
        for key in ("image", "command", "environment", "mountPoints", "volumes",
                    "linuxParameters"):
            assert (props.get(key) or None) == sent.get(key), (name, key)


def test_a_gpu_service_registers_its_gpu(moto_endpoint):
    """The GPU count itself, spelled out (the loops above compare sent and described)."""
    services = {"trainer": {"image": "r/train:1", "resources": {"cpus": 8, "memory": "30g"},
                            "gpu": {"policy": "required", "count": 4}}}
    doc, _ = render_target(services, "batch")
    batch = client("batch", moto_endpoint)
    arn = batch.register_job_definition(**doc["trainer"])["jobDefinitionArn"]
    [described] = batch.describe_job_definitions(jobDefinitions=[arn])["jobDefinitions"]
    assert {r["type"]: r["value"] for r in described["containerProperties"][
        "resourceRequirements"]} == {"VCPU": "8", "MEMORY": "30720", "GPU": "4"}
    doc, _ = render_target(services, "ecs")
    ecs = client("ecs", moto_endpoint)
    got = ecs.register_task_definition(**doc["trainer"])["taskDefinition"]
    assert got["containerDefinitions"][0]["resourceRequirements"] == [
        {"type": "GPU", "value": "4"}]


@pytest.mark.parametrize("path", EXAMPLES)
def test_sagemaker_model_and_endpoint_config_round_trip(moto_endpoint, path):
    services = load_services(path)
    # moto checks InstanceType against an older list than botocore's (no ml.g5.*): the GPU
    # services get a G4dn type given as an option; the CPU ones keep the picked ml.m5 type.
    gpu_services = [n for n, s in services.items()
                    if (s.get("gpu") or {}).get("policy", "none") != "none"]
    options = {"execution_role_arn": ROLE, "model_data_url": "s3://models/model.tar.gz",
               "name_prefix": "rt-" + os.path.basename(path).split(".")[0] + "-"}
    options.update({"instance_type." + n: "ml.g4dn.xlarge" for n in gpu_services})
    doc, _ = render_target(services, "sagemaker", options=options)
    sm = client("sagemaker", moto_endpoint)
    for name, requests in doc.items():
        sm.create_model(**requests["CreateModel"])
        model = sm.describe_model(ModelName=requests["CreateModel"]["ModelName"])
        assert model["ExecutionRoleArn"] == ROLE
        assert model["PrimaryContainer"]["Image"] == services[name]["image"]
        assert model["PrimaryContainer"]["ModelDataUrl"] == "s3://models/model.tar.gz"
        sm.create_endpoint_config(**requests["CreateEndpointConfig"])
        config = sm.describe_endpoint_config(
            EndpointConfigName=requests["CreateEndpointConfig"]["EndpointConfigName"])
        [variant] = config["ProductionVariants"]
        sent = requests["CreateEndpointConfig"]["ProductionVariants"][0]
        assert variant["InstanceType"] == sent["InstanceType"]
        assert variant["ModelName"] == sent["ModelName"]
        assert variant["InitialInstanceCount"] == 1
        assert variant["InstanceType"] == ("ml.g4dn.xlarge" if name in gpu_services
                                           else sent["InstanceType"])
        if name not in gpu_services:
            assert variant["InstanceType"].startswith("ml.m5.")


# --------------------------------------------------------------------------- gpufleet deploy

def gpufleet(*args):
    env = dict(os.environ, **FAKE_CREDENTIALS)
    env.pop("ANSIBLE_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "gpufleet.cli"] + list(args), env=env,
                          capture_output=True, text=True, timeout=300, cwd=ROOT)


@pytest.mark.parametrize("path", EXAMPLES)
@pytest.mark.parametrize("platform", ["ecs", "batch"])
def test_deploy_registers_through_the_playbook(moto_endpoint, platform, path, tmp_path):
    services = load_services(path)
    services_file = tmp_path / "services.yml"
    services_file.write_text(yaml.safe_dump({"gpu_workload_services": services}))
    prefix = "dep-%s-%s-" % (platform, os.path.basename(path).split(".")[0])
    option = "family_prefix" if platform == "ecs" else "name_prefix"
    args = ["deploy", "--platform", platform, "--services", str(services_file),
            "--option", "%s=%s" % (option, prefix), "--option", "endpoint_url=" + moto_endpoint,
            "--option", "region=" + REGION, "--json"]
    first = gpufleet(*args)
    assert first.returncode == 0, first.stdout + first.stderr
    result = json.loads(first.stdout)
    assert result["ok"] and result["target"] == platform and not result["dry_run"]
    assert result["run"]["status"] == "successful"
    assert result["run"]["hosts"]["localhost"]["changed"] >= 1
    doc, _ = render_target(services, platform, options={option: prefix, "region": REGION})
    if platform == "ecs":
        ecs = client("ecs", moto_endpoint)
        for name, request in doc.items():
            described = ecs.describe_task_definition(taskDefinition=prefix + name)[
                "taskDefinition"]
            assert described["containerDefinitions"][0].get("resourceRequirements") == \
                request["containerDefinitions"][0].get("resourceRequirements")
            assert described["containerDefinitions"][0]["memory"] == \
                request["containerDefinitions"][0]["memory"]
    else:
        batch = client("batch", moto_endpoint)
        for name, request in doc.items():
            found = batch.describe_job_definitions(jobDefinitionName=prefix + name,
                                                   status="ACTIVE")["jobDefinitions"]
            assert len(found) == 1, name
            assert sorted(found[0]["containerProperties"]["resourceRequirements"], key=by_type) == \
                sorted(request["containerProperties"]["resourceRequirements"], key=by_type)
            assert retry_strategy(found[0]) == request["retryStrategy"]
    # A second deploy of the same description registers nothing new.
    second = gpufleet(*args)
    assert second.returncode == 0, second.stdout + second.stderr
    assert json.loads(second.stdout)["run"]["hosts"]["localhost"]["changed"] == 0


def test_deploy_dry_run_writes_the_file_and_touches_nothing(moto_endpoint, tmp_path):
    services_file = tmp_path / "services.yml"
    services_file.write_text(yaml.safe_dump({"dry": {"image": "i", "resources": {
        "memory": "1g"}, "gpu": {"policy": "required", "count": 1}}}))
    out = tmp_path / "rendered"
    proc = gpufleet("deploy", "--platform", "ecs", "--services", str(services_file),
                    "--option", "endpoint_url=" + moto_endpoint, "--dry-run",
                    "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    written = json.loads((out / "ecs.json").read_text())
    assert written["dry"]["containerDefinitions"][0]["resourceRequirements"] == [
        {"type": "GPU", "value": "1"}]
    families = client("ecs", moto_endpoint).list_task_definition_families(
        familyPrefix="dry")["families"]
    assert families == []


@pytest.mark.parametrize("platform, says", [
    ("sagemaker", "aws sagemaker create-model"),
    ("cloud-run", "https://run.googleapis.com/v2/projects/PROJECT/locations/"),
    ("azure-container-apps", "az rest --method put --body @"),
])
def test_deploy_without_a_module_gives_the_provider_command(platform, says, tmp_path):
    services_file = tmp_path / "services.yml"
    services_file.write_text(yaml.safe_dump({"svc": {"image": "i", "resources": {
        "cpus": 8, "memory": "32g"}, "gpu": {"policy": "required", "count": 1}}}))
    args = ["deploy", "--platform", platform, "--services", str(services_file)]
    options = {"sagemaker": ["--option", "execution_role_arn=" + ROLE],
               "cloud-run": ["--option", "region=europe-west4"],
               "azure-container-apps": []}[platform]
    proc = gpufleet(*args, *options)
    assert proc.returncode == 2
    assert "has no module that deploys it" in proc.stderr and says in proc.stderr
    dry = gpufleet(*args, *options, "--dry-run", "--output", str(tmp_path / "out"))
    assert dry.returncode == 0, dry.stderr
    assert (tmp_path / "out" / (platform + ".json")).is_file()
    assert says in dry.stdout


def test_deploy_bad_input_runs_nothing(tmp_path):
    services_file = tmp_path / "services.yml"
    services_file.write_text(yaml.safe_dump({"svc": {"image": "i", "gpu": {"count": 0}}}))
    proc = gpufleet("deploy", "--platform", "ecs", "--services", str(services_file))
    assert proc.returncode == 2
    assert proc.stderr.startswith("gpufleet: service 'svc', field 'gpu.count'")
    proc = gpufleet("deploy", "--platform", "ecs", "--services", str(services_file), "-l", "x")
    assert proc.returncode == 2 and "-l/--limit is for fleet deploys" in proc.stderr


def test_playbook_renders_through_cloud_render(moto_endpoint, tmp_path):
    """ansible-playbook on playbooks/cloud_deploy.yml without pre-rendered documents: the play
    renders with gpufleet.fleet.cloud_render (a real module run, AnsiballZ-packed), then
    registers with gpufleet.fleet.aws_batch_job_definition."""
    services_file = tmp_path / "vars.yml"
    services_file.write_text(yaml.safe_dump({"gpu_workload_services": {"pb-train": {
        "image": "r/train:1", "kind": "job", "resources": {"cpus": 4, "memory": "16g"},
        "gpu": {"policy": "required", "count": 2}}}}))
    env = dict(os.environ, **FAKE_CREDENTIALS, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"))
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"),
         os.path.join(ROOT, "playbooks", "cloud_deploy.yml"),
         "-e", "gpufleet_cloud_target=batch", "-e", "@%s" % services_file,
         "-e", "gpufleet_cloud_endpoint_url=" + moto_endpoint,
         "-e", "gpufleet_cloud_region=" + REGION,
         "-e", "ansible_python_interpreter=" + os.path.abspath(sys.executable)],
        env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    [found] = client("batch", moto_endpoint).describe_job_definitions(
        jobDefinitionName="pb-train", status="ACTIVE")["jobDefinitions"]
    assert {"type": "GPU", "value": "2"} in found["containerProperties"]["resourceRequirements"]
