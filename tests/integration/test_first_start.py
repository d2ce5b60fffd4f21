"""docker_engine on a host without Docker writes daemon.json before the package starts
dockerd (no restart afterwards). A file that keeps that first dockerd from starting must
fail the run with dockerd's reason and leave the host no worse: the package installed, the
file this run created removed, Docker running on the package's defaults."""
import json
import subprocess
import uuid

from conftest import ROOT, ansible_env
from gpufleet import testbed

PLAYBOOK = """\
- name: docker_engine on a fresh host with a setting dockerd refuses at start
  hosts: all
  become: true
  gather_facts: false
  pre_tasks:
    - name: Read host and GPU facts
      gpufleet.fleet.gpu_facts:
  roles:
    - role: gpufleet.fleet.docker_engine
      vars:
        # Valid JSON that passes `dockerd --validate` (not installed yet anyway) but
        # conflicts with the unit's `-H fd://`: dockerd exits at start.
        docker_engine_daemon_settings:
          hosts: ["unix:///run/gpufleet-first-start-test.sock"]
"""


def _sh(name, *argv):
    return subprocess.run(["docker", "exec", name, *argv], capture_output=True, text=True)


def test_a_first_start_on_a_refused_daemon_json_rolls_back(testbed_ready, tmp_path):
    name = "gpufleet-it-first-" + uuid.uuid4().hex[:8]
    testbed.run_host(name, "trixie")
    try:
        testbed.wait_systemd(name, timeout=120)
        testbed.write_inventory(str(tmp_path / "hosts.yml"), [name])
        (tmp_path / "play.yml").write_text(PLAYBOOK)
        proc = subprocess.run(["ansible-playbook", str(tmp_path / "play.yml"),
                               "-i", str(tmp_path / "hosts.yml")],
                              cwd=ROOT, capture_output=True, text=True, env=ansible_env())
        out = proc.stdout + proc.stderr
        assert proc.returncode != 0, out[-4000:]
        # The settings went in before the install (no separate merge afterwards) ...
        assert "Write daemon.json before Docker's first start" in out
        # ... and the failure names what happened, what was undone and dockerd's words.
        assert "dockerd did not start with the new /etc/docker/daemon.json" in out, out[-4000:]
        assert "This run created it: it was removed again and Docker is running again" in out
        assert "unable to configure the Docker daemon" in out
        # The host: package installed, no daemon.json, Docker up and answering.
        assert _sh(name, "dpkg-query", "-W", "-f=${Status}", "docker.io").stdout == \
            "install ok installed"
        assert _sh(name, "test", "-e", "/etc/docker/daemon.json").returncode == 1
        assert _sh(name, "systemctl", "is-active", "docker").stdout.strip() == "active"
        version = _sh(name, "docker", "version", "--format", "{{.Server.Version}}")
        assert version.returncode == 0 and version.stdout.strip(), version.stderr
    finally:
        subprocess.run(["docker", "rm", "-f", "-v", name], capture_output=True)
        subprocess.run(["docker", "volume", "rm", "-f", name + "-docker"], capture_output=True)


TWO_PLAYS = """\
- name: First start
  ansible.builtin.import_playbook: {root}/playbooks/linux.yml
  vars:
    docker_engine_daemon_settings: {{log-level: info}}

- name: The same host again, one more setting
  ansible.builtin.import_playbook: {root}/playbooks/linux.yml
  vars:
    docker_engine_daemon_settings: {{log-level: info, max-concurrent-downloads: 4}}
"""


def test_a_first_start_reports_the_facts_it_read_and_a_later_change_reads_them_again(
        testbed_ready, tmp_path):
    """A first start asks the new dockerd through gpu_facts: the play reports those facts
    and reads none again. A change in a later play on the same host (same run) makes them
    stale: that play reads them again, and its report shows the restarted dockerd."""
    name = "gpufleet-it-first-" + uuid.uuid4().hex[:8]
    testbed.run_host(name, "trixie")
    try:
        testbed.wait_systemd(name, timeout=120)
        inventory = testbed.write_fleet_inventory(str(tmp_path / "inv"), [name])
        (tmp_path / "play.yml").write_text(TWO_PLAYS.format(root=ROOT))
        proc = subprocess.run(["ansible-playbook", str(tmp_path / "play.yml"), "-i", inventory],
                              cwd=ROOT, capture_output=True, text=True,
                              env=ansible_env(ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json"))
        assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
        plays = [p for p in json.loads(proc.stdout)["plays"] if p["tasks"]]
        assert len(plays) == 2

        def result(play, task):  # the json callback prefixes role tasks with "<role> : "
            return next(t["hosts"][name] for t in play["tasks"]
                        if t["task"]["name"].split(" : ")[-1] == task)

        first, second = plays
        asked = result(first, "Ask the dockerd the package started on the final daemon.json (gpu_facts)")
        assert not asked.get("skipped") and asked["ansible_facts"]["gpufleet"]["docker"]["server_version"]
        assert result(first, "Read GPU facts again where something changed").get("skipped") is True
        assert result(first, "Report the GPU path")["msg"]["changed_this_run"] is True
        assert result(second, "Merge settings into daemon.json")["changed"] is True
        reread = result(second, "Read GPU facts again where something changed")
        assert not reread.get("skipped"), reread
        assert reread["ansible_facts"]["gpufleet"]["docker"]["daemon_config"]["max-concurrent-downloads"] == 4
    finally:
        subprocess.run(["docker", "rm", "-f", "-v", name], capture_output=True)
        subprocess.run(["docker", "volume", "rm", "-f", name + "-docker"], capture_output=True)
