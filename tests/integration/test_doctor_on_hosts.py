"""The doctor's host checks (gpu_facts problems) on real host containers of the test bed:
the evidence is put where the failure leaves it, gpu_facts runs through Ansible, the rule
fires; the fix is applied, the rule is silent. Rules whose evidence lives in procfs/sysfs
(kernel modules, PCI devices) are covered on host trees in the unit tests."""
import shutil
import subprocess

import pytest
from conftest import adhoc


def sh(host, script):
    subprocess.run(["docker", "exec", host, "sh", "-c", script], check=True)


def problems(host):
    rc, res = adhoc(host, "gpu_facts", check=True)  # read-only: check mode changes nothing
    assert rc == 0 and res["changed"] is False, res
    return {p["id"]: p for p in res["ansible_facts"]["gpufleet"]["problems"]}


def test_doctor_names_a_toolkit_config_for_another_distribution(host):
    # Ubuntu's toolkit config on Debian: Debian has /sbin/ldconfig but no /sbin/ldconfig.real.
    sh(host, "mkdir -p /etc/nvidia-container-runtime && printf '[nvidia-container-cli]\\n"
             "environment = []\\nldconfig = \"@/sbin/ldconfig.real\"\\n' "
             "> /etc/nvidia-container-runtime/config.toml && test -x /sbin/ldconfig && "
             "! test -e /sbin/ldconfig.real")
    found = problems(host)
    assert '"@/sbin/ldconfig.real"' in found["toolkit_ldconfig_missing"]["message"]
    sh(host, "sed -i 's#@/sbin/ldconfig.real#@/sbin/ldconfig#' "
             "/etc/nvidia-container-runtime/config.toml")
    assert "toolkit_ldconfig_missing" not in problems(host)


def test_doctor_names_docker_desktop_context_and_broken_nvidia_sources(host):
    sh(host, "mkdir -p /root/.docker && "
             "echo '{\"auths\": {}, \"currentContext\": \"desktop-linux\"}' > /root/.docker/config.json && "
             "printf '# Unsupported distribution!\\n# Check https://nvidia.github.io/nvidia-docker\\n' "
             "> /etc/apt/sources.list.d/nvidia-docker.list && "
             "echo 'deb [signed-by=/usr/share/keyrings/nvidia-container-toolkit-keyring.gpg] "
             "https://nvidia.github.io/libnvidia-container/stable/deb/$(ARCH) /' "
             "> /etc/apt/sources.list.d/nvidia-container-toolkit.list")
    found = problems(host)
    assert "/root/.docker/config.json currentContext is desktop-linux" in \
        found["docker_context_desktop"]["message"]
    assert "nvidia-docker.list" in found["nvidia_repo_unsupported_distribution"]["message"]
    assert "nvidia-container-toolkit-keyring.gpg" in found["nvidia_repo_keyring_missing"]["message"]
    sh(host, "echo '{\"currentContext\": \"default\"}' > /root/.docker/config.json && "
             "rm /etc/apt/sources.list.d/nvidia-docker.list && "
             "touch /usr/share/keyrings/nvidia-container-toolkit-keyring.gpg")
    assert problems(host) == {}


def test_doctor_on_wsl_libcuda_with_the_real_ldconfig(host, tmp_path):
    """WSL's layout on a real Debian host: libcuda.so.1 and libcuda.so.1.1 as regular files
    (a real ELF with SONAME libcuda.so.1, built here), /dev/dxg and /usr/lib/wsl. The real
    ldconfig prints WSL's warning; gpu_facts says whether libcuda is in the cache."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc is needed to build the ELF stub with SONAME libcuda.so.1")
    src = tmp_path / "stub.c"
    src.write_text("int cuInit(unsigned int flags) { return flags ? 1 : 0; }\n")
    lib = tmp_path / "libcuda.so.1.1"
    subprocess.run(["gcc", "-shared", "-fPIC", "-Wl,-soname,libcuda.so.1", "-o", str(lib),
                    str(src)], check=True)
    sh(host, "mkdir -p /usr/lib/wsl/lib && touch /dev/dxg")
    subprocess.run(["docker", "cp", str(lib), host + ":/usr/lib/wsl/lib/libcuda.so.1.1"],
                   check=True)
    sh(host, "cp /usr/lib/wsl/lib/libcuda.so.1.1 /usr/lib/wsl/lib/libcuda.so.1 && ldconfig")
    found = problems(host)
    assert "no file in /etc/ld.so.conf.d lists /usr/lib/wsl/lib" in \
        found["wsl_libcuda_not_symlink"]["message"]
    # The remedy, run for real: the warning stays (harmless), the problem goes.
    said = subprocess.run(["docker", "exec", host, "sh", "-c", "echo /usr/lib/wsl/lib > "
                           "/etc/ld.so.conf.d/ld.wsl.conf && ldconfig"],
                          capture_output=True, text=True, check=True)
    assert "/usr/lib/wsl/lib/libcuda.so.1 is not a symbolic link" in said.stderr
    cache = subprocess.run(["docker", "exec", host, "ldconfig", "-p"], capture_output=True,
                           text=True, check=True).stdout
    assert "libcuda.so.1 (libc6,x86-64) => /usr/lib/wsl/lib/libcuda.so.1" in cache
    assert "wsl_libcuda_not_symlink" not in problems(host)
