"""`gpufleet image`: the command line's contract without building (the builds are in
tests/integration/test_image_build.py): render prints the Dockerfile, bad recipes exit 2
naming the field before anything runs, the buildx command line, the lock file."""
import os
import shutil

import pytest
import yaml

from gpufleet import cli, cmd_image

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
FIX = os.path.join(ROOT, "tests", "fixtures", "images")


def test_render_prints_the_dockerfile(capsys):
    assert cli.main(["image", "render", os.path.join(FIX, "cuda.yml")]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("# Rendered by gpufleet from the recipe fixture-cuda")
    assert "FROM ${BASE_IMAGE} AS runtime" in out
    assert "gpufleet: warning: base nvidia/cuda:12.4.1-runtime-ubuntu22.04 is not pinned" in err


def test_render_with_ca_bundle_turns_the_secret_on(capsys, tmp_path):
    recipe = tmp_path / "r.yml"
    recipe.write_text("name: x\nvariant: cpu\nbase: debian:12\npython: {version: '3.11'}\n")
    assert cli.main(["image", "render", str(recipe)]) == 0
    assert "type=secret" not in capsys.readouterr()[0]
    assert cli.main(["image", "render", str(recipe), "--ca-bundle", "/x"]) == 0
    assert "--mount=type=secret,id=ca" in capsys.readouterr()[0]


@pytest.mark.parametrize("command", ["render", "build"])
@pytest.mark.parametrize("text,field", [
    ("name: x\nvariant: gpu\nbase: debian:12\n", "'variant'"),
    ("name: x\nvariant: cuda\nbase: debian:12\n", "'cuda_version'"),
    ("name: x\nvariant: cpu\n", "'base'"),
    ("name: x\nvariant: cpu\nbase: debian:12\npython: {packages: [six]}\n", "'python.version'"),
], ids=["variant", "cuda_version", "base", "python.version"])
def test_bad_recipe_exits_2_naming_the_field(command, text, field, tmp_path, capsys):
    recipe = tmp_path / "r.yml"
    recipe.write_text(text)
    assert cli.main(["image", command, str(recipe)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("gpufleet: %s: recipe field %s" % (recipe, field))


def test_not_yaml_and_missing_file_exit_2(tmp_path, capsys):
    recipe = tmp_path / "r.yml"
    recipe.write_text("name: [unclosed\n")
    assert cli.main(["image", "render", str(recipe)]) == 2
    assert "is not YAML" in capsys.readouterr()[1]
    assert cli.main(["image", "build", str(tmp_path / "none.yml")]) == 2
    assert "cannot read recipe" in capsys.readouterr()[1]


def test_build_refuses_before_building(tmp_path, capsys):
    ca_recipe = os.path.join(FIX, "cuda.yml")  # ca_secret: true
    assert cli.main(["image", "build", ca_recipe]) == 2
    assert "'ca_secret' is true: pass the CA bundle with --ca-bundle" in capsys.readouterr()[1]
    assert cli.main(["image", "build", ca_recipe, "--ca-bundle", str(tmp_path / "no.crt")]) == 2
    assert "--ca-bundle" in capsys.readouterr()[1]
    assert cli.main(["image", "build", ca_recipe, "--lock", str(tmp_path / "l.yml")]) == 2
    assert "--lock and --service go together" in capsys.readouterr()[1]


def test_missing_requirements_file_names_the_field(tmp_path):
    shutil.copy(os.path.join(FIX, "rocm.yml"), tmp_path / "rocm.yml")
    recipe, text, dummy = cmd_image.load_recipe(str(tmp_path / "rocm.yml"), None)
    with pytest.raises(ValueError, match="'python.requirements'.*does not exist"):
        cmd_image.prepare_context(str(tmp_path / "rocm.yml"), recipe, text, str(tmp_path))


def test_context_holds_only_the_dockerfile_and_named_files(tmp_path):
    recipe, text, dummy = cmd_image.load_recipe(os.path.join(FIX, "rocm.yml"), None)
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    cmd_image.prepare_context(os.path.join(FIX, "rocm.yml"), recipe, text, str(ctx))
    assert sorted(os.listdir(ctx)) == ["Dockerfile", "requirements.txt"]


def test_buildx_argv():
    recipe, dummy, dummy2 = cmd_image.load_recipe(os.path.join(FIX, "cuda.yml"), "/ca.crt")
    argv = cmd_image.buildx_argv(recipe, "/ctx", "x:1", "gpufleet-host:bookworm", "/ca.crt",
                                 "linux/arm64", True, "/iid")
    assert argv[:3] == ["docker", "buildx", "build"]
    assert "BASE_IMAGE=gpufleet-host:bookworm" in argv
    assert "BUILDER_IMAGE=gpufleet-host:bookworm" in argv
    assert argv[argv.index("--secret") + 1] == "id=ca,src=/ca.crt"
    assert argv[argv.index("--platform") + 1] == "linux/arm64"
    assert "--no-cache" in argv and argv[-1] == "/ctx"
    argv = cmd_image.buildx_argv(recipe, "/ctx", "x:1", None, None, None, False, "/iid")
    assert "BASE_IMAGE=nvidia/cuda:12.4.1-runtime-ubuntu22.04" in argv
    assert "BUILDER_IMAGE=nvidia/cuda:12.4.1-devel-ubuntu22.04" in argv
    assert "--secret" not in argv and "--platform" not in argv


def test_lock_file_keeps_other_services(tmp_path):
    lock = tmp_path / "images.lock.yml"
    result = {"image": "api:1", "id": "sha256:" + "1" * 64, "digest": None,
              "labels": {"gpufleet.image.recipe": "abc"}}
    cmd_image.write_lock(str(lock), "api", result)
    cmd_image.write_lock(str(lock), "api", dict(result, id="sha256:" + "3" * 64), host="gpu-2")
    cmd_image.write_lock(str(lock), "llm", dict(result, image="llm:2",
                                                digest="reg.example/llm@sha256:" + "2" * 64))
    doc = yaml.safe_load(lock.read_text())["gpu_image_lock"]
    assert doc["api"] == {"image": "api:1", "digest": None, "recipe": "abc",
                          "ids": {"localhost": "sha256:" + "1" * 64, "gpu-2": "sha256:" + "3" * 64}}
    assert doc["llm"]["digest"] == "reg.example/llm@sha256:" + "2" * 64
    # A new image for the service: the IDs of the old one are dropped.
    cmd_image.write_lock(str(lock), "api", dict(result, image="api:2"))
    assert yaml.safe_load(lock.read_text())["gpu_image_lock"]["api"]["ids"] == {
        "localhost": "sha256:" + "1" * 64}
