"""Real builds of every recipe variant that builds without an image registry.

`gpufleet image build` with BuildKit (the buildx plugin the test bed installs) FROM the test
bed's locally imported Debian bookworm image (--base: no base can be pulled here): apt from
the Debian archive, uv from PyPI, with this machine's CA bundle passed as the BuildKit secret
(PyPI is reached through a TLS-intercepting proxy that only that bundle trusts). Then the
built images themselves are checked: size budget, non-root user, labels (read by
cuda_compat's own logic and by the module on the real image), the uv-installed package
imports, no NVIDIA driver library inside, no CA bundle left behind, builder tools absent.

Budgets (runtime image size over the base image, measured on the test bed): the Python
variants add ~0.2 MB to a base that already has python3 (budget 32 MiB); vulkan adds the
loader, Mesa's ICDs and LLVM (~225 MB, budget 300 MiB); dev keeps compilers and git (~430 MB,
budget 512 MiB). Cold (empty BuildKit cache) all five take ~90 s here, cached ~10 s.
"""
import json
import os
import subprocess
import sys
import time

import pytest
import yaml

from conftest import ROOT, ansible_env
from gpufleet import testbed

pytestmark = pytest.mark.docker

FIX = os.path.join(ROOT, "tests", "fixtures", "images")
BASE = testbed.image_tag("bookworm")
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
MIB = 1024 * 1024
BUDGET_OVER_BASE = {"cuda": 32 * MIB, "wsl2-host-libs": 32 * MIB, "rocm": 32 * MIB,
                    "cpu": 32 * MIB, "vulkan": 300 * MIB, "dev": 512 * MIB}
BUILDABLE = sorted(BUDGET_OVER_BASE)
GPUFLEET = os.path.join(os.path.dirname(sys.executable), "gpufleet")


def gpufleet_build(recipe, *extra):
    return subprocess.run([GPUFLEET, "image", "build", recipe, "--base", BASE, "--ca-bundle",
                           CA_BUNDLE, "--json", *extra], capture_output=True, text=True,
                          cwd=ROOT)


def tag_for(variant):
    return "gpufleet-it-image-%s:test" % variant


@pytest.fixture(scope="module")
def built(testbed_ready):
    if not testbed.buildx_answers():
        pytest.fail("docker buildx missing: run `bash scripts/dev setup` (the test bed "
                    "installs Debian's docker-buildx)")
    results = {}
    for variant in BUILDABLE:
        started = time.monotonic()
        proc = gpufleet_build(os.path.join(FIX, variant + ".yml"), "--tag", tag_for(variant))
        assert proc.returncode == 0, proc.stderr[-4000:]
        doc = json.loads(proc.stdout)
        doc["wall"] = time.monotonic() - started
        results[variant] = doc
    yield results
    subprocess.run(["docker", "image", "rm", *[tag_for(v) for v in BUILDABLE]],
                   capture_output=True)


def run_in(image, *argv, user=None):
    cmd = ["docker", "run", "--rm", "--network", "none"]
    if user:
        cmd += ["--user", user]
    return subprocess.run(cmd + [image, *argv], capture_output=True, text=True)


def base_size():
    out = subprocess.run(["docker", "image", "inspect", "--format", "{{.Size}}", BASE],
                         capture_output=True, text=True, check=True).stdout
    return int(out)


@pytest.mark.parametrize("variant", BUILDABLE)
def test_result_document(built, variant):
    doc = built[variant]
    assert set(doc) >= {"image", "id", "size_bytes", "digest", "labels"}
    assert doc["image"] == tag_for(variant)
    assert doc["id"].startswith("sha256:")
    assert doc["digest"] is None  # built locally, never pushed: no registry digest
    assert doc["labels"]["gpufleet.image.variant"] == variant
    assert doc["labels"]["gpufleet.image.driver"] == "host"
    assert doc["labels"]["org.opencontainers.image.base.name"] == BASE


@pytest.mark.parametrize("variant", BUILDABLE)
def test_size_within_budget(built, variant):
    over = built[variant]["size_bytes"] - base_size()
    assert over <= BUDGET_OVER_BASE[variant], "%s: %.1f MiB over the base" % (variant, over / MIB)


@pytest.mark.parametrize("variant", BUILDABLE)
def test_runs_as_non_root_without_driver_libraries(built, variant):
    image = tag_for(variant)
    cfg = json.loads(subprocess.run(["docker", "image", "inspect", "--format",
                                     "{{json .Config}}", image], capture_output=True,
                                    text=True, check=True).stdout)
    assert cfg["User"] == "10001:10001"
    assert cfg["Healthcheck"] or variant not in ("cuda", "cpu")
    res = run_in(image, "sh", "-c",
                 "id -u; find / -xdev \\( -name 'libcuda.so*' -o -name 'libnvidia-ml.so*' -o "
                 "-name 'libnvidia-*.so*' \\) 2>/dev/null; ls /run/secrets 2>/dev/null; true")
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["10001"], res.stdout  # uid, and nothing found


@pytest.mark.parametrize("variant", ["cuda", "wsl2-host-libs", "rocm", "cpu", "dev"])
def test_uv_installed_package_imports(built, variant):
    res = run_in(tag_for(variant), "python", "-c",
                 "import six, sys; print(six.__version__, sys.prefix)")
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["1.17.0", "/opt/venv"]


@pytest.mark.parametrize("variant", ["cuda", "wsl2-host-libs", "rocm", "cpu", "vulkan"])
def test_builder_tools_stay_in_the_builder(built, variant):
    res = run_in(tag_for(variant), "sh", "-c",
                 "for t in gcc cc uv pip micromamba; do command -v $t; done; "
                 "ls /opt/uv 2>/dev/null; true")
    assert res.stdout.strip() == "", res.stdout


def test_dev_keeps_its_tools(built):
    res = run_in(tag_for("dev"), "sh", "-c", "for t in gcc git uv; do command -v $t; done; pwd")
    assert res.stdout.split() == ["/usr/bin/gcc", "/usr/bin/git", "/opt/uv/bin/uv", "/workspace"]


def test_ca_bundle_never_reaches_the_image(built):
    with open(CA_BUNDLE, "rb") as fh:
        host = fh.read()
    res = subprocess.run(["docker", "run", "--rm", tag_for("cpu"), "cat",
                          "/etc/ssl/certs/ca-certificates.crt"], capture_output=True)
    assert res.returncode == 0
    base = subprocess.run(["docker", "run", "--rm", BASE, "cat",
                           "/etc/ssl/certs/ca-certificates.crt"], capture_output=True).stdout
    if host == base:
        pytest.skip("this machine's CA bundle is the base image's: nothing to tell apart")
    assert res.stdout == base and res.stdout != host


def test_cuda_label_read_by_cuda_compat(built):
    from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_cuda import (
        cuda_from_image_config)
    for variant in ("cuda", "wsl2-host-libs"):
        cfg = json.loads(subprocess.run(["docker", "image", "inspect", "--format",
                                         "{{json .Config}}", tag_for(variant)],
                                        capture_output=True, text=True, check=True).stdout)
        assert cuda_from_image_config(cfg["Env"], cfg["Labels"]) == (
            "12.4", "label com.nvidia.cuda.version")
    # The module itself, on the real image: driver 535 is below CUDA 12.4's own floor but in
    # the 12.x family (minor-version compatibility).
    proc = subprocess.run(
        ["ansible", "localhost", "-m", "gpufleet.fleet.cuda_compat", "-a",
         json.dumps({"driver_version": "535.104.05", "image": tag_for("cuda")})],
        capture_output=True, text=True, cwd=ROOT,
        env=ansible_env(ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
                        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    res = json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
    assert res["cuda_version"] == "12.4"
    assert res["cuda_source"] == "label com.nvidia.cuda.version"
    assert res["mode"] == "minor_version"


def test_wsl2_image_looks_for_the_host_libraries(built):
    res = run_in(tag_for("wsl2-host-libs"), "sh", "-c", "echo $LD_LIBRARY_PATH")
    assert res.stdout.strip() == "/usr/lib/wsl/lib"


def test_vulkan_finds_mesa_lavapipe(built):
    # No GPU here: Mesa's CPU ICD (lavapipe) is the device; on a GPU host radv/anv or the
    # NVIDIA ICD the toolkit mounts would be listed too.
    res = run_in(tag_for("vulkan"), "vulkaninfo", "--summary")
    assert res.returncode == 0, res.stderr
    assert "llvmpipe" in res.stdout


def test_cached_rebuild_is_fast_and_identical(built):
    started = time.monotonic()
    proc = gpufleet_build(os.path.join(FIX, "cpu.yml"), "--tag", tag_for("cpu"))
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout)["id"] == built["cpu"]["id"]
    assert elapsed < 30, elapsed


def test_lock_records_the_built_image(built, tmp_path):
    lock = tmp_path / "images.lock.yml"
    proc = gpufleet_build(os.path.join(FIX, "cpu.yml"), "--tag", tag_for("cpu"), "--lock",
                          str(lock), "--service", "api")
    assert proc.returncode == 0, proc.stderr[-3000:]
    entry = yaml.safe_load(lock.read_text())["gpu_image_lock"]["api"]
    assert entry["ids"] == {"localhost": built["cpu"]["id"]}
    assert entry["image"] == tag_for("cpu")


def test_conda_stage_builds_where_a_channel_is_reachable(testbed_ready):
    with open(os.path.join(FIX, "conda.yml")) as fh:
        image = yaml.safe_load(fh).get("conda", {}).get("image", "mambaorg/micromamba:2.0.5")
    if subprocess.run(["docker", "image", "inspect", image], capture_output=True).returncode:
        pytest.skip("conda stage not built: its micromamba image (%s) cannot be pulled and "
                    "no conda channel is reachable from this machine (only PyPI, npm and the "
                    "Debian archive are); it is rendered and checked in "
                    "tests/unit/plugins/module_utils/test_gpufleet_image.py" % image)
    proc = gpufleet_build(os.path.join(FIX, "conda.yml"), "--tag", "gpufleet-it-image-conda:test")
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_graphics_service_passes_compose_config(testbed_ready, tmp_path):
    """A graphics service (Raspberry Pi's VideoCore, X11) as rendered, through the real
    Compose v2 of the test bed's tools image."""
    from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_compose import render
    services = {"viewer": {"image": tag_for("vulkan"), "gpu": {"policy": "auto",
                                                               "vendor": "videocore"},
                           "display": {"protocol": "x11", "xauthority": "/root/.Xauthority"}},
                "wayland": {"image": tag_for("vulkan"), "display": "wayland"}}
    doc, warnings, dummy = render(services, "linux", "graphics", gpu_vendor="none",
                                  render_gid=105, video_gid=44, path_exists=None)
    (tmp_path / "compose.yaml").write_text(json.dumps(doc))
    proc = subprocess.run(["docker", "run", "--rm", "-v", "%s:/w:ro" % tmp_path, "-w", "/w",
                           testbed.TOOLS_IMAGE, "docker-compose", "-f", "compose.yaml", "config",
                           "--format", "json"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    viewer = json.loads(proc.stdout)["services"]["viewer"]
    assert [d["source"] for d in viewer["devices"]] == ["/dev/dri", "/dev/vchiq"]
    assert viewer["group_add"] == ["44", "105"]
    assert viewer["environment"]["DISPLAY"] == ":0"
    assert any(v["source"] == "/tmp/.X11-unix" and v["read_only"] for v in viewer["volumes"])
    assert len(warnings) == 1 and "xhost +SI:localuser" in warnings[0]


def test_images_playbook_on_the_control_plane(built, tmp_path):
    """playbooks/images.yml (role gpu_image) builds a service's recipe with the local engine,
    tags it with the service's image, writes the lock file, and a second run changes nothing."""
    files = tmp_path / "images"
    files.mkdir()
    (files / "requirements.txt").write_text("six==1.17.0\n")
    lock = tmp_path / "images.lock.yml"
    image = "gpufleet-it-image-play:1.0.0"
    extra = {"gpu_image_base": BASE, "gpu_image_ca_bundle": CA_BUNDLE,
             "gpu_image_install_requirements": False, "gpu_image_files_dir": str(files),
             "gpu_image_build_dir": str(tmp_path / "build"), "gpu_image_lock_file": str(lock),
             "gpufleet_image_become": False,
             "gpu_workload_services": {"api": {"image": image}},
             "gpu_image_recipes": {"api": {"name": "api", "version": "1.0.0", "variant": "cpu",
                                           "base": "debian:bookworm-slim",
                                           "python": {"version": "3.11",
                                                      "requirements": "requirements.txt"}}}}
    argv = ["ansible-playbook", "playbooks/images.yml", "-e", json.dumps(extra)]
    try:
        first = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, env=ansible_env())
        assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
        second = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, env=ansible_env())
        assert second.returncode == 0, second.stdout[-4000:]
        assert "changed=0" in second.stdout.split("PLAY RECAP")[-1]
        entry = yaml.safe_load(lock.read_text())["gpu_image_lock"]["api"]
        inspect = json.loads(subprocess.run(["docker", "image", "inspect", image],
                                            capture_output=True, text=True, check=True).stdout)[0]
        assert entry["image"] == image and entry["digest"] is None
        assert entry["ids"] == {"localhost": inspect["Id"]}
        assert entry["recipe"] == inspect["Config"]["Labels"]["gpufleet.image.recipe"]
        res = run_in(image, "python", "-c", "import six; print(six.__version__)")
        assert res.stdout.strip() == "1.17.0"
    finally:
        subprocess.run(["docker", "image", "rm", image], capture_output=True)
