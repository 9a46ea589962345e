"""Kinds of policy values about packages: Debian package names, and libssl floors per Debian release
(system_vms.libssl_floors, tls_frontends.libssl_floors) given as one version or one per package."""
from __future__ import annotations

import re

from stackaudit.config.files import shown
from stackaudit.config.kinds import DebianVersion, Pattern
from stackaudit.config.schema import Kind, MapOf, child
from stackaudit.errors import ConfigError

PACKAGE = Pattern(r"[a-z0-9][a-z0-9+.-]{1,99}", "a Debian package name such as libssl3")


class VersionOrPerPackage(Kind):
    expected = "a Debian version, or a mapping of package names to Debian versions"

    def check(self, value, where):
        if isinstance(value, dict):
            return Named(PACKAGE, DebianVersion()).check(value, where)
        return DebianVersion().check(value, where)


class Named(MapOf):
    """A mapping whose keys are names of one kind (package names, setting names)."""

    def __init__(self, name: Kind, value: Kind):
        super().__init__(value)
        self.name = name
        self.expected = f"a mapping of {name.expected} to {value.expected}"

    def check(self, value, where):
        if isinstance(value, dict):
            for key in value:
                self.name.check(key, child(where, key))
        return super().check(value, where)


class Releases(MapOf):
    """Debian major releases ("12") to their floors; YAML's unquoted 12 is the same release."""

    def check(self, value, where):
        if isinstance(value, dict):
            for release in value:
                if isinstance(release, bool) or not re.fullmatch(r"[1-9][0-9]{0,2}", str(release)):
                    raise ConfigError(f"{child(where, release)}: {shown(release)} is not a Debian major release; "
                                      'use e.g. "12"')
        return super().check(value, where)
