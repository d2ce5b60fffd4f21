"""Make the repo's module_utils and library importable the way Ansible does it."""
import os
import sys

import ansible.module_utils
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")

if os.path.join(ROOT, "module_utils") not in ansible.module_utils.__path__:
    ansible.module_utils.__path__.append(os.path.join(ROOT, "module_utils"))
sys.path.insert(0, os.path.join(ROOT, "library"))
sys.path.insert(0, ROOT)


def fixture_text(*parts):
    with open(os.path.join(FIXTURES, *parts), encoding="utf-8") as fh:
        return fh.read()


@pytest.fixture
def fixture():
    return fixture_text
