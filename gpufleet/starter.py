"""The starter inventory that ``gpufleet init DIR`` writes (``api.init``).

A module, not data files: it ships in the wheel with the package ``gpufleet`` and needs no
package-data entry. Every group has no host yet (commented examples only), so the
inventory parses as written; every value that is set is the default the playbooks and
roles use anyway, written out so that a newcomer sees what to change. The unit tests
parse it with ``ansible-inventory`` and check every variable named here against the
roles' defaults.
"""
from __future__ import annotations

GROUPS = ("linux", "cloud", "wsl", "windows", "macos")

HOSTS_YML = """\
---
# gpufleet inventory: one group per kind of machine. Each group has its own playbook,
# its connection settings and rollout policy in group_vars/<group>.yml.
#
# Add a host by uncommenting an example under `hosts:` and putting your machine's name
# (or any name plus `ansible_host: <address>`). Per-host settings go under the host name;
# they win over group_vars. Check what Ansible sees:
#   ansible-inventory -i <this directory> --graph
all:
  children:
    linux:      # Debian/Ubuntu GPU machines over SSH: Docker Engine + NVIDIA Container Toolkit
      hosts:
        # gpu-ws-01.lab.example:
        # dgx-01.lab.example:
        #   ansible_host: 10.0.0.21        # when the name does not resolve
        #   nvidia_container_toolkit_cdi_feature: true   # CDI devices (MIG, several GPUs)
    cloud:      # cloud GPU VMs (Debian/Ubuntu): the Linux roles, rolled out as their own batches
      hosts:
        # g5-xlarge-01.cloud.example:
        #   ansible_host: 203.0.113.10
    wsl:        # WSL2 distros reached by SSH: CUDA comes from the Windows driver
      hosts:
        # ws-alice-wsl.lab.example:
        #   ansible_port: 2222             # the distro's sshd, forwarded by Windows
    windows:    # Windows 10/11 desktops over WinRM/HTTPS: WSL2 + Docker Desktop
      hosts:
        # ws-alice.lab.example:
    macos:      # Macs over SSH: Docker Desktop (Linux containers get no GPU on a Mac)
      hosts:
        # mbp-bob.lab.example:
"""

ROLLOUT = """\
# --- rollout: how a run goes through this group's hosts ------------------------------
# gpufleet reads these and passes them to the play (Ansible's play keywords never see
# group_vars); with plain ansible-playbook use -e gpufleet_serial=5. The values below are
# the playbooks' defaults: a canary batch of one host, then all the others; any failed
# host stops the rollout, and the hosts after it are reported as not reached.
gpufleet_serial: [1, "100%%"]     # batch sizes: a number, a percentage ("25%%") or a list%(serial_hint)s
gpufleet_max_fail_percentage: 0   # %% of a batch that may fail and the rollout goes on%(fail_hint)s
gpufleet_order: inventory         # inventory (the first host is the canary), sorted, shuffle
"""

LINUX_ENGINE = """\
# --- Docker Engine (role docker_engine) ------------------------------------------------
docker_engine_source: distro      # distro: the OS's docker.io; upstream: Docker's apt repository
docker_engine_users: []           # the docker group is root-equivalent: list people deliberately
# Settings merged into /etc/docker/daemon.json (every other key in the file is kept).
# live-restore keeps containers (training jobs) running when dockerd restarts; without it
# gpufleet does not restart dockerd while containers run and reports "restart pending".
# docker_engine_daemon_settings:
#   live-restore: true
#   log-driver: json-file
#   log-opts: {max-size: 50m, max-file: "3"}
# Consent to restart dockerd with containers running (they stop), for one run:
#   gpufleet up -e docker_engine_restart_running_containers=true
docker_engine_restart_running_containers: false

# --- NVIDIA Container Toolkit (role nvidia_container_toolkit) --------------------------
nvidia_container_toolkit_enabled: auto   # auto: hosts where an NVIDIA GPU is found; true; false
# nvidia_container_toolkit_version: "1.17.8-1"        # pin the toolkit packages; empty: latest
# nvidia_container_toolkit_install_packages: false    # the packages come from your image instead
#                                                     # (or NVIDIA's repository is unreachable)

# --- workloads (gpufleet deploy; role gpu_workload) -------------------------------------
# The services to run on these hosts: image, command, gpu: {policy, count}, ...
# (docs/services.md). `gpufleet render --services FILE --platform linux` shows the compose file.
# gpu_workload_services:
#   llm:
#     image: registry.example/aiml/llm:cuda12.4
#     gpu: {policy: required, count: 1}
"""

LINUX_YML = """\
---
# Linux GPU hosts (Debian 12/13, Ubuntu 22.04/24.04), reached over SSH.
# `gpufleet up -l linux` runs playbooks/linux.yml: Docker Engine, then the NVIDIA Container
# Toolkit on hosts with an NVIDIA GPU. Needs: SSH access, sudo, Python 3 on the host.

# --- connection ------------------------------------------------------------------------
# ansible_user: ops                          # the SSH user (default: your local user name)
# ansible_ssh_private_key_file: ~/.ssh/id_ed25519
# ansible_port: 22
ansible_become: true                         # the roles need root (sudo)
# sudo with a password: keep it in ansible-vault, in group_vars/linux/vault.yml (then move
# this file to group_vars/linux/main.yml: Ansible reads the directory instead of linux.yml)
# ansible_become_password: "{{ vault_linux_become_password }}"

""" + ROLLOUT % {"serial_hint": "", "fail_hint": ""} + "\n" + LINUX_ENGINE

CLOUD_YML = """\
---
# Cloud GPU VMs (Debian/Ubuntu images). Same roles as the linux group (playbooks/cloud.yml
# imports playbooks/linux.yml), batched separately so that a flaky VM does not hold up the
# workstations. Needs: SSH access, sudo, Python 3 on the VM.

# --- connection ------------------------------------------------------------------------
# ansible_user: ubuntu                       # the image's user: ubuntu, admin (Debian), ...
# ansible_ssh_private_key_file: ~/.ssh/cloud.pem
ansible_become: true                         # the roles need root (sudo)

""" + ROLLOUT % {
    "serial_hint": "\n#   e.g. [1, 5]: a canary VM, then batches of five",
    "fail_hint": "\n#   e.g. 20: one flaky VM in a batch of five does not stop the rest"} \
    + "\n" + LINUX_ENGINE

WSL_YML = """\
---
# WSL2 distros on Windows machines, reached by SSH into the distro (run sshd in it and
# forward a port from Windows). `gpufleet up -l wsl` runs playbooks/wsl.yml (role
# wsl_guest): /etc/wsl.conf (systemd, GPU), a check that the Windows driver's GPU reaches
# the distro, and the container engine below. Set up WSL2 itself from the windows group.
# Never install a Linux NVIDIA driver inside WSL: CUDA comes from the Windows driver
# (/usr/lib/wsl/lib); `gpufleet doctor` reports one as the problem wsl_linux_nvidia_driver.

# --- connection ------------------------------------------------------------------------
# ansible_user: alice
# ansible_port: 2222                         # the port Windows forwards to the distro's sshd
ansible_become: true                         # the role needs root (sudo)

""" + ROLLOUT % {"serial_hint": "", "fail_hint": ""} + """
# --- container engine (role wsl_guest) ---------------------------------------------------
# desktop: Docker Desktop's WSL integration provides docker (no engine in the distro);
# engine: Docker Engine + NVIDIA Container Toolkit inside the distro (the docker_engine_*
# and nvidia_container_toolkit_* settings shown in group_vars/linux.yml then go here too);
# none: no container engine work.
wsl_guest_engine: desktop
"""

WINDOWS_YML = """\
---
# Windows 10 22H2 / 11 23H2 desktops (not Server), reached over WinRM/HTTPS.
# `gpufleet up -l windows` runs playbooks/windows.yml: WSL2 (role wsl2), then Docker
# Desktop with the WSL2 backend (role docker_desktop). Setting up the WinRM listener and
# the certificate on the host: docs/windows.md.

# --- connection: WinRM over HTTPS, certificate validated, message encryption ------------
ansible_connection: winrm
ansible_port: 5986
ansible_winrm_scheme: https
ansible_winrm_transport: ntlm                 # kerberos in a domain
ansible_winrm_server_cert_validation: validate
ansible_winrm_message_encryption: auto
# ansible_winrm_ca_trust_path: /path/to/ca.pem   # the CA that signed the hosts' certificates
# Credentials: never in plain text. Create group_vars/windows/vault.yml with
# `ansible-vault create`, move this file to group_vars/windows/main.yml (Ansible reads the
# directory instead of windows.yml when both exist), and use:
# ansible_user: "{{ vault_windows_user }}"
# ansible_password: "{{ vault_windows_password }}"

""" + ROLLOUT % {"serial_hint": "", "fail_hint": ""} + """
# --- WSL2 (role wsl2) ---------------------------------------------------------------------
# Distros to install from the Store/web ({name: ...}) or import from a tar
# ({name: lab, tarball: 'C:\\images\\lab.tar', location: 'C:\\WSL\\lab'}).
# wsl2_distros:
#   - name: Ubuntu-24.04
# wsl2_default_distro: Ubuntu-24.04
wsl2_reboot: true                  # reboot when enabling the WSL features needs it
# wsl2_wslconfig:                  # %UserProfile%\\.wslconfig
#   wsl2: {memory: 16GB, processors: 8}

# --- Docker Desktop (role docker_desktop) ------------------------------------------------
# Required: a pinned installer (version, URL, SHA-256 from Docker's release notes or your
# mirror); the role refuses to download an unpinned one.
# docker_desktop_version: "4.37.1"
# docker_desktop_installer_url: "https://mirror.example/4.37.1/Docker%20Desktop%20Installer.exe"
# docker_desktop_installer_sha256: "<sha256 of that file>"
# Docker Desktop only runs in an interactive logon session: it is started at this user's
# logon (default: ansible_user).
# docker_desktop_logon_user: alice
# docker_desktop_integrated_distros: [Ubuntu-24.04]   # docker inside these WSL distros
"""

MACOS_YML = """\
---
# Macs, reached over SSH (System Settings > General > Sharing > Remote Login).
# `gpufleet up -l macos` runs playbooks/macos.yml: Docker Desktop (or Colima / Podman).
# Linux containers on a Mac get no GPU: Docker Desktop passes no Metal or CUDA device into
# its VM; GPU services render for CPU (linux/arm64). `gpufleet doctor` reports this as the
# problem macos_no_container_gpu.

# --- connection ------------------------------------------------------------------------
# ansible_user: admin                          # an administrator (Homebrew runs as this user)
# ansible_ssh_private_key_file: ~/.ssh/id_ed25519

""" + ROLLOUT % {"serial_hint": "", "fail_hint": ""} + """
# --- Docker Desktop (role docker_desktop) ------------------------------------------------
# cask (Homebrew), dmg (a pinned .dmg), colima, or podman (libkrun: Vulkan inside containers)
docker_desktop_macos_method: cask
# docker_desktop_dmg_url: "https://artifacts.example.internal/docker-desktop/Docker.dmg"   # dmg
# docker_desktop_dmg_sha256: "<sha256 of that file>"
# docker_desktop_logon_user: bob               # whose logon session runs Docker Desktop
"""

FILES = {
    "hosts.yml": HOSTS_YML,
    "group_vars/linux.yml": LINUX_YML,
    "group_vars/cloud.yml": CLOUD_YML,
    "group_vars/wsl.yml": WSL_YML,
    "group_vars/windows.yml": WINDOWS_YML,
    "group_vars/macos.yml": MACOS_YML,
}


def next_steps(directory: str) -> list[str]:
    """What to run after ``gpufleet init DIR``, as shell lines."""
    d = directory
    return [
        "# 1. add your machines to %s/hosts.yml and set the connection settings in "
        "%s/group_vars/<group>.yml" % (d, d),
        "ansible-inventory -i %s --graph        # 2. check what Ansible sees" % d,
        "gpufleet doctor -i %s                  # 3. read-only: GPUs, Docker, problems "
        "with remedies" % d,
        "gpufleet plan   -i %s -l linux         # 4. what `up` would change (check mode)" % d,
        "gpufleet up     -i %s -l linux         # 5. provision (one canary host first)" % d,
    ]
