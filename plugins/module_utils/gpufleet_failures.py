# -*- coding: utf-8 -*-
"""The failure catalog: the ways a GPU fails to reach a container, as users meet them.

One entry per failure mode: what the user sees (``patterns``), why it happens (``cause``),
what to do (``remedy``), how to confirm it on the host (``checks``) and where it was reported
(``sources``: public issue threads and vendor documentation, read to write the entry).
``gpufleet explain`` and the gpu_workload role match pasted output against it
(gpufleet_explain.py); which gpu_facts problems detect a failure before it happens is not
written here but derived from the doctor rules (gpufleet_gpu_problems.RULES' ``failures``).

Pattern conventions (gpufleet_explain compiles them):
- a regular expression, matched case-insensitively on the pasted text after clean-up (colour
  codes, CR, NUL and JSON/Go escaping removed, typographic quotes made ASCII, the lines of a
  paste joined without separator so that a message a terminal wrapped reads as one);
- a literal space matches any run of whitespace, none included (wrapped lines lose it);
- no ``^``/``$`` anchors and no unbounded ``.*``: use ``.{0,N}``;
- ``(regex, weight)``: weight 100 names the failure on its own, less where the line is
  shared with other failure modes and the ``context`` decides.
- ``context``: ``(regex, bonus)`` searched anywhere in the paste once a pattern matched
  (a snap path, the Docker Desktop context, WSL paths); a negative bonus speaks against.

Standard library only: modules on managed hosts and the controller both import it.
"""
from __future__ import annotations

from typing import Any

# Signs that the paste comes from WSL 2 or Docker Desktop on Windows.
WSL_CONTEXT = (
    (r"/usr/lib/wsl", 45), (r"microsoft-standard-WSL2", 45), (r"\bWSL ?2?\b", 30),
    (r"/dev/dxg", 40), (r"lxss", 30), (r"Windows Subsystem for Linux", 45),
)
WINDOWS_CONTEXT = (
    (r"\bPS [A-Z]:\\", 50), (r"\b[A-Z]:\\(Users|Windows|Program)", 40),
    (r"\b[A-Z]:\\[\w .-]{1,60}>", 40), (r"Windows (10|11|Server)", 45),
    (r"Docker Desktop", 20), (r"Hyper-V", 30), (r"\bpowershell\b", 20),
)


def _e(**fields: Any) -> dict[str, Any]:
    fields.setdefault("context", ())
    fields["checks"] = tuple({"check": words, "command": cmd} for words, cmd in fields["checks"])
    return fields


FAILURES: tuple[dict[str, Any], ...] = (
    # ------------------------------------------------------------------ docker gets no GPU
    _e(
        id="no_gpu_device_driver_toolkit_missing",
        title="Docker has no GPU device driver: the NVIDIA Container Toolkit is missing or "
              "dockerd was not restarted",
        platforms=("linux", "wsl2"),
        cause="`--gpus` (or a compose GPU reservation) asks dockerd for a device driver with "
              "the 'gpu' capability, and dockerd registers one only when it finds "
              "nvidia-container-runtime-hook at start-up. The toolkit is not installed (an "
              "install chain that stopped half-way counts), or it was installed after dockerd "
              "started. A host without any NVIDIA GPU or driver ends the same way.",
        remedy="Install the toolkit and register it, then restart the daemon: `apt-get install "
               "-y nvidia-container-toolkit && nvidia-ctk runtime configure --runtime=docker && "
               "systemctl restart docker` (gpufleet: the nvidia_container_toolkit role). Check "
               "with `docker run --rm --gpus all ubuntu nvidia-smi`.",
        checks=(
            ("the toolkit's binaries are on the host",
             "command -v nvidia-container-runtime-hook nvidia-ctk nvidia-container-cli"),
            ("the package is installed",
             "dpkg -s nvidia-container-toolkit || rpm -q nvidia-container-toolkit"),
            ("the daemon lists an nvidia runtime", "docker info --format '{{json .Runtimes}}'"),
            ("dockerd started after the toolkit was installed",
             "systemctl show docker -p ActiveEnterTimestamp; ls -l --time-style=full-iso "
             "$(command -v nvidia-container-runtime-hook)"),
            ("there is an NVIDIA GPU at all", "lspci -nn -d 10de:"),
        ),
        patterns=(
            (r"could not select device driver [\"']{0,2}(nvidia)?[\"']{0,2} with "
             r"capabilities: ?\[\[gpu\]\]", 100),
            (r"could not select device driver with capabilities", 90),
        ),
        sources=(
            "https://github.com/NVIDIA/nvidia-docker/issues/1034",
            "https://github.com/NVIDIA/nvidia-docker/issues/1243",
            "https://github.com/NVIDIA/nvidia-docker/issues/1682",
            "https://github.com/NVIDIA/nvidia-container-toolkit/issues/854",
            "https://github.com/OpenBMB/XAgent/issues/273",
            "https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/install-guide.html",
        ),
    ),
    _e(
        id="docker_desktop_linux_context",
        title="The docker CLI talks to Docker Desktop for Linux, whose VM has no GPU",
        platforms=("linux",),
        cause="Docker Desktop for Linux runs its engine in a virtual machine without GPU "
              "passthrough. When the CLI's context is `desktop-linux`, the toolkit installed "
              "on the host is never consulted, so every GPU request fails; `sudo docker` often "
              "works because root uses the host's docker-ce socket. NVIDIA supports the "
              "toolkit with docker-ce only.",
        remedy="Use the host engine: `docker context use default` (or unset DOCKER_HOST), or "
               "quit/uninstall Docker Desktop; then configure the toolkit for docker-ce "
               "(`nvidia-ctk runtime configure --runtime=docker && systemctl restart docker`).",
        checks=(
            ("the active context", "docker context show"),
            ("the engine answering", "docker info --format '{{.Name}} {{.OperatingSystem}}'"),
            ("DOCKER_HOST points at Desktop's socket",
             "echo $DOCKER_HOST; ls -l ~/.docker/desktop/docker.sock"),
        ),
        patterns=(
            (r"could not select device driver [\"']{0,2}(nvidia)?[\"']{0,2} with "
             r"capabilities: ?\[\[gpu\]\]", 60),
            (r"could not select device driver with capabilities", 55),
        ),
        context=((r"desktop-linux", 70), (r"\.docker/desktop/docker\.sock", 70),
                 (r"Operating System: Docker Desktop", 60)),
        sources=(
            "https://github.com/docker/desktop-linux/issues/213",
            "https://github.com/NVIDIA/nvidia-container-toolkit/issues/175",
        ),
    ),
    _e(
        id="snap_docker",
        title="Docker installed as a snap ignores the host's toolkit and /etc/docker",
        platforms=("linux",),
        cause="The snap's confined dockerd reads its own configuration under "
              "/var/snap/docker and cannot run the host's nvidia-container-runtime, so "
              "`nvidia-ctk runtime configure` edits a file it never reads; GPU support inside "
              "the snap came late and depends on the snap revision and NVIDIA content snaps.",
        remedy="Replace it with docker-ce: `snap remove --purge docker`, install Docker from "
               "Docker's apt repository (gpufleet: the docker_engine role), then configure the "
               "toolkit and restart docker.",
        checks=(
            ("docker is a snap", "snap list docker"),
            ("the docker binary lives under /snap", "readlink -f \"$(command -v docker)\""),
            ("the snap's daemon is running", "systemctl is-active snap.docker.dockerd"),
        ),
        patterns=(
            (r"could not select device driver [\"']{0,2}(nvidia)?[\"']{0,2} with "
             r"capabilities", 60),
            (r"could not select device driver with capabilities", 55),
            (r"load library failed: libnvidia-ml\.so", 55),
            (r"unknown or invalid runtime name: nvidia", 55),
        ),
        context=((r"/snap/", 70), (r"snap\.docker", 70), (r"/var/snap/docker", 70),
                 (r"\bsnap (install|list|remove)\b[^\n]{0,30}docker", 50)),
        sources=(
            "https://github.com/canonical/docker-snap/issues/148",
            "https://github.com/canonical/docker-snap/issues/180",
            "https://github.com/NVIDIA/nvidia-docker/issues/1637",
            "https://github.com/NVIDIA/nvidia-docker/issues/1642",
            "https://github.com/NVIDIA/nvidia-container-toolkit/issues/522",
        ),
    ),
    _e(
        id="unknown_runtime_nvidia",
        title="The daemon has no runtime called nvidia",
        platforms=("linux", "docker-desktop-windows", "wsl2"),
        cause="The container asks for `--runtime=nvidia` (compose `runtime: nvidia`, or "
              "`default-runtime: nvidia`) but the daemon that serves the request has no "
              "`runtimes.nvidia` entry: the toolkit never registered it, the daemon was not "
              "restarted after daemon.json changed, or the file edited belongs to another "
              "daemon (rootless ~/.config/docker/daemon.json, the snap, Docker Desktop).",
        remedy="Register the runtime with the daemon actually used and restart it: `nvidia-ctk "
               "runtime configure --runtime=docker && systemctl restart docker` (rootless: add "
               "`--config=$HOME/.config/docker/daemon.json` and `systemctl --user restart "
               "docker`). On Docker Desktop drop `runtime: nvidia` and request the GPU with "
               "`--gpus all` or `deploy.resources.reservations.devices`.",
        checks=(
            ("daemon.json has a runtimes.nvidia entry",
             "python3 -m json.tool /etc/docker/daemon.json | grep -A3 '\"nvidia\"'"),
            ("the running daemon lists it",
             "docker info --format '{{json .Runtimes}} {{.DefaultRuntime}}'"),
            ("the runtime binary exists", "command -v nvidia-container-runtime"),
            ("which daemon the CLI talks to", "docker context show"),
        ),
        patterns=(
            (r"unknown or invalid runtime name: ?[\"']?nvidia", 100),
            (r"unknown runtime specified:? ?[\"']?nvidia", 100),
        ),
        sources=(
            "https://github.com/NVIDIA/nvidia-container-toolkit/issues/150",
            "https://github.com/NVIDIA/nvidia-docker/issues/1795",
            "https://github.com/NVIDIA/nvidia-docker/issues/578",
            "https://github.com/duixcom/Duix-Avatar/issues/28",
            "https://github.com/Steam-Headless/docker-steam-headless/issues/117",
        ),
    ),
    _e(
        id="libnvidia_ml_load_failed",
        title="The toolkit cannot load the host driver's NVML library (libnvidia-ml.so.1)",
        platforms=("linux", "docker-desktop-windows"),
        cause="nvidia-container-cli looks the driver's libnvidia-ml.so.1 up in the host's "
              "loader cache and does not find it: no NVIDIA driver is installed (a CUDA "
              "toolkit alone does not bring it), the driver sits under a prefix ldconfig does "
              "not know, or the engine runs where the driver is not (a snap, a VM, Docker "
              "Desktop).",
        remedy="Install the NVIDIA driver on the host and check `nvidia-smi`; run `ldconfig`. "
               "For a driver in a non-standard root set `root`/`ldconfig` in "
               "/etc/nvidia-container-runtime/config.toml. With rootless Docker run the "
               "container as the user who has the toolkit configured.",
        checks=(
            ("the loader cache knows libnvidia-ml.so.1", "ldconfig -p | grep libnvidia-ml.so.1"),
            ("the driver answers", "nvidia-smi; echo rc=$?"),
            ("the kernel driver is loaded", "cat /proc/driver/nvidia/version"),
            ("the toolkit's own view", "nvidia-container-cli -k -d /dev/tty info"),
        ),
        patterns=(
            (r"load library failed: libnvidia-ml\.so(\.1)?", 100),
            (r"NVIDIA-SMI couldn't find libnvidia-ml\.so library in your system", 90),
        ),
        sources=(
            "https://github.com/NVIDIA/nvidia-container-toolkit/issues/154",
            "https://github.com/NVIDIA/nvidia-docker/issues/1711",
            "https://github.com/NVIDIA/libnvidia-container/issues/231",
            "https://github.com/docker/for-win/issues/13835",
            "https://github.com/NVIDIA/nvidia-docker/issues/854",
        ),
    ),
    # ------------------------------------------------------------------ the host's driver
    _e(
        id="nvidia_kernel_module_not_loaded",
        title="The NVIDIA kernel module is not loaded",
        platforms=("linux",),
        cause="The driver's user-space libraries are installed but nvidia.ko is not running: "
              "a new kernel booted without a DKMS build of the module, Secure Boot refused the "
              "unsigned module (its key was never enrolled), or nouveau took the GPU first.",
        remedy="Build the module for the running kernel (`dkms autoinstall` or the "
               "`linux-modules-nvidia-*` package for this kernel), enrol the MOK key or sign "
               "the module when Secure Boot is on, blacklist nouveau, then `modprobe nvidia` "
               "or reboot.",
        checks=(
            ("the module is loaded", "lsmod | grep -E '^nvidia '"),
            ("a module exists for the running kernel",
             "dkms status; modinfo -F version nvidia"),
            ("Secure Boot state", "mokutil --sb-state"),
            ("which driver holds the GPU", "lspci -k -d 10de:"),
            ("the kernel's reason", "dmesg | grep -iE 'NVRM|nvidia|module verification|lockdown'"),
        ),
        patterns=(
            (r"nvml error: driver not loaded", 100),
            (r"couldn't communicate with the NVIDIA driver", 100),
            (r"Failed to initialize NVML: Driver Not Loaded", 100),
        ),
        sources=(
            "https://github.com/NVIDIA/nvidia-docker/issues/1393",
            "https://github.com/NVIDIA/nvidia-container-toolkit/issues/260",
            "https://github.com/NVIDIA/nvidia-container-toolkit/issues/1269",
            "https://github.com/MicrosoftDocs/azure-docs/issues/111536",
        ),
    ),
    _e(
        id="driver_library_version_mismatch",
        title="The loaded kernel module and the user-space driver libraries differ",
        platforms=("linux",),
        cause="The driver packages were upgraded (often by unattended-upgrades) while the old "
              "kernel module stayed loaded, so libnvidia-ml/libcuda and nvidia.ko disagree; "
              "an image that carries its own driver libraries causes the same inside a "
              "container.",
        remedy="Reboot (or stop everything using the GPU and reload the modules: `rmmod "
               "nvidia_uvm nvidia_drm nvidia_modeset nvidia && modprobe nvidia`); hold the "
               "driver packages (`apt-mark hold`) so they change only in a maintenance window; "
               "keep driver libraries out of images.",
        checks=(
            ("kernel module version", "cat /sys/module/nvidia/version"),
            ("library version", "ldconfig -p | grep -E 'libnvidia-ml.so.[0-9]'"),
            ("a driver upgrade since boot",
             "grep -i nvidia /var/log/apt/history.log /var/log/unattended-upgrades/*.log"),
            ("a reboot is pending", "ls /var/run/reboot-required"),
        ),
        patterns=(
            (r"driver/library version mismatch", 100),
            (r"NVML library version: ?\d+\.\d+", 70),
        ),
        sources=(
            "https://github.com/NVIDIA/nvidia-container-toolkit/issues/394",
            "https://github.com/NVIDIA/nvidia-container-toolkit/issues/171",
            "https://github.com/NVIDIA/nvidia-docker/issues/1168",
            "https://github.com/NVIDIA/nvidia-docker/issues/737",
        ),
    ),
    _e(
        id="nvml_unknown_error_after_daemon_reload",
        title="Running containers lose the GPU after a systemd reload (NVML Unknown Error)",
        platforms=("linux",),
        cause="With the systemd cgroup driver, a `systemctl daemon-reload` (package upgrades "
              "trigger one) rewrites each container's device rules from what systemd knows. "
              "The GPU nodes the legacy hook added behind runc's back are not among them "
              "(runc cannot map them without /dev/char symlinks), so running containers lose "
              "access while the host still works.",
        remedy="Create the /dev/char symlinks at boot (`nvidia-ctk system "
               "create-dev-char-symlinks --create-all`, NVIDIA ships a udev rule for it), or "
               "use CDI (`--device nvidia.com/gpu=all`), or set `\"exec-opts\": "
               "[\"native.cgroupdriver=cgroupfs\"]` in daemon.json; recreate the affected "
               "containers.",
        checks=(
            ("cgroup driver and version",
             "docker info --format '{{.CgroupDriver}} {{.CgroupVersion}}'"),
            ("/dev/char links to the NVIDIA nodes", "ls -l /dev/char | grep -c nvidia"),
            ("the toolkit's mode and version",
             "grep -E '^ *mode' /etc/nvidia-container-runtime/config.toml; nvidia-ctk --version"),
            ("reproduce", "systemctl daemon-reload; docker exec CONTAINER nvidia-smi"),
        ),
        patterns=((r"Failed to initialize NVML: Unknown Error", 100),),
        sources=(
            "https://github.com/NVIDIA/nvidia-container-toolkit/issues/48",
            "https://github.com/NVIDIA/nvidia-container-toolkit/issues/251",
            "https://github.com/NVIDIA/nvidia-docker/issues/1671",
            "https://github.com/NVIDIA/nvidia-docker/issues/1730",
            "https://github.com/NVIDIA/nvidia-container-toolkit/issues/1227",
        ),
    ),
    _e(
        id="cgroup_v2_devices_subsystem_not_found",
        title="The toolkit is too old for cgroup v2",
        platforms=("linux",),
        cause="libnvidia-container before 1.8 only knows the cgroup v1 `devices` controller; "
              "on a host booted with the unified v2 hierarchy (Debian 11+, Ubuntu 21.10+, "
              "Fedora 31+, Arch) it cannot find it and refuses to start the container.",
        remedy="Upgrade the NVIDIA Container Toolkit and libnvidia-container to a current "
               "release. Only if that is impossible: boot with "
               "`systemd.unified_cgroup_hierarchy=0`, or set `no-cgroups = true` and pass the "
               "/dev/nvidia* devices explicitly.",
        checks=(
            ("the host uses cgroup v2", "stat -fc %T /sys/fs/cgroup"),
            ("libnvidia-container version", "nvidia-container-cli -V | head -1"),
        ),
        patterns=((r"cgroup subsystem devices not found", 100),),
        sources=(
            "https://github.com/NVIDIA/nvidia-docker/issues/1447",
            "https://github.com/NVIDIA/nvidia-docker/issues/1660",
            "https://github.com/NVIDIA/k8s-device-plugin/issues/324",
        ),
    ),
    _e(
        id="rootless_device_cgroup_permission",
        title="The hook may not program the device cgroup (rootless or unprivileged LXC)",
        platforms=("linux",),
        cause="The legacy hook writes device rules into the container's cgroup (v1 "
              "devices.allow, or a v2 eBPF filter) and changes capabilities; rootless "
              "Docker/Podman and Docker nested in an unprivileged LXC container (Proxmox) do "
              "not allow it.",
        remedy="Set `no-cgroups = true` (`nvidia-ctk config --set "
               "nvidia-container-cli.no-cgroups --in-place`) and configure the rootless "
               "daemon's own daemon.json, or use CDI; in LXC pass the /dev/nvidia* nodes into "
               "the container from the host.",
        checks=(
            ("the daemon is rootless", "docker info --format '{{.SecurityOptions}}'"),
            ("no-cgroups setting", "grep no-cgroups /etc/nvidia-container-runtime/config.toml"),
            ("running inside LXC", "systemd-detect-virt -c"),
        ),
        patterns=(
            (r"devices\.allow: permission denied", 100),
            (r"bpf_prog_query\(BPF_CGROUP_DEVICE\) failed: operation not permitted", 100),
            (r"nvidia-container-cli: permission error: capability change failed", 100),
            (r"capability change failed: operation not permitted", 80),
        ),
        sources=(
            "https://github.com/moby/moby/issues/38729",
            "https://github.com/NVIDIA/nvidia-docker/issues/1155",
            "https://github.com/NVIDIA/libnvidia-container/issues/154",
            "https://github.com/NVIDIA/nvidia-container-toolkit/issues/139",
            "https://github.com/NVIDIA/nvidia-container-toolkit/issues/85",
        ),
    ),
    # ------------------------------------------------------------------ CUDA vs driver
    _e(
        id="cuda_requirement_unsatisfied",
        title="The image requires a newer CUDA than the host driver supports",
        platforms=("linux", "wsl2", "docker-desktop-windows"),
        cause="CUDA images declare `NVIDIA_REQUIRE_CUDA=cuda>=X.Y`; the hook compares it with "
              "the highest CUDA version the host driver supports and stops the container when "
              "the driver is older (a cuda>=12.8 image wants a 570-branch driver).",
        remedy="Upgrade the host driver to a branch that supports the image's CUDA, or use an "
               "image built for an older CUDA (gpufleet's cuda_compat module tells which). "
               "`NVIDIA_DISABLE_REQUIRE=1` only helps where forward compatibility works "
               "(data-center GPUs with the compat package).",
        checks=(
            ("the driver and its CUDA version", "nvidia-smi | head -4"),
            ("what the image requires",
             "docker image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' IMAGE | "
             "grep NVIDIA_REQUIRE_CUDA"),
        ),
        patterns=(
            (r"requirement error: unsatisfied condition: ?cuda ?>= ?[\d.]+", 100),
            (r"unsatisfied condition: ?cuda", 90),
        ),
        sources=(
            "https://github.com/NVIDIA/nvidia-docker/issues/1442",
            "https://github.com/NVIDIA/nvidia-docker/issues/536",
            "https://github.com/NVIDIA/nvidia-container-toolkit/issues/152",
            "https://github.com/MauriceNino/dashdot/issues/1226",
        ),
    ),
    _e(
        id="cuda_driver_insufficient",
        title="The application's CUDA runtime is newer than the driver it reaches",
        platforms=("linux", "wsl2"),
        cause="The program was built against a CUDA runtime the host driver does not support, "
              "and no `NVIDIA_REQUIRE_CUDA` check stopped the container (framework wheels on "
              "plain images); or the container got no GPU and found only a stub or no "
              "libcuda. PyTorch says the driver is 'too old' and prints the driver's CUDA "
              "version as a number (11040 = 11.4).",
        remedy="Start the container with the GPU (`--gpus all`); then either upgrade the host "
               "driver or install a framework build for the host's CUDA version (e.g. the "
               "PyTorch wheel for cu118 on an 11.x driver).",
        checks=(
            ("the driver's CUDA version", "nvidia-smi | grep 'CUDA Version'"),
            ("the runtime the program wants",
             "python -c 'import torch; print(torch.version.cuda)' (inside the container)"),
            ("the container requested a GPU",
             "docker inspect -f '{{json .HostConfig.DeviceRequests}}' CONTAINER"),
        ),
        patterns=(
            (r"CUDA driver version is insufficient for CUDA runtime version", 100),
            (r"cudaErrorInsufficientDriver", 100),
            (r"The NVIDIA driver on your system is too old \(found version \d+\)", 100),
        ),
        sources=(
            "https://github.com/NVIDIA/nvidia-docker/issues/400",
            "https://github.com/NVIDIA/nvidia-docker/issues/700",
            "https://github.com/NVIDIA/cudf/issues/328",
            "https://github.com/tensorflow/tensorflow/issues/21832",
            "https://github.com/lllyasviel/Fooocus/issues/1313",
            "https://github.com/RangiLyu/nanodet/issues/94",
        ),
    ),
    _e(
        id="forward_compat_unsupported_hw",
        title="The image's CUDA forward-compatibility library is used on a consumer GPU",
        platforms=("linux",),
        cause="The image puts its own newer libcuda (the cuda-compat package, "
              "/usr/local/cuda/compat) on the loader path; forward compatibility works only "
              "on data-center GPUs, so GeForce/Quadro/RTX cards fail with error 804. A driver "
              "updated without reboot can show it too.",
        remedy="Upgrade the host driver to the image's CUDA branch so the compat library is not "
               "needed, or pick an image for an older CUDA; on consumer GPUs take the compat directory "
               "out of the loader path (`-e LD_LIBRARY_PATH=` without /usr/local/cuda/compat, "
               "or `rm -rf /usr/local/cuda/compat` in the image); reboot after driver updates.",
        checks=(
            ("GPU model and driver",
             "nvidia-smi --query-gpu=name,driver_version --format=csv,noheader"),
            ("the image ships compat libraries",
             "docker run --rm --entrypoint sh IMAGE -c 'ls /usr/local/cuda/compat; "
             "echo $LD_LIBRARY_PATH'"),
        ),
        patterns=(
            (r"forward compatibility was attempted on non supported HW", 100),
            (r"CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE", 100),
            (r"\bError 804\b", 60),
        ),
        sources=(
            "https://github.com/NVIDIA/nvidia-docker/issues/1294",
            "https://github.com/abetlen/llama-cpp-python/issues/234",
            "https://github.com/oobabooga/textgen/issues/4407",
            "https://docs.nvidia.com/deploy/cuda-compatibility/",
        ),
    ),
    _e(
        id="cuda_803_unsupported_driver_combination",
        title="The libcuda a process loads does not match the kernel module (error 803)",
        platforms=("linux",),
        cause="A libcuda other than the host driver's is loaded: a compat or baked-in copy "
              "forced by ldconfig or LD_LIBRARY_PATH in the image, or host libraries and "
              "kernel module out of step after an upgrade.",
        remedy="Remove stale or compat libcuda copies from the image (`RUN rm -f "
               "/usr/local/cuda/compat/libcuda.so*` or drop them from LD_LIBRARY_PATH) and let "
               "the toolkit inject the host's; reboot after driver updates (`cat "
               "/sys/module/nvidia/version` must equal the libraries' version).",
        checks=(
            ("kernel module version", "cat /sys/module/nvidia/version"),
            ("libcuda copies inside the image",
             "docker run --rm --entrypoint sh IMAGE -c 'ldconfig -p | grep libcuda'"),
        ),
        patterns=(
            (r"system has unsupported display driver / cuda driver combination", 100),
            (r"CUDA_ERROR_SYSTEM_DRIVER_MISMATCH", 100),
            (r"\bError 803\b", 60),
        ),
        sources=(
            "https://github.com/NVIDIA/nvidia-docker/issues/1256",
            "https://github.com/NVIDIA/nvidia-container-toolkit/issues/234",
            "https://github.com/llm-d/llm-d/issues/706",
        ),
    ),
    _e(
        id="image_bundles_driver_libs_file_exists",
        title="The image already contains driver libraries the hook wants to mount",
        platforms=("wsl2", "linux", "docker-desktop-windows"),
        cause="libnvidia-ml.so.1 or libcuda.so.1 exist in the image (committed from a running "
              "GPU container, or a driver/nvidia-utils package installed in the Dockerfile) "
              "and the hook refuses to mount the host's copies over them; WSL 2 hosts, where "
              "the files come from /usr/lib/wsl/lib, hit it most.",
        remedy="Delete the files in the image (`RUN rm -f "
               "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1 "
               "/usr/lib/x86_64-linux-gnu/libcuda.so.1`), never install driver packages in "
               "images, and rebuild.",
        checks=(
            ("the image carries them",
             "docker run --rm --entrypoint ls IMAGE -l /usr/lib/x86_64-linux-gnu/libcuda.so.1 "
             "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1"),
            ("driver packages in the image's history",
             "docker history --no-trunc IMAGE | grep -iE 'nvidia-utils|nvidia-driver|libnvidia'"),
        ),
        patterns=(
            (r"mount error: file creation failed: .{0,300}?(libnvidia-ml|libcuda)\.so[.\d]*: "
             r"file exists", 100),
            (r"(libnvidia-ml|libcuda)\.so[.\d]*: file exists", 80),
        ),
        sources=(
            "https://github.com/NVIDIA/nvidia-docker/issues/1551",
            "https://github.com/NVIDIA/nvidia-container-toolkit/issues/289",
            "https://github.com/NVIDIA/nvidia-docker/issues/1699",
            "https://github.com/NVIDIA/nvidia-container-toolkit/issues/176",
        ),
    ),
    _e(
        id="ldconfig_path_wrong",
        title="The toolkit's ldconfig path does not exist on this distribution",
        platforms=("linux",),
        cause="config.toml says `ldconfig = \"@/sbin/ldconfig.real\"` (the Debian/Ubuntu "
              "name) on a distribution without that file (RHEL, Arch, Gentoo, or a package "
              "from another distribution's repository); exit code 1 instead means ldconfig ran "
              "and failed on the container's root filesystem.",
        remedy="Point `ldconfig` in /etc/nvidia-container-runtime/config.toml at the host's "
               "binary (`@/sbin/ldconfig` outside Debian/Ubuntu) and install the toolkit "
               "package built for this distribution.",
        checks=(
            ("the configured path", "grep -E '^ *ldconfig' /etc/nvidia-container-runtime/config.toml"),
            ("which ldconfig exists", "ls -l /sbin/ldconfig /sbin/ldconfig.real"),
        ),
        patterns=(
            (r"nvidia-container-cli: ldcache error", 100),
            (r"ldcache error: (open failed|process)", 90),
        ),
        sources=(
            "https://github.com/NVIDIA/nvidia-docker/issues/587",
            "https://github.com/NVIDIA/nvidia-docker/issues/1616",
            "https://github.com/NVIDIA/nvidia-container-toolkit/issues/147",
            "https://github.com/NVIDIA/libnvidia-container/issues/177",
        ),
    ),
    # ------------------------------------------------------------------ installing
    _e(
        id="toolkit_repo_unsupported_distribution",
        title="An old install recipe fetched a repository list for a distribution NVIDIA "
              "does not list",
        platforms=("linux", "wsl2"),
        cause="Recipes that build the list URL from `$ID$VERSION_ID` ask for a file that does "
              "not exist for new releases or derivatives (Ubuntu 24.04, Pop!_OS, Mint), so the "
              "downloaded 'list' is a comment saying the distribution is unsupported and apt "
              "gets no repository.",
        remedy="Use the generic repository of the current install guide: "
               "`https://nvidia.github.io/libnvidia-container/stable/deb/"
               "nvidia-container-toolkit.list` (or stable/rpm) with its signed-by keyring "
               "(gpufleet: the nvidia_container_toolkit role), and delete the broken list file.",
        checks=(
            ("a list file holding the comment",
             "grep -l 'Unsupported distribution' /etc/apt/sources.list.d/*"),
            ("the distribution", ". /etc/os-release; echo $ID $VERSION_ID $ID_LIKE"),
        ),
        patterns=(
            (r"# ?Unsupported distribution!?", 100),
            (r"# ?Check https://nvidia\.github\.io/nvidia-docker", 80),
            (r"Unsupported distribution or misconfigured repository settings", 90),
        ),
        sources=(
            "https://github.com/NVIDIA/nvidia-container-toolkit/issues/565",
            "https://github.com/NVIDIA/nvidia-container-toolkit/issues/664",
            "https://github.com/NVIDIA/nvidia-docker/issues/1586",
            "https://github.com/NVIDIA/nvidia-docker/issues/1230",
        ),
    ),
    _e(
        id="apt_repo_gpg_no_pubkey",
        title="apt cannot verify NVIDIA's repository (missing or rotated key)",
        platforms=("linux", "wsl2"),
        cause="The keyring named by `signed-by` is missing, expired or not dearmored, or "
              "NVIDIA rotated the key (the CUDA repository in April 2022, libnvidia-container "
              "later); apt then disables the repository and the toolkit never installs.",
        remedy="Fetch and dearmor the current key: `curl -fsSL "
               "https://nvidia.github.io/libnvidia-container/gpgkey | gpg --dearmor -o "
               "/usr/share/keyrings/nvidia-container-toolkit-keyring.gpg`; for the CUDA "
               "repository install the `cuda-keyring` package and remove the old key.",
        checks=(
            ("the keyring exists and is valid",
             "gpg --show-keys /usr/share/keyrings/nvidia-container-toolkit-keyring.gpg"),
            ("the list's signed-by path", "grep -r signed-by /etc/apt/sources.list.d/"),
            ("apt's complaint", "apt-get update 2>&1 | grep -E 'NO_PUBKEY|not signed'"),
        ),
        patterns=(
            (r"NO_PUBKEY (DDCAE044F796ECB0|A4B469963BF863CC|F60F4B3D7FA2AF80|6ED91CA3AC1160CD)",
             100),
            (r"GPG error: https?://(nvidia\.github\.io|developer\.download\.nvidia\.com)"
             r".{0,240}?(NO_PUBKEY|EXPKEYSIG|public key is not available)", 100),
            (r"repository [\"']https?://(nvidia\.github\.io|developer\.download\.nvidia\.com)"
             r"[^\"']{0,160}[\"'] is not signed", 100),
        ),
        sources=(
            "https://github.com/NVIDIA/nvidia-container-toolkit/issues/1478",
            "https://github.com/NVIDIA/nvidia-container-toolkit/issues/81",
            "https://github.com/NVIDIA/nvidia-docker/issues/1631",
            "https://github.com/NVIDIA/cuda-repo-management/issues/1",
        ),
    ),
    _e(
        id="nvidia_uvm_not_loaded",
        title="The nvidia_uvm module is not loaded (no /dev/nvidia-uvm)",
        platforms=("linux",),
        cause="CUDA needs nvidia_uvm and /dev/nvidia-uvm; on headless servers nothing loads "
              "it at boot (no X server, no nvidia-persistenced, no nvidia-modprobe) and the "
              "unprivileged hook cannot load it either.",
        remedy="Load it at boot: `echo nvidia_uvm > /etc/modules-load.d/nvidia-uvm.conf; "
               "modprobe nvidia_uvm` (or `nvidia-modprobe -u -c=0`), and enable "
               "nvidia-persistenced.",
        checks=(
            ("the module is loaded", "lsmod | grep nvidia_uvm"),
            ("the device node exists", "ls -l /dev/nvidia-uvm /dev/nvidia-uvm-tools"),
            ("helpers", "command -v nvidia-modprobe; systemctl is-active nvidia-persistenced"),
        ),
        patterns=(
            (r"Kernel module nvidia_uvm is not loaded", 100),
            (r"Could not load UVM kernel module", 100),
            (r"nvidia-container-cli: initialization error: driver error: failed to process "
             r"request", 70),
            (r"driver error: failed to process request", 65),
        ),
        context=tuple((rx, -bonus) for rx, bonus in WSL_CONTEXT + WINDOWS_CONTEXT[:3]),
        sources=(
            "https://github.com/NVIDIA/enroot/issues/105",
            "https://github.com/NVIDIA/nvidia-docker/issues/396",
            "https://github.com/NVIDIA/nvidia-docker/issues/481",
        ),
    ),
    _e(
        id="fabric_manager_not_running_802",
        title="NVSwitch system without a running Fabric Manager (CUDA error 802)",
        platforms=("linux",),
        cause="On HGX/NVSwitch machines (A100/H100/H200/B200 SXM) CUDA does not initialise "
              "until nvidia-fabricmanager, of exactly the driver's version, has set up the "
              "fabric. nvidia-smi and the toolkit look healthy; only CUDA programs fail.",
        remedy="Install nvidia-fabricmanager for the exact driver version, `systemctl enable "
               "--now nvidia-fabricmanager`, and upgrade it together with the driver.",
        checks=(
            ("fabric state", "nvidia-smi -q | grep -A2 -i fabric"),
            ("the service", "systemctl is-active nvidia-fabricmanager"),
            ("versions agree",
             "dpkg -l 'nvidia-fabricmanager*' | tail -1; cat /sys/module/nvidia/version"),
            ("an NVSwitch system", "nvidia-smi topo -m"),
        ),
        patterns=(
            (r"system not yet initialized", 100),
            (r"cudaErrorSystemNotReady", 100),
            (r"CUDA_ERROR_SYSTEM_NOT_READY", 100),
            (r"cuInit err: ?802", 100),
            (r"returned 802\b", 90),
            (r"cuda runtime error \(802\)", 100),
        ),
        sources=(
            "https://github.com/pytorch/pytorch/issues/35710",
            "https://github.com/wilicc/gpu-burn/issues/92",
            "https://github.com/ollama/ollama/issues/12136",
            "https://docs.nvidia.com/datacenter/tesla/fabric-manager-user-guide/index.html",
        ),
    ),
    _e(
        id="nvidia_smi_not_in_container",
        title="No driver utilities in the container: nothing injected the GPU",
        platforms=("linux", "wsl2"),
        cause="nvidia-smi is not part of images; the toolkit mounts it from the host. The "
              "container was started without `--gpus` (or a compose GPU reservation), with "
              "`--runtime=nvidia` but no NVIDIA_VISIBLE_DEVICES, with "
              "NVIDIA_DRIVER_CAPABILITIES lacking `utility`, or the hook was bypassed (snap "
              "Docker, a CDI/legacy mix-up).",
        remedy="Request the GPU: `docker run --gpus all ...` (or `-e "
               "NVIDIA_VISIBLE_DEVICES=all -e NVIDIA_DRIVER_CAPABILITIES=compute,utility` with "
               "the nvidia runtime); check the host with `docker run --rm --gpus all ubuntu "
               "nvidia-smi`.",
        checks=(
            ("the host has nvidia-smi", "command -v nvidia-smi"),
            ("the container asked for a GPU",
             "docker inspect -f '{{json .HostConfig.DeviceRequests}} {{.Config.Env}}' CONTAINER"),
            ("the image's capabilities",
             "docker image inspect IMAGE | grep NVIDIA_DRIVER_CAPABILITIES"),
        ),
        patterns=(
            (r"exec: [\"']?nvidia-smi[\"']?: executable file not found in \$PATH", 100),
            (r"nvidia-smi: (command )?not found", 90),
            (r"[\"']?nvidia-smi[\"']? is not recognized as", 60),
        ),
        sources=(
            "https://github.com/NVIDIA/nvidia-docker/issues/1668",
            "https://github.com/NVIDIA/nvidia-docker/issues/1382",
            "https://github.com/NVIDIA/nvidia-docker/issues/1226",
            "https://github.com/NVIDIA/nvidia-container-toolkit/issues/679",
        ),
    ),
    _e(
        id="cdi_unresolvable_devices",
        title="The requested CDI device is in no readable CDI spec",
        platforms=("linux", "wsl2"),
        cause="No spec in /etc/cdi or /var/run/cdi defines the device name: it was never "
              "generated, is not readable by a rootless user, went stale after a driver "
              "upgrade, or was generated in a mode without that name; some distributions put "
              "it in a directory the engine does not read.",
        remedy="`nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml` (again after every "
               "driver upgrade, or enable nvidia-cdi-refresh), `chmod a+r` it, and check the "
               "names with `nvidia-ctk cdi list`.",
        checks=(
            ("specs present and readable", "ls -l /etc/cdi /var/run/cdi"),
            ("the device names they define", "nvidia-ctk cdi list"),
            ("the spec matches the driver",
             "grep -m1 -o 'libcuda.so.[0-9.]*' /etc/cdi/nvidia.yaml; cat /sys/module/nvidia/version"),
        ),
        patterns=(
            (r"unresolvable CDI devices", 100),
            (r"failed to inject CDI devices", 80),
        ),
        sources=(
            "https://github.com/NVIDIA/nvidia-container-toolkit/issues/146",
            "https://github.com/NVIDIA/nvidia-container-toolkit/issues/1239",
            "https://github.com/NixOS/nixpkgs/issues/420638",
            "https://github.com/warmshao/FasterLivePortrait/issues/116",
        ),
    ),
    _e(
        id="podman_rootless_insufficient_permissions",
        title="The container may not open the GPU device nodes (rootless, SELinux)",
        platforms=("linux",),
        cause="The /dev/nvidia* nodes are there but the process cannot open them: rootless "
              "user namespaces drop the supplementary groups, SELinux denies container access "
              "to devices, or no-cgroups is set inconsistently.",
        remedy="With Podman use CDI and `--group-add keep-groups` (crun); allow devices under "
               "SELinux (`setsebool -P container_use_devices true`, or `--security-opt "
               "label=disable`); keep `no-cgroups` consistent with rootless/rootful use.",
        checks=(
            ("SELinux", "getenforce; getsebool container_use_devices"),
            ("the nodes' modes and labels", "ls -lZ /dev/nvidia*"),
            ("Podman's OCI runtime", "podman info --format '{{.Host.OCIRuntime.Name}}'"),
        ),
        patterns=((r"Failed to initialize NVML: Insufficient Permissions", 100),),
        sources=(
            "https://github.com/NVIDIA/nvidia-container-toolkit/issues/210",
            "https://github.com/NVIDIA/nvidia-container-toolkit/issues/580",
            "https://github.com/NVIDIA/nvidia-docker/issues/1608",
        ),
    ),
    _e(
        id="kernel_module_flavor_open_vs_proprietary",
        title="The kernel module flavour does not fit the GPU generation",
        platforms=("linux",),
        cause="Blackwell GPUs (RTX 50, B200, GB10) need the open kernel modules; Maxwell, "
              "Pascal and Volta need the proprietary ones. With the wrong flavour the driver "
              "loads but no GPU initialises, so nvidia-smi and every container see none.",
        remedy="Install the flavour the GPU needs (e.g. `nvidia-driver-XXX-open` for "
               "Blackwell, the proprietary package for pre-Turing) and reboot.",
        checks=(
            ("which flavour is loaded",
             "modinfo -F license nvidia; cat /proc/driver/nvidia/version"),
            ("the GPU generation", "lspci -nn -d 10de:"),
            ("the kernel's reason", "dmesg | grep NVRM"),
        ),
        patterns=(
            (r"NVRM: .{0,120}RmInitAdapter failed", 100),
            (r"RmInitAdapter failed", 90),
            (r"does not include the required GPU", 100),
            (r"NVRM: System Processor \(GSP\)", 80),
            (r"not supported by open nvidia\.ko", 100),
            (r"installed in this system is not supported by open", 100),
            (r"\bNo devices were found\b", 50),
        ),
        sources=(
            "https://github.com/NVIDIA/open-gpu-kernel-modules/issues/862",
            "https://github.com/getsolus/packages/issues/5575",
            "https://github.com/zzzhouuu/truenas-nvidia-drivers/issues/20",
            "https://docs.nvidia.com/cuda/cuda-installation-guide-linux/index.html",
        ),
    ),
    _e(
        id="compose_gpu_reservation_invalid",
        title="The compose file's GPU request is not understood",
        platforms=("linux", "docker-desktop-windows", "wsl2"),
        cause="docker-compose v1 before 1.28 knows no GPU reservations and the v3 schema "
              "rejects `runtime`; with current Compose a mis-nested `devices:` list "
              "(capabilities and driver as separate items) quietly gives a container without "
              "a GPU.",
        remedy="Use Compose v2 (`docker compose`) with one item under "
               "`deploy.resources.reservations.devices` holding `driver: nvidia`, `count` or "
               "`device_ids`, and `capabilities: [gpu]` (gpufleet renders it with gpu_compose).",
        checks=(
            ("compose version", "docker compose version || docker-compose version"),
            ("the GPU request as compose reads it", "docker compose config | grep -B2 -A6 devices"),
        ),
        patterns=(
            (r"Unsupported config option for services\.[\w.-]{1,80}: ?[\"']"
             r"(device_requests|runtime|deploy)[\"']", 100),
            (r"services\.[\w.-]{1,80}\.deploy\.resources\.reservations "
             r"(Additional property devices|contains unsupported option: ?[\"']devices)", 100),
        ),
        sources=(
            "https://github.com/docker/compose/issues/6691",
            "https://github.com/docker/compose/issues/8569",
            "https://github.com/docker/docs/pull/12315",
            "https://docs.docker.com/compose/how-tos/gpu-support/",
        ),
    ),
    # ------------------------------------------------------------------ WSL 2 / Windows
    _e(
        id="wsl_libcuda_not_symlink",
        title="WSL: libcuda.so.1 in /usr/lib/wsl/lib is a copy, not a symlink",
        platforms=("wsl2",),
        cause="The Windows driver ships libcuda.so, libcuda.so.1 and libcuda.so.1.1 as three "
              "regular files (C:\\Windows\\System32\\lxss\\lib, mounted read-only at "
              "/usr/lib/wsl/lib), so every ldconfig run warns. Mostly harmless; sometimes "
              "libcuda.so is then missing from the cache and `-lcuda` links fail.",
        remedy="Ignore the warning; when linking fails, add /usr/lib/wsl/lib to "
               "LD_LIBRARY_PATH or, from an elevated Windows prompt in "
               "C:\\Windows\\System32\\lxss\\lib, replace the copies with links (`mklink "
               "libcuda.so libcuda.so.1.1`, `mklink libcuda.so.1 libcuda.so.1.1`) and run "
               "`ldconfig` in WSL.",
        checks=(
            ("the files are regular files", "stat -c '%n %F' /usr/lib/wsl/lib/libcuda.so*"),
            ("what the loader cache holds", "ldconfig -p | grep libcuda"),
        ),
        patterns=(
            (r"/usr/lib/wsl/lib/libcuda\.so(\.1)? is not a symbolic link", 100),
            (r"libcuda\.so\.1 is not a symbolic link", 90),
        ),
        sources=(
            "https://github.com/microsoft/WSL/issues/5548",
            "https://github.com/microsoft/WSL/issues/5663",
            "https://github.com/microsoft/WSL/issues/8587",
        ),
    ),
    _e(
        id="wsl_gpu_access_blocked",
        title="WSL: the operating system blocks GPU access",
        platforms=("wsl2", "docker-desktop-windows"),
        cause="Windows does not share the GPU with WSL through GPU paravirtualisation: a "
              "data-center card in TCC mode instead of WDDM, a Windows Server or too old "
              "Windows/WSL build, or Linux nvidia-utils inside the distro shadowing "
              "/usr/lib/wsl/lib.",
        remedy="Put the GPU in WDDM mode (`nvidia-smi -g 0 -dm 0` on Windows, as "
               "administrator, then reboot) on Windows 11 or Windows 10 21H2+, run `wsl "
               "--update`, and purge Linux driver packages from the distro.",
        checks=(
            ("driver model on Windows", "nvidia-smi.exe (TCC/WDDM column)"),
            ("Windows and WSL versions", "cmd.exe /c ver; wsl.exe --version"),
            ("which nvidia-smi WSL runs", "command -v nvidia-smi  # want /usr/lib/wsl/lib/nvidia-smi"),
            ("Linux driver packages in the distro",
             "dpkg -l | grep -E 'nvidia-utils|nvidia-driver|libnvidia-compute'"),
        ),
        patterns=((r"GPU access blocked by the operating system", 100),),
        sources=(
            "https://github.com/microsoft/WSL/issues/9938",
            "https://github.com/microsoft/WSL/issues/10289",
            "https://github.com/microsoft/WSL/issues/12835",
            "https://github.com/microsoft/WSL/issues/9962",
        ),
    ),
    _e(
        id="wsl_no_adapters_found",
        title="WSL detected but Windows offers no NVIDIA GPU",
        platforms=("wsl2", "docker-desktop-windows"),
        cause="The toolkit sees WSL, but dxcore reports no NVIDIA adapter: no NVIDIA GPU or "
              "WDDM driver on Windows (laptops with an integrated GPU only), the distro runs "
              "as WSL 1, the GPU is in TCC mode or disabled, or the WSL kernel is old.",
        remedy="Install the NVIDIA Windows driver, make the distro WSL 2 (`wsl --set-version "
               "DISTRO 2`), `wsl --update` and `wsl --shutdown`; on a machine without an NVIDIA "
               "GPU remove the GPU request.",
        checks=(
            ("the distro's WSL version", "wsl.exe -l -v"),
            ("the GPU paravirtualisation device", "ls -l /dev/dxg /usr/lib/wsl/lib/libcuda.so*"),
            ("Windows sees the GPU", "nvidia-smi.exe"),
        ),
        patterns=((r"WSL environment detected but no adapters were found", 100),),
        sources=(
            "https://github.com/AbdBarho/stable-diffusion-webui-docker/issues/117",
            "https://github.com/IDEA-Research/Grounded-Segment-Anything/issues/506",
            "https://github.com/OpenBMB/UltraRAG/issues/12",
        ),
    ),
    _e(
        id="wsl_driver_rpc_failed_windows_build",
        title="WSL/Docker Desktop: the driver RPC fails on an old Windows GPU stack",
        platforms=("docker-desktop-windows", "wsl2", "linux"),
        cause="The toolkit or Docker Desktop release expects a newer Windows GPU "
              "paravirtualisation stack than the host has (e.g. libnvidia-container 1.4 with "
              "Windows Insider builds of 2021), so the driver RPC fails. On bare Linux the "
              "same words usually mean nvidia_uvm is not loaded.",
        remedy="Update Windows (11, or 10 21H2 and later), the NVIDIA Windows driver and WSL "
               "(`wsl --update`), then Docker Desktop; pinning the previous Docker Desktop or "
               "toolkit release was the stop-gap.",
        checks=(
            ("Windows, WSL and kernel versions", "cmd.exe /c ver; wsl.exe --version; uname -r"),
            ("the toolkit in the Desktop distro", "nvidia-container-cli -V"),
        ),
        patterns=(
            (r"nvidia-container-cli: initialization error: driver error: failed to process "
             r"request", 65),
            (r"driver error: failed to process request", 60),
        ),
        context=WSL_CONTEXT + WINDOWS_CONTEXT,
        sources=(
            "https://github.com/docker/for-win/issues/11246",
            "https://github.com/docker/for-win/issues/11309",
            "https://github.com/NVIDIA/nvidia-docker/issues/1496",
            "https://github.com/docker/for-win/issues/10218",
        ),
    ),
    _e(
        id="wsl_linux_driver_shadowing",
        title="WSL: a Linux NVIDIA driver installed inside the distro hides the Windows one",
        platforms=("wsl2",),
        cause="A Linux driver package (nvidia-utils-XXX, libnvidia-compute, or cuda-drivers "
              "pulled in by `apt install cuda`) put Linux libcuda/libnvidia-ml ahead of the "
              "paravirtualised copies in /usr/lib/wsl/lib; they cannot talk to the GPU.",
        remedy="Purge the Linux driver packages inside WSL (`apt-get purge 'nvidia-utils-*' "
               "'libnvidia-compute-*' cuda-drivers`) and install only `cuda-toolkit-X-Y` from "
               "the wsl-ubuntu repository; the Windows driver is the only driver WSL needs.",
        checks=(
            ("Linux driver packages in the distro",
             "dpkg -l 'nvidia-utils*' 'libnvidia-compute*' 'cuda-drivers*'"),
            ("which libcuda the loader finds first", "ldconfig -p | grep libcuda.so.1"),
        ),
        patterns=(
            (r"CUDA Version: ?ERR!", 100),
            (r"CUDA_ERROR_NO_DEVICE", 45),
        ),
        context=WSL_CONTEXT,
        sources=(
            "https://github.com/microsoft/WSL/issues/11589",
            "https://github.com/NVIDIA/cuml/issues/6218",
            "https://github.com/NVIDIA/nvidia-docker/issues/1508",
            "https://docs.nvidia.com/cuda/wsl-user-guide/index.html",
        ),
    ),
    _e(
        id="docker_desktop_windows_wsl2_backend_required",
        title="Docker Desktop on Windows without the WSL 2 engine has no GPU path",
        platforms=("docker-desktop-windows",),
        cause="Docker Desktop hands NVIDIA GPUs to containers only through its WSL 2 engine; "
              "the Hyper-V engine, Windows-containers mode and old Windows or Docker Desktop "
              "builds have no GPU path.",
        remedy="In Docker Desktop turn on 'Use the WSL 2 based engine' (`wslEngineEnabled: "
               "true` in settings-store.json) and switch to Linux containers (`& "
               "'C:\\Program Files\\Docker\\Docker\\DockerCli.exe' -SwitchLinuxEngine`); update "
               "Windows, the NVIDIA driver (`wsl --update` too) and Docker Desktop (gpufleet: "
               "the docker_desktop role).",
        checks=(
            ("the WSL 2 engine setting",
             "type %APPDATA%\\Docker\\settings-store.json (wslEngineEnabled)"),
            ("the engine's OS and kernel",
             "docker info --format '{{.OSType}} {{.KernelVersion}}'"),
            ("the Windows build", "cmd.exe /c ver"),
        ),
        patterns=(
            (r"could not select device driver [\"']{0,2}(nvidia)?[\"']{0,2} with "
             r"capabilities: ?\[\[gpu\]\]", 60),
            (r"could not select device driver with capabilities", 55),
        ),
        context=WINDOWS_CONTEXT,
        sources=(
            "https://github.com/docker/for-win/issues/7581",
            "https://github.com/NVIDIA/nvidia-docker/issues/1352",
            "https://github.com/docker/docs/pull/19365",
            "https://docs.docker.com/desktop/features/gpu/",
        ),
    ),
    # ------------------------------------------------------------------ AMD / Intel
    _e(
        id="rocm_kfd_permission_denied",
        title="ROCm: the container user may not open /dev/kfd",
        platforms=("rocm",),
        cause="/dev/kfd and /dev/dri/renderD* belong to the host's `render` (sometimes "
              "`video`) group, whose numeric GID differs from host to host; `--group-add "
              "video` adds the image's GID, and rootless engines remap GIDs, so the process "
              "has no matching group.",
        remedy="Pass the host's numeric GIDs: `--device=/dev/kfd --device=/dev/dri "
               "--group-add $(getent group render | cut -d: -f3) --group-add $(getent group "
               "video | cut -d: -f3)` (compose `group_add`); for rootless Docker/Podman map the "
               "GIDs through /etc/subgid.",
        checks=(
            ("owner group and mode of the nodes", "stat -c '%n %G %g %a' /dev/kfd /dev/dri/renderD*"),
            ("the host's GIDs", "getent group render video"),
            ("the user's groups", "id -nG"),
        ),
        patterns=(
            (r"Unable to open /dev/kfd read-write: ?(Permission denied|Operation not permitted)",
             100),
            (r"is not member of [\"'][\w-]+[\"'] group, the default DRM access group", 90),
            (r"Failed to get user name to check for video group membership", 80),
        ),
        sources=(
            "https://github.com/ROCm/ROCm-docker/issues/116",
            "https://github.com/ROCm/ROCm-docker/pull/93",
            "https://github.com/ROCm/legacy-rocm-build/issues/1549",
            "https://github.com/ROCm/legacy-rocm-build/issues/1211",
            "https://github.com/ollama/ollama/issues/6685",
        ),
    ),
    _e(
        id="rocm_kfd_device_missing",
        title="ROCm: the host has no /dev/kfd",
        platforms=("rocm", "docker-desktop-windows", "wsl2"),
        cause="No KFD node exists: the amdgpu driver with compute support is not loaded, the "
              "GPU is too old for KFD, or Docker runs on Windows/WSL 2, where there is "
              "/dev/dxg but never /dev/kfd.",
        remedy="Install a supported amdgpu kernel driver and ROCm on a Linux host and check "
               "`ls -l /dev/kfd`; on WSL 2 use AMD's WSL ROCm path (/dev/dxg) instead of "
               "`--device=/dev/kfd`.",
        checks=(
            ("the node exists", "ls -l /dev/kfd"),
            ("the driver and the kernel's word", "lsmod | grep amdgpu; dmesg | grep -i kfd"),
            ("the GPU", "lspci -nn -d 1002:"),
        ),
        patterns=(
            (r"custom device [\"']?/dev/kfd[\"']?: no such file or directory", 100),
            (r"/dev/kfd read-write: ?No such file or directory", 100),
            (r"not supported in kfd", 100),
            (r"stat /dev/kfd: no such file or directory", 100),
        ),
        sources=(
            "https://github.com/l1na-forever/stable-diffusion-rocm-docker/issues/8",
            "https://github.com/hydrian/stable-diffusion-webui-rocm/issues/17",
            "https://github.com/ROCm/legacy-rocm-build/issues/1798",
            "https://github.com/aws-deepracer-community/deepracer-core/issues/82",
        ),
    ),
    _e(
        id="rocm_unsupported_gfx_arch",
        title="ROCm: the image's libraries have no code for this GPU's gfx target",
        platforms=("rocm",),
        cause="The ROCm libraries or framework in the image were not built for the host GPU's "
              "gfx target (consumer RDNA such as gfx1010/1031/1032/1102, or an APU's "
              "integrated GPU like gfx1036 enumerated first).",
        remedy="Use a ROCm release or image that supports the target, or set "
               "`HSA_OVERRIDE_GFX_VERSION` to the nearest supported ISA (10.3.0 for RDNA2, "
               "11.0.0 for RDNA3) and hide the integrated GPU with `HIP_VISIBLE_DEVICES`.",
        checks=(
            ("the GPUs' gfx targets", "rocminfo | grep -E 'Name: +gfx'"),
            ("targets the image's rocBLAS has",
             "docker run --rm IMAGE ls /opt/rocm/lib/rocblas/library | grep -o 'gfx[0-9a-f]*' | sort -u"),
        ),
        patterns=(
            (r"TensileLibrary\.dat", 100),
            (r"hipErrorNoBinaryForGpu", 100),
            (r"HIP error: invalid device function", 100),
            (r"Unable to find code object for all current devices", 100),
        ),
        sources=(
            "https://github.com/ROCm/rocBLAS/issues/1339",
            "https://github.com/ROCm/rocBLAS/issues/1299",
            "https://github.com/ROCm/pytorch/issues/2730",
            "https://github.com/AshleyYakeley/stable-diffusion-rocm/issues/9",
        ),
    ),
    _e(
        id="intel_render_node_permission",
        title="The container user may not open /dev/dri/renderD* (VA-API, oneAPI)",
        platforms=("intel", "rocm"),
        cause="/dev/dri is passed in but the process is not in a group with the host's render "
              "GID; that GID is not fixed, the image may have no render group at all, and "
              "PUID/PGID remapping can drop it.",
        remedy="Add the node's numeric GID: `--device /dev/dri --group-add $(stat -c %g "
               "/dev/dri/renderD128)` (compose `group_add`); do not chmod the node 666.",
        checks=(
            ("the render node's group", "stat -c '%n %G %g %a' /dev/dri/renderD*"),
            ("the i915/xe driver is loaded", "lsmod | grep -E '^(i915|xe) '"),
        ),
        patterns=(
            (r"Failed to open /dev/dri/renderD\d+", 100),
            (r"No VA display found for device /dev/dri", 90),
            (r"renderD\d+\)? has incorrect permissions", 100),
        ),
        sources=(
            "https://github.com/jellyfin/jellyfin/issues/2281",
            "https://github.com/jellyfin/jellyfin/issues/9229",
            "https://github.com/linuxserver/docker-jellyfin/issues/284",
            "https://github.com/pulsejet/memories/issues/675",
        ),
    ),
    _e(
        id="intel_gpu_wsl_no_dri",
        title="No /dev/dri render node (WSL 2 / Docker Desktop, or no Intel driver)",
        platforms=("intel", "wsl2", "docker-desktop-windows"),
        cause="WSL 2 and Docker Desktop expose GPUs only as /dev/dxg with the libraries in "
              "/usr/lib/wsl/lib (D3D12/dxcore), never as /dev/dri; on a Linux host the node "
              "is missing when i915/xe is not loaded.",
        remedy="With Docker inside WSL use `--device /dev/dxg -v /usr/lib/wsl:/usr/lib/wsl -e "
               "LD_LIBRARY_PATH=/usr/lib/wsl/lib` and Intel's WSL-enabled compute runtime; on "
               "Linux load i915 or xe.",
        checks=(
            ("the render node", "ls -l /dev/dri/"),
            ("WSL GPU paravirtualisation instead", "ls -l /dev/dxg /usr/lib/wsl/lib/libdxcore.so"),
        ),
        patterns=(
            (r"custom device [\"']?/dev/dri(/renderD\d+)?[\"']?: no such file or directory", 100),
        ),
        sources=(
            "https://github.com/intel/compute-runtime/issues/625",
            "https://github.com/microsoft/WSL/issues/6951",
            "https://github.com/docker/for-win/issues/12620",
        ),
    ),
    # ------------------------------------------------------------------ added by gpufleet
    _e(
        id="pytorch_found_no_nvidia_driver",
        title="PyTorch (or the CUDA image) finds no NVIDIA driver in the container",
        platforms=("linux", "wsl2", "docker-desktop-windows"),
        cause="The process sees no libcuda and no /dev/nvidia* nodes. In a container that "
              "means the GPU was never requested (`--gpus`, a compose device reservation, "
              "`runtime: nvidia`) or the toolkit injected nothing (NVIDIA_VISIBLE_DEVICES "
              "void/none, podman without CDI); on a bare host, no driver is installed. CUDA "
              "images print 'The NVIDIA Driver was not detected' at start for the same reason.",
        remedy="Start the container with the GPU: `docker run --gpus all ...` or a compose "
               "`deploy.resources.reservations.devices` entry with `capabilities: [gpu]` "
               "(podman: `--device nvidia.com/gpu=all`); check the host with `docker run --rm "
               "--gpus all ubuntu nvidia-smi`.",
        checks=(
            ("the container asked for a GPU",
             "docker inspect -f '{{json .HostConfig.DeviceRequests}} {{.HostConfig.Runtime}}' "
             "CONTAINER"),
            ("the GPU reaches a test container", "docker run --rm --gpus all ubuntu nvidia-smi"),
            ("the host driver", "nvidia-smi"),
        ),
        patterns=(
            (r"Found no NVIDIA driver on your system", 100),
            (r"The NVIDIA Driver was not detected\. ?GPU functionality will not be available", 95),
        ),
        sources=(
            "https://github.com/NVIDIA/nvidia-docker/issues/1234",
            "https://github.com/UW-COSMOS/Cosmos/issues/169",
            "https://github.com/facebookresearch/detectron2/issues/3107",
            "https://github.com/jbilcke-hf/FacePoke/issues/12",
            "https://github.com/mmartial/ComfyUI-Nvidia-Docker/issues/33",
        ),
    ),
    _e(
        id="torch_not_compiled_with_cuda",
        title="PyTorch is a CPU-only build",
        platforms=("linux", "wsl2", "docker-desktop-windows", "macos"),
        cause="The installed torch wheel has no CUDA support (the CPU wheel from PyPI on some "
              "platforms, a `+cpu` build, or a requirements file that pulled torch again "
              "without the CUDA index), so no driver or toolkit setting can make it use the "
              "GPU.",
        remedy="Install a CUDA build of torch matching the host driver (`pip install torch "
               "--index-url https://download.pytorch.org/whl/cu121`, or a pytorch/pytorch "
               "*-cuda* image) and check `python -c 'import torch; "
               "print(torch.version.cuda, torch.cuda.is_available())'`.",
        checks=(
            ("the torch build", "python -c 'import torch; print(torch.__version__, torch.version.cuda)'"),
            ("pip's view", "pip show torch | head -2"),
        ),
        patterns=((r"Torch not compiled with CUDA enabled", 100),),
        sources=(
            "https://github.com/facebookresearch/detectron2/issues/460",
            "https://github.com/petronetto/docker-python-deep-learning/issues/12",
            "https://github.com/XPixelGroup/HAT/issues/85",
            "https://pytorch.org/get-started/locally/",
        ),
    ),
    _e(
        id="cuda_no_device_detected",
        title="CUDA finds no device (no CUDA-capable device is detected)",
        platforms=("linux", "wsl2"),
        cause="CUDA initialised but enumerated no GPU: the container got none "
              "(NVIDIA_VISIBLE_DEVICES=none/void, CUDA_VISIBLE_DEVICES set to an index that "
              "does not exist or to an empty value), or on the host the driver sees no usable "
              "GPU (a hybrid laptop with the NVIDIA GPU powered off, a VM without "
              "passthrough). Old toolkits reported it from the hook itself.",
        remedy="Check the host first (`nvidia-smi -L`); start the container with `--gpus all` "
               "and without CUDA_VISIBLE_DEVICES overrides; on hybrid laptops select the "
               "NVIDIA GPU (`prime-select nvidia`) or turn on its power.",
        checks=(
            ("the host lists GPUs", "nvidia-smi -L"),
            ("the container's GPU variables",
             "docker exec CONTAINER env | grep -E 'CUDA_VISIBLE_DEVICES|NVIDIA_VISIBLE_DEVICES'"),
        ),
        patterns=(
            (r"no CUDA-capable device is detected", 100),
            (r"cudaErrorNoDevice", 100),
            (r"CUDA_ERROR_NO_DEVICE", 60),
        ),
        sources=(
            "https://github.com/NVIDIA/nvidia-docker/issues/548",
            "https://github.com/NVIDIA/nvidia-docker/issues/1235",
            "https://github.com/NVIDIA/nvidia-docker/issues/1161",
            "https://github.com/lelechen63/ATVGnet/issues/4",
        ),
    ),
    _e(
        id="tensorflow_cuda_libs_missing",
        title="TensorFlow/JAX cannot load the CUDA runtime libraries (libcudart, cuDNN...)",
        platforms=("linux", "wsl2"),
        cause="The framework build wants CUDA user-space libraries of one version (libcudart, "
              "cuBLAS, cuDNN...) and the image or environment has another version or none: "
              "a plain Python image with `pip install tensorflow` (without the `[and-cuda]` "
              "extra), a CUDA base image of the wrong version, or LD_LIBRARY_PATH missing the "
              "libraries' directory. These are not driver libraries; the toolkit does not "
              "inject them.",
        remedy="Install the libraries that match the framework: `pip install "
               "'tensorflow[and-cuda]'` (TF 2.14+), or build on the matching "
               "`nvidia/cuda:X.Y-cudnnN-runtime` image / the framework's own GPU image "
               "(tensorflow/tensorflow:latest-gpu), and check with `python -c 'import "
               "tensorflow as tf; print(tf.config.list_physical_devices(\"GPU\"))'`.",
        checks=(
            ("which libraries the loader finds", "ldconfig -p | grep -E 'libcudart|libcudnn|libcublas'"),
            ("the library path", "echo $LD_LIBRARY_PATH"),
            ("the CUDA version the framework was built for",
             "python -c 'import tensorflow as tf; print(tf.sysconfig.get_build_info())'"),
        ),
        patterns=(
            (r"Could not load dynamic library [\"']?lib(cudart|cublas|cublasLt|cufft|curand|"
             r"cusolver|cusparse|cudnn|nvinfer|nvrtc)\S{0,30}", 100),
            (r"Cannot dlopen some GPU libraries", 100),
            (r"lib(cudart|cublas|cublasLt|cudnn)\.so[.\d]*: cannot open shared object file", 80),
        ),
        sources=(
            "https://github.com/tensorflow/tensorflow/issues/45930",
            "https://github.com/tensorflow/tensorflow/issues/53362",
            "https://github.com/NVIDIA/tensorflow/issues/110",
            "https://github.com/jax-ml/jax/issues/3746",
            "https://www.tensorflow.org/install/pip",
        ),
    ),
    _e(
        id="libcuda_not_injected",
        title="The driver's libcuda is not in the container",
        platforms=("linux",),
        cause="libcuda.so.1 belongs to the host driver and reaches a container only when the "
              "toolkit injects it (`--gpus`, the nvidia runtime or CDI with the compute "
              "capability). A container started without a GPU request, or with "
              "NVIDIA_DRIVER_CAPABILITIES lacking `compute`, has none.",
        remedy="Start the container with `--gpus all` (compose: a GPU device reservation) and "
               "keep `compute` in NVIDIA_DRIVER_CAPABILITIES; do not copy libcuda into the "
               "image.",
        checks=(
            ("the container asked for a GPU",
             "docker inspect -f '{{json .HostConfig.DeviceRequests}}' CONTAINER"),
            ("libcuda inside the container", "docker exec CONTAINER ldconfig -p | grep libcuda"),
        ),
        patterns=(
            (r"libcuda\.so(\.1)?: cannot open shared object file", 80),
            (r"Could not load dynamic library [\"']?libcuda\.so(\.1)?[\"']?", 80),
            (r"Failed to dlopen libcuda\.so", 75),
        ),
        context=tuple((rx, -bonus) for rx, bonus in WSL_CONTEXT),
        sources=(
            "https://github.com/tensorflow/tensorflow/issues/10642",
            "https://github.com/leejet/stable-diffusion.cpp/issues/1352",
            "https://docs.nvidia.com/datacenter/cloud-native/container-toolkit/latest/docker-specialized.html",
        ),
    ),
    _e(
        id="wsl_cuda_library_path",
        title="WSL: programs do not find libcuda in /usr/lib/wsl/lib",
        platforms=("wsl2",),
        cause="In WSL 2 the driver's libcuda lives in /usr/lib/wsl/lib. ldconfig learns it "
              "only through /etc/ld.so.conf.d/ld.wsl.conf and caches only libcuda.so.1 (the "
              "files are not symlinks), so code that dlopens `libcuda.so` (bitsandbytes, "
              "cuda-python, Rust crates) or links with `-lcuda` fails.",
        remedy="`export LD_LIBRARY_PATH=/usr/lib/wsl/lib:$LD_LIBRARY_PATH` (in ~/.bashrc or "
               "the container's environment, with `-v /usr/lib/wsl:/usr/lib/wsl` when "
               "running Docker Engine inside WSL), then run `ldconfig`.",
        checks=(
            ("the libraries are there", "ls -l /usr/lib/wsl/lib/libcuda.so*"),
            ("the loader configuration", "cat /etc/ld.so.conf.d/ld.wsl.conf; ldconfig -p | grep libcuda"),
            ("the library path", "echo $LD_LIBRARY_PATH"),
        ),
        patterns=(
            (r"libcuda\.so(\.1)?: cannot open shared object file", 50),
            (r"Failed to dlopen libcuda\.so", 50),
            (r"cannot find -lcuda", 70),
            (r"Unable to (dynamically load|find) (the )?[\"']?cuda[\"']? (shared )?lib", 60),
        ),
        context=WSL_CONTEXT,
        sources=(
            "https://github.com/bitsandbytes-foundation/bitsandbytes/issues/17",
            "https://github.com/NVIDIA/cuda-python/issues/17",
            "https://github.com/microsoft/WSL/issues/8587",
            "https://github.com/chelsea0x3b/cudarc/issues/255",
        ),
    ),
)


def by_id() -> dict[str, dict[str, Any]]:
    return {entry["id"]: entry for entry in FAILURES}
