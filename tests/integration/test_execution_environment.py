"""execution-environment.yml renders a build context that ansible-builder accepts and that
holds what gpufleet needs on an AWX/AAP controller (docs/awx.md). No image is built (no
registry is reachable here): the checks are on the rendered Containerfile and _build/ files,
and the collection tarball in it is installed the way the galaxy stage installs it.

Needs ansible-builder in the environment running the tests (the `test` extra)."""
import json
import os
import shutil
import subprocess
import sys
import tomllib

import pytest
import yaml

from conftest import ROOT

pytest.importorskip(
    "ansible_builder",
    reason="ansible-builder is not installed: pip install 'ansible-builder>=3.1,<4' "
           "(or `uv pip install --python .venv/bin/python ansible-builder`)")

BIN = os.path.dirname(sys.executable)


def load_yaml(path):
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@pytest.fixture(scope="module")
def ee():
    return load_yaml(os.path.join(ROOT, "execution-environment.yml"))


@pytest.fixture(scope="module")
def galaxy():
    return load_yaml(os.path.join(ROOT, "galaxy.yml"))


@pytest.fixture(scope="module")
def context(tmp_path_factory, galaxy):
    """The documented procedure, in a scratch copy: build the collection into dist/, then
    `ansible-builder create` (the definition is self-contained: everything inline but the
    tarball, which it names relative to itself)."""
    tmp = tmp_path_factory.mktemp("ee")
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"))
    subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--force",
                    "--output-path", str(tmp / "dist")],
                   cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    assert (tmp / "dist" / ("gpufleet-fleet-%s.tar.gz" % galaxy["version"])).is_file()
    shutil.copy(os.path.join(ROOT, "execution-environment.yml"), str(tmp))
    proc = subprocess.run(
        [sys.executable, "-m", "ansible_builder", "create", "-f",
         str(tmp / "execution-environment.yml"), "--context", str(tmp / "context"),
         "--output-filename", "Containerfile"],
        cwd=str(tmp), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # ansible-builder only warns when an additional_build_files source is missing.
    assert "No matches" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    return tmp / "context"


def test_schema_version_3(ee):
    assert ee["version"] == 3


def test_containerfile_names_the_base_image_python_and_ansible(context, ee):
    text = (context / "Containerfile").read_text()
    base = ee["images"]["base_image"]["name"]
    assert 'ARG EE_BASE_IMAGE="%s"' % base in text
    assert "FROM $EE_BASE_IMAGE AS base" in text
    assert 'ARG PYCMD="/usr/bin/python3.11"' in text
    refs = next(line for line in text.splitlines() if line.startswith("ARG ANSIBLE_INSTALL_REFS="))
    assert "ansible-core>=2.19,<2.20" in refs and "ansible-runner" in refs
    # The collection's files go into the galaxy stage, which installs requirements.yml from there.
    assert "COPY _build /build" in text and "-r requirements.yml" in text


def test_galaxy_requirements_cover_galaxy_yml_and_the_versions_ci_runs(context, galaxy):
    from ansible.galaxy.dependency_resolution.versioning import meets_requirements

    reqs = load_yaml(str(context / "_build" / "requirements.yml"))["collections"]
    by_name = {r["name"]: r for r in reqs}
    listed = subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "list",
                             "--format", "json"], capture_output=True, text=True, check=True)
    tested = {}
    for collections in json.loads(listed.stdout).values():
        for name, info in collections.items():
            tested.setdefault(name, info["version"])
    for name, floor in galaxy["dependencies"].items():
        assert name in by_name, name
        wanted = by_name[name]["version"]
        assert floor in wanted.split(","), (name, floor, wanted)   # galaxy.yml's lower bound
        assert meets_requirements(tested[name], wanted), (name, tested[name], wanted)


@pytest.fixture(scope="module")
def ee_collections(context, galaxy, tmp_path_factory):
    """gpufleet.fleet installed from the build context as the galaxy stage installs it
    (WORKDIR /build = _build), offline and without the dependencies (Galaxy provides those in
    the real build; here they come from the `ansible` package)."""
    tmp = tmp_path_factory.mktemp("ee-collections")
    reqs = load_yaml(str(context / "_build" / "requirements.yml"))["collections"]
    files = [r for r in reqs if r.get("type") == "file"]
    assert [os.path.basename(r["name"]) for r in files] == \
        ["gpufleet-fleet-%s.tar.gz" % galaxy["version"]], \
        "the tarball's name must follow galaxy.yml's version"
    assert (context / "_build" / files[0]["name"]).is_file()
    (tmp / "req.yml").write_text(yaml.safe_dump({"collections": files}))
    proc = subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "install",
                           "--offline", "--no-deps", "--force", "-r", str(tmp / "req.yml"),
                           "-p", str(tmp / "collections")],
                          cwd=str(context / "_build"), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return tmp / "collections"


def test_the_collection_tarball_installs_from_the_context(ee_collections, galaxy):
    manifest = ee_collections / "ansible_collections" / "gpufleet" / "fleet" / "MANIFEST.json"
    info = json.loads(manifest.read_text())["collection_info"]
    assert info["version"] == galaxy["version"]
    assert info["dependencies"] == galaxy["dependencies"]


def test_the_wrapper_playbook_of_docs_awx_md_finds_the_collection(ee_collections, tmp_path):
    """docs/awx.md, project option A: a one-line playbook importing gpufleet.fleet.site, run
    from a directory that knows nothing of the checkout, with the collection from the EE."""
    with open(os.path.join(ROOT, "docs", "awx.md"), encoding="utf-8") as fh:
        blocks = fh.read().split("```yaml\n")[1:]
    wrapper = next(b.split("```")[0] for b in blocks if "gpufleet.fleet.site" in b)
    (tmp_path / "site.yml").write_text(wrapper)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_COLLECTIONS_PATH=str(ee_collections), ANSIBLE_NOCOLOR="1",
               HOME=str(tmp_path))
    proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "--syntax-check", "-i",
                           os.path.join(ROOT, "inventory", "example", "hosts.yml"), "site.yml"],
                          cwd=str(tmp_path), env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_python_requirements_are_the_controller_side_ones(context):
    lines = [line.split("#")[0].strip()
             for line in (context / "_build" / "requirements.txt").read_text().splitlines()]
    reqs = {line.split(">")[0].split("<")[0].split("=")[0].lower(): line for line in lines if line}
    assert "pywinrm" in reqs and "paramiko" in reqs
    # Modules (docker_compose_v2 & co.) run on the managed hosts: no Docker SDK in the EE.
    assert "docker" not in reqs
    # Same ranges as pyproject.toml where both name a package.
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as fh:
        project = tomllib.load(fh)["project"]["dependencies"]
    for dep in project:
        dep = dep.split("#")[0].strip().replace(" ", "")
        name = dep.split(">")[0].split("<")[0].split("=")[0].lower()
        if name in reqs:
            assert reqs[name] == dep, (reqs[name], dep)


def test_system_packages(context):
    bindep = (context / "_build" / "bindep.txt").read_text()
    assert "openssh-clients [platform:rpm]" in bindep
    assert "docker" not in bindep
