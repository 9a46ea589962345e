"""SVM-LIBSSL-PATCHED as dpkg sees a system VM: /etc/debian_version read as Debian's tools read it,
the libssl packages Debian ships per release, and real `dpkg -l` outputs recorded by others
(tests/data/recorded/SOURCES.md: dpkg-l-debian9-stretch.txt, -debian10-buster, -debian11-bullseye)."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackaudit.errors import NotCheckable, UnparsableOutput
from stackaudit.parsers.dpkg import parse_dpkg_list, parse_dpkg_query
from stackaudit.parsers.osinfo import parse_debian_version
from stackaudit.config.policy import SystemVmPolicy
from stackaudit.rules.system_vms import LIBSSL_PACKAGES, libssl_findings
from tests.unit.hypothesis_budget import examples

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"


def recorded(name: str) -> str:
    return (RECORDED / name).read_text()


def policy(**floors) -> SystemVmPolicy:
    return SystemVmPolicy({release.lstrip("d"): floor for release, floor in floors.items()})


@pytest.mark.parametrize("text, major, testing", [
    ("7.11\n", "7", False), ("10.13\n", "10", False), ("11.8\n", "11", False), ("12.12\n", "12", False),
    ("8.0\n", "8", False), ("bookworm/sid\n", "12", True), ("trixie/sid\n", "13", True),
    ("forky/sid\n", "14", True), ("sid\n", None, True), ("zzz/sid\n", None, True),
])
def test_debian_version_in_every_form_base_files_writes(text, major, testing):
    release = parse_debian_version(text)
    assert (release.major, release.testing, release.text) == (major, testing, text.strip())


@pytest.mark.parametrize("text", ["", "12.12\n11.8\n", "Debian 12\n", "12.x\n", "TRIXIE/sid\n"])
def test_debian_version_that_is_no_release_is_unparsable(text):
    with pytest.raises(UnparsableOutput, match="/etc/debian_version"):
        parse_debian_version(text)


def test_each_release_has_debians_library_names():
    assert LIBSSL_PACKAGES == {"7": ("libssl1.0.0",), "8": ("libssl1.0.0",), "9": ("libssl1.0.2", "libssl1.1"),
                               "10": ("libssl1.1",), "11": ("libssl1.1",), "12": ("libssl3",),
                               "13": ("libssl3t64",)}


def test_stretch_dpkg_list_has_both_libraries_and_each_meets_its_own_floor():
    packages = parse_dpkg_list(recorded("dpkg-l-debian9-stretch.txt"))
    assert {n: p.version for n, p in packages.items()} == {
        "libssl1.0.2": "1.0.2s-1~deb9u1", "libssl1.1": "1.1.0k-1~deb9u1", "openssl": "1.1.0k-1~deb9u1"}
    floors = {"openssl": "1.1.0k-1~deb9u1", "libssl1.1": "1.1.0k-1~deb9u1", "libssl1.0.2": "1.0.2s-1~deb9u1"}
    assert libssl_findings(parse_debian_version("9.13"), packages, policy(d9=floors)) == []
    # The 1.0.2 library is judged on its own floor: a later fix for it is missing here.
    later = {**floors, "libssl1.0.2": "1.0.2u-1~deb9u1"}
    assert libssl_findings(parse_debian_version("9.13"), packages, policy(d9=later)) == [
        "libssl1.0.2 1.0.2s-1~deb9u1 is below the fixed version 1.0.2u-1~deb9u1 for Debian 9"]


def test_stretch_floors_that_name_one_library_only_leave_the_other_unchecked():
    packages = parse_dpkg_list(recorded("dpkg-l-debian9-stretch.txt"))
    with pytest.raises(NotCheckable, match=r"name no fixed version for libssl1.0.2"):
        libssl_findings(parse_debian_version("9.13"), packages,
                        policy(d9={"openssl": "1.1.0k-1~deb9u1", "libssl1.1": "1.1.0k-1~deb9u1"}))


def test_buster_dpkg_list_below_the_floor_fails_for_openssl_and_libssl():
    packages = parse_dpkg_list(recorded("dpkg-l-debian10-buster.txt"))
    assert libssl_findings(parse_debian_version("10.13"), packages, policy(d10="1.1.1n-0+deb10u6")) == [
        "openssl 1.1.1d-0+deb10u7 is below the fixed version 1.1.1n-0+deb10u6 for Debian 10",
        "libssl1.1 1.1.1d-0+deb10u7 is below the fixed version 1.1.1n-0+deb10u6 for Debian 10"]
    assert libssl_findings(parse_debian_version("10.10"), packages, policy(d10="1.1.1d-0+deb10u7")) == []


def test_bullseye_grep_fragment_reads_without_its_header():
    packages = parse_dpkg_list(recorded("dpkg-l-debian11-bullseye.txt"))
    release = parse_debian_version("11.3")
    assert libssl_findings(release, packages, policy(d11="1.1.1n-0+deb11u1")) == []
    assert len(libssl_findings(release, packages, policy(d11="1.1.1w-0+deb11u1"))) == 2


def test_jessie_library_is_libssl1_0_0():
    packages = parse_dpkg_query("libssl1.0.0\tinstall ok installed\t1.0.1t-1+deb8u12\n")
    assert libssl_findings(parse_debian_version("8.11"), packages, policy(d8="1.0.1t-1+deb8u12")) == []


def test_trixie_library_is_the_t64_package():
    packages = parse_dpkg_query("libssl3t64\tinstall ok installed\t3.5.7-1~deb13u2\n"
                                "openssl\tinstall ok installed\t3.5.7-1~deb13u2\n")
    assert libssl_findings(parse_debian_version("13.2"), packages, policy(d13="3.5.7-1~deb13u2")) == []
    # A bookworm package name on trixie is not trixie's library.
    old = parse_dpkg_query("libssl3\tinstall ok installed\t3.5.7-1~deb13u2\n")
    with pytest.raises(NotCheckable, match="libssl3t64, the libssl package of Debian 13, is not installed"):
        libssl_findings(parse_debian_version("13.2"), old, policy(d13="3.5.7-1~deb13u2"))


@pytest.mark.parametrize("text, message", [
    ("14.1", "Debian 14: the suite knows the libssl package names of Debian 7, 8, 9, 10, 11, 12, 13 only"),
    ("sid", "Debian sid: the suite knows the libssl package names"),
    ("6.0.10", "Debian 6: the suite knows"),
    ("trixie/sid", "the policy has no libssl floor for Debian 13"),
])
def test_a_release_the_suite_or_policy_does_not_know_is_not_checked(text, message):
    packages = parse_dpkg_query("openssl\tinstall ok installed\t3.5.7-1\n")
    with pytest.raises(NotCheckable, match=message):
        libssl_findings(parse_debian_version(text), packages, policy(d12="3.0.15-1~deb12u1"))


def test_the_release_library_not_installed_is_not_checked_even_if_openssl_is():
    packages = parse_dpkg_list(recorded("dpkg-l-debian10-buster.txt"))
    del packages["libssl1.1"]
    with pytest.raises(NotCheckable, match=r"libssl1.1, the libssl package of Debian 10, is not installed "
                                           r"\(installed ssl packages: openssl 1.1.1d-0\+deb10u7\)"):
        libssl_findings(parse_debian_version("10.13"), packages, policy(d10="1.1.1d-0+deb10u7"))


def test_removed_but_not_purged_library_is_not_installed():
    text = ("rc  libssl1.0.0:amd64 1.0.2n-1ubuntu5.4 amd64        Secure Sockets Layer toolkit - shared libraries\n"
            "un  libssl1.0.2       <none>            <none>       (no description available)\n")
    packages = parse_dpkg_list(text)
    assert {n: (p.installed, p.version) for n, p in packages.items()} == {
        "libssl1.0.0": (False, "1.0.2n-1ubuntu5.4"), "libssl1.0.2": (False, "")}


@pytest.mark.parametrize("text, message", [
    ("    ii  libssl1.1:amd64\n", "dpkg -l line 1: expected 'flags name version ...'"),
    ("    zz  libssl1.1:amd64  1.1.1n-0+deb11u1  amd64  x\n", "dpkg -l line 1: expected"),
    ("    ii  openssl  :1.1  amd64  x\n", "dpkg -l line 1: ':1.1' is not a Debian version"),
])
def test_truncated_or_foreign_dpkg_list_lines_are_unparsable(text, message):
    with pytest.raises(UnparsableOutput, match=message):
        parse_dpkg_list(text)


def mutations(name: str):
    text = recorded(name)
    return st.tuples(st.integers(0, len(text)), st.integers(0, 40), st.text(max_size=20)).map(
        lambda m: text[:m[0]] + m[2] + text[m[0] + m[1]:])


@settings(max_examples=examples(200), deadline=None)
@given(st.one_of(st.text(max_size=200), mutations("debian_version-debian12.txt"),
                 st.sampled_from(["trixie/sid\n", "7.11\n"]).map(lambda t: t * 2)))
def test_debian_version_raises_only_its_parse_error(text):
    try:
        parse_debian_version(text)
    except UnparsableOutput:
        pass


@settings(max_examples=examples(200), deadline=None)
@given(st.one_of(st.text(max_size=300), mutations("dpkg-query-debian12.txt")))
def test_dpkg_query_raises_only_its_parse_error(text):
    try:
        parse_dpkg_query(text)
    except UnparsableOutput:
        pass


@settings(max_examples=examples(200), deadline=None)
@given(st.one_of(st.text(max_size=300), mutations("dpkg-l-debian9-stretch.txt"),
                 mutations("dpkg-l-debian11-bullseye.txt")))
def test_dpkg_list_raises_only_its_parse_error(text):
    try:
        parse_dpkg_list(text)
    except UnparsableOutput:
        pass
