"""KVM-AGENT-MGMT-HOSTS: the agent's host= read as the agent reads it, and compared with the management servers
the cloud's `host` setting and algorithm give (recorded inputs: tests/unit/properties_samples.py)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings

from stackaudit.errors import NotCheckable, UnparsableOutput
from stackaudit.parsers.agent import AgentHosts, parse_agent_hosts
from stackaudit.parsers.api_rows import ConfigurationRow, parse_configurations
from stackaudit.rules.kvm_agent import compare_management_hosts
from tests.unit.hypothesis_budget import examples
from tests.unit.properties_samples import lines_of, mutated, properties, recorded


def settings_rows(host: str | None, algorithm: str | None = "static") -> list[ConfigurationRow]:
    rows = [] if host is None else [{"name": "host", "value": host}]
    return parse_configurations(
        rows + ([] if algorithm is None else [{"name": "indirect.agent.lb.algorithm", "value": algorithm}]))


# --- the agent's host= ---------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("185.185.58.54@static", AgentHosts(("185.185.58.54",), "static")),
    ("10.0.35.136,10.0.35.137@static", AgentHosts(("10.0.35.136", "10.0.35.137"), "static")),
    ("10.2.2.144,10.2.2.118", AgentHosts(("10.2.2.144", "10.2.2.118"), None)),
    ("localhost", AgentHosts(("localhost",), None)),
    (None, AgentHosts(("localhost",), None, defaulted=True)),
    ("  ", AgentHosts(("localhost",), None, defaulted=True)),
    # Java's String.split: trailing empties dropped, inner and leading kept, no trimming
    ("a,b,@static", AgentHosts(("a", "b"), "static")),
    ("a,,b", AgentHosts(("a", "", "b"), None)),
    ("a, b @static ", AgentHosts(("a", " b "), "static ")),
    ("a@b@c", AgentHosts(("a",), "b")),
    ("a@", AgentHosts(("a",), None)),
    ("@static", AgentHosts(("",), "static")),
])
def test_host_values_split_as_the_agent_splits_them(value, expected):
    assert parse_agent_hosts(value) == expected


@pytest.mark.parametrize("value", ["@", "@@", "@static@"])
def test_values_the_agent_refuses_are_unparsable(value):
    with pytest.raises(UnparsableOutput, match="starts and ends with '@'"):
        parse_agent_hosts(value)


def test_issue_5240_agent_matches_its_one_server_static_cloud():
    host = properties("agent-properties-issue5240.properties")["host"]
    verdict = compare_management_hosts(host, settings_rows("185.185.58.54"))
    assert verdict.findings == []
    assert verdict.evidence["compared"] == "in order: indirect.agent.lb.algorithm is static"


def test_pr_10524_agent_before_the_list_grew_lacks_the_new_server():
    setting = "10.0.35.136,10.0.35.137"
    before = properties("agent-properties-pr10524-before.txt")["host"]
    after = properties("agent-properties-pr10524-after.txt")["host"]
    assert compare_management_hosts(after, settings_rows(setting)).findings == []
    assert compare_management_hosts(before, settings_rows(setting)).findings == [
        "agent.properties host= lacks 10.0.35.137 (in CloudStack's host setting 10.0.35.136,10.0.35.137)"]


def test_static_cloud_wants_the_settings_order_and_its_algorithm():
    setting = "10.0.35.136,10.0.35.137"
    reversed_ = compare_management_hosts("10.0.35.137,10.0.35.136@static", settings_rows(setting)).findings
    assert reversed_ == ["agent.properties host= lists 10.0.35.137,10.0.35.136; CloudStack's host setting lists "
                         "10.0.35.136,10.0.35.137, and indirect.agent.lb.algorithm is static: the order must "
                         "match (the first is the agent's preferred management server)"]
    other = compare_management_hosts("10.0.35.136,10.0.35.137@roundrobin", settings_rows(setting)).findings
    assert other == ["agent.properties host= ends in @roundrobin; the cloud's indirect.agent.lb.algorithm is static"]


def test_issue_3895_roundrobin_cloud_takes_any_order_and_the_pre_4_11_form_as_a_set():
    text = recorded("agent-host-issue3895.txt")
    setting = text.split("host=")[1].split()[0]
    assert setting == "10.2.2.144,10.2.2.118"
    rows = settings_rows(setting, "roundrobin")
    assert compare_management_hosts("10.2.2.118,10.2.2.144@roundrobin", rows).findings == []
    no_suffix = compare_management_hosts("10.2.2.118,10.2.2.144", settings_rows(setting, "static"))
    assert no_suffix.findings == []
    assert no_suffix.evidence["compared"] == "as a set: host= has no @algorithm suffix (the form before 4.11)"


def test_cloud_before_4_11_compares_as_a_set_and_says_so():
    verdict = compare_management_hosts("b,a", settings_rows("a, b", algorithm=None))
    assert verdict.findings == []
    assert "CloudStack before 4.11" in verdict.evidence["compared"]
    assert verdict.evidence["CloudStack's hosts (blanks removed, split on commas)"] == ["a", "b"]


def test_issue_10616_fragment_without_host_means_localhost():
    verdict = compare_management_hosts(properties("agent-properties-issue10616.txt").get("host"),
                                       settings_rows("10.0.0.1"))
    assert verdict.findings[0] == "agent.properties has no host= value: the agent connects to localhost, its default"


def test_blanks_empty_elements_duplicates_and_unknown_algorithms_are_findings():
    rows = settings_rows("a,b")
    assert compare_management_hosts("a, b@static", rows).findings[0].startswith(
        "agent.properties host= has blanks the agent does not trim around ' b'")
    assert "an empty element" in compare_management_hosts("a,,b", rows).findings[0]
    assert "names a more than once" in compare_management_hosts("a,b,a", rows).findings[0]
    assert compare_management_hosts("a,b@fastest", rows).findings == [
        "agent.properties host= ends in @fastest, which is no algorithm CloudStack has (static, roundrobin, shuffle)"]


def test_no_host_setting_is_not_checkable():
    with pytest.raises(NotCheckable, match="global setting `host`"):
        compare_management_hosts("a@static", settings_rows(None))


@settings(max_examples=examples(200), deadline=None)
@given(mutated())
def test_agent_hosts_parser_raises_only_unparsable(text):
    for line in lines_of(text):
        try:
            parse_agent_hosts(line.partition("=")[2] or line)
        except UnparsableOutput:
            pass


def test_a_truncated_host_value_is_a_finding_not_a_pass():
    after = properties("agent-properties-pr10524-after.txt")["host"]
    cut = compare_management_hosts(after[:-3], settings_rows("10.0.35.136,10.0.35.137")).findings
    assert cut == ["agent.properties host= ends in @sta, which is no algorithm CloudStack has "
                   "(static, roundrobin, shuffle)"]
