"""Every role's Molecule scenario: check mode on a fresh host, converge, idempotence, verify.
(Which tasks they ran: tests/integration/test_task_coverage.py.)"""
import os
import subprocess

import pytest

from conftest import ROOT, ansible_env

# *-real scenarios need a real Windows/macOS/NVIDIA host: tests/integration/test_real_hosts.py.
SCENARIOS = sorted(d for d in os.listdir(os.path.join(ROOT, "molecule"))
                   if not d.startswith("_") and not d.endswith("-real") and
                   os.path.isfile(os.path.join(ROOT, "molecule", d, "molecule.yml")))

@pytest.mark.molecule
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_molecule_scenario(testbed_ready, scenario):
    env = ansible_env()
    env.pop("ANSIBLE_CONFIG")  # Molecule writes its own ansible.cfg
    proc = subprocess.run(["molecule", "test", "-s", scenario], cwd=ROOT, capture_output=True,
                          text=True, env=env)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
