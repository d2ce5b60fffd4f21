"""Wheel build step: put the collection gpufleet.fleet into the wheel.

The collection's files live at the repository root in the collection layout (galaxy.yml,
meta/, plugins/, roles/, playbooks/). A wheel installs them as
``site-packages/ansible_collections/gpufleet/fleet/``: ansible-core scans ``sys.path`` for
``ansible_collections``, so `ansible-doc gpufleet.fleet.gpu_facts`, the roles by FQCN and
`gpufleet` itself work with no path set. Copied at build time, never committed twice.
"""
import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
COLLECTION_FILES = ("galaxy.yml", "README.md", "CHANGELOG.md")
COLLECTION_DIRS = ("meta", "plugins", "roles", "playbooks")


class BuildWithCollection(build_py):
    def run(self):
        super().run()
        if self.editable_mode:  # an editable install uses the checkout itself
            return
        dest = os.path.join(self.build_lib, "ansible_collections", "gpufleet", "fleet")
        if os.path.isdir(dest):
            shutil.rmtree(dest)
        for name in COLLECTION_DIRS:
            shutil.copytree(os.path.join(HERE, name), os.path.join(dest, name), symlinks=False,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        for name in COLLECTION_FILES:
            shutil.copy2(os.path.join(HERE, name), os.path.join(dest, name))


setup(cmdclass={"build_py": BuildWithCollection})
