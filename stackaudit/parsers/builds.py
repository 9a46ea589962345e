"""A management server's build: its cloudstack-management package as dpkg or rpm names it, and the
sha256 of each file of its code, as GNU coreutils' sha256sum prints them (MS-BUILD-IDENTICAL)."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from stackaudit.errors import UnparsableOutput

# "<64 hex digits> <' ' text mode | '*' binary mode><name>"; a name with a newline or a backslash is
# printed escaped (\n, \\) behind a leading backslash (coreutils tests/cksum/md5sum-newline.pl).
DIGEST_LINE = re.compile(r"(\\?)([0-9a-f]{64}) [ *](.+)")
# Where a package installs the management server's code (its unit's CLASSPATH lib/*; the webapps of
# the Tomcat releases before it).
CODE_ROOT = "/usr/share/cloudstack-management"
ESCAPES = {"\\n": "\n", "\\\\": "\\", "\\r": "\r"}


@dataclass(frozen=True)
class FileDigest:
    path: str
    sha256: str


@dataclass(frozen=True)
class PackageBuild:
    tool: str                # "dpkg" or "rpm": the package manager the server has
    version: str | None      # dpkg ${Version} or rpm %{VERSION}-%{RELEASE}; None: not installed


@dataclass(frozen=True)
class ManagementBuild:
    package: PackageBuild
    files: tuple[FileDigest, ...]    # sorted by path

    @property
    def fingerprint(self) -> str:
        """The sha256 of the sorted (path, sha256) list: equal exactly when every file is."""
        listing = "".join(f"{f.path}\t{f.sha256}\n" for f in self.files)
        return hashlib.sha256(listing.encode("utf-8", "surrogateescape")).hexdigest()


def parse_sha256sum(text: str) -> tuple[FileDigest, ...]:
    """`sha256sum -- FILE...` output, one line a file, sorted by path:

        f990941be47ddb0895a3e4b0532bca9e1338db28a075119485efb15b6b59b973  /usr/share/java/commons-cli-1.5.0.jar
    """
    digests = []
    # split at \n only: sha256sum escapes no other line break (\x85, \u2028) a name may hold
    for number, line in enumerate(text.split("\n"), 1):
        if not line:
            continue
        match = DIGEST_LINE.fullmatch(line)
        if match is None:
            raise UnparsableOutput(f"sha256sum line {number}: expected '<64 hex digits>  <file>', got {line[:80]!r}")
        escaped, digest, name = match.groups()
        if escaped:
            name = re.sub(r"\\[n\\r]", lambda m: ESCAPES[m.group()], name)
        digests.append(FileDigest(name, digest))
    paths = [d.path for d in digests]
    if len(set(paths)) != len(paths):
        raise UnparsableOutput("sha256sum: a file is listed twice")
    return tuple(sorted(digests, key=lambda d: d.path))


def parse_package_build(text: str) -> PackageBuild:
    """The package line the build command prints (collect/declared/builds.py): `dpkg<TAB>` then
    dpkg-query's `${Status}<TAB>${Version}` (nothing when no package matches), or `rpm<TAB>` then rpm's
    `%{VERSION}-%{RELEASE}` or its "package cloudstack-management is not installed"."""
    tool, tab, rest = text.strip("\n").partition("\t")
    rest = rest.strip()
    if tool == "dpkg" and tab:
        if not rest:
            return PackageBuild("dpkg", None)
        fields = rest.split("\t")
        if len(fields) != 2 or len(fields[0].split()) != 3:
            raise UnparsableOutput(f"dpkg-query: expected '<status><TAB><version>', got {rest[:80]!r}")
        installed = fields[0].split()[-1] in ("installed", "half-configured", "unpacked")
        return PackageBuild("dpkg", fields[1].strip() if installed and fields[1].strip() else None)
    if tool == "rpm" and tab:
        if rest.startswith("package ") and rest.endswith(" is not installed"):
            return PackageBuild("rpm", None)
        if not rest or "\n" in rest or " " in rest:
            raise UnparsableOutput(f"rpm -q: expected '<version>-<release>', got {rest[:80]!r}")
        return PackageBuild("rpm", rest)
    raise UnparsableOutput(f"package line: expected 'dpkg<TAB>...' or 'rpm<TAB>...', got {text[:80]!r}")
