"""gpufleet deploy --platform: options split between render and deploy, the files a dry run
writes, the provider commands, and what is refused before anything runs. (The runs
themselves: tests/integration/test_cloud_moto.py and test_cloud_real.py.)"""
import json

import pytest
import yaml

from gpufleet import api, cli, cloud_deploy

ROLE = "arn:aws:iam::123456789012:role/sm"
SERVICES = {"llm": {"image": "r/llm:1", "resources": {"cpus": 8, "memory": "32g"},
                    "ports": ["8080:8080"], "gpu": {"policy": "required", "count": 1}},
            "api": {"image": "r/api:1", "resources": {"memory": "1g"}}}


@pytest.fixture
def services_file(tmp_path):
    path = tmp_path / "services.yml"
    path.write_text(yaml.safe_dump({"gpu_workload_services": SERVICES}))
    return str(path)


def test_deploy_options_are_not_render_options(monkeypatch):
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    render, deploy = cloud_deploy.split_options(
        ["endpoint_url=http://127.0.0.1:5000", "family_prefix=x-"], "ecs")
    assert render == {"family_prefix": "x-", "region": "eu-west-1"}  # awslogs region = API's
    assert deploy == {"endpoint_url": "http://127.0.0.1:5000", "region": "eu-west-1"}
    render, deploy = cloud_deploy.split_options({"kubeconfig": "/k", "namespace": "ml"},
                                                "kubernetes")
    assert (render, deploy) == ({"namespace": "ml"}, {"kubeconfig": "/k"})


@pytest.mark.parametrize("target, options, message", [
    ("kubernetes", ["endpoint_url=http://x"], "option 'endpoint_url' is for the AWS targets"),
    ("ecs", ["kubeconfig=/k"], "options kubeconfig and context are for --platform kubernetes"),
    ("ecs", ["region"], "option 'region': expected KEY=VALUE"),
])
def test_misplaced_options_are_refused(target, options, message):
    with pytest.raises(api.GpufleetError, match=message):
        cloud_deploy.split_options(options, target)


@pytest.mark.parametrize("target, files", [
    ("ecs", ["ecs.json"]),
    ("batch", ["batch.json"]),
    ("kubernetes", ["kubernetes.yaml"]),
    ("sagemaker", ["sagemaker.json", "sagemaker/llm.CreateModel.json",
                   "sagemaker/llm.CreateEndpointConfig.json", "sagemaker/api.CreateModel.json",
                   "sagemaker/api.CreateEndpointConfig.json"]),
    ("cloud-run", ["cloud-run.json", "cloud-run/llm.json", "cloud-run/api.json"]),
    ("azure-container-apps", ["azure-container-apps.json", "azure-container-apps/llm.json",
                              "azure-container-apps/api.json"]),
])
def test_dry_run_writes_the_files_and_the_commands(target, files, services_file, tmp_path):
    options = {"sagemaker": ["execution_role_arn=" + ROLE, "region=us-east-1"],
               "cloud-run": ["region=europe-west4"]}.get(target, [])
    out = tmp_path / "out"
    result = api.deploy_cloud(services_file, target, options, dry_run=True, output=str(out))
    assert result.ok and result.dry_run and result.run is None
    assert sorted(result.files) == sorted(str(out / f) for f in files)
    if target != "kubernetes":
        whole = json.loads((out / (target + ".json")).read_text())
        assert set(whole) == {"llm", "api"}
    commands = "\n".join(result.commands)
    expected = {"ecs": "aws ecs register-task-definition", "batch":
                "aws batch register-job-definition", "kubernetes": "kubectl apply -f",
                "sagemaker": "aws sagemaker create-endpoint --region us-east-1 --endpoint-name llm",
                "cloud-run": "/locations/europe-west4/services?serviceId=llm",
                "azure-container-apps": "Microsoft.App/containerApps/llm?api-version="}
    assert expected[target] in commands


def test_targets_without_a_module_are_refused_with_the_command(services_file):
    with pytest.raises(cloud_deploy.CloudDeployError) as exc:
        api.deploy_cloud(services_file, "cloud-run", ["region=europe-west4"])
    msg = str(exc.value)
    assert "google.cloud has no Cloud Run module" in msg
    assert "--dry-run --output DIR" in msg and "gcloud auth print-access-token" in msg


def test_bad_services_fail_before_anything(tmp_path):
    path = tmp_path / "s.yml"
    path.write_text(yaml.safe_dump({"a": {"image": "i", "gpu": {"count": "two"}}}))
    with pytest.raises(api.GpufleetError, match=r"service 'a', field 'gpu.count'"):
        api.deploy_cloud(str(path), "batch", dry_run=True, output=str(tmp_path / "o"))
    assert not (tmp_path / "o").exists()
    path.write_text("- a list\n")
    with pytest.raises(api.GpufleetError, match="expected a mapping"):
        api.deploy_cloud(str(path), "ecs", dry_run=True)


def test_cli_dry_run(services_file, tmp_path, capsys):
    rc = cli.main(["deploy", "--platform", "batch", "--services", services_file, "--dry-run",
                   "--output", str(tmp_path), "--option", "attempts=2"])
    out = capsys.readouterr()
    assert rc == 0
    assert out.out.startswith("wrote %s" % (tmp_path / "batch.json"))
    assert "aws batch register-job-definition" in out.out
    assert json.loads((tmp_path / "batch.json").read_text())["llm"]["retryStrategy"][
        "attempts"] == 2


@pytest.mark.parametrize("argv, message", [
    (["deploy", "--platform", "ecs"], "--platform ecs needs --services FILE"),
    (["deploy", "--platform", "ecs", "--services", "x.yml", "--remove"],
     "--remove is for fleet deploys"),
])
def test_cli_usage_errors(argv, message, capsys):
    assert cli.main(argv) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("target, expected", [
    ("cloud-run", "/locations/us-central1/jobs?jobId=train'"),
    ("azure-container-apps", "/providers/Microsoft.App/jobs/train?api-version="),
])
def test_jobs_get_the_jobs_endpoints(target, expected, tmp_path):
    path = tmp_path / "s.yml"
    path.write_text(yaml.safe_dump({"train": {
        "image": "r/train:1", "kind": "job", "resources": {"cpus": 8, "memory": "32g"},
        "gpu": {"policy": "required", "count": 1}}}))
    options = ["region=us-central1"] if target == "cloud-run" else []
    result = api.deploy_cloud(str(path), target, options, dry_run=True, output=str(tmp_path))
    assert len(result.commands) == 1 and expected in result.commands[0]


def test_cloud_options_without_platform_are_refused(capsys):
    assert cli.main(["deploy", "-i", "inv.yml", "--dry-run"]) == 2
    assert "go with --platform" in capsys.readouterr().err
