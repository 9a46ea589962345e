"""dpkg-query output and Debian version comparison (python-debian, dpkg's algorithm)."""
from __future__ import annotations

from dataclasses import dataclass

from debian.debian_support import Version

from stackaudit.errors import UnparsableOutput

# ${Status} and ${Version} are understood by every dpkg-query back to Debian 7 (dpkg 1.16).
DPKG_QUERY_FORMAT = r"${Package}\t${Status}\t${Version}\n"


@dataclass(frozen=True)
class Package:
    name: str
    status: str          # e.g. "install ok installed", "unknown ok not-installed", "deinstall ok config-files"
    version: str         # "" when not installed

    @property
    def installed(self) -> bool:
        return self.status.split()[-1:] in (["installed"], ["half-configured"], ["unpacked"])


def parse_dpkg_query(text: str) -> dict[str, Package]:
    """Packages from `dpkg-query -W -f='${Package}\\t${Status}\\t${Version}\\n' PATTERN...`.

        openssl\tinstall ok installed\t3.0.17-1~deb12u2
        libssl3\tinstall ok installed\t3.0.17-1~deb12u2
        libssl1.1\tunknown ok not-installed\t

    A package installed for two architectures appears twice; the lower version is kept, since a
    rule on a floor is broken by the oldest copy.
    """
    packages: dict[str, Package] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 3 or len(fields[1].split()) != 3:
            raise UnparsableOutput(f"dpkg-query line {number}: expected 'package<TAB>status<TAB>version', "
                                   f"got {line[:80]!r}")
        package = Package(fields[0], fields[1], fields[2].strip())
        if package.installed:
            parse_version(package.version, f"dpkg-query line {number}")
        previous = packages.get(package.name)
        if previous is None or not previous.installed or (
                package.installed and Version(package.version) < Version(previous.version)):
            packages[package.name] = package
    return packages


def parse_version(text: str, where: str) -> Version:
    try:
        return Version(text)
    except ValueError:
        raise UnparsableOutput(f"{where}: {text!r} is not a Debian version") from None


def version_at_least(version: str, floor: str) -> bool:
    """dpkg --compare-versions VERSION ge FLOOR."""
    return parse_version(version, "installed version") >= parse_version(floor, "policy floor")
