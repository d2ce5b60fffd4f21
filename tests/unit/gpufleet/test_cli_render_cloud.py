"""`gpufleet render --platform <cloud target>`: stdout is the document only, errors go to
stderr as `gpufleet: ...` with exit 2 and nothing on stdout."""
import json
import os

import pytest
import yaml

from gpufleet import cli

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
EXAMPLE = os.path.join(ROOT, "docs", "examples", "gpu-models.yml")


def test_targets_match_the_collection():
    from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_cloud_common import TARGETS
    assert cli.CLOUD_TARGETS == TARGETS


def test_kubernetes_is_a_yaml_stream(capsys):
    assert cli.main(["render", "--services", EXAMPLE, "--platform", "kubernetes",
                     "--vendor", "amd", "--option", "namespace=aiml"]) == 0
    out, err = capsys.readouterr()
    docs = list(yaml.safe_load_all(out))
    assert [d["kind"] for d in docs] == ["PersistentVolumeClaim", "Deployment", "Service",
                                         "Deployment", "Service"]
    limits = docs[1]["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
    assert limits["amd.com/gpu"] == "1"
    assert err == ""


@pytest.mark.parametrize("target", ["cloud-run", "azure-container-apps"])
def test_json_targets(target, capsys):
    assert cli.main(["render", "--services", EXAMPLE, "--platform", target]) == 0
    out, _err = capsys.readouterr()
    assert set(json.loads(out)) == {"llm", "vision"}


def test_warnings_go_to_stderr(capsys):
    assert cli.main(["render", "--services", EXAMPLE, "--platform", "cloud-run"]) == 0
    out, err = capsys.readouterr()
    json.loads(out)
    assert "warning: service 'llm': volume models is in memory" in err


@pytest.mark.parametrize("argv,message", [
    (["--platform", "azure-container-apps", "--option", "region=eastus"],
     "gpufleet: service 'llm', field 'gpu': policy required, but region eastus"),
    (["--platform", "cloud-run", "--vendor", "intel"],
     "gpufleet: service 'llm', field 'gpu': policy required, but Cloud Run has NVIDIA GPUs only"),
    (["--platform", "kubernetes", "--option", "region"], "gpufleet: option 'region': expected KEY=VALUE"),
    (["--platform", "kubernetes", "--vendor", "none"], "gpufleet: vendor must be one of"),
    (["--platform", "linux", "--option", "a=b"], "gpufleet: --option is for the cloud targets"),
])
def test_bad_input_exit_2_nothing_on_stdout(argv, message, capsys):
    assert cli.main(["render", "--services", EXAMPLE] + argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(message)


def test_bad_services_file(tmp_path, capsys):
    bad = tmp_path / "s.yml"
    bad.write_text("llm: {image: i, gpu: {count: 0}}\n")
    assert cli.main(["render", "--services", str(bad), "--platform", "kubernetes"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "service 'llm', field 'gpu.count'" in err
    assert cli.main(["render", "--services", str(tmp_path / "missing.yml"),
                     "--platform", "kubernetes"]) == 2
    assert "missing.yml" in capsys.readouterr().err


def test_compose_platforms_still_work(capsys):
    assert cli.main(["render", "--services", EXAMPLE, "--platform", "linux"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["services"]["llm"]["deploy"]["resources"]["reservations"]["devices"][0]["count"] == 1


def test_compose_render_names_a_services_file_it_cannot_use(tmp_path, capsys):
    """The compose platforms read --services through the same loader as the cloud targets:
    a missing file or a list is a clear error (exit 2), not a traceback."""
    assert cli.main(["render", "--services", str(tmp_path / "missing.yml"),
                     "--platform", "linux"]) == 2
    assert "missing.yml" in capsys.readouterr().err
    listed = tmp_path / "list.yml"
    listed.write_text("- llm\n")
    assert cli.main(["render", "--services", str(listed), "--platform", "linux"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "expected a mapping of service name" in err
