"""The collection gpufleet.fleet as Ansible users consume it: built with ansible-galaxy at the
repository root, installed into an empty collections path, used by FQCN from a directory
that knows nothing of the checkout (no ansible.cfg, no library path)."""
import json
import os
import subprocess
import sys
import tarfile

import pytest

from conftest import ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("collection")
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"))
    subprocess.run(["ansible-galaxy", "collection", "build", "--force", "--output-path", str(tmp)],
                   cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    tarball = tmp / "gpufleet-fleet-0.1.0.tar.gz"
    # --no-deps: community.docker & co. come from the `ansible` package (no Galaxy here).
    subprocess.run(["ansible-galaxy", "collection", "install", "--no-deps", "--force", "-p",
                    str(tmp / "collections"), str(tarball)],
                   cwd=str(tmp), check=True, capture_output=True, text=True)
    work = tmp / "elsewhere"
    work.mkdir()
    user_env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    user_env.update(ANSIBLE_COLLECTIONS_PATH=str(tmp / "collections"), ANSIBLE_NOCOLOR="1",
                    HOME=str(tmp))
    return tarball, work, user_env


def run(argv, work, env):
    return subprocess.run(argv, cwd=str(work), env=env, capture_output=True, text=True)


def test_the_tarball_holds_the_content_and_nothing_of_the_checkout(installed):
    tarball, _, _ = installed
    with tarfile.open(str(tarball)) as tar:
        names = set(tar.getnames())
    for want in ("galaxy.yml", "meta/runtime.yml", "plugins/modules/gpu_facts.py",
                 "plugins/modules/docker_daemon_config.py",
                 "plugins/module_utils/gpufleet_gpu.py", "plugins/plugin_utils/gpufleet_actions.py",
                 "plugins/action/wsl_distros.py", "plugins/filter/gpufleet.py",
                 "roles/docker_engine/meta/argument_specs.yml",
                 "roles/gpu_workload/tasks/main.yml", "playbooks/site.yml", "playbooks/linux.yml"):
        assert want in names or "MANIFEST.json" in names and want == "galaxy.yml", want
    for unwanted in ("library", "module_utils", "tests", "molecule", ".collections", "gpufleet",
                     "ansible.cfg", "inventory"):
        assert not any(n == unwanted or n.startswith(unwanted + "/") for n in names), unwanted


def test_ansible_doc_by_fqcn(installed):
    _, work, env = installed
    proc = run(["ansible-doc", "gpufleet.fleet.gpu_facts"], work, env)
    assert proc.returncode == 0 and "gpu_facts" in proc.stdout, proc.stderr
    proc = run(["ansible-doc", "-t", "role", "gpufleet.fleet.docker_engine"], work, env)
    assert proc.returncode == 0 and "docker_engine_restart_running_containers" in proc.stdout, \
        proc.stderr
    proc = run(["ansible-doc", "--list", "gpufleet.fleet", "--json"], work, env)
    assert set(json.loads(proc.stdout)) >= {
        "gpufleet.fleet.gpu_facts", "gpufleet.fleet.docker_daemon_config",
        "gpufleet.fleet.gpu_compose", "gpufleet.fleet.cuda_compat", "gpufleet.fleet.wsl_conf"}


def test_modules_and_roles_from_a_users_playbook(installed, tmp_path):
    _, work, env = installed
    (work / "mine.yml").write_text("""
- name: A user's playbook
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: GPU facts through the installed collection's module_utils
      gpufleet.fleet.gpu_facts:
    - name: Merge a daemon.json (check mode, a file of this test)
      gpufleet.fleet.docker_daemon_config:
        path: "%s/daemon.json"
        settings: {log-driver: json-file}
      check_mode: true
      register: merged
    - name: Check both ran
      ansible.builtin.assert:
        that:
          - ansible_facts.gpufleet.platform == 'linux'
          - merged is changed
    - name: A role by FQCN
      ansible.builtin.import_role:
        name: gpufleet.fleet.gpu_workload
        tasks_from: absent
      vars:
        gpu_workload_dir: "%s/none"
""" % (tmp_path, tmp_path))
    proc = run(["ansible-playbook", "-i", "localhost,", "-e",
                "ansible_python_interpreter=" + sys.executable, "mine.yml"], work, env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]


def test_the_collection_site_playbook_resolves(installed):
    _, work, env = installed
    proc = run(["ansible-playbook", "gpufleet.fleet.site", "--syntax-check", "-i",
                os.path.join(ROOT, "inventory", "example"), "-l", "windows"], work, env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
