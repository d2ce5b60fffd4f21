"""Every golden compose file passes the real Compose v2 (`docker-compose config`, Debian
trixie's 2.26) -- the same files tests/unit/plugins/module_utils/test_gpufleet_compose.py
compares the renderer against."""
import glob
import json
import os
import subprocess

import pytest

from conftest import ROOT
from gpufleet import testbed

GOLDEN = sorted(glob.glob(os.path.join(ROOT, "tests", "fixtures", "compose", "golden", "*.json")))


@pytest.fixture(scope="module")
def compose_dir(testbed_ready, tmp_path_factory):
    if testbed.image_recipe(testbed.TOOLS_IMAGE) != testbed.RECIPE_VERSION:
        pytest.fail("%s missing: run `bash scripts/dev setup`" % testbed.TOOLS_IMAGE)
    out = tmp_path_factory.mktemp("compose")
    for path in GOLDEN:
        with open(path) as fh:
            doc = json.load(fh)["compose"]
        name = os.path.basename(path)[:-5]
        (out / name).mkdir()
        (out / name / "compose.yaml").write_text(json.dumps(doc, indent=2))
    return out


def compose_config(directory, *extra):
    return subprocess.run(
        ["docker", "run", "--rm", "-v", "%s:/w:ro" % directory, "-w", "/w",
         "-e", "COMPOSE_PROFILES=core,gpu-models,language", testbed.TOOLS_IMAGE,
         "docker-compose", "-f", "compose.yaml", "config", "--format", "json", *extra],
        capture_output=True, text=True)


@pytest.mark.parametrize("golden", GOLDEN, ids=[os.path.basename(g)[:-5] for g in GOLDEN])
def test_golden_file_passes_compose_config(compose_dir, golden):
    name = os.path.basename(golden)[:-5]
    proc = compose_config(str(compose_dir / name))
    assert proc.returncode == 0, proc.stderr
    model = json.loads(proc.stdout)
    with open(golden) as fh:
        expected = json.load(fh)
    assert set(model["services"]) == set(expected["compose"]["services"])
    for svc in expected["gpu_services"]:
        rendered = model["services"][svc]
        devices = (rendered.get("deploy", {}).get("resources", {}).get("reservations", {})
                   .get("devices") or rendered.get("devices"))
        assert devices, (svc, rendered)


def test_compose_rejects_what_it_should(tmp_path, testbed_ready):
    """Control: the validator is not a rubber stamp (count and device_ids together)."""
    (tmp_path / "compose.yaml").write_text(json.dumps({"services": {"x": {
        "image": "x", "deploy": {"resources": {"reservations": {"devices": [
            {"driver": "nvidia", "count": 1, "device_ids": ["0"], "capabilities": ["gpu"]}]}}}}}}))
    proc = compose_config(str(tmp_path))
    assert proc.returncode != 0
