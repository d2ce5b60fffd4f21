# -*- coding: utf-8 -*-
"""The problem rulebook: facts in (gpufleet_gpu.collect), problems out, each with an id,
a message that quotes the tools' own words and a remedy a user can act on. Pure.
"""
from __future__ import annotations

from typing import Any, Mapping

from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_gpu_parse import (
    nvidia_generation, nvidia_smi_remedy, version_tuple)


# --------------------------------------------------------------------------- the rulebook

# One entry per problem id that find_problems can emit: ``when`` is the README table's text
# (scripts/problem_table.py writes the table from it), ``failures`` the ids of the failure
# catalog (gpufleet_failures, ../failures.json) whose cause the rule reveals before a
# container fails. tests/unit/.../test_gpufleet_gpu_problems.py keeps it in step with the code.
RULES: tuple[dict[str, Any], ...] = (
    {"id": "nvidia_runtime_missing",
     "when": "NVIDIA GPU present, Docker running, no `nvidia` runtime and no `nvidia.com/gpu` "
             "CDI device",
     "failures": ["no_gpu_device_driver_toolkit_missing", "unknown_runtime_nvidia"]},
    {"id": "docker_restart_pending_toolkit",
     "when": "toolkit binaries installed or changed after dockerd started (their inode "
             "change time: dpkg keeps the package's mtimes)",
     "failures": ["no_gpu_device_driver_toolkit_missing"]},
    {"id": "docker_restart_pending_config",
     "when": "`daemon.json` newer than the running dockerd",
     "failures": ["unknown_runtime_nvidia"]},
    {"id": "docker_not_running",
     "when": "Docker installed, daemon not answering",
     "failures": []},
    {"id": "docker_context_desktop",
     "when": "the `docker` CLI talks to Docker Desktop's VM (context `desktop-linux`, "
             "`DOCKER_HOST` or `~/.docker/config.json` `currentContext`, or the daemon says "
             "Docker Desktop), not to the host's engine",
     "failures": ["docker_desktop_linux_context"]},
    {"id": "docker_snap",
     "when": "Docker from the snap (`/snap/bin/docker`, `/var/snap/docker`): its daemon "
             "ignores `/etc/docker/daemon.json` and the host toolkit",
     "failures": ["snap_docker"]},
    {"id": "nvidia_smi_failed",
     "when": "`nvidia-smi` exists and fails; `cause` names which failure, each with its own "
             "remedy: `driver_not_loaded` (also decided from host evidence: no "
             "`/proc/driver/nvidia/version`, no `/sys/module/nvidia`), "
             "`driver_library_mismatch`, `gpu_lost`, `nvml_unknown_error`, "
             "`insufficient_permissions`, `libnvidia_ml_missing`, `no_devices`, `unknown`; "
             "the message quotes nvidia-smi's own words",
     "failures": ["nvidia_kernel_module_not_loaded", "driver_library_version_mismatch",
                  "libnvidia_ml_load_failed"]},
    {"id": "nvidia_smi_unparseable",
     "when": "`nvidia-smi -q -x` exits 0 but prints no readable log (GPUs then not listed)",
     "failures": []},
    {"id": "nvidia_gpus_missing",
     "when": "nvidia-smi's `attached_gpus` is larger than the GPUs it lists (a GPU fell off "
             "the bus)",
     "failures": []},
    {"id": "nvidia_module_not_loaded",
     "when": "an NVIDIA GPU on the PCI bus and no `nvidia` kernel module; `cause`: `nouveau` "
             "(nouveau in `/proc/modules`), `secure_boot` (SecureBoot efivar on, module "
             "unsigned), `dkms_missing` (no build for the running kernel under "
             "`/lib/modules/<release>`), `not_installed`, `unknown`",
     "failures": ["nvidia_kernel_module_not_loaded"]},
    {"id": "nvidia_driver_library_mismatch",
     "when": "`/proc/driver/nvidia/version` differs from the `libnvidia-ml.so.<version>` / "
             "`libcuda.so.<version>` on disk (driver upgraded, not rebooted)",
     "failures": ["driver_library_version_mismatch",
                  "cuda_803_unsupported_driver_combination"]},
    {"id": "nvidia_module_flavor_mismatch",
     "when": "open kernel module with a pre-Turing GPU, or proprietary module with a "
             "Blackwell GPU (`/proc/driver/nvidia/version` vs PCI device ids)",
     "failures": ["kernel_module_flavor_open_vs_proprietary"]},
    {"id": "nvidia_uvm_not_loaded",
     "when": "NVIDIA driver loaded, `nvidia_uvm` not in `/proc/modules`, no "
             "`/dev/nvidia-uvm`, and nothing to load it on demand (no `nvidia-modprobe`, or "
             "rootless Docker)",
     "failures": ["nvidia_uvm_not_loaded"]},
    {"id": "nvidia_dev_char_symlinks_missing",
     "when": "Docker with the systemd cgroup driver and no `/dev/char` links to "
             "the NVIDIA device nodes (NVML \"Unknown Error\" after `systemctl daemon-reload`)",
     "failures": ["nvml_unknown_error_after_daemon_reload"]},
    {"id": "toolkit_too_old_for_cgroup_v2",
     "when": "cgroup v2 host (`/sys/fs/cgroup/cgroup.controllers`) with libnvidia-container "
             "older than 1.8",
     "failures": ["cgroup_v2_devices_subsystem_not_found"]},
    {"id": "toolkit_ldconfig_missing",
     "when": "the `ldconfig` path in `/etc/nvidia-container-runtime/config.toml` does not "
             "exist on the host",
     "failures": ["ldconfig_path_wrong"]},
    {"id": "toolkit_rootless_cgroups",
     "when": "rootless Docker (`name=rootless`, the user's `docker.sock` or "
             "`~/.config/docker/daemon.json`) with an NVIDIA GPU and the toolkit's "
             "`no-cgroups` not true",
     "failures": ["rootless_device_cgroup_permission"]},
    {"id": "selinux_container_devices_off",
     "when": "SELinux enforcing with `container_use_devices` off and a GPU present",
     "failures": ["podman_rootless_insufficient_permissions"]},
    {"id": "fabric_manager_not_running",
     "when": "NVSwitch system (`/proc/driver/nvidia-nvswitch`, PCI bridge class 0x0680 from "
             "NVIDIA) and `nvidia-fabricmanager` not running",
     "failures": ["fabric_manager_not_running_802"]},
    {"id": "cdi_spec_stale",
     "when": "an NVIDIA CDI spec in `/etc/cdi` or `/var/run/cdi` names library files of "
             "another driver version than the running one",
     "failures": ["cdi_unresolvable_devices"]},
    {"id": "nvidia_repo_keyring_missing",
     "when": "an NVIDIA apt source whose `signed-by` keyring file does not exist",
     "failures": ["apt_repo_gpg_no_pubkey"]},
    {"id": "nvidia_repo_unsupported_distribution",
     "when": "an NVIDIA apt source file that holds the 'Unsupported distribution' page "
             "instead of a repository line",
     "failures": ["toolkit_repo_unsupported_distribution"]},
    {"id": "rocm_smi_failed",
     "when": "`rocm-smi` fails (AMD GPUs then come from sysfs)",
     "failures": []},
    {"id": "rocm_smi_unparseable",
     "when": "`rocm-smi` prints no readable JSON (AMD GPUs then come from sysfs)",
     "failures": []},
    {"id": "amd_no_kfd",
     "when": "AMD GPU without `/dev/kfd`",
     "failures": ["rocm_kfd_device_missing"]},
    {"id": "gpu_device_group_missing",
     "when": "the (non-root) user is not in the group owning `/dev/kfd` or "
             "`/dev/dri/renderD*`; the message gives the numeric gids for `--group-add`",
     "failures": ["rocm_kfd_permission_denied", "intel_render_node_permission"]},
    {"id": "user_not_in_docker_group",
     "when": "the (non-root) user cannot use the Docker socket",
     "failures": []},
    {"id": "wsl_linux_nvidia_driver",
     "when": "a Linux NVIDIA driver installed inside WSL",
     "failures": ["wsl_linux_driver_shadowing", "wsl_gpu_access_blocked"]},
    {"id": "wsl_no_windows_nvidia_driver",
     "when": "WSL without `/usr/lib/wsl/lib/nvidia-smi`",
     "failures": ["wsl_no_adapters_found"]},
    {"id": "wsl_libnvidia_ml_missing",
     "when": "WSL with the Windows `nvidia-smi` but no `/usr/lib/wsl/lib/libnvidia-ml.so.1`",
     "failures": ["libnvidia_ml_load_failed"]},
    {"id": "wsl_libcuda_not_symlink",
     "when": "`/usr/lib/wsl/lib/libcuda.so.1` is a regular file (ldconfig's \"is not a "
             "symbolic link\") and the directory is in no `/etc/ld.so.conf.d` file, or the "
             "linker cache has no entry for it",
     "failures": ["wsl_libcuda_not_symlink", "wsl_cuda_library_path"]},
    {"id": "wsl1_no_gpu",
     "when": "a WSL 1 distro (kernel release `...-Microsoft`): no GPU, no Docker engine",
     "failures": ["wsl_no_adapters_found"]},
    {"id": "wsl_no_dxg",
     "when": "WSL 2 without `/dev/dxg` (no GPU paravirtualization)",
     "failures": ["wsl_no_adapters_found", "intel_gpu_wsl_no_dri"]},
    {"id": "wsl_gpu_tcc_mode",
     "when": "an NVIDIA GPU in TCC mode on the Windows side (`driver_model`): WSL cannot use it",
     "failures": ["wsl_gpu_access_blocked", "wsl_no_adapters_found"]},
    {"id": "wsl_engine_conflicts_with_desktop",
     "when": "Docker Engine installed inside WSL while Docker Desktop's WSL integration is on",
     "failures": []},
    {"id": "macos_no_container_gpu",
     "when": "always on macOS: Linux containers get no GPU there",
     "failures": []},
)
RULE_IDS = frozenset(rule["id"] for rule in RULES)


# --------------------------------------------------------------------------- problems

def _problem(pid: str, message: str, remedy: str, **extra: Any) -> dict[str, Any]:
    problem: dict[str, Any] = {"id": pid, "message": message, "remedy": remedy}
    problem.update(extra)
    return problem


NVIDIA_GPUS_MISSING_REMEDY = (
    "A GPU the driver counts is not answering: it fell off the bus or is in a bad state. "
    "Check `dmesg | grep -i xid` (Xid 79: 'GPU has fallen off the bus'), `nvidia-smi -q` "
    "for the error it prints per GPU, and `lspci | grep -i nvidia` (rev ff: the device is "
    "gone). Reset it (`nvidia-smi -r -i <id>`) when nothing uses it, otherwise reboot; "
    "reseat or replace the card (power, riser) if it happens again.")


def _nvidia_problems(nv: Mapping[str, Any]) -> list[dict[str, Any]]:
    problems: list[dict[str, Any]] = []
    if nv.get("error"):
        cause = nv.get("error_cause") or "unknown"
        rc = nv.get("smi_rc")
        problems.append(_problem(
            "nvidia_smi_failed",
            "nvidia-smi failed%s: %s" % (" (exit %d)" % rc if isinstance(rc, int) and rc else "",
                                         nv["error"]),
            nvidia_smi_remedy(cause), cause=cause))
    if nv.get("parse_error"):
        problems.append(_problem(
            "nvidia_smi_unparseable",
            "nvidia-smi -q -x exited 0 but gpufleet cannot read its output, so the NVIDIA "
            "GPUs are not listed: %s" % nv["parse_error"],
            "Run `nvidia-smi -q -x` on the host: if it prints no XML log, reinstall the "
            "driver's nvidia-smi (it must match the loaded driver); if the log looks right, "
            "report it to gpufleet with the output attached."))
    attached, listed = nv.get("attached_gpus"), nv.get("listed_gpus") or 0
    if isinstance(attached, int) and attached > listed:
        problems.append(_problem(
            "nvidia_gpus_missing",
            "nvidia-smi says %d GPU%s attached but lists %d: %d GPU%s cannot be queried."
            % (attached, "s are" if attached != 1 else " is", listed, attached - listed,
               "s" if attached - listed != 1 else ""),
            NVIDIA_GPUS_MISSING_REMEDY, attached_gpus=attached, listed_gpus=listed))
    return problems


def _amd_smi_problems(amd: Mapping[str, Any]) -> list[dict[str, Any]]:
    problems: list[dict[str, Any]] = []
    if amd.get("error"):
        problems.append(_problem(
            "rocm_smi_failed",
            "rocm-smi failed%s: %s; AMD GPUs are listed from sysfs instead."
            % (" (exit %d)" % amd["smi_rc"] if isinstance(amd.get("smi_rc"), int) else "",
               amd["error"]),
            "Check that the amdgpu driver is loaded (`lsmod | grep amdgpu`, `dmesg | grep "
            "amdgpu`), that the user is in the render and video groups, and that the ROCm "
            "user space matches the kernel driver (`rocm-smi --showdriverversion`)."))
    if amd.get("parse_error"):
        problems.append(_problem(
            "rocm_smi_unparseable",
            "rocm-smi --json exited 0 but gpufleet cannot read its output; AMD GPUs are "
            "listed from sysfs instead: %s" % amd["parse_error"],
            "Run `rocm-smi --showproductname --json` on the host: if it prints no JSON, "
            "reinstall rocm-smi-lib for the installed ROCm; if it does, report it to "
            "gpufleet with the output attached."))
    return problems


def nvidia_present(facts: Mapping[str, Any]) -> bool:
    return bool(facts["gpus"].get("nvidia") or facts.get("drm_nvidia_cards") or
                any(n.startswith("/dev/nvidia") and n[11:].isdigit()
                    for n in facts.get("device_nodes", [])) or
                (facts["platform"] == "wsl2" and facts.get("wsl", {}).get("nvidia_smi")))


def find_problems(facts: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What is wrong, each with a remedy a user can act on.  Pure: facts in, list out."""
    problems: list[dict[str, Any]] = []
    platform = facts["platform"]
    docker = facts.get("docker") or {}
    nv = facts.get("nvidia") or {}
    if platform == "macos":
        if facts["gpus"].get("apple") or any(facts["gpus"].values()):
            problems.append(_problem(
                "macos_no_container_gpu",
                "Linux containers on macOS get no GPU: Docker Desktop passes no Metal/MPS or "
                "CUDA device into its Linux VM.",
                "Render services with gpu policy 'auto' or 'none' (CPU, linux/arm64); for "
                "acceleration use Docker Model Runner on the host (Metal) or Podman machine "
                "with libkrun (Vulkan via /dev/dri)."))
        return problems
    if platform == "wsl2":
        evidence = facts.get("wsl", {}).get("linux_driver_evidence") or []
        if evidence:
            problems.append(_problem(
                "wsl_linux_nvidia_driver",
                "A Linux NVIDIA driver is installed inside WSL (%s). WSL gets CUDA from the "
                "Windows driver through /usr/lib/wsl/lib; a Linux driver breaks it."
                % ", ".join(evidence),
                "Remove the Linux driver packages inside WSL (e.g. apt-get purge "
                "'nvidia-driver-*' 'libnvidia-compute-*'), keep only the CUDA toolkit, and "
                "update the NVIDIA driver on Windows instead."))
        if facts.get("wsl", {}).get("lib_dir") and not facts.get("wsl", {}).get("nvidia_smi"):
            problems.append(_problem(
                "wsl_no_windows_nvidia_driver",
                "/usr/lib/wsl/lib has no nvidia-smi: the Windows NVIDIA driver with WSL "
                "support is missing or too old.",
                "Install a current NVIDIA driver on Windows, run `wsl --update`, then "
                "`wsl --shutdown` and start the distro again."))
    if platform == "wsl2":
        wsl = facts.get("wsl", {})
        if wsl.get("nvidia_smi") and not wsl.get("libnvidia_ml"):
            problems.append(_problem(
                "wsl_libnvidia_ml_missing",
                "/usr/lib/wsl/lib has no libnvidia-ml.so.1: containers fail with "
                "'nvidia-container-cli: initialization error: load library failed: "
                "libnvidia-ml.so.1: cannot open shared object file'.",
                "Update the NVIDIA driver on Windows (the WSL libraries come with it), then "
                "`wsl --update` and `wsl --shutdown`; Windows must be 21H2 or later."))
        if wsl.get("desktop_integration") and (facts.get("docker") or {}).get("installed") \
                and facts.get("toolkit", {}).get("dockerd_in_distro"):
            problems.append(_problem(
                "wsl_engine_conflicts_with_desktop",
                "Docker Engine is installed inside this WSL distro and Docker Desktop's WSL "
                "integration is on: two engines fight over the docker CLI and socket.",
                "Choose one: uninstall docker.io/docker-ce inside the distro (Docker's advice "
                "before using Desktop), or turn off Desktop's integration for this distro."))
    problems.extend(_nvidia_problems(nv))
    if docker.get("installed") and not docker.get("running"):
        problems.append(_problem(
            "docker_not_running",
            "Docker is installed but the daemon does not answer: %s"
            % (docker.get("error") or "no answer"),
            "Start it (systemctl start docker) and read `journalctl -u docker` if it fails; "
            "the docker_engine role does both."))
    has_nv = nvidia_present(facts)
    toolkit = facts.get("toolkit") or {}
    if has_nv and docker.get("running"):
        has_runtime = "nvidia" in (docker.get("runtimes") or [])
        has_cdi = any(d.startswith("nvidia.com/gpu=") for d in docker.get("cdi_devices") or [])
        if not has_runtime and not has_cdi:
            if toolkit.get("installed"):
                remedy = ("Register it: nvidia-ctk runtime configure --runtime=docker, then "
                          "systemctl restart docker (the nvidia_container_toolkit role does "
                          "this).")
            else:
                remedy = ("Install the NVIDIA Container Toolkit and register the runtime "
                          "(run the nvidia_container_toolkit role, or apt-get install "
                          "nvidia-container-toolkit && nvidia-ctk runtime configure "
                          "--runtime=docker && systemctl restart docker).")
            problems.append(_problem(
                "nvidia_runtime_missing",
                "An NVIDIA GPU is present but Docker has no 'nvidia' runtime and no "
                "nvidia.com/gpu CDI devices: containers asking for a GPU fail with "
                "'could not select device driver \"\" with capabilities: [[gpu]]'.",
                remedy))
    started = docker.get("started_at")
    if docker.get("running") and started:
        newest = toolkit.get("newest_change")
        if newest and newest > started + 1:
            problems.append(_problem(
                "docker_restart_pending_toolkit",
                "The NVIDIA Container Toolkit was installed or updated after dockerd "
                "started: dockerd registers the nvidia device driver only at start.",
                "Restart Docker: systemctl restart docker."))
        cfg = docker.get("daemon_config_mtime")
        if cfg and cfg > started + 1:
            problems.append(_problem(
                "docker_restart_pending_config",
                "/etc/docker/daemon.json changed after dockerd started; the running daemon "
                "does not use it yet.",
                "Restart Docker: systemctl restart docker (or rerun the docker_engine role)."))
    problems.extend(_amd_smi_problems(facts.get("amd") or {}))
    amd = facts["gpus"].get("amd") or []
    nodes = facts.get("device_nodes") or []
    if amd and "/dev/kfd" not in nodes:
        problems.append(_problem(
            "amd_no_kfd",
            "An AMD GPU is present but /dev/kfd is missing: ROCm containers cannot compute.",
            "Install the amdgpu kernel driver (amdgpu-dkms) and reboot."))
    user = facts.get("user")
    groups = facts.get("groups") or {}
    if user and user != "root" and docker.get("installed") and groups.get("docker") is False:
        problems.append(_problem(
            "user_not_in_docker_group",
            "User %s is not in the docker group and cannot use the Docker socket." % user,
            "Add the user through docker_engine_users (note: the docker group is "
            "root-equivalent), or use rootless Docker."))
    problems.extend(host_problems(facts))
    return problems


# --------------------------------------------------------------------------- host checks
# The doctor's checks on host evidence (facts["host"], gpufleet_gpu.collect_host): each one
# names a failure of the catalog before a container meets it.

def _version_lt(version: object, minimum: tuple[int, ...]) -> bool:
    parts = version_tuple(version)
    return bool(parts) and parts < minimum


def _rootless_evidence(docker: Mapping[str, Any], host: Mapping[str, Any]) -> list[str]:
    """Why Docker looks rootless: its own word (docker info), the user's socket or config."""
    said = [o for o in docker.get("security_options") or [] if "name=rootless" in o]
    return (["docker info: " + said[0]] if said else []) + \
        list((host.get("docker_client") or {}).get("rootless") or [])


def _driver_problems(facts: Mapping[str, Any], host: Mapping[str, Any]) -> list[dict[str, Any]]:
    problems: list[dict[str, Any]] = []
    kern = host.get("nvidia_kernel") or {}
    pci_gpus = kern.get("pci_gpus") or []
    if pci_gpus and not kern.get("loaded"):
        evidence = "%d NVIDIA GPU%s on the PCI bus (%s)" % (
            len(pci_gpus), "s" if len(pci_gpus) != 1 else "",
            ", ".join("%s [10de:%s]" % (g["address"], g["device_id"][2:]) for g in pci_gpus[:4]))
        release = kern.get("kernel_release") or "<running kernel>"
        installed = kern.get("userspace_versions") or kern.get("dkms_sources")
        if kern.get("nouveau_loaded"):
            cause, why, remedy = (
                "nouveau", "the nouveau driver is loaded (/proc/modules) and holds the GPU",
                "Blacklist nouveau (`printf 'blacklist nouveau\\noptions nouveau modeset=0\\n' "
                "> /etc/modprobe.d/blacklist-nouveau.conf`), rebuild the initramfs "
                "(`update-initramfs -u` or `dracut -f`), install the NVIDIA driver and reboot.")
        elif kern.get("module_files") and kern.get("secure_boot"):
            cause, why, remedy = (
                "secure_boot", "Secure Boot is on (SecureBoot efivar = 1) and %s is not "
                "loaded: an unsigned module is refused" % kern["module_files"][0],
                "Enroll the DKMS signing key (`mokutil --import /var/lib/dkms/mok.pub`, "
                "confirm in the MOK manager at the next boot) or install the distribution's "
                "signed driver packages; `mokutil --sb-state` and `dmesg | grep -i "
                "'module verification failed\\|Key was rejected'` confirm it. Then "
                "`modprobe nvidia`.")
        elif not kern.get("module_files") and installed:
            cause, why, remedy = (
                "dkms_missing", "the NVIDIA driver is installed (%s) but no nvidia.ko exists "
                "for the running kernel %s (/lib/modules/%s)"
                % (", ".join(installed[:3]), release, release),
                "Build it for this kernel: install the headers (`apt-get install "
                "linux-headers-$(uname -r)`) and run `dkms autoinstall` (check with "
                "`dkms status`), or boot the kernel the driver was built for; then "
                "`modprobe nvidia`.")
        elif not kern.get("module_files"):
            cause, why, remedy = (
                "not_installed", "no NVIDIA driver is installed for kernel %s" % release,
                "Install the NVIDIA driver (the distribution's nvidia-driver package or "
                "NVIDIA's repository; open flavour for Turing and newer) and reboot.")
        else:
            cause, why, remedy = (
                "unknown", "%s exists but is not loaded" % kern["module_files"][0],
                "Run `modprobe nvidia` and read its error and `dmesg | grep -i nvrm`.")
        problems.append(_problem(
            "nvidia_module_not_loaded",
            "The nvidia kernel module is not loaded although %s: %s." % (evidence, why),
            remedy, cause=cause))
    version = kern.get("version")
    user_versions = kern.get("userspace_versions") or []
    if kern.get("loaded") and version and user_versions and version not in user_versions:
        problems.append(_problem(
            "nvidia_driver_library_mismatch",
            "The loaded nvidia kernel module is %s but the user-space driver on disk is %s "
            "(libnvidia-ml.so/libcuda.so): NVML fails with 'Failed to initialize NVML: "
            "Driver/library version mismatch' and CUDA with error 803."
            % (version, ", ".join(user_versions)),
            "The driver was upgraded without a reboot (or two versions are installed): "
            "reboot, or stop everything using the GPU and reload the modules (`rmmod "
            "nvidia_uvm nvidia_drm nvidia_modeset nvidia && modprobe nvidia`); remove "
            "leftover libraries of the other version."))
    flavor = kern.get("flavor")
    if kern.get("loaded") and flavor:
        gens = [(g, nvidia_generation(g.get("device_id"))) for g in pci_gpus]
        if flavor == "open":
            wrong = [g for g, gen in gens if gen == "pre_turing"]
            need, remedy = ("proprietary", "Maxwell, Pascal and Volta GPUs work only with the "
                            "proprietary kernel module: install it (e.g. `nvidia-driver-XXX` "
                            "instead of `-open`, or the .run file with "
                            "`--kernel-module-type=proprietary`) and reboot.")
        else:
            wrong = [g for g, gen in gens if gen == "blackwell"]
            need, remedy = ("open", "Blackwell GPUs work only with the open kernel module: "
                            "install it (`nvidia-driver-XXX-open`, `nvidia-open`, or the .run "
                            "file with `--kernel-module-type=open`) and reboot.")
        if wrong:
            problems.append(_problem(
                "nvidia_module_flavor_mismatch",
                "The %s nvidia kernel module is loaded (/proc/driver/nvidia/version) but "
                "%s need%s the %s one: the driver loads and no GPU initialises ('No devices "
                "were found', 'RmInitAdapter failed' in dmesg)."
                % ("open" if flavor == "open" else "proprietary",
                   ", ".join("%s [10de:%s]" % (g["address"], g["device_id"][2:]) for g in wrong),
                   "s" if len(wrong) == 1 else "", need),
                remedy))
    # Unloaded nvidia_uvm is normal until first use: nvidia-modprobe (setuid root, called by
    # CUDA and by the toolkit's hook) loads it and creates /dev/nvidia-uvm. It fails when that
    # helper is missing or cannot act (rootless Docker, user namespaces).
    rootless = _rootless_evidence(facts.get("docker") or {}, host)
    if kern.get("loaded") and kern.get("modules_readable") and not kern.get("uvm_loaded") \
            and not kern.get("uvm_node") and facts.get("platform") == "linux" \
            and (not host.get("nvidia_modprobe") or rootless):
        why = ("Docker runs rootless (%s), so nothing may load it on demand"
               % ", ".join(rootless) if host.get("nvidia_modprobe")
               else "nvidia-modprobe is not installed to load it on demand")
        problems.append(_problem(
            "nvidia_uvm_not_loaded",
            "The nvidia module is loaded but nvidia_uvm is not (/proc/modules) and "
            "/dev/nvidia-uvm is missing; %s: the toolkit warns 'Kernel module nvidia_uvm is "
            "not loaded' and CUDA cannot initialise in containers ('Could not load UVM kernel "
            "module') although nvidia-smi works." % why,
            "Load it now and at boot: `modprobe nvidia-uvm` (or `nvidia-modprobe -u -c=0`, "
            "which also creates /dev/nvidia-uvm) and `echo nvidia-uvm > "
            "/etc/modules-load.d/nvidia-uvm.conf`."))
    switches = host.get("nvidia_kernel", {}).get("nvswitches") or []
    if kern.get("loaded") and switches and not host.get("fabricmanager_running"):
        problems.append(_problem(
            "fabric_manager_not_running",
            "This is an NVSwitch system (%s) and nvidia-fabricmanager is not running%s: CUDA "
            "fails with error 802 'system not yet initialized' while nvidia-smi looks fine."
            % (", ".join(s["address"] for s in switches[:4]),
               " (the service is enabled: it failed)" if host.get("fabricmanager_enabled")
               else ""),
            "Install nvidia-fabricmanager of exactly the driver's version (%s), `systemctl "
            "enable --now nvidia-fabricmanager`, read `journalctl -u nvidia-fabricmanager`; "
            "keep it version-locked with the driver." % (version or "see nvidia-smi")))
    return problems


def _cdi_problems(facts: Mapping[str, Any], host: Mapping[str, Any]) -> list[dict[str, Any]]:
    """NVIDIA CDI specs naming the libraries of another driver than the running one."""
    problems: list[dict[str, Any]] = []
    running = (host.get("nvidia_kernel") or {}).get("version") or \
        (facts.get("nvidia") or {}).get("driver_version")
    for spec in host.get("cdi_specs") or []:
        versions = spec.get("driver_versions") or []
        if running and versions and running not in versions:
            problems.append(_problem(
                "cdi_spec_stale",
                "%s was generated for NVIDIA driver %s but driver %s is running: containers "
                "fail with 'unresolvable CDI devices' or miss libraries."
                % (spec["path"], ", ".join(versions), running),
                "Regenerate it after every driver upgrade: `nvidia-ctk cdi generate "
                "--output=%s` (toolkit 1.18+: `systemctl enable --now nvidia-cdi-refresh."
                "path`), check with `nvidia-ctk cdi list`." % spec["path"]))
    return problems


def _container_stack_problems(facts: Mapping[str, Any],
                              host: Mapping[str, Any]) -> list[dict[str, Any]]:
    problems: list[dict[str, Any]] = []
    docker = facts.get("docker") or {}
    client = host.get("docker_client") or {}
    if facts.get("platform") == "linux":
        evidence = []
        if client.get("current_context") == "desktop-linux":
            evidence.append("%s/.docker/config.json currentContext is desktop-linux"
                            % client.get("home"))
        if client.get("env_context") == "desktop-linux":
            evidence.append("DOCKER_CONTEXT=desktop-linux")
        if "/.docker/desktop/" in (client.get("env_host") or ""):
            evidence.append("DOCKER_HOST=%s" % client["env_host"])
        if docker.get("name") == "docker-desktop" or \
                "Docker Desktop" in (docker.get("operating_system") or ""):
            evidence.append("docker info says %s" % (docker.get("operating_system") or
                                                     docker.get("name")))
        if evidence:
            problems.append(_problem(
                "docker_context_desktop",
                "The docker CLI talks to Docker Desktop (%s): its engine runs in a VM with no "
                "GPU, so `--gpus` fails with 'could not select device driver \"\" with "
                "capabilities: [[gpu]]' whatever the host's toolkit." % "; ".join(evidence),
                "Use the host's Docker Engine: `docker context use default` (and unset "
                "DOCKER_HOST/DOCKER_CONTEXT), or quit/uninstall Docker Desktop; configure the "
                "NVIDIA toolkit for docker-ce."))
    if client.get("snap"):
        problems.append(_problem(
            "docker_snap",
            "Docker is installed as a snap (%s): its confined daemon reads "
            "/var/snap/docker/current/config/daemon.json, not /etc/docker/daemon.json, and "
            "does not see the host's NVIDIA toolkit ('unknown or invalid runtime name: "
            "nvidia', 'could not select device driver')." % ", ".join(client["snap"]),
            "Remove the snap (`snap remove --purge docker`) and install Docker Engine from "
            "Docker's apt repository (the docker_engine role), then configure the toolkit."))
    has_nv_nodes = any(n.startswith("/dev/nvidia") and n[11:].isdigit()
                       for n in facts.get("device_nodes") or [])
    if docker.get("running") and docker.get("cgroup_driver") == "systemd" and has_nv_nodes \
            and not host.get("dev_char_nvidia_links"):
        problems.append(_problem(
            "nvidia_dev_char_symlinks_missing",
            "Docker uses the systemd cgroup driver (cgroup v%s) and /dev/char has no links to "
            "the NVIDIA device nodes: after any `systemctl daemon-reload` running GPU "
            "containers lose the GPU ('Failed to initialize NVML: Unknown Error')."
            % (docker.get("cgroup_version") or "?"),
            "Create the links now and at boot: `nvidia-ctk system create-dev-char-symlinks "
            "--create-all` and a udev rule (`ACTION==\"add\", DEVPATH==\"/bus/pci/drivers/"
            "nvidia\", RUN+=\"/usr/bin/nvidia-ctk system create-dev-char-symlinks "
            "--create-all\"` in /lib/udev/rules.d/71-nvidia-dev-char.rules), or use CDI "
            "devices; recreate containers that already lost the GPU."))
    rootless_evidence = _rootless_evidence(docker, host)
    if rootless_evidence and config_no_cgroups(host) is not True and nvidia_present(facts) \
            and (host.get("toolkit_config") or {}).get("exists"):
        problems.append(_problem(
            "toolkit_rootless_cgroups",
            "Docker runs rootless (%s) and /etc/nvidia-container-runtime/config.toml does not "
            "set no-cgroups = true: the toolkit's hook cannot program the device cgroup "
            "('nvidia-container-cli: mount error: ... devices.allow: permission denied' or "
            "'bpf_prog_query(BPF_CGROUP_DEVICE) failed: operation not permitted')."
            % ", ".join(rootless_evidence),
            "Set it: `nvidia-ctk config --set nvidia-container-cli.no-cgroups --in-place`, "
            "register the runtime in the rootless daemon's own config (`nvidia-ctk runtime "
            "configure --runtime=docker --config=$HOME/.config/docker/daemon.json`, then "
            "`systemctl --user restart docker`), or use CDI devices."))
    selinux = host.get("selinux") or {}
    if selinux.get("enforcing") and selinux.get("container_use_devices") is False \
            and (nvidia_present(facts) or any((facts.get("gpus") or {}).get(v)
                                              for v in ("amd", "intel"))):
        problems.append(_problem(
            "selinux_container_devices_off",
            "SELinux is enforcing and the boolean container_use_devices is off: confined "
            "containers (Podman, Docker with SELinux) cannot open the GPU nodes ('Failed to "
            "initialize NVML: Insufficient Permissions').",
            "`setsebool -P container_use_devices on` (or run the container with "
            "`--security-opt label=disable`); rootless Podman also needs `--group-add "
            "keep-groups` for group-owned nodes."))
    packages = facts.get("packages") or {}
    lnc = packages.get("libnvidia-container1") or packages.get("libnvidia-container-tools") \
        or host.get("libnvidia_container_version")
    if host.get("cgroup_v2") and lnc and _version_lt(lnc, (1, 8)):
        problems.append(_problem(
            "toolkit_too_old_for_cgroup_v2",
            "The host runs cgroup v2 (/sys/fs/cgroup/cgroup.controllers) and libnvidia-container "
            "is %s (< 1.8): GPU containers fail with 'nvidia-container-cli: container error: "
            "cgroup subsystem devices not found'." % lnc,
            "Upgrade the NVIDIA Container Toolkit (apt-get install --only-upgrade "
            "nvidia-container-toolkit libnvidia-container1 libnvidia-container-tools; the "
            "nvidia_container_toolkit role), then systemctl restart docker."))
    config = host.get("toolkit_config") or {}
    if config.get("ldconfig") and config.get("ldconfig_exists") is False:
        problems.append(_problem(
            "toolkit_ldconfig_missing",
            "/etc/nvidia-container-runtime/config.toml sets ldconfig = \"@%s\" and %s does not "
            "exist on this host: GPU containers fail with 'nvidia-container-cli: ldcache "
            "error: open failed: %s: no such file or directory'."
            % (config["ldconfig"], config["ldconfig"], config["ldconfig"]),
            "Point it at the host's ldconfig: `ldconfig = \"@/sbin/ldconfig\"` (Debian, "
            "Fedora, Arch) or \"@/sbin/ldconfig.real\" (Ubuntu), e.g. `nvidia-ctk config "
            "--set nvidia-container-cli.ldconfig=@/sbin/ldconfig --in-place`."))
    for repo in host.get("nvidia_apt_sources") or []:
        if repo.get("unsupported"):
            problems.append(_problem(
                "nvidia_repo_unsupported_distribution",
                "%s holds '# Unsupported distribution!' instead of a repository line: the "
                "per-distribution list URL did not know this release, so apt installs no "
                "toolkit." % repo["path"],
                "Replace it with NVIDIA's generic repository line (`deb [signed-by=/usr/share/"
                "keyrings/nvidia-container-toolkit-keyring.gpg] https://nvidia.github.io/"
                "libnvidia-container/stable/deb/$(ARCH) /`) or run the "
                "nvidia_container_toolkit role, then `apt-get update`."))
        if repo.get("missing_keyrings"):
            problems.append(_problem(
                "nvidia_repo_keyring_missing",
                "%s names signed-by keyring %s, which does not exist: `apt-get update` fails "
                "with NO_PUBKEY / 'not signed'."
                % (repo["path"], ", ".join(repo["missing_keyrings"])),
                "Fetch the key again (`curl -fsSL https://nvidia.github.io/libnvidia-container/"
                "gpgkey | gpg --dearmor -o %s`) or run the nvidia_container_toolkit role."
                % repo["missing_keyrings"][0]))
    return problems


def config_no_cgroups(host: Mapping[str, Any]) -> bool | None:
    return (host.get("toolkit_config") or {}).get("no_cgroups")


def _group_problems(facts: Mapping[str, Any], host: Mapping[str, Any]) -> list[dict[str, Any]]:
    user = facts.get("user")
    ids = host.get("user_ids") or {}
    if not user or user == "root" or ids.get("uid") is None:
        return []
    gpus = facts.get("gpus") or {}
    compute = {c.get("render_node") for v in ("amd", "intel") for c in gpus.get(v) or []
               if c.get("render_node")}
    if gpus.get("amd"):
        compute.add("/dev/kfd")
    blocked = []
    for node in host.get("device_node_access") or []:
        if node["path"] not in compute:
            continue
        mode = int(node["mode"], 8)
        if mode & 0o006 == 0o006 or node["uid"] == ids["uid"] or node["gid"] in ids["gids"]:
            continue
        blocked.append(node)
    if not blocked:
        return []
    gids = sorted({n["gid"] for n in blocked})
    names = sorted({n["group"] for n in blocked if n.get("group")})
    return [_problem(
        "gpu_device_group_missing",
        "User %s (gids %s) cannot open %s: ROCm fails with 'Unable to open /dev/kfd read-write: "
        "Permission denied', Intel/VA-API finds no render node."
        % (user, ",".join(str(g) for g in ids.get("gids") or []) or "none",
           ", ".join("%s (group %s, gid %d, mode %s)" % (n["path"], n.get("group") or "?",
                                                         n["gid"], n["mode"]) for n in blocked)),
        "Add the user to the group%s: `usermod -aG %s %s` and log in again. Containers: pass "
        "the numeric gid%s, `--group-add %s` (compose `group_add: [%s]`), since the image's "
        "/etc/group may give render another number."
        % ("s" if len(names) != 1 else "", ",".join(names) or ",".join(str(g) for g in gids),
           user, "s" if len(gids) != 1 else "", " --group-add ".join(str(g) for g in gids),
           ", ".join('"%d"' % g for g in gids)),
        gids=gids)]


def _wsl_host_problems(facts: Mapping[str, Any], host: Mapping[str, Any]) -> list[dict[str, Any]]:
    problems: list[dict[str, Any]] = []
    if host.get("wsl_version") == 1:
        problems.append(_problem(
            "wsl1_no_gpu",
            "This distro runs under WSL 1 (kernel release %r): WSL 1 has no GPU and no "
            "Linux kernel for Docker ('WSL environment detected but no adapters were found')."
            % ((host.get("nvidia_kernel") or {}).get("kernel_release") or ""),
            "Convert it from Windows: `wsl --set-version <distro> 2` (and `wsl "
            "--set-default-version 2`), then `wsl --shutdown`."))
        return problems
    nodes = facts.get("device_nodes") or []
    if "/dev/dxg" not in nodes:
        problems.append(_problem(
            "wsl_no_dxg",
            "WSL 2 without /dev/dxg: the Windows build or WSL kernel has no GPU "
            "paravirtualization, so no GPU reaches Linux ('WSL environment detected but no "
            "adapters were found'; /dev/dri is never there in WSL).",
            "Update Windows (10 21H2+ / 11) and WSL (`wsl --update`, then `wsl --shutdown`); a "
            "custom kernel needs CONFIG_DXGKRNL."))
    lib = host.get("wsl_libcuda") or {}
    if lib.get("exists") and not lib.get("symlink"):
        why = None
        if lib.get("configured") is False:
            why = "no file in /etc/ld.so.conf.d lists /usr/lib/wsl/lib"
        elif lib.get("elf") and lib.get("in_ld_cache") is False:
            why = "/etc/ld.so.cache has no entry for it (ldconfig not run since)"
        if why:
            problems.append(_problem(
                "wsl_libcuda_not_symlink",
                "/usr/lib/wsl/lib/libcuda.so.1 is a regular file (ldconfig: '/usr/lib/wsl/lib/"
                "libcuda.so.1 is not a symbolic link') and %s: programs that find libcuda "
                "through the linker cache (dlopen, -lcuda, CUDA wheels) do not find it." % why,
                "Put the directory in the cache: `echo /usr/lib/wsl/lib > /etc/ld.so.conf.d/"
                "ld.wsl.conf && ldconfig` (or LD_LIBRARY_PATH=/usr/lib/wsl/lib). The warning "
                "itself is harmless; to silence it, replace the copies by links from an "
                "elevated Windows prompt in C:\\Windows\\System32\\lxss\\lib (`mklink "
                "libcuda.so.1 libcuda.so.1.1`)."))
    tcc = [g for g in host.get("windows_gpus") or [] if (g.get("driver_model") or "") == "TCC"]
    tcc += [{"index": str(g.get("index")), "name": g.get("name"), "driver_model": "TCC"}
            for g in (facts.get("gpus") or {}).get("nvidia") or []
            if g.get("driver_model") == "TCC"]
    if tcc:
        problems.append(_problem(
            "wsl_gpu_tcc_mode",
            "NVIDIA GPU %s runs in TCC mode on Windows (nvidia-smi.exe driver_model): WSL only "
            "sees WDDM GPUs ('GPU access blocked by the operating system', 'no adapters were "
            "found')." % ", ".join("%s %s" % (g["index"], g.get("name") or "") for g in tcc),
            "From an elevated Windows prompt switch it to WDDM: `nvidia-smi -i <index> -dm "
            "WDDM` (or `-fdm 0`), reboot Windows, then `wsl --shutdown`. Data-center boards "
            "that only support TCC cannot be used from WSL."))
    return problems


def host_problems(facts: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The doctor's checks on host evidence (facts["host"]); pure."""
    host = facts.get("host") or {}
    if not host:
        return []
    problems: list[dict[str, Any]] = []
    if facts.get("platform") == "linux":
        problems.extend(_driver_problems(facts, host))
    elif facts.get("platform") == "wsl2":
        problems.extend(_wsl_host_problems(facts, host))
    problems.extend(_cdi_problems(facts, host))
    problems.extend(_container_stack_problems(facts, host))
    problems.extend(_group_problems(facts, host))
    return problems
