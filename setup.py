"""Maps the top-level folders into the ``horde`` namespace package (see design §2).

The package list is computed, so a new subfolder is never left out of a regular install.
"""

from __future__ import annotations

from setuptools import find_namespace_packages, setup

PACKAGE_DIR = {
    "horde.webapp": "webapp",
    "horde.queue": "queue",  # no __init__.py: the standard library's `queue` must win
    "horde.worker": "worker",
    "horde.bots": "bots",
    "horde.static": "static",
    "horde.templates": "templates",
}
CODE_PACKAGES = ("horde.webapp", "horde.queue", "horde.worker", "horde.bots", "horde.static", "horde.templates")

packages = list(PACKAGE_DIR)
for name in CODE_PACKAGES:
    packages += [f"{name}.{sub}" for sub in find_namespace_packages(PACKAGE_DIR[name], exclude=["*__pycache__*"])]

setup(packages=packages, package_dir=PACKAGE_DIR)
