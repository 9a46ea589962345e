"""dpkg-query output and Debian version comparison (versions split by python-debian, compared by dpkg's algorithm)."""
from __future__ import annotations

from dataclasses import dataclass

from debian.debian_support import Version

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.numbers import INT32, read_decimal

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
                package.installed and compare_versions(package.version, previous.version) < 0):
            packages[package.name] = package
    return packages


# dpkg-query --list: the first letter is the wanted state, the second the package's status
# (dpkg-query(1), "--list"); a third letter, if any, is an error flag.
LIST_WANTED = {"u": "unknown", "i": "install", "h": "hold", "r": "deinstall", "p": "purge"}
LIST_STATUS = {"n": "not-installed", "c": "config-files", "h": "half-installed", "u": "unpacked",
               "f": "half-configured", "w": "triggers-awaited", "t": "triggers-pending", "i": "installed"}
LIST_HEADER = ("Desired=", "| Status=", "|/ Err?=", "||/ Name", "+++-")


def parse_dpkg_list(text: str) -> dict[str, Package]:
    """Packages from `dpkg -l` (dpkg-query --list), the form operators paste; a fragment kept by
    `grep` (no header) reads the same.

        ||/ Name                       Version                        Architecture Description
        +++-==========================-==============================-============-=========
        ii  libssl1.0.2:amd64          1.0.2s-1~deb9u1                amd64        Secure Sockets ...
        rc  libssl1.0.0:amd64          1.0.2n-1ubuntu5.4              amd64        Secure Sockets ...

    The `:arch` suffix is dropped (${Package} in parse_dpkg_query's format has none); a package
    listed for two architectures keeps its older version, as there.
    """
    lines = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith(LIST_HEADER):
            continue
        fields = stripped.split()
        flags = fields[0]
        if (len(fields) < 3 or len(flags) not in (2, 3) or flags[0] not in LIST_WANTED
                or flags[1] not in LIST_STATUS):
            raise UnparsableOutput(f"dpkg -l line {number}: expected 'flags name version ...', got {line[:80]!r}")
        error = "reinst-required" if flags[2:] == "R" else "ok"
        status = f"{LIST_WANTED[flags[0]]} {error} {LIST_STATUS[flags[1]]}"
        version = fields[2] if fields[2] != "<none>" else ""
        if LIST_STATUS[flags[1]] == "installed":
            parse_version(version, f"dpkg -l line {number}")
        lines.append("\t".join((fields[1].split(":")[0], status, version)))
    return parse_dpkg_query("\n".join(lines))


def parse_version(text: str, where: str) -> Version:
    """A version dpkg reads: python-debian's split, and an epoch of ASCII digits up to INT_MAX as
    dpkg's parseversion reads it (python-debian's `\\d+` would also take "١:1.0")."""
    try:
        version = Version(text)
    except ValueError:
        raise UnparsableOutput(f"{where}: {text!r} is not a Debian version") from None
    if version.epoch is not None:
        read_decimal(version.epoch, f"{where}: the epoch of {text[:40]!r}", high=INT32[1], what="an epoch dpkg reads")
    return version


ASCII_DIGITS = "0123456789"


def order(char: str) -> int:
    """dpkg's order(): a digit or the end 0, `~` before everything, letters themselves, any other
    character after every letter."""
    if not char or char in ASCII_DIGITS:
        return 0
    if char.isascii() and char.isalpha():
        return ord(char)
    return -1 if char == "~" else ord(char) + 256


def verrevcmp(a: str, b: str) -> int:
    """dpkg's verrevcmp (lib/dpkg/version.c), step for step: runs of non-digits by order(), runs of
    digits by value, leading zeros skipped, then by length, then digit by digit. A run is never
    converted to a number, so runs of any length compare (int() stops at 4,300 digits)."""
    i = j = 0
    while i < len(a) or j < len(b):
        first_diff = 0
        while (i < len(a) and a[i] not in ASCII_DIGITS) or (j < len(b) and b[j] not in ASCII_DIGITS):
            a_order, b_order = order(a[i:i + 1]), order(b[j:j + 1])
            if a_order != b_order:
                return a_order - b_order
            i, j = i + 1, j + 1
        while a[i:i + 1] == "0":
            i += 1
        while b[j:j + 1] == "0":
            j += 1
        while i < len(a) and j < len(b) and a[i] in ASCII_DIGITS and b[j] in ASCII_DIGITS:
            first_diff = first_diff or ord(a[i]) - ord(b[j])
            i, j = i + 1, j + 1
        if i < len(a) and a[i] in ASCII_DIGITS:
            return 1
        if j < len(b) and b[j] in ASCII_DIGITS:
            return -1
        if first_diff:
            return first_diff
    return 0


def compare_versions(a: str, b: str) -> int:
    """dpkg --compare-versions as a sign (dpkg_version_compare): epoch, upstream version, revision."""
    first, second = parse_version(a, "version"), parse_version(b, "version")
    return (int(first.epoch or 0) - int(second.epoch or 0)
            or verrevcmp(first.upstream_version, second.upstream_version)
            or verrevcmp(first.debian_revision or "", second.debian_revision or ""))


def version_at_least(version: str, floor: str) -> bool:
    """dpkg --compare-versions VERSION ge FLOOR."""
    parse_version(version, "installed version")
    parse_version(floor, "policy floor")
    return compare_versions(version, floor) >= 0
