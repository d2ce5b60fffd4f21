"""Make the checkout importable the way Ansible loads it: the collection gpufleet.fleet
(``ansible_collections.gpufleet.fleet.plugins...``, through .collections/, see the README's
layout), the modules by their file names, and the gpufleet package."""
import json
import os
import sys

import pytest
from ansible.module_utils.testing import patch_module_args

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")

# Plain PEP 420 namespace packages: .collections/ansible_collections/gpufleet/fleet is the
# checkout itself (a symlink), merged with the ansible package's ansible_collections.
sys.path.insert(0, os.path.join(ROOT, ".collections"))
sys.path.insert(0, os.path.join(ROOT, "plugins", "modules"))
sys.path.insert(0, ROOT)


def fixture_text(*parts):
    with open(os.path.join(FIXTURES, *parts), encoding="utf-8") as fh:
        return fh.read()


@pytest.fixture
def fixture():
    return fixture_text


@pytest.fixture
def run_module(capsys):
    """Run a module's ``main()`` in-process with these arguments (ansible-core's
    patch_module_args) and return the JSON it printed: the one module runner of the tests."""
    def run(module, args, check=False, diff=False):
        with patch_module_args(dict(args, _ansible_check_mode=check, _ansible_diff=diff)):
            with pytest.raises(SystemExit):
                module.main()
        return json.loads(capsys.readouterr().out)
    return run

