"""MS-BUILD-IDENTICAL: sha256sum's and the package line's parsers (parsers/builds.py) on recorded
outputs and drawn ones, and the rule (rules/management_build.py) on the servers' builds."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackaudit.errors import NotCheckable, UnparsableOutput
from stackaudit.parsers.api_rows import ManagementServerRow
from stackaudit.parsers.builds import (FileDigest, ManagementBuild, PackageBuild, parse_package_build,
                                       parse_sha256sum)
from stackaudit.rules.management_build import build_findings, up_servers
from tests.unit.hypothesis_budget import examples

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
LIB = "/usr/share/cloudstack-management/lib"


def test_sha256sum_of_jars_as_debian_12_prints_it():
    digests = parse_sha256sum((RECORDED / "sha256sum-jars-debian12.txt").read_text())
    assert [d.path for d in digests] == ["/usr/share/java/aopalliance-1.0.jar", "/usr/share/java/commons-cli-1.5.0.jar",
                                         "/usr/share/java/commons-io-2.11.0.jar"]
    assert digests[1].sha256 == "f990941be47ddb0895a3e4b0532bca9e1338db28a075119485efb15b6b59b973"


def test_coreutils_own_expected_outputs_read_and_a_name_listed_twice_is_refused():
    text = (RECORDED / "sha256sum-coreutils-tests.txt").read_text()
    with pytest.raises(UnparsableOutput, match="listed twice"):
        parse_sha256sum(text)
    first = parse_sha256sum(text.splitlines()[1] + "\n")
    assert first == (FileDigest("f", "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"),)


def test_a_name_with_a_newline_is_unescaped_and_binary_mode_reads_the_same():
    (digest,) = parse_sha256sum((RECORDED / "sha256sum-newline-name-debian12.txt").read_text())
    assert digest.path == "a\nb"
    assert parse_sha256sum("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 *x.jar\n")[0].path == "x.jar"


@pytest.mark.parametrize("line", [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",           # no name
    "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855  f",         # sha256sum prints lowercase
    "e3b0c442  f", "sha256sum: /usr/share/cloudstack-management/lib/x.jar: Permission denied"])
def test_anything_else_is_unparsable(line):
    with pytest.raises(UnparsableOutput, match="sha256sum line 1"):
        parse_sha256sum(line + "\n")


NAMES = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=30)


def printed(path: str, digest: str) -> str:
    """A line as GNU sha256sum prints it: a name with \\\\ or \\n escaped behind a leading backslash."""
    if "\\" in path or "\n" in path or "\r" in path:
        return "\\" + digest + "  " + path.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r") + "\n"
    return f"{digest}  {path}\n"


@settings(max_examples=examples(200))
@given(st.dictionaries(NAMES, st.text("0123456789abcdef", min_size=64, max_size=64), max_size=8))
def test_what_sha256sum_prints_reads_back(files):
    text = "".join(printed(path, digest) for path, digest in files.items())
    assert parse_sha256sum(text) == tuple(FileDigest(p, files[p]) for p in sorted(files))


@pytest.mark.parametrize("text, expected", [
    ("dpkg\tinstall ok installed\t4.19.1.0\n", PackageBuild("dpkg", "4.19.1.0")),
    ("dpkg\thold ok installed\t4.19.1.0\n", PackageBuild("dpkg", "4.19.1.0")),
    ("dpkg\tdeinstall ok config-files\t4.19.1.0\n", PackageBuild("dpkg", None)),
    ("dpkg\t", PackageBuild("dpkg", None)),       # dpkg-query: no packages found matching (on stderr)
    ("rpm\t4.15.2.0-1.el7\n", PackageBuild("rpm", "4.15.2.0-1.el7")),
    ("rpm\tpackage cloudstack-management is not installed\n", PackageBuild("rpm", None)),
])
def test_the_package_line(text, expected):
    assert parse_package_build(text) == expected


@pytest.mark.parametrize("text", ["", "4.19.1.0\n", "dpkg\tinstall ok\t4.19.1.0\n", "rpm\terror: rpmdb open failed\n",
                                  "apt\t4.19.1.0\n"])
def test_an_odd_package_line_is_unparsable(text):
    with pytest.raises(UnparsableOutput):
        parse_package_build(text)


def build(version: str | None, **jars: str) -> ManagementBuild:
    return ManagementBuild(PackageBuild("dpkg", version),
                           tuple(sorted((FileDigest(f"{LIB}/{name}.jar", digest * 64) for name, digest in jars.items()),
                                        key=lambda d: d.path)))


def test_identical_builds_pass_and_the_evidence_gives_each_fingerprint():
    findings, evidence = build_findings({"mgmt://ms1": build("4.19.1.0", cloud="a", ui="b"),
                                         "mgmt://ms2": build("4.19.1.0", cloud="a", ui="b")})
    assert findings == []
    assert evidence["mgmt://ms1"]["fingerprint"] == evidence["mgmt://ms2"]["fingerprint"]
    assert evidence["mgmt://ms1"]["package"] == "dpkg 4.19.1.0"


def test_the_same_version_with_one_jar_rebuilt_names_the_odd_server_and_the_jar():
    findings, _ = build_findings({"mgmt://ms1": build("4.19.1.0", cloud="a", ui="b"),
                                  "mgmt://ms2": build("4.19.1.0", cloud="a", ui="c"),
                                  "mgmt://ms3": build("4.19.1.0", cloud="a", ui="b")})
    assert findings == [f"mgmt://ms2's code differs from mgmt://ms1's: {LIB}/ui.jar (sha256 bbbbbbbbbbbb… on "
                        "mgmt://ms1, cccccccccccc… on mgmt://ms2)"]


def test_different_versions_and_files_only_on_one_server_are_named():
    findings, _ = build_findings({"mgmt://ms1": build("4.19.1.0", cloud="a"),
                                  "mgmt://ms2": build("4.19.0.0", cloud="a", extra="d")})
    assert findings == ["cloudstack-management differs: mgmt://ms1 4.19.1.0, mgmt://ms2 4.19.0.0",
                        f"mgmt://ms2's code differs from mgmt://ms1's: {LIB}/extra.jar only on mgmt://ms2"]


def test_a_server_with_no_build_at_all_is_not_checked():
    with pytest.raises(NotCheckable, match="mgmt://ms2: no cloudstack-management package and no file"):
        build_findings({"mgmt://ms1": build("4.19.1.0", cloud="a"), "mgmt://ms2": build(None)})


class Server:
    def __init__(self, name: str, address: str):
        self.id, self.name, self.address = f"mgmt://{name}", name, address


def test_only_servers_the_api_does_not_list_in_another_state_are_judged():
    servers = [Server("ms1", "198.18.0.11"), Server("ms2", "198.18.0.12"), Server("ms3", "198.18.0.13")]
    rows = [ManagementServerRow("ms1", "Up"), ManagementServerRow("other-name", "Maintenance", serviceip="198.18.0.12")]
    judged, left_out = up_servers(servers, rows)
    assert [s.name for s in judged] == ["ms1", "ms3"] and left_out == ["mgmt://ms2 (Maintenance)"]
