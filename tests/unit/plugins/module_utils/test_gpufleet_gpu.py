"""gpu_facts end to end on a host tree in tmp_path, with tool outputs from real captures.

The tree is made of real files (sysfs, /dev, /proc, /etc/group, binaries); only the
commands' outputs are replayed.  Each case is a kind of host gpufleet meets.
"""
import json
import os
import time

import pytest

from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_gpu import Probe, collect, gpu_count


class Host:
    def __init__(self, root):
        self.root = root
        self.outputs = {}
        self.calls = []
        self.file("etc/passwd", "root:x:0:0:root:/root:/bin/bash\n"
                                "alice:x:1000:1000::/home/alice:/bin/bash\n")
        self.file("etc/group", "root:x:0:\nvideo:x:44:alice\nrender:x:105:\n"
                               "docker:x:998:\nalice:x:1000:\n")
        self.file("proc/sys/kernel/osrelease", "6.1.0-27-amd64\n")
        # Booted just before this test (not when the module was imported: the suite runs
        # long): a file's change time (when the test wrote it, which cannot be set) is then
        # "after boot", as on a host, and before a dockerd started a minute after boot.
        self.boot = int(time.time()) - 10
        self.file("proc/stat", "cpu  1 2 3\nbtime %d\n" % self.boot)

    def file(self, path, text="", mode=0o644, mtime=None):
        full = os.path.join(self.root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as fh:
            fh.write(text)
        os.chmod(full, mode)
        if mtime is not None:
            os.utime(full, (mtime, mtime))
        return full

    def binary(self, path, output=None, rc=0, mtime=None):
        self.file(path, "#!/bin/sh\n", 0o755, mtime)
        if output is not None:
            self.outputs[os.path.basename(path)] = (rc, output, "" if rc == 0 else output)

    def dockerd_running_since(self, seconds_after_boot):
        self.file("proc/4242/comm", "dockerd\n")
        ticks = int(seconds_after_boot * os.sysconf("SC_CLK_TCK"))
        fields = ["S"] + ["0"] * 18 + [str(ticks)] + ["0"] * 5
        self.file("proc/4242/stat", "4242 (dockerd) " + " ".join(fields) + "\n")

    def run(self, argv):
        self.calls.append(argv)
        name = os.path.basename(argv[0])
        return self.outputs.get(name, (127, "", name + ": not found"))

    def facts(self, **kw):
        return collect(Probe(self.run, root=self.root, system=kw.pop("system", "Linux")),
                       user=kw.pop("user", "alice"))


@pytest.fixture
def host(tmp_path):
    return Host(str(tmp_path))


def ids(facts):
    return [p["id"] for p in facts["problems"]]


def test_no_gpu_no_docker_is_valid(host):
    facts = host.facts()
    assert facts["platform"] == "linux"
    assert gpu_count(facts) == 0
    assert facts["docker"]["installed"] is False
    assert facts["problems"] == []
    assert facts["groups"] == {"docker": False, "video": True, "render": False}


def test_nvidia_without_runtime(host, fixture):
    host.binary("usr/bin/nvidia-smi", fixture("nvidia-smi", "dual-rtx-a5000_590.44.01.xml"))
    host.binary("usr/bin/docker", fixture("docker-info", "engine-20.10.24_debian12_host.json"))
    for n in ("nvidia0", "nvidia1", "nvidiactl", "nvidia-uvm"):
        host.file("dev/" + n)
    facts = host.facts()
    assert [g["name"] for g in facts["gpus"]["nvidia"]] == ["NVIDIA RTX A5000"] * 2
    assert facts["nvidia"]["cuda_version"] == "13.1"
    assert "/dev/nvidia0" in facts["device_nodes"] and "/dev/nvidiactl" in facts["device_nodes"]
    assert facts["docker"]["running"] is True
    assert ids(facts) == ["nvidia_runtime_missing", "user_not_in_docker_group"]
    problem = facts["problems"][0]
    assert "could not select device driver" in problem["message"]
    assert "Install the NVIDIA Container Toolkit" in problem["remedy"]


def test_nvidia_with_runtime_and_cdi(host, fixture):
    host.binary("usr/bin/nvidia-smi", fixture("nvidia-smi", "a100-sxm4-80gb-mig_535.54.03.xml"))
    host.binary("usr/bin/docker", '{"ServerVersion": "26.1.5", "Runtimes": {"nvidia": {}, '
                                  '"runc": {}}, "CDISpecDirs": ["/etc/cdi", "/var/run/cdi"]}')
    host.binary("usr/bin/nvidia-ctk", mtime=host.boot + 10)
    host.dockerd_running_since(100)  # started after the toolkit was installed
    host.file("var/run/cdi/nvidia.yaml", fixture("cdi", "nvidia-ctk-generate_1.17.yaml"))
    facts = host.facts(user="root")
    assert facts["gpus"]["nvidia"][0]["mig_mode"] == "Enabled"
    assert facts["docker"]["runtimes"] == ["nvidia", "runc"]
    assert "nvidia.com/gpu=all" in facts["docker"]["cdi_devices"]
    assert facts["toolkit"]["installed"] is True
    # The runtime and CDI are fine. The capture itself lists 1 of its 4 attached GPUs (it
    # was taken as with `-i`); on a host that runs plain `nvidia-smi -q -x` that means three
    # GPUs do not answer, and gpu_facts says so.
    assert (facts["nvidia"]["attached_gpus"], facts["nvidia"]["listed_gpus"]) == (4, 1)
    assert ids(facts) == ["nvidia_gpus_missing"]
    problem = facts["problems"][0]
    assert "4 GPUs are attached but lists 1" in problem["message"]
    assert "Xid 79" in problem["remedy"] and "fallen off the bus" in problem["remedy"]


def test_toolkit_installed_after_dockerd_started(host, fixture):
    host.binary("usr/bin/nvidia-smi", fixture("nvidia-smi", "a10g-passthrough_515.105.01.xml"))
    host.binary("usr/bin/docker", '{"ServerVersion": "26.1.5", "Runtimes": {"runc": {}}}')
    host.dockerd_running_since(100)
    host.binary("usr/bin/nvidia-container-runtime-hook", mtime=host.boot + 5000)
    host.binary("usr/bin/nvidia-ctk", mtime=host.boot + 5000)
    facts = host.facts(user="root")
    assert ids(facts) == ["nvidia_runtime_missing", "docker_restart_pending_toolkit"]
    assert "nvidia-ctk runtime configure" in facts["problems"][0]["remedy"]


def test_toolkit_upgraded_by_dpkg_after_dockerd_started(host, fixture):
    """dpkg keeps each file's mtime from the package (its build date): an install or
    upgrade after dockerd started shows only in the inode change time (checked on a host
    container: /usr/sbin/dockerd mtime 2026-08-13, ctime the minute of the install)."""
    host.binary("usr/bin/nvidia-smi", fixture("nvidia-smi", "a10g-passthrough_515.105.01.xml"))
    host.binary("usr/bin/docker", '{"ServerVersion": "26.1.5", "Runtimes": {"nvidia": {}, "runc": {}}}')
    host.dockerd_running_since(1)
    built = host.boot - 100 * 86400
    host.binary("usr/bin/nvidia-container-runtime-hook", mtime=built)
    host.binary("usr/bin/nvidia-ctk", mtime=built)
    facts = host.facts(user="root")
    assert facts["toolkit"]["newest_change"] > host.boot
    assert ids(facts) == ["docker_restart_pending_toolkit"]


def test_daemon_json_changed_after_start(host):
    host.binary("usr/bin/docker", '{"ServerVersion": "20.10.24", "Runtimes": {"runc": {}}}')
    host.dockerd_running_since(100)
    host.file("etc/docker/daemon.json", "{}", mtime=host.boot + 900)
    assert ids(host.facts(user="root")) == ["docker_restart_pending_config"]


def test_docker_installed_not_running(host):
    host.binary("usr/bin/docker", "Cannot connect to the Docker daemon at "
                "unix:///var/run/docker.sock. Is the docker daemon running?", rc=1)
    facts = host.facts(user="root")
    assert facts["docker"]["installed"] is True and facts["docker"]["running"] is False
    assert ids(facts) == ["docker_not_running"]
    assert "Is the docker daemon running" in facts["problems"][0]["message"]


def test_nvidia_smi_fails(host):
    host.binary("usr/bin/nvidia-smi", "Failed to initialize NVML: Driver/library version "
                "mismatch", rc=18)
    host.file("dev/nvidia0")
    facts = host.facts(user="root")
    assert ids(facts) == ["nvidia_smi_failed"]
    assert "version mismatch" in facts["problems"][0]["message"]
    assert facts["problems"][0]["cause"] == "driver_library_mismatch"
    assert "Reboot" in facts["problems"][0]["remedy"]


def test_debian_nvidia_smi_without_kernel_module(host):
    # Debian's nvidia-smi package installed, no nvidia kernel module: exit 9 and this line.
    said = ("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. "
            "Make sure that the latest NVIDIA driver is installed and running.\n")
    host.outputs["nvidia-smi"] = (9, said, "")
    host.binary("usr/bin/nvidia-smi")
    facts = host.facts(user="root")
    assert facts["nvidia"]["error_cause"] == "driver_not_loaded"
    assert facts["nvidia"]["smi_rc"] == 9 and facts["gpus"]["nvidia"] == []
    assert ids(facts) == ["nvidia_smi_failed"]
    problem = facts["problems"][0]
    assert problem["cause"] == "driver_not_loaded"
    assert problem["message"] == "nvidia-smi failed (exit 9): " + said.strip()
    assert "modprobe nvidia" in problem["remedy"] and "Secure Boot" in problem["remedy"]


@pytest.mark.parametrize("rc,said,cause", [
    (6, "No devices were found", "no_devices"),
    (255, "Failed to initialize NVML: Unknown Error", "nvml_unknown_error"),
    (4, "Failed to initialize NVML: Insufficient Permissions", "insufficient_permissions"),
    (12, "NVIDIA-SMI couldn't find libnvidia-ml.so library in your system. Please make sure "
         "that the NVIDIA Display Driver is properly installed and present in your system.",
     "libnvidia_ml_missing"),
    (1, "something nobody has seen", "unknown"),
], ids=lambda v: str(v)[:20])
def test_nvidia_smi_failure_causes(host, rc, said, cause):
    # a loaded driver: the message decides the cause
    host.file("proc/driver/nvidia/version", "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.54.03\n")
    host.binary("usr/bin/nvidia-smi", said, rc=rc)
    facts = host.facts(user="root")
    [problem] = facts["problems"]
    assert (problem["id"], problem["cause"]) == ("nvidia_smi_failed", cause)
    assert said in problem["message"]


def test_nvml_unknown_error_without_a_kernel_module_is_driver_not_loaded(host):
    # What Debian's real nvidia-smi 535 prints in a container with no nvidia module (seen in
    # the test bed): NVML's "Unknown Error", not "couldn't communicate". No
    # /proc/driver/nvidia and no /dev/nvidiactl: the module is not loaded.
    host.binary("usr/bin/nvidia-smi", "Failed to initialize NVML: Unknown Error\n", rc=255)
    [problem] = host.facts(user="root")["problems"]
    assert problem["cause"] == "driver_not_loaded" and "modprobe nvidia" in problem["remedy"]
    assert "Failed to initialize NVML: Unknown Error" in problem["message"]


def test_nvidia_smi_failure_message_with_exit_0_is_still_a_failure(host):
    host.binary("usr/bin/nvidia-smi", "No devices were found\n")
    facts = host.facts(user="root")
    assert [(p["id"], p.get("cause")) for p in facts["problems"]] == \
        [("nvidia_smi_failed", "no_devices")]


@pytest.mark.parametrize("output", ["", "<nvidia_smi_log><gpu>", "\x00\xff garbage",
                                    b"\x89PNG\r\n\x1a\n\xff\xfe"], ids=["empty", "truncated", "binary", "bytes"])
def test_nvidia_smi_unreadable_output_is_a_problem_not_a_crash(host, output):
    host.binary("usr/bin/nvidia-smi", output)
    facts = host.facts(user="root")
    assert ids(facts) == ["nvidia_smi_unparseable"]
    assert facts["nvidia"]["error"] is None and facts["nvidia"]["parse_error"]
    assert facts["gpus"]["nvidia"] == []
    json.dumps(facts, ensure_ascii=False).encode("utf-8")


def test_gpu_lost_keeps_the_gpus_that_answered(host, fixture):
    # A failed run that still printed its XML log: one of two GPUs answered.
    text = fixture("nvidia-smi", "dual-rtx-a5000_590.44.01.xml")
    start = text.index('<gpu id="00000000:C1:00.0">')
    text = text[:start] + text[text.index("</gpu>", start) + len("</gpu>"):]
    host.outputs["nvidia-smi"] = (15, text, "Unable to determine the device handle for GPU "
                                            "0000:C1:00.0: GPU is lost.  Reboot the system "
                                            "to recover this GPU\n")
    host.binary("usr/bin/nvidia-smi")
    facts = host.facts(user="root")
    assert [g["uuid"][-2:] for g in facts["gpus"]["nvidia"]] == ["ab"]
    assert ids(facts) == ["nvidia_smi_failed", "nvidia_gpus_missing"]
    assert facts["problems"][0]["cause"] == "gpu_lost"
    assert facts["problems"][1]["message"].startswith("nvidia-smi says 2 GPUs are attached but lists 1")


def test_vgpu_host_is_reported_not_a_problem(host, fixture):
    text = fixture("nvidia-smi", "a10g-passthrough_515.105.01.xml").replace(
        "<virtualization_mode>Pass-Through</virtualization_mode>",
        "<virtualization_mode>Host VGPU</virtualization_mode>")
    host.binary("usr/bin/nvidia-smi", text)
    facts = host.facts(user="root")
    assert facts["gpus"]["nvidia"][0]["virtualization_mode"] == "Host VGPU"
    assert facts["problems"] == []


@pytest.mark.parametrize("name,cuda,source,serial", [
    ("gtx-1060-6gb_387.12.xml", "9.0", "driver-table", None),
    ("quadro-p400_418.43.xml", "10.1", "nvidia-smi", "0424418054852"),
    ("grid-p4-1q-windows_513.46.xml", "11.6", "nvidia-smi", None),
])
def test_old_and_na_heavy_captures_end_to_end(host, fixture, name, cuda, source, serial):
    host.binary("usr/bin/nvidia-smi", fixture("nvidia-smi", name))
    facts = host.facts(user="root")
    assert (facts["nvidia"]["cuda_version"], facts["nvidia"]["cuda_version_source"]) == (cuda, source)
    assert facts["gpus"]["nvidia"][0]["serial"] == serial
    assert facts["problems"] == []
    assert "N/A" not in json.dumps(facts)


def test_wsl_with_linux_driver_installed(host, fixture):
    host.file("proc/sys/kernel/osrelease", "5.15.167.4-microsoft-standard-WSL2\n")
    host.file("dev/dxg")
    host.binary("usr/lib/wsl/lib/nvidia-smi", fixture("nvidia-smi", "dual-rtx-a5000_590.44.01.xml"))
    host.file("usr/lib/wsl/lib/libcuda.so.1")
    host.file("usr/lib/wsl/lib/libnvidia-ml.so.1")
    host.file("etc/ld.so.conf.d/ld.wsl.conf", "/usr/lib/wsl/lib\n")  # WSL writes it
    host.file("var/lib/dpkg/status", "Package: nvidia-driver-550\nStatus: install ok installed\n"
              "\nPackage: bash\nStatus: install ok installed\n")
    facts = host.facts(user="root")
    assert facts["platform"] == "wsl2"
    assert len(facts["gpus"]["nvidia"]) == 2  # via /usr/lib/wsl/lib/nvidia-smi
    assert facts["wsl"]["linux_driver_evidence"] == ["package nvidia-driver-550"]
    assert ids(facts) == ["wsl_linux_nvidia_driver"]
    assert "apt-get purge" in facts["problems"][0]["remedy"]


def test_wsl_without_windows_driver(host):
    host.file("proc/sys/kernel/osrelease", "5.15.167.4-microsoft-standard-WSL2\n")
    host.file("dev/dxg")
    host.file("usr/lib/wsl/lib/libdxcore.so")
    facts = host.facts(user="root")
    assert ids(facts) == ["wsl_no_windows_nvidia_driver"]


def test_amd_and_intel_from_sysfs(host):
    for card, vendor, dev in (("card0", "0x1002", "0x744c"), ("card1", "0x8086", "0x56a0")):
        base = "sys/class/drm/%s/device/" % card
        host.file(base + "vendor", vendor + "\n")
        host.file(base + "device", dev + "\n")
        os.makedirs(os.path.join(host.root, base, "drm", "renderD12%s" % card[-1]))
    host.file("sys/class/drm/card0/device/mem_info_vram_total", "25753026560\n")
    host.file("sys/class/drm/renderD128")  # not a card: ignored
    host.file("dev/dri/card0")
    host.file("dev/dri/renderD128")
    facts = host.facts(user="root")
    assert [c["pci_device_id"] for c in facts["gpus"]["amd"]] == ["0x744c"]
    assert facts["gpus"]["amd"][0]["memory_total_mib"] == 24560
    assert facts["gpus"]["amd"][0]["render_node"] == "/dev/dri/renderD120"
    assert [c["pci_device_id"] for c in facts["gpus"]["intel"]] == ["0x56a0"]
    assert facts["device_nodes"] == ["/dev/dri/card0", "/dev/dri/renderD128"]
    assert ids(facts) == ["amd_no_kfd"]


def test_rocm_smi_failure_and_garbage_fall_back_to_sysfs(host):
    host.file("sys/class/drm/card0/device/vendor", "0x1002\n")
    host.file("sys/class/drm/card0/device/device", "0x73df\n")
    host.file("dev/kfd")
    host.binary("opt/rocm/bin/rocm-smi", "ERROR: GPU[0]\t\t: Unable to get GPU info", rc=2)
    facts = host.facts(user="root")
    assert [c["pci_device_id"] for c in facts["gpus"]["amd"]] == ["0x73df"]
    assert ids(facts) == ["rocm_smi_failed"]
    assert "Unable to get GPU info" in facts["problems"][0]["message"]
    host.binary("opt/rocm/bin/rocm-smi", '{"card0": {"Card Series": ')  # truncated
    facts = host.facts(user="root")
    assert ids(facts) == ["rocm_smi_unparseable"]
    assert facts["amd"]["rocm_smi"] is False and len(facts["gpus"]["amd"]) == 1


def test_amd_from_rocm_smi_with_kfd(host, fixture):
    host.binary("opt/rocm/bin/rocm-smi", fixture("rocm-smi", "mi300x-rx7900xtx_rocm-smi-6.json"))
    host.file("dev/kfd")
    facts = host.facts(user="root")
    assert [g["name"] for g in facts["gpus"]["amd"]] == ["AMD Instinct MI300X", "Radeon RX 7900 XTX"]
    assert facts["problems"] == []
    assert host.calls[-1][0].endswith("rocm-smi") or any("rocm-smi" in c[0] for c in host.calls)


def test_macos_reports_apple_gpu_and_says_no_container_gpu(host):
    host.outputs["system_profiler"] = (0, '{"SPDisplaysDataType": [{"_name": "Apple M3 Max", '
                                          '"sppci_model": "Apple M3 Max", "sppci_cores": "40", '
                                          '"spdisplays_vendor": "sppci_vendor_Apple"}]}', "")
    facts = host.facts(system="Darwin", user="root")
    assert facts["platform"] == "macos"
    assert facts["gpus"]["apple"][0]["cores"] == 40
    assert ids(facts) == ["macos_no_container_gpu"]
    assert "Model Runner" in facts["problems"][0]["remedy"]


def test_wsl_custom_kernel_detected_by_dxg_and_wsl_lib(host, fixture):
    host.file("proc/sys/kernel/osrelease", "6.6.36-custom\n")
    host.file("dev/dxg")
    host.binary("usr/lib/wsl/lib/nvidia-smi", fixture("nvidia-smi", "dual-rtx-a5000_590.44.01.xml"))
    host.file("usr/lib/wsl/lib/libnvidia-ml.so.1")
    facts = host.facts(user="root")
    assert facts["platform"] == "wsl2" and facts["problems"] == []


def test_wsl_libnvidia_ml_missing(host, fixture):
    host.file("proc/sys/kernel/osrelease", "5.15.167.4-microsoft-standard-WSL2\n")
    host.file("dev/dxg")
    host.binary("usr/lib/wsl/lib/nvidia-smi", fixture("nvidia-smi", "dual-rtx-a5000_590.44.01.xml"))
    facts = host.facts(user="root")
    assert ids(facts) == ["wsl_libnvidia_ml_missing"]
    assert "load library failed: libnvidia-ml.so.1" in facts["problems"][0]["message"]


def test_wsl_engine_conflicting_with_desktop(host, fixture):
    host.file("proc/sys/kernel/osrelease", "5.15.167.4-microsoft-standard-WSL2\n")
    host.binary("usr/lib/wsl/lib/nvidia-smi", fixture("nvidia-smi", "dual-rtx-a5000_590.44.01.xml"))
    host.file("usr/lib/wsl/lib/libnvidia-ml.so.1")
    os.makedirs(os.path.join(host.root, "mnt/wsl/docker-desktop"))
    host.binary("usr/sbin/dockerd")
    host.binary("usr/bin/docker", '{"ServerVersion": "26.1.5", "Runtimes": {"runc": {}}}')
    facts = host.facts(user="root")
    assert "wsl_engine_conflicts_with_desktop" in ids(facts)


def test_ldconfig_noise_is_classified():
    from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_gpu_parse import classify_ldconfig_output
    # As printed inside WSL (microsoft/WSL#5548).
    out = classify_ldconfig_output(
        "ldconfig: /usr/lib/wsl/lib/libcuda.so.1 is not a symbolic link\n\n"
        "ldconfig: /usr/lib/wsl/lib/libnvidia-ml.so.1 is not a symbolic link\n"
        "ldconfig: /etc/ld.so.conf.d/broken.conf:1: hwcap directive ignored\n")
    assert len(out["noise"]) == 2
    assert out["errors"] == ["ldconfig: /etc/ld.so.conf.d/broken.conf:1: hwcap directive ignored"]


def test_non_utf8_files_are_read_not_dropped(host):
    # /etc/os-release with a latin-1 byte: the file is still read, the byte becomes U+FFFD.
    with open(os.path.join(host.root, "etc/os-release"), "wb") as fh:
        fh.write(b'NAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\nPRETTY_NAME="caf\xe9"\n')
    probe = Probe(host.run, root=host.root)
    assert probe.read("/etc/os-release").endswith('"caf\ufffd"\n')
    assert host.facts()["os"]["version"] == "12"


def test_probe_turns_bytes_and_surrogates_into_text(host):
    outputs = {"a": (0, b"caf\xe9", b""), "b": (0, "caf\udce9", "\ud800"), "c": ("x", None, None)}
    probe = Probe(lambda argv: outputs[argv[0]], root=host.root)
    assert probe.run(["a"]) == (0, "caf\ufffd", "")
    assert probe.run(["b"]) == (0, "caf\ufffd", "\ufffd")
    assert probe.run(["c"]) == (1, "", "")

    def boom(argv):
        raise OSError(13, "Permission denied")
    assert probe.__class__(boom, root=host.root).run(["/usr/bin/nvidia-smi"])[0] == 126


# --------------------------------------------------------------------------- the module

def test_module_output_is_json_with_non_utf8_tool_output(host, fixture, run_module, monkeypatch):
    """gpu_facts main(): run_command hands back bytes (encoding=None); a latin-1 process
    name in nvidia-smi's XML comes out as U+FFFD and the module's JSON is valid UTF-8."""
    from ansible.module_utils.basic import AnsibleModule

    import gpu_facts
    xml = fixture("nvidia-smi", "a10g-passthrough_515.105.01.xml").replace(
        "/usr/lib/xorg/Xorg", "/opt/caf\xe9").encode("latin-1")
    host.binary("usr/bin/nvidia-smi")
    calls = []

    def run_command(self, args, **kw):
        calls.append((args, kw))
        if args[0].endswith("nvidia-smi"):
            return 0, xml, b""
        raise OSError(2, "No such file or directory")

    monkeypatch.setattr(AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(gpu_facts, "Probe", lambda run, root, system, env: Probe(
        run, root=host.root, system="Linux", env=env))
    out = run_module(gpu_facts, {})
    assert calls and all(kw.get("encoding", "utf-8") is None for _, kw in calls)
    facts = out["ansible_facts"]["gpufleet"]
    assert [g["name"] for g in facts["gpus"]["nvidia"]] == ["NVIDIA A10G"]
    assert out["gpu_count"] == 1 and not out.get("failed")


def test_daemon_json_is_reported_for_the_merge_decision(host):
    # No file: {} (the roles merge their settings); a JSON object: as read; anything else:
    # None, and docker_daemon_config reads the file and says what is wrong with it.
    assert host.facts()["docker"]["daemon_config"] == {}
    host.file("etc/docker/daemon.json",
              '{"log-driver": "json-file", "runtimes": {"nvidia": {"args": [], "path": "nvidia-container-runtime"}}}')
    assert host.facts()["docker"]["daemon_config"] == {
        "log-driver": "json-file", "runtimes": {"nvidia": {"args": [], "path": "nvidia-container-runtime"}}}
    for broken in ("{", "[1, 2]", ""):
        host.file("etc/docker/daemon.json", broken)
        assert host.facts()["docker"]["daemon_config"] is None


def test_which_looks_on_the_module_path_and_a_macs_user_directories(tmp_path):
    """A Mac's docker CLI may live only in /opt/homebrew/bin (Colima, Podman) or
    ~/.docker/bin (Docker Desktop's per-user install): gpu_facts must find it there."""
    for rel in ("opt/homebrew/bin/docker", "Users/me/.docker/bin/kubectl", "srv/tools/rocm-smi"):
        exe = tmp_path / rel
        exe.parent.mkdir(parents=True, exist_ok=True)
        exe.write_text("#!/bin/sh\n")
        exe.chmod(0o755)
    mac = Probe(lambda argv: (0, "", ""), root=str(tmp_path), system="Darwin",
                env={"HOME": "/Users/me"})
    assert mac.which("docker") == "/opt/homebrew/bin/docker"
    assert mac.which("kubectl") == "/Users/me/.docker/bin/kubectl"
    linux = Probe(lambda argv: (0, "", ""), root=str(tmp_path), system="Linux")
    assert linux.which("docker") is None  # Homebrew's directory is a Mac's, not a Linux host's
    on_path = Probe(lambda argv: (0, "", ""), root=str(tmp_path), env={"PATH": "/srv/tools:relative"})
    assert on_path.which("rocm-smi") == "/srv/tools/rocm-smi"
    assert "relative" not in on_path.bin_dirs()
