"""The custom modules, run by Ansible against real host containers."""
import json
import os
import subprocess

from conftest import ROOT, adhoc

FIXTURES = os.path.join(ROOT, "tests", "fixtures")


def sh(host, script):
    subprocess.run(["docker", "exec", host, "sh", "-c", script], check=True)


def test_gpu_facts_on_a_host_without_gpu_or_docker(host):
    rc, res = adhoc(host, "gpu_facts")
    assert rc == 0, res
    facts = res["ansible_facts"]["gpufleet"]
    assert facts["platform"] == "linux"
    assert facts["os"]["release"] == "bookworm"
    assert res["gpu_count"] == 0
    assert facts["docker"]["installed"] is False
    assert facts["problems"] == []
    assert res["changed"] is False


def test_gpu_facts_reads_nvidia_smi_on_the_host(host):
    # nvidia-smi replaced by a script printing a real capture (two RTX A5000, driver 590).
    subprocess.run(["docker", "cp", os.path.join(FIXTURES, "nvidia-smi",
                                                 "dual-rtx-a5000_590.44.01.xml"),
                    host + ":/opt/nvidia-smi.xml"], check=True)
    sh(host, "printf '#!/bin/sh\\ncat /opt/nvidia-smi.xml\\n' > /usr/bin/nvidia-smi && "
             "chmod 755 /usr/bin/nvidia-smi && touch /dev/nvidia0 /dev/nvidia1 /dev/nvidiactl")
    rc, res = adhoc(host, "gpu_facts")
    assert rc == 0, res
    facts = res["ansible_facts"]["gpufleet"]
    assert [g["uuid"][-2:] for g in facts["gpus"]["nvidia"]] == ["ab", "cd"]
    assert facts["nvidia"]["cuda_version"] == "13.1"
    assert "/dev/nvidia0" in facts["device_nodes"]
    assert facts["problems"] == []  # no Docker yet: nothing to complain about


def test_docker_daemon_config_refuses_invalid_json_and_leaves_it(host):
    sh(host, "mkdir -p /etc/docker && printf '{\"debug\": true,}' > /etc/docker/daemon.json")
    rc, res = adhoc(host, "docker_daemon_config", {"settings": {"debug": False}})
    assert rc != 0
    assert "/etc/docker/daemon.json is not valid JSON" in res["msg"]
    out = subprocess.run(["docker", "exec", host, "cat", "/etc/docker/daemon.json"],
                         capture_output=True, text=True, check=True).stdout
    assert out == '{"debug": true,}'


def test_docker_daemon_config_check_mode_and_real_write(host):
    rc, res = adhoc(host, "docker_daemon_config",
                    {"settings": {"runtimes": {"nvidia": {"path": "nvidia-container-runtime",
                                                          "args": []}}}}, check=True)
    assert rc == 0 and res["changed"] is True and res["created"] is True
    assert subprocess.run(["docker", "exec", host, "test", "-e", "/etc/docker/daemon.json"]
                          ).returncode == 1
    rc, res = adhoc(host, "docker_daemon_config", {"settings": {"debug": True}})
    assert rc == 0 and res["changed"] is True
    rc, res = adhoc(host, "docker_daemon_config", {"settings": {"debug": True}})
    assert rc == 0 and res["changed"] is False


def test_cuda_compat_reads_the_cuda_version_from_a_local_image(testbed_ready, tmp_path):
    """An image whose config carries NVIDIA's env, as nvidia/cuda images do."""
    tag = "gpufleet-it/cuda-env:12.4"
    empty = tmp_path / "empty.tar"
    subprocess.run(["tar", "-cf", str(empty), "-T", "/dev/null"], check=True)
    subprocess.run(["docker", "import", "--change",
                    "ENV NVIDIA_REQUIRE_CUDA=cuda>=12.4 brand=tesla,driver>=470,driver<471",
                    "--change", "ENV CUDA_VERSION=12.4.1", str(empty), tag],
                   check=True, capture_output=True)
    try:
        proc = subprocess.run(
            ["ansible", "localhost", "-c", "local", "-m", "cuda_compat", "-a",
             '{"driver_version": "535.54.03", "image": "%s", "cuda_version": "11.8"}' % tag],
            cwd=ROOT, capture_output=True, text=True,
            env=dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
                     ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
                     ANSIBLE_STDOUT_CALLBACK="ansible.posix.json"))
        res = json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
        assert res["cuda_version"] == "12.4" and res["cuda_source"] == "env NVIDIA_REQUIRE_CUDA"
        assert res["mode"] == "minor_version" and res["min_driver"] == "550.54.14"
    finally:
        subprocess.run(["docker", "rmi", "-f", tag], capture_output=True)


def test_gpu_facts_with_debian_nvidia_smi_and_no_kernel_module(host):
    """Debian's real nvidia-smi and libnvidia-ml1 (non-free), no nvidia kernel module: the
    real tool fails, gpu_facts names the cause and the remedy and does not fail itself."""
    # The host's own archive (debootstrap wrote it) with the components nvidia-smi needs.
    sh(host, "sed -i 's/ main$/ main contrib non-free/' /etc/apt/sources.list && "
             "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "
             "--no-install-recommends nvidia-smi >/dev/null")
    real = subprocess.run(["docker", "exec", host, "nvidia-smi"], capture_output=True, text=True)
    assert real.returncode != 0  # the real tool, failing honestly without a driver
    rc, res = adhoc(host, "gpu_facts")
    assert rc == 0, res
    facts = res["ansible_facts"]["gpufleet"]
    assert facts["gpus"]["nvidia"] == [] and facts["nvidia"]["smi_rc"] == real.returncode
    [problem] = [p for p in facts["problems"] if p["id"] == "nvidia_smi_failed"]
    assert problem["cause"] == "driver_not_loaded"
    # nvidia-smi's own words are quoted, whichever NVML chose here
    assert (real.stdout + real.stderr).strip().splitlines()[0] in problem["message"]
    assert "modprobe nvidia" in problem["remedy"]
