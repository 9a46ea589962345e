"""Which packages the wheel carries; everything else is in pyproject.toml.

The checks stay at the top of the repository (pytest.ini's test path, the README's layout): the
wheel carries them as stackaudit/checks, so an installed plugin runs the same checks from any
directory (stackaudit.plugin.checks_dir). Packages are found by pattern, so a new subpackage of
stackaudit is picked up without listing it here.
"""
from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["stackaudit", "stackaudit.*"]), "stackaudit.checks"],
    package_dir={"stackaudit.checks": "checks"},
)
