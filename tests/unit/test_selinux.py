"""MS-SELINUX-MODE: getenforce's answer and /etc/selinux/config as libselinux reads them
(parsers/selinux.py) on recorded outputs, and the rule (rules/selinux.py)."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackaudit.collect.declared.mgmt_host import GETENFORCE_COMMAND
from stackaudit.config.policy import MsPolicy, policy_from_data
from stackaudit.errors import ConfigError, NotCheckable, UnparsableOutput
from stackaudit.parsers.selinux import (ABSENT, INSTALLED, MODES, SelinuxModes, parse_getenforce,
                                        parse_selinux_config)
from stackaudit.rules.selinux import selinux_findings
from tests.unit.hypothesis_budget import examples

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
DEFAULT = MsPolicy().selinux_modes


def recorded(name: str) -> str:
    return (RECORDED / name).read_text()


def test_the_recorded_getenforce_of_a_debian_host_without_selinux_is_disabled():
    assert parse_getenforce(f"{INSTALLED}\n" + recorded("getenforce-disabled-debian12.txt")) == "disabled"


def test_no_getenforce_is_none_and_other_words_are_unparsable():
    assert parse_getenforce(f"{ABSENT}\n") is None
    assert parse_getenforce(f"{INSTALLED}\nEnforcing\n") == "enforcing"
    for said in ("enforcing", "Permissive (kernel)", "", "Enforcing\nEnforcing"):
        with pytest.raises(UnparsableOutput, match="not Enforcing, Permissive or Disabled"):
            parse_getenforce(f"{INSTALLED}\n{said}\n")


def test_the_command_asks_getenforce_where_the_rhel_family_keeps_it():
    assert "PATH=$PATH:/usr/sbin:/sbin" in GETENFORCE_COMMAND and "command -v getenforce" in GETENFORCE_COMMAND


def test_the_recorded_rhel_config_disables_selinux():
    assert parse_selinux_config(recorded("selinux-config-rhel-disabled.txt")) == "disabled"


@pytest.mark.parametrize("text, mode", [
    ("SELINUX=permissive\n", "permissive"),
    ("SELINUX= Enforcing\n", "enforcing"),            # blanks after = skipped, any case (libselinux 3.x)
    ("SELINUX=enforcingly\n", "enforcing"),           # a prefix is enough for strncasecmp
    ("SELINUX=maybe\nSELINUX=permissive\n", "permissive"),   # a line naming no mode is passed over
    ("SELINUX=disabled\nSELINUX=enforcing\n", "disabled"),   # the first that names one counts
    (" SELINUX=enforcing\n", None),                   # not at the start of the line
    ("selinux=enforcing\n", None),                    # the tag is case-sensitive
    ("SELINUXTYPE=targeted\n", None),
    ("SELINUX=\u212aelvin\n", None),                  # strncasecmp folds A-Z only
    ("#SELINUX=enforcing\n", None),
    ("", None),
])
def test_config_lines_are_taken_as_libselinux_takes_them(text, mode):
    assert parse_selinux_config(text) == mode


@settings(max_examples=examples(200))
@given(st.lists(st.text(alphabet=st.sampled_from("SELINUX=TYPEenforcingpermissivedisabled#\t \n\u212a"), max_size=40),
                max_size=6))
def test_the_config_parser_takes_the_first_line_naming_a_mode(lines):
    text = "\n".join(lines)
    mode = parse_selinux_config(text)
    assert mode is None or mode in MODES
    firsts = [line[8:].lstrip(" \t\n\v\f\r").lower() for line in text.split("\n") if line.startswith("SELINUX=")]
    expected = next((m for rest in firsts for m in MODES if rest.startswith(m) and "\u212a" not in rest[:len(m)]), None)
    assert mode == expected


@settings(max_examples=examples(100))
@given(st.text(max_size=30))
def test_getenforce_answers_a_mode_none_or_unparsable(said):
    try:
        mode = parse_getenforce(f"{INSTALLED}\n{said}")
    except UnparsableOutput:
        return
    assert mode in MODES and said.strip() in ("Enforcing", "Permissive", "Disabled")


def modes(running, persisted, present=True):
    return SelinuxModes(running, present, persisted)


def test_permissive_now_and_at_boot_passes():
    findings, evidence = selinux_findings(modes("permissive", "permissive"), DEFAULT)
    assert findings == [] and evidence["running (getenforce)"] == "permissive"


def test_no_selinux_at_all_counts_as_disabled():
    assert selinux_findings(modes(None, None, present=False), DEFAULT)[0] == []
    assert selinux_findings(modes("disabled", None, present=False), DEFAULT)[0] == []


def test_permissive_now_but_enforcing_at_boot_fails_twice():
    findings, _ = selinux_findings(modes("permissive", "enforcing"), DEFAULT)
    assert findings == [
        "/etc/selinux/config sets SELINUX=enforcing for the next boot; the policy allows permissive, disabled",
        "SELinux runs permissive but /etc/selinux/config sets enforcing: the next boot changes the mode "
        "(setenforce and /etc/selinux/config disagree)"]


def test_enforcing_both_fails_by_default_and_passes_where_the_policy_allows_it():
    assert selinux_findings(modes("enforcing", "enforcing"), DEFAULT)[0] == [
        "SELinux runs enforcing; the policy allows permissive, disabled (ms.selinux_modes)",
        "/etc/selinux/config sets SELINUX=enforcing for the next boot; the policy allows permissive, disabled"]
    assert selinux_findings(modes("enforcing", "enforcing"), ("enforcing",))[0] == []


def test_disabled_now_but_permissive_at_boot_is_a_mismatch():
    assert selinux_findings(modes("disabled", "permissive"), DEFAULT)[0] == [
        "SELinux runs disabled but /etc/selinux/config sets permissive: the next boot changes the mode "
        "(setenforce and /etc/selinux/config disagree)"]


@pytest.mark.parametrize("state, reason", [
    (modes("permissive", None), "has no line SELINUX=enforcing, permissive or disabled"),
    (modes(None, "permissive"), "exists but getenforce is not installed"),
    (modes("enforcing", None, present=False), "SELinux runs enforcing but /etc/selinux/config is missing"),
])
def test_a_mode_that_cannot_be_told_is_not_checked(state, reason):
    with pytest.raises(NotCheckable, match=reason):
        selinux_findings(state, DEFAULT)


def test_the_policy_takes_known_modes_only():
    assert policy_from_data({"ms": {"selinux_modes": ["enforcing"]}}, "p.yml").ms.selinux_modes == ("enforcing",)
    for bad in (["strict"], []):
        with pytest.raises(ConfigError, match="selinux_modes"):
            policy_from_data({"ms": {"selinux_modes": bad}}, "p.yml")
