"""Opt-in Molecule scenarios on real Windows, macOS and NVIDIA GPU hosts, given by environment variables.
Without them the tests are skipped and the reason is printed in the summary (-ra)."""
import os
import subprocess

import pytest

from conftest import ROOT

REAL = {
    "windows-real": ("GPUFLEET_WINDOWS_HOST", "GPUFLEET_WINDOWS_USER", "GPUFLEET_WINDOWS_PASSWORD",
                     "GPUFLEET_DOCKER_DESKTOP_VERSION", "GPUFLEET_DOCKER_DESKTOP_URL",
                     "GPUFLEET_DOCKER_DESKTOP_SHA256"),
    "macos-real": ("GPUFLEET_MACOS_HOST", "GPUFLEET_MACOS_USER"),
    "nvidia-real": ("GPUFLEET_NVIDIA_HOST", "GPUFLEET_NVIDIA_USER"),
}


@pytest.mark.parametrize("scenario", sorted(REAL))
def test_real_host_scenario(scenario):
    missing = [v for v in REAL[scenario] if not os.environ.get(v)]
    if missing:
        pytest.skip("no real host for molecule/%s: set %s" % (scenario, ", ".join(missing)))
    proc = subprocess.run(["molecule", "test", "-s", scenario], cwd=ROOT, capture_output=True,
                          text=True)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
