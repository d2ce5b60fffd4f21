"""Restart consent on a real host container (bookworm, Docker 20.10): a daemon.json change
does not restart dockerd while a container runs and live-restore is off. The restart is
reported as pending (API: HostResult.restart_pending), stays pending on a rerun without
changing anything, keeps its rollback point across runs, is applied with
docker_engine_restart_running_containers=true, and live-restore in the merged daemon.json
is loaded before the restart so that the container keeps running.

The container runs a busybox image built inside the host FROM scratch (no registry)."""
import json
import subprocess

import pytest
import yaml

from gpufleet import api, testbed

PREFIX = "gpufleet-it-rollout"
SLEEPER = "gpufleet-it-sleeper"


def sh(host, script, check=True):
    proc = subprocess.run(["docker", "exec", host, "sh", "-c", script],
                          capture_output=True, text=True)
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout.strip()


def dockerd_pid(host):
    return sh(host, "pidof dockerd")


def sleeper_state(host):
    """(StartedAt, Running) of the test container."""
    started, running = sh(host, "docker inspect -f '{{.State.StartedAt}} {{.State.Running}}' "
                          + SLEEPER).split()
    return started, running == "true"


def daemon_json(host):
    return json.loads(sh(host, "cat /etc/docker/daemon.json"))


@pytest.fixture(scope="module")
def one_host(testbed_ready, tmp_path_factory):
    names = testbed.fleet_names(PREFIX, 1, suites=("bookworm",))
    testbed.run_host(names[0][0], "bookworm")
    inv = tmp_path_factory.mktemp("inventory")
    (inv / "group_vars").mkdir()
    testbed.write_inventory(str(inv / "hosts.yml"), [names[0][0]])
    try:
        testbed.wait_systemd(names[0][0])
        yield names[0][0], inv
    finally:
        testbed.fleet_down(PREFIX, log=lambda *_: None)


def provision(inv, settings, nvidia=False, **extra):
    (inv / "group_vars" / "linux.yml").write_text(yaml.safe_dump({
        "nvidia_container_toolkit_enabled": nvidia,
        "nvidia_container_toolkit_install_packages": False,
        "docker_engine_extra_packages": ["busybox-static"],
        "docker_engine_daemon_settings": settings}))
    return api.provision(str(inv / "hosts.yml"), extra_vars=extra or None)


def test_restart_needs_consent_while_containers_run(one_host):
    host, inv = one_host
    base = {"log-driver": "json-file"}

    # 1. docker_engine has run; a long job starts
    first = provision(inv, base)
    assert first.ok, first.hosts[host].failures
    assert not first.hosts[host].restart_pending
    sh(host, "mkdir -p /opt/sleeper && cp /bin/busybox /opt/sleeper/ && "
             "printf 'FROM scratch\\nCOPY busybox /bin/busybox\\n"
             "CMD [\"/bin/busybox\", \"sleep\", \"86400\"]\\n' > /opt/sleeper/Dockerfile && "
             "DOCKER_BUILDKIT=0 docker build -q -t gpufleet-it/sleeper /opt/sleeper && "
             "docker run -d --name %s --network none gpufleet-it/sleeper" % SLEEPER)
    pid, (started, running) = dockerd_pid(host), sleeper_state(host)
    assert running

    # 2. a daemon setting changes (and the nvidia runtime is registered): no restart,
    #    the restart is reported as pending, the nvidia role's check does not fail
    changed = dict(base, labels=["gpufleet-it=2"])
    pending = provision(inv, changed, nvidia=True)
    h = pending.hosts[host]
    assert pending.ok, h.failures
    assert h.restart_pending is True and pending.restart_pending_hosts == [host]
    assert "1 container(s) running and live-restore is off" in h.restart_pending_reason
    assert pending.to_dict()["hosts"][host]["restart_pending"] is True
    assert "docker_restart_pending_config" in [p["id"] for p in h.problems]
    assert dockerd_pid(host) == pid and sleeper_state(host) == (started, True)
    assert daemon_json(host)["labels"] == ["gpufleet-it=2"]
    assert "nvidia" in daemon_json(host)["runtimes"]
    assert "nvidia" not in sh(host, "docker info -f '{{json .Runtimes}}'")
    record = json.loads(sh(host, "cat /var/lib/gpufleet/docker-restart-pending.json"))
    assert record["changed_keys"] == ["labels", "runtimes"]

    # 3. a rerun without consent changes nothing and still reports it
    again = provision(inv, changed, nvidia=True)
    assert again.ok and again.hosts[host].changed == 0, again.hosts[host].changed_tasks
    assert again.hosts[host].restart_pending is True
    assert dockerd_pid(host) == pid and sleeper_state(host) == (started, True)

    # 4. consent: the restart the earlier run left pending is applied (its record on the
    #    host is dropped), the container stops (live-restore off), nothing pending
    applied = provision(inv, changed, nvidia=True, docker_engine_restart_running_containers=True)
    h = applied.hosts[host]
    assert applied.ok, h.failures
    assert h.restart_pending is False and applied.restart_pending_hosts == []
    assert dockerd_pid(host) != pid and sleeper_state(host)[1] is False
    assert "nvidia" in sh(host, "docker info -f '{{json .Runtimes}}'")
    assert "docker_restart_pending_config" not in [p["id"] for p in h.problems]
    assert subprocess.run(["docker", "exec", host, "test", "-e",
                           "/var/lib/gpufleet/docker-restart-pending.json"]).returncode == 1

    # 5. pending again (a new setting while the job runs), then consent with a setting that
    #    keeps dockerd from starting: the rollback goes back to the file from before the
    #    pending change (its record kept across runs on the host), not to the pending file
    sh(host, "docker start %s" % SLEEPER)
    before_pending = daemon_json(host)
    changed5 = dict(changed, labels=["gpufleet-it=5"])
    assert provision(inv, changed5, nvidia=True).hosts[host].restart_pending is True
    bad = dict(changed5, hosts=["unix:///run/gpufleet-rollback-test.sock"])
    broken = provision(inv, bad, nvidia=True, docker_engine_restart_running_containers=True)
    assert broken.failed_hosts == [host]
    assert "rolled back to the previous file" in " ".join(broken.hosts[host].failures)
    assert daemon_json(host) == before_pending  # not the pending file, which dockerd never ran
    assert sh(host, "systemctl is-active docker") == "active"

    # 6. live-restore in the merged daemon.json: no consent needed, dockerd loads it before
    #    the restart and the container keeps running through it
    sh(host, "docker start %s" % SLEEPER)
    pid, (started, running) = dockerd_pid(host), sleeper_state(host)
    assert running
    live = provision(inv, dict(changed, **{"live-restore": True}), nvidia=True)
    h = live.hosts[host]
    assert live.ok, h.failures
    assert h.restart_pending is False
    assert dockerd_pid(host) != pid
    assert sleeper_state(host) == (started, True)
    assert sh(host, "docker info -f '{{.LiveRestoreEnabled}}'") == "true"
