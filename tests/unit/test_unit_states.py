"""Service unit states (parsers/unit_states.py) and KVM-AGENT-SERVICE / DB-SERVICE-ENABLED's rules
(rules/unit_states.py), on recorded real outputs (tests/data/recorded/SOURCES.md) and tables."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.machine import WHITEOUT
from lab.parts.units import CHKCONFIG_STANDIN, SERVICE_STANDIN, SYSTEMCTL_STANDIN, unit_files
from stackaudit.collect.declared.unit_states import UNIT_STATES_PROGRAM, unit_states_line
from stackaudit.config.policy import policy_from_data
from stackaudit.errors import ConfigError, NotCheckable, UnparsableOutput
from stackaudit.parsers.unit_states import ENABLED_STATES, UnitState, parse_unit_states
from stackaudit.rules.unit_states import NOT_AT_BOOT, NOT_JUDGED, agent_service_findings, database_service_findings
from tests.unit.hypothesis_budget import examples

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"


def recorded(name: str) -> str:
    return (RECORDED / name).read_text().rstrip("\n")


def systemd(unit: str, enabled: tuple[int, str], active: tuple[int, str]) -> str:
    return f"{unit}\tis-enabled\t{enabled[0]}\t{enabled[1]}\n{unit}\tis-active\t{active[0]}\t{active[1]}\n"


def sysv(unit: str, listing: tuple[int, str], status: tuple[int, str]) -> str:
    """As the program prints them: the output's tabs turned into spaces (`tr`)."""
    shown = listing[1].replace("\t", " ")
    return f"{unit}\tchkconfig\t{listing[0]}\t{shown}\n{unit}\tservice\t{status[0]}\t{status[1]}\n"


def test_debian12_without_systemd_as_pid1_knows_the_unit_files_but_not_their_activity():
    text = (RECORDED / "unit-states-debian12-no-pid1.txt").read_text()
    with pytest.raises(UnparsableOutput, match=r"^systemctl is-active ssh: not one of systemctl's states: "
                                               r"\"System has not been booted with systemd"):
        parse_unit_states(text)
    unknown = "\n".join(line for line in text.splitlines() if line.startswith("no-such-unit"))
    assert parse_unit_states(unknown) == {"no-such-unit": UnitState("no-such-unit", "systemd", False)}


def test_an_old_systemd_s_unknown_unit_fails_the_agent_as_not_installed():
    """systemd 215 (systemd/systemd issue 937) prints no `not-found`: the error line tells it."""
    states = parse_unit_states(systemd("cloudstack-agent", (1, recorded("systemctl-is-enabled-systemd-issue937.txt")),
                                       (3, "unknown")))
    assert states["cloudstack-agent"].exists is False
    assert agent_service_findings(states, "cloudstack-agent") == [
        "cloudstack-agent is not installed: the host knows no unit cloudstack-agent"]


def test_systemd_252_enabled_and_active_passes():
    states = parse_unit_states(systemd("cloudstack-agent", (0, recorded("systemctl-is-enabled-systemd-issue25625.txt")),
                                       (0, "active")))
    assert states["cloudstack-agent"] == UnitState("cloudstack-agent", "systemd", True, "enabled", "active")
    assert agent_service_findings(states, "cloudstack-agent") == []


@pytest.mark.parametrize("name", ["systemctl-is-enabled-specinfra-pr292.txt", "systemctl-is-enabled-helm-systemd-pr6.txt"])
def test_a_sysv_script_on_a_systemd_host_is_judged_by_the_state_after_its_redirection(name):
    """systemctl prints its redirection on stderr, then the state: the program joins the lines with `|`."""
    answer = "|".join(recorded(name).splitlines())
    states = parse_unit_states(systemd("mysqld", (0, answer), (0, "active")))
    assert states["mysqld"] == UnitState("mysqld", "systemd", True, "enabled", "active")


def test_a_localized_chkconfig_is_refused_which_is_why_the_program_sets_the_c_locale():
    text = sysv("mysql", (0, recorded("chkconfig-list-php79-stack-issue8-ko.txt")), (0, "mysqld (pid 1) is running..."))
    with pytest.raises(UnparsableOutput, match=r"^chkconfig --list mysql: expected 'mysql 0:off \.\.\. 6:off'"):
        parse_unit_states(text)
    assert UNIT_STATES_PROGRAM.startswith("LC_ALL=C; export LC_ALL\n")


# chkconfig's own format (chkconfig.c: "%-15s" then "\t%d:%s" per level), as EL6 prints it.
EL6_ON = "mysqld         \t0:off\t1:off\t2:on\t3:on\t4:on\t5:on\t6:off"
EL6_OFF = "mysqld         \t0:off\t1:off\t2:off\t3:off\t4:off\t5:off\t6:off"


@pytest.mark.parametrize("listing, status, findings", [
    ((0, EL6_ON), (0, "mysqld (pid  2177) is running..."), []),
    ((0, EL6_OFF), (0, "mysqld (pid  2177) is running..."),
     ["mysqld is off at runlevel 3 (chkconfig --list): it does not start at boot"]),
    ((0, EL6_ON), (3, "mysqld is stopped"), ["mysqld is not running (stopped)"]),
    ((0, EL6_ON), (1, "mysqld dead but pid file exists"), ["mysqld is not running (dead, its pid file left)"]),
])
def test_el6_sysv_service(listing, status, findings):
    # The program asks the units in order; on EL6 mariadb and mysql are unknown, mysqld is the third.
    text = (sysv("mariadb", (1, "error reading information on service mariadb: No such file or directory"),
                 (1, "mariadb: unrecognized service"))
            + sysv("mysql", (1, "error reading information on service mysql: No such file or directory"),
                   (1, "mysql: unrecognized service"))
            + sysv("mysqld", listing, status))
    assert database_service_findings(parse_unit_states(text), ("mariadb", "mysql", "mysqld")) == findings


def test_el6_service_status_4_tells_nothing_and_is_unparsable():
    with pytest.raises(UnparsableOutput, match=r"^service mysqld status: exit 4 tells no state"):
        parse_unit_states(sysv("mysqld", (0, EL6_ON), (4, "")))


@pytest.mark.parametrize("word", sorted(set(NOT_AT_BOOT)))
def test_every_state_that_does_not_start_at_boot_fails_with_its_reason(word):
    states = parse_unit_states(systemd("mariadb", (0, word), (0, "active")))
    assert database_service_findings(states, ("mariadb",)) == [f"mariadb {NOT_AT_BOOT[word]}"]


@pytest.mark.parametrize("word", NOT_JUDGED)
def test_a_state_that_depends_on_another_unit_is_not_checked(word):
    states = parse_unit_states(systemd("cloudstack-agent", (0, word), (0, "active")))
    with pytest.raises(NotCheckable, match=f"^systemctl is-enabled cloudstack-agent says {word}: "):
        agent_service_findings(states, "cloudstack-agent")


def test_every_is_enabled_word_is_judged_one_way():
    assert set(NOT_AT_BOOT) | set(NOT_JUDGED) | {"enabled"} == ENABLED_STATES
    assert not set(NOT_AT_BOOT) & set(NOT_JUDGED)


def test_reloading_counts_as_running_and_disabled_inactive_gives_both_findings():
    assert agent_service_findings(parse_unit_states(systemd("cloudstack-agent", (0, "enabled"), (0, "reloading"))),
                                  "cloudstack-agent") == []
    assert agent_service_findings(parse_unit_states(systemd("cloudstack-agent", (1, "disabled"), (3, "failed"))),
                                  "cloudstack-agent") == [
        "cloudstack-agent is disabled: it does not start at boot", "cloudstack-agent is not running (failed)"]


def test_the_database_unit_is_the_first_that_exists_and_none_existing_fails():
    text = (systemd("mariadb", (1, "Failed to get unit file state for mariadb.service: No such file or directory"),
                    (3, "inactive"))
            + systemd("mysql", (4, "not-found"), (3, "inactive")) + systemd("mysqld", (1, "disabled"), (3, "inactive")))
    states = parse_unit_states(text)
    assert database_service_findings(states, ("mariadb", "mysql", "mysqld")) == [
        "mysqld is disabled: it does not start at boot", "mysqld is not running (inactive)"]
    assert database_service_findings(states, ("mariadb", "mysql")) == [
        "none of the units mariadb, mysql exists (policy services.database_units)"]


def test_a_host_with_neither_systemctl_nor_chkconfig_is_not_checked():
    states = parse_unit_states("cloudstack-agent\tnone\t127\t\n")
    with pytest.raises(NotCheckable, match="^cloudstack-agent: the host has neither systemctl nor chkconfig"):
        agent_service_findings(states, "cloudstack-agent")


@pytest.mark.parametrize("text, message", [
    ("cloudstack-agent\tis-enabled\t0\n", "unit states line 1: expected 'unit<TAB>probe<TAB>exit<TAB>output'"),
    ("x\tis-enabled\t٣\tenabled\n", "unit states line 1: expected"),
    ("x\tis-enabled\t0\tenabled\n", "unit states of x: unexpected probes ['is-enabled']"),
    (systemd("x", (0, "enabled"), (0, "running")), "systemctl is-active x: not one of systemctl's states: 'running'"),
])
def test_malformed_output_is_unparsable_with_the_place(text, message):
    with pytest.raises(UnparsableOutput, match="^" + message.replace("[", r"\[").replace("]", r"\]")
                       .replace("(", r"\(").replace(")", r"\)")):
        parse_unit_states(text)


@settings(max_examples=examples(200), deadline=None)
@given(st.text(st.characters(codec="utf-8", exclude_characters="\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"),
               max_size=60), st.integers(0, 255))
def test_any_output_of_a_probe_is_a_state_or_unparsable_never_another_error(output, code):
    text = systemd("u", (code, output), (code, output))
    try:
        state = parse_unit_states(text)["u"]
    except UnparsableOutput:
        return
    assert state.exists is False or (state.boot in ENABLED_STATES and state.running)


def test_the_policy_names_the_database_units_and_refuses_an_option_for_one():
    assert unit_states_line(policy_from_data({}, "p"), "db").startswith("set -- mariadb mysql mysqld keepalived\n")
    assert unit_states_line(policy_from_data({}, "p"), "kvm-host").startswith("set -- cloudstack-agent\n")
    with pytest.raises(ConfigError, match=r"^p: services\.database_units\[0\]"):
        policy_from_data({"services": {"database_units": ["--now"]}}, "p")


def test_the_lab_stand_in_has_a_state_file_per_known_unit_and_none_for_an_unknown_one():
    files, modes = unit_files("mariadb", {"init": "systemd", "units": {"mariadb": None, "mysqld": "enabled active"}})
    assert files == {"/usr/bin/systemctl": SYSTEMCTL_STANDIN, "/etc/lab-units/mysqld": "enabled active\n"}
    assert modes == {"/usr/bin/systemctl": 0o755}


def test_the_lab_s_sysv_machine_hides_systemctl_and_answers_with_chkconfig_and_service():
    files, modes = unit_files("mysqld", {"init": "sysv", "units": {}})
    assert files == {"/usr/bin/systemctl": WHITEOUT, "/usr/sbin/chkconfig": CHKCONFIG_STANDIN,
                     "/usr/sbin/service": SERVICE_STANDIN, "/etc/lab-units/mysqld": "on running\n"}
    assert modes == {"/usr/sbin/chkconfig": 0o755, "/usr/sbin/service": 0o755}
