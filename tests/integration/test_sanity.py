"""`ansible-test sanity` on the collection gpufleet.fleet as it ships.

ansible-test wants its working directory to be the collection's root inside an
``ansible_collections/<namespace>/<name>`` tree, so the collection is built with ansible-galaxy
and installed into a temporary one, as in test_collection.py. The installed tree is no git
repository: ansible-test then tests every file in it. The build leaves tests/ out, so
tests/sanity/ (the ignore file) is copied in.

``--local``: ansible-test runs here, with this Python. It still puts each sanity test's
pinned requirements (pylint, pycodestyle, voluptuous, yamllint...) in a virtual environment of
its own, which it keeps in ~/.ansible/test/venv: the first run on a machine creates them from
PyPI (about a minute), later runs reuse them (about 20 s). Nothing to add to the venv.

Those virtual environments are created without pip; ansible-test bootstraps it with a get-pip
script it downloads from ci-files.testing.ansible.com into ~/.ansible/test/cache, the place its
error message says to save the script by hand where that host cannot be reached. When the script
is not there, this test saves a stand-in that does the same: pip from the interpreter's
ensurepip, then the pip version ansible-test asks for, from PyPI.

Tests with nothing to check in this collection say "No tests applicable": changelog (no
changelogs/), empty-init (no __init__.py), pslint (no PowerShell), shellcheck (no shell scripts).
"""
import os
import re
import shutil
import subprocess
import sys
import types

import pytest

from conftest import ROOT

BIN = os.path.dirname(sys.executable)
PYTHON_VERSION = "%d.%d" % sys.version_info[:2]

GET_PIP_STAND_IN = '''\
"""Stand-in for ansible-test's get-pip bootstrap script, saved by gpufleet's
tests/integration/test_sanity.py: pip from ensurepip, then the pip asked for, from PyPI."""
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"])
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", "--upgrade"] + args))
'''

SAVE_TO = re.compile(r"The bootstrap script can be manually downloaded and saved to: (\S+)")


def get_pip_path():
    """Where ansible-test looks for its cached get-pip script, or None if that is not known."""
    try:
        from ansible_test._internal.python_requirements import get_venv_packages
        pip_version = get_venv_packages(types.SimpleNamespace(version=PYTHON_VERSION))["pip"]
    except Exception:  # ansible-test internals moved: the retry in sanity() handles it
        return None
    return os.path.expanduser("~/.ansible/test/cache/get_pip_%s.py"
                              % pip_version.replace(".", "_"))


def save_get_pip(path):
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".gpufleet", "w") as fh:
            fh.write(GET_PIP_STAND_IN)
        os.replace(path + ".gpufleet", path)


@pytest.fixture(scope="module")
def collection_root(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sanity")
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"))
    subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--force",
                    "--output-path", str(tmp)],
                   cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    # --no-deps: community.docker & co. come from the `ansible` package (no Galaxy here).
    subprocess.run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", "--no-deps",
                    "--force", "-p", str(tmp / "collections"),
                    str(tmp / "gpufleet-fleet-0.1.0.tar.gz")],
                   cwd=str(tmp), check=True, capture_output=True, text=True)
    root = tmp / "collections" / "ansible_collections" / "gpufleet" / "fleet"
    shutil.copytree(os.path.join(ROOT, "tests", "sanity"), str(root / "tests" / "sanity"))
    return root


def sanity(root):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    argv = [os.path.join(BIN, "ansible-test"), "sanity", "--local", "--python", PYTHON_VERSION,
            "--color", "no"]
    path = get_pip_path()
    if path:
        save_get_pip(path)
    proc = subprocess.run(argv, cwd=str(root), env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=1200)
    missing = SAVE_TO.search(proc.stdout)
    if proc.returncode != 0 and missing and not os.path.exists(missing.group(1)):
        save_get_pip(missing.group(1))
        proc = subprocess.run(argv, cwd=str(root), env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=1200)
    return proc


def test_ansible_test_sanity_passes(collection_root):
    proc = sanity(collection_root)
    assert proc.returncode == 0, "ansible-test sanity failed:\n" + proc.stdout[-8000:]
    for test in ("validate-modules", "pylint", "pep8", "import", "ansible-doc", "yamllint"):
        assert 'Running sanity test "%s"' % test in proc.stdout, test
