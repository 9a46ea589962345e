"""Parsers of shell tools' output, on outputs recorded from the real tools (tests/data/recorded)."""
from __future__ import annotations

from pathlib import Path

import pytest

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.dpkg import parse_dpkg_query, version_at_least
from stackaudit.parsers.osinfo import parse_debian_version, parse_os_release

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"


def recorded(name: str) -> str:
    return (RECORDED / name).read_text()


def test_dpkg_query_lists_installed_and_known_but_not_installed_packages():
    packages = parse_dpkg_query(recorded("dpkg-query-debian12.txt"))
    assert {n: (p.installed, p.version) for n, p in packages.items()} == {
        "libssl-dev": (True, "3.0.19-1~deb12u2"), "libssl-doc": (False, ""),
        "libssl3": (True, "3.0.19-1~deb12u2"), "openssl": (True, "3.0.19-1~deb12u2")}


def test_dpkg_query_with_no_match_has_empty_stdout_and_says_so_on_stderr():
    assert parse_dpkg_query(recorded("dpkg-query-no-match.stdout")) == {}
    assert recorded("dpkg-query-no-match.stderr") == "dpkg-query: no packages found matching libssl1.0*\n"


def test_a_package_of_two_architectures_keeps_the_older_version():
    text = ("libssl3\tinstall ok installed\t3.0.19-1~deb12u2\n"
            "libssl3\tinstall ok installed\t3.0.11-1~deb12u2\n")
    assert parse_dpkg_query(text)["libssl3"].version == "3.0.11-1~deb12u2"


@pytest.mark.parametrize("line, message", [
    ("libssl3 3.0.19", "dpkg-query line 1: expected 'package<TAB>status<TAB>version', got 'libssl3 3.0.19'"),
    ("libssl3\tinstall ok installed\t:1.0", "dpkg-query line 1: ':1.0' is not a Debian version"),
])
def test_unexpected_dpkg_query_output_is_unparsable(line, message):
    with pytest.raises(UnparsableOutput) as error:
        parse_dpkg_query(line + "\n")
    assert str(error.value) == message


@pytest.mark.parametrize("version, floor, at_least", [
    ("1.0.1e-2+deb7u6", "1.0.1e-2+deb7u6", True),
    ("1.0.1e-2+deb7u10", "1.0.1e-2+deb7u6", True),     # a string sort would put u10 before u6
    ("1.0.1e-2+deb7u5", "1.0.1e-2+deb7u6", False),
    ("1.0.1e-2", "1.0.1e-2+deb7u6", False),
    ("3.0.11-1~deb12u2", "3.0.11-1", False),           # ~ sorts before everything
    ("1:1.0.0", "1.0.1e-2+deb7u6", True),              # the epoch wins
    ("1.1.1n-0+deb10u3", "1.1.1n-0+deb11u5", False),
])
def test_versions_compare_as_dpkg_does(version, floor, at_least):
    assert version_at_least(version, floor) is at_least


def test_os_release_of_debian_12():
    values = parse_os_release(recorded("os-release-debian12.txt"))
    assert (values["ID"], values["VERSION_ID"], values["PRETTY_NAME"]) == ("debian", "12",
                                                                           "Debian GNU/Linux 12 (bookworm)")


def test_os_release_line_without_a_key_is_unparsable():
    with pytest.raises(UnparsableOutput, match="os-release line 2: expected KEY=value, got 'garbage'"):
        parse_os_release('ID=debian\ngarbage\n')


@pytest.mark.parametrize("text, major", [(recorded("debian_version-debian12.txt"), "12"), ("7.11\n", "7"),
                                         ("10.13\n", "10"), ("11.8\n", "11")])
def test_debian_version_major(text, major):
    assert parse_debian_version(text).major == major


def test_a_garbled_debian_version_is_unparsable():
    with pytest.raises(UnparsableOutput, match="'12.12 trixie' is neither a numbered Debian release"):
        parse_debian_version("12.12 trixie\n")
