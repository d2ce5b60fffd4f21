# -*- coding: utf-8 -*-
"""The problem rulebook: facts in (gpufleet_gpu.collect), problems out, each with an id,
a message that quotes the tools' own words and a remedy a user can act on. Pure.
"""
from __future__ import annotations

from typing import Any, Mapping

from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_gpu_parse import nvidia_smi_remedy


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
        newest = toolkit.get("newest_mtime")
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
    return problems
