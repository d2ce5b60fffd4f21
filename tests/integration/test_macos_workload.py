"""The macOS deploy and status paths end to end, through gpufleet's API: an inventory whose
`macos` group holds one test-bed host container standing in for a Mac.

What is real: the third play of playbooks/workloads.yml (platform forced to macos, no become,
the project under $HOME/gpufleet/<project>, PATH from gpufleet_environment), the role
gpu_workload, the macos compose file it renders, real `docker compose` (Compose v2 from
trixie's docker-compose package) against a real dockerd inside the host container, the
API's per-host results, and playbooks/status.yml listing the containers. Only the kernel is
Linux: gpu_facts reads platform.system(), which no Linux container can make say Darwin, so
the host's own facts say linux; the play forces the macos rendering rules regardless, which
is the part under test. The docker CLI sits in /usr/local/bin, where Docker Desktop's system
install links it; the last test moves it to /opt/homebrew/bin (Homebrew's docker for Colima on
Apple silicon), found only through gpufleet_environment's PATH."""
import shutil
import subprocess
import uuid

import pytest
import yaml

from gpufleet import api, testbed

pytestmark = pytest.mark.skipif(not shutil.which("docker"), reason="no docker CLI")

IMAGE = "gpufleet/mac-demo:1"
HOMEBREW_PATH = "/opt/homebrew/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"

# Test-bed setup only (not the path under test): Docker Engine and Compose v2 from trixie,
# the IPv6 drop-in that dockerd needs under a read-only /proc/sys (molecule/gpu_workload's
# prepare.yml says why), the docker CLI moved to /usr/local/bin (Docker Desktop's link), and
# a local busybox image (no registry here).
SETUP = r"""
set -e
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    docker.io docker-cli docker-compose busybox-static >/dev/null
install -d /etc/systemd/system/docker.service.d
printf '[Service]\nEnvironment=DOCKER_ALLOW_IPV6_ON_IPV4_INTERFACE=1\n' \
    > /etc/systemd/system/docker.service.d/gpufleet-testbed.conf
systemctl daemon-reload
systemctl restart docker
mv /usr/bin/docker /usr/local/bin/docker
install -d /tmp/ctx
cp /bin/busybox /tmp/ctx/busybox
printf 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n' \
    > /tmp/ctx/Dockerfile
DOCKER_BUILDKIT=0 /usr/local/bin/docker build -q -t %s /tmp/ctx >/dev/null
""" % IMAGE


def sh(name, script):
    """Run a shell script in the host container (test-bed checks, not the path under test)."""
    proc = subprocess.run(["docker", "exec", "-e", "PATH=" + HOMEBREW_PATH, name, "sh", "-c", script],
                          capture_output=True, text=True)
    assert proc.returncode == 0, "%s\n%s%s" % (script, proc.stdout, proc.stderr)
    return proc.stdout


def inner_ps(name, project):
    """{service: state} of the project's containers in the host container's dockerd."""
    out = sh(name, "docker ps -a --filter label=com.docker.compose.project=%s "
                   "--format '{{.Label \"com.docker.compose.service\"}} {{.State}}'" % project)
    return dict(line.split() for line in out.splitlines() if line.strip())


@pytest.fixture(scope="module")
def mac(testbed_ready, tmp_path_factory):
    name = "gpufleet-it-mac-" + uuid.uuid4().hex[:8]
    testbed.run_host(name, "trixie")
    try:
        testbed.wait_systemd(name)
        sh(name, SETUP)
        project = "mac-" + uuid.uuid4().hex[:6]
        inventory = tmp_path_factory.mktemp("macos") / "hosts.yml"
        inventory.write_text(yaml.safe_dump({"all": {"children": {"macos": {
            "hosts": {name: {}},
            "vars": {
                "ansible_connection": "community.docker.docker", "ansible_user": "root",
                "ansible_python_interpreter": "/usr/bin/python3",
                "gpufleet_environment": {"PATH": HOMEBREW_PATH},
                "gpu_workload_project": project,
                "gpu_workload_wait_timeout": 60,
                "gpu_workload_services": {
                    # policy auto: on a Mac it runs on the CPU, with a warning
                    "trainer": {"image": IMAGE, "command": ["sleep", "3600"],
                                "gpu": {"policy": "auto", "count": 1}},
                    "web": {"image": IMAGE,
                            "command": ["sh", "-c", "mkdir /www && echo ok > /www/index.html "
                                        "&& exec httpd -f -p 8080 -h /www"],
                            "healthcheck": {
                                "test": ["CMD", "wget", "-q", "-O", "/dev/null",
                                         "http://127.0.0.1:8080/"],
                                "interval": "1s", "timeout": "2s", "retries": 20}},
                    # arm64 only where asked; in a profile, so the amd64 stand-in never
                    # starts it (it would need an arm64 kernel or emulation)
                    "arm": {"image": IMAGE, "command": ["sleep", "3600"],
                            "platform": "linux/arm64", "profiles": ["apple-silicon"]},
                }}}}}}))
        yield {"name": name, "inventory": str(inventory), "project": project}
    finally:
        subprocess.run(["docker", "rm", "-f", "-v", name], capture_output=True)
        subprocess.run(["docker", "volume", "rm", "-f", name + "-docker"], capture_output=True)


def warnings_of(events, task):
    out = []
    for e in events:
        data = e.get("event_data") or {}
        if e.get("event") == "runner_on_ok" and data.get("task") == task:
            out += (data.get("res") or {}).get("warnings") or []
    return out


def test_deploy_status_remove_on_a_mac(mac):
    name, inventory, project = mac["name"], mac["inventory"], mac["project"]

    # 1. deploy: the macos compose file, the services up, per-host result like Linux
    events = []
    result = api.deploy(inventory, limit="macos", on_event=events.append)
    assert result.ok, result.error
    assert list(result.hosts) == [name]
    host = result.hosts[name]
    assert host.status == "changed", host.failures
    assert any("compose file" in t for t in host.changed_tasks), host.changed_tasks
    assert any("Start the services" in t for t in host.changed_tasks), host.changed_tasks
    assert host.failures == [] and host.diagnosis == []
    # the play ran (its post task's report), not the Linux or Windows play
    plays = [(e.get("event_data") or {}).get("play") for e in events
             if e.get("event") == "playbook_on_play_start"]
    assert "Workloads on Macs" in " ".join(p for p in plays if p)
    # no GPU reaches a Linux container on macOS: one warning, for the one GPU service
    warned = warnings_of(events, "Render the compose file (images from the lock, the host's "
                                 "GPU group IDs)")
    assert len([w for w in warned if "Linux containers on macOS get no GPU" in w]) == 1, warned
    assert "'trainer'" in " ".join(warned) and "'web'" not in " ".join(warned)
    # ... and the host's result carries it (deploy's JSON and table show it)
    assert [w for w in host.warnings if "Linux containers on macOS get no GPU" in w] == \
        [w for w in warned if "Linux containers on macOS get no GPU" in w]
    # no GPU service was smoke-tested: there is none on a Mac
    assert host.data.get("gpu_workload_results", {}) == {}

    # the compose file, where the play puts it on a Mac ($HOME/gpufleet/<project>)
    doc = yaml.safe_load(sh(name, "cat /root/gpufleet/%s/compose.yaml" % project))
    svcs = doc["services"]
    assert set(svcs) == {"trainer", "web", "arm"}
    for svc in svcs.values():
        assert "deploy" not in svc and "runtime" not in svc and "devices" not in svc, svc
        assert svc["labels"]["gpufleet.project"] == project
    assert svcs["arm"]["platform"] == "linux/arm64"
    assert "platform" not in svcs["trainer"] and "platform" not in svcs["web"]
    assert sh(name, "test -e /opt/gpufleet || echo absent").strip() == "absent"

    # real compose brought them up (the profile's service not started), web healthy
    assert inner_ps(name, project) == {"trainer": "running", "web": "running"}
    health = sh(name, "docker inspect -f '{{.State.Health.Status}}' "
                      "%s-web-1" % project).strip()
    assert health == "healthy"

    # 2. a second deploy changes nothing
    again = api.deploy(inventory, limit="macos")
    assert again.ok, again.error
    assert again.hosts[name].status == "ok", again.hosts[name].changed_tasks

    # 3. status lists the containers
    st = api.status(inventory, limit="macos")
    assert st.ok, st.error
    containers = st.hosts[name].data["gpufleet_status"]["containers"]
    ours = {c["Names"]: c for c in containers if "gpufleet.project=%s" % project in c["Labels"]}
    assert set(ours) == {"%s-trainer-1" % project, "%s-web-1" % project}, containers
    assert all(c["State"] == "running" for c in ours.values())
    assert "(healthy)" in ours["%s-web-1" % project]["Status"]
    assert st.hosts[name].data["gpufleet_status"]["gpus"] == []

    # 4. --remove (gpu_workload_state=absent) takes them down; again, nothing to do
    removed = api.deploy(inventory, limit="macos", extra_vars={"gpu_workload_state": "absent"})
    assert removed.ok, removed.error
    assert removed.hosts[name].status == "changed"
    assert "Stop and remove the services" in removed.hosts[name].changed_tasks
    assert inner_ps(name, project) == {}
    gone = api.status(inventory, limit="macos")
    assert gone.ok and not [c for c in gone.hosts[name].data["gpufleet_status"]["containers"]
                            if "gpufleet.project=%s" % project in c["Labels"]]


def test_status_finds_a_homebrew_docker_cli(mac):
    """Homebrew's docker CLI (Colima, Podman on Apple silicon) lives only in /opt/homebrew/bin:
    gpu_facts finds it on the module's PATH (gpufleet_environment), so status lists the
    containers deploy started. (Found by this test: gpu_facts once looked only in /usr/bin,
    /usr/local/bin, /usr/sbin and /bin.)"""
    name, inventory, project = mac["name"], mac["inventory"], mac["project"]
    sh(name, "install -d /opt/homebrew/bin && mv /usr/local/bin/docker /opt/homebrew/bin/docker")
    deployed = api.deploy(inventory, limit="macos")
    assert deployed.ok, deployed.error           # compose found docker through PATH
    assert inner_ps(name, project) == {"trainer": "running", "web": "running"}
    st = api.status(inventory, limit="macos")
    assert st.ok, st.error
    assert st.hosts[name].facts["docker"]["running"] is True
    assert len([c for c in st.hosts[name].data["gpufleet_status"]["containers"]
                if "gpufleet.project=%s" % project in c["Labels"]]) == 2
