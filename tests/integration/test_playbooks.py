"""Playbooks parse, lint clean, and the README's main job converges the local fleet."""
import subprocess

import pytest

from conftest import ROOT, ansible_env
from gpufleet import testbed


def run(argv, **kw):
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, env=ansible_env(), **kw)


@pytest.mark.parametrize("playbook", ["site.yml", "playbooks/workloads.yml"])
def test_syntax_local_fleet(playbook):
    proc = run(["ansible-playbook", playbook, "-l", "linux", "--syntax-check"])
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("limit", ["all", "linux", "cloud", "windows", "wsl", "macos"])
def test_site_syntax_with_example_inventory(limit):
    proc = run(["ansible-playbook", "-i", "inventory/example", "site.yml", "-l", limit,
                "--syntax-check"])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ansible_lint_is_clean():
    proc = run(["ansible-lint", "--offline", "-q"])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_local_fleet_converges_then_changes_nothing(testbed_ready, tmp_path):
    """README command #1 on its own fleet: the first run changes, the second changes nothing."""
    prefix = "gpufleet-it-fleet"
    names = testbed.fleet_up(prefix, 2, log=lambda *_: None)
    try:
        # The local inventory's settings, for this fleet's host names.
        testbed.write_fleet_inventory(tmp_path, names)
        base = ["ansible-playbook", "site.yml", "-i", str(tmp_path / "hosts.yml")]
        first = run(base)
        assert first.returncode == 0, first.stdout[-4000:] + first.stderr
        assert "changed_this_run: true" in first.stdout
        second = run(base)
        assert second.returncode == 0, second.stdout[-4000:]
        recap = second.stdout.split("PLAY RECAP")[-1]
        for name in names:
            assert name in recap
        assert "changed=0" in recap and "changed=1" not in recap and "failed=0" in recap
        assert "changed_this_run: false" in second.stdout
        assert second.stdout.count("problems: []") == 2
        assert "- nvidia" in second.stdout
    finally:
        testbed.fleet_down(prefix, log=lambda *_: None)


_FEDORA_PLAY = """
- name: docker_engine on a host whose facts say Fedora
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Facts of a Fedora host (as gpu_facts reports them)
      ansible.builtin.set_fact:
        ansible_facts:
          gpufleet:
            os: {family: RedHat, distribution: Fedora, major_version: "41", release: ""}
            docker: {installed: false, running: false, service_enabled: false, daemon_config: null}
            packages: {}
            problems: []
            gpus: {nvidia: []}
    - name: The role
      ansible.builtin.include_role:
        name: docker_engine
"""


def test_docker_engine_refuses_an_os_outside_debian(tmp_path):
    """The OS check has no step of its own on a supported host: an unsupported one enters
    converge.yml (before any package name is looked up) and is refused there, first."""
    play = tmp_path / "fedora.yml"
    play.write_text(_FEDORA_PLAY)
    proc = run(["ansible-playbook", "-i", "localhost,", "--check", str(play)])
    out = proc.stdout + proc.stderr
    assert proc.returncode == 2, out
    assert "docker_engine supports Debian and Ubuntu" in out and "this host is Fedora" in out, out
    assert "Check that this OS is supported" in out
    assert "Install Docker packages" not in out and "Merge settings" not in out, out
