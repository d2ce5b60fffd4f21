"""The wheel as users install it: built from the checkout, installed (not editable) into a
fresh virtual environment, used from a directory that knows nothing of the checkout, against
a real host container. The collection inside is found by ansible-core with no path set."""
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT
from gpufleet import testbed

UV = os.path.join(os.path.dirname(sys.executable), "uv")


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    subprocess.run([UV, "build", "--wheel", "--out-dir", str(tmp / "dist")], cwd=ROOT,
                   check=True, capture_output=True, text=True)
    [wheel] = list((tmp / "dist").glob("gpufleet-*.whl"))
    subprocess.run([UV, "venv", "-q", "--python", sys.executable, str(tmp / "venv")],
                   check=True, capture_output=True, text=True)
    proc = subprocess.run([UV, "pip", "install", "-q", "--python", str(tmp / "venv" / "bin" / "python"),
                           str(wheel)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    work = tmp / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ANSIBLE_", "GPUFLEET_", "VIRTUAL_ENV", "PYTHONPATH"))}
    env.update(PATH=str(tmp / "venv" / "bin") + os.pathsep + env.get("PATH", ""),
               HOME=str(tmp), XDG_CACHE_HOME=str(tmp / "cache"))
    return tmp / "venv" / "bin", work, env


def test_the_wheel_has_no_test_bed(venv):
    bin_dir, work, env = venv
    proc = subprocess.run([str(bin_dir / "python"), "-c", "import gpufleet.testbed"],
                          cwd=str(work), env=env, capture_output=True, text=True)
    assert proc.returncode != 0 and "No module named 'gpufleet.testbed'" in proc.stderr


def test_cli_and_fqcn_module_from_elsewhere_against_a_host(venv, host):
    bin_dir, work, env = venv
    inventory = work / "hosts.yml"
    testbed.write_inventory(str(inventory), [host])
    proc = subprocess.run([str(bin_dir / "gpufleet"), "doctor", "-i", str(inventory), "--json"],
                          cwd=str(work), env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    doc = json.loads(proc.stdout)
    assert doc["hosts"][host]["facts"]["platform"] == "linux"
    proc = subprocess.run([str(bin_dir / "ansible"), host, "-i", str(inventory), "-m",
                           "gpufleet.fleet.gpu_facts"], cwd=str(work), env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0 and '"platform": "linux"' in proc.stdout, proc.stdout + proc.stderr
    # plan: the whole Linux stack in check mode, from the installed collection's playbooks
    proc = subprocess.run([str(bin_dir / "gpufleet"), "plan", "-i", str(inventory), "--json"],
                          cwd=str(work), env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert json.loads(proc.stdout)["hosts"][host]["status"] == "changed"  # would install Docker
    # the Python API of the installed package
    proc = subprocess.run([str(bin_dir / "python"), "-c",
                           "from gpufleet import api; r = api.doctor(%r); "
                           "print(r.ok, api.content().kind, sorted(r.hosts))" % str(inventory)],
                          cwd=str(work), env=env, capture_output=True, text=True)
    assert proc.stdout.split()[:2] == ["True", "installed"], proc.stdout + proc.stderr[-2000:]
    services = work / "services.yml"
    services.write_text("llm:\n  image: vllm/vllm-openai:v0.6.3\n  gpu: {policy: required, count: 1}\n")
    proc = subprocess.run([str(bin_dir / "gpufleet"), "render", "--services", str(services),
                           "--platform", "linux"], cwd=str(work), env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0 and '"driver": "nvidia"' in proc.stdout, proc.stdout + proc.stderr


def test_no_inventory_outside_a_checkout_says_what_to_do(venv):
    bin_dir, work, env = venv
    proc = subprocess.run([str(bin_dir / "gpufleet"), "doctor", "--json"], cwd=str(work),
                          env=env, capture_output=True, text=True)
    assert proc.returncode == 2 and "pass -i INVENTORY" in proc.stdout + proc.stderr
