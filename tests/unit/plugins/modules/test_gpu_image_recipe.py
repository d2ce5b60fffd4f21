"""gpu_image_recipe's main() in-process (ansible-core's patch_module_args): writes the
Dockerfile once, check mode and diff change nothing, a bad recipe fails naming the field."""
import gpu_image_recipe

RECIPE = {"name": "api", "version": "1.4.0", "variant": "cuda", "cuda_version": "12.4",
          "base": "nvidia/cuda:12.4.1-runtime-ubuntu22.04",
          "python": {"version": "3.10", "packages": ["six==1.17.0"]}}


def test_writes_once_then_nothing_to_do(run_module, tmp_path):
    args = {"recipe": RECIPE, "dest": str(tmp_path / "ctx"), "base": "gpufleet-host:bookworm"}
    first = run_module(gpu_image_recipe, args)
    assert first["changed"] is True
    text = (tmp_path / "ctx" / "Dockerfile").read_text()
    assert "FROM ${BASE_IMAGE} AS runtime" in text
    assert first["image"] == "api:1.4.0"
    assert first["build_args"] == {"BASE_IMAGE": "gpufleet-host:bookworm",
                                   "BUILDER_IMAGE": "gpufleet-host:bookworm"}
    assert first["labels"]["com.nvidia.cuda.version"] == "12.4"
    assert first["labels"]["gpufleet.image.recipe"] == first["recipe_digest"]
    assert any("not pinned by digest" in w for w in first["recipe_warnings"])
    assert first["ca_secret"] is False
    assert run_module(gpu_image_recipe, args)["changed"] is False


def test_check_mode_and_diff_write_nothing(run_module, tmp_path):
    res = run_module(gpu_image_recipe, {"recipe": RECIPE, "dest": str(tmp_path / "ctx"),
                                        "ca_secret": True}, check=True, diff=True)
    assert res["changed"] is True and res["ca_secret"] is True
    assert "--mount=type=secret,id=ca" in res["diff"]["after"]
    assert not (tmp_path / "ctx").exists()


def test_bad_recipe_fails_naming_the_field(run_module, tmp_path):
    res = run_module(gpu_image_recipe, {"recipe": dict(RECIPE, variant="gpu"),
                                        "dest": str(tmp_path)})
    assert res["failed"] is True
    assert res["msg"].startswith("recipe field 'variant': required, one of cuda")
    assert "fix the recipe of api" in res["msg"]
    assert not (tmp_path / "Dockerfile").exists()
