"""MS-GLOBAL-HOST: the global `host` setting against the Up management servers (rules/global_host.py)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackaudit.config.policy import policy_from_data
from stackaudit.errors import ConfigError, NotCheckable
from stackaudit.parsers.api_rows import ConfigurationRow, ManagementServerRow, parse_api_rows
from stackaudit.rules.global_host import global_host_findings
from tests.unit.hypothesis_budget import examples

UP = [ManagementServerRow("ms1", "Up", serviceip="198.18.0.10"), ManagementServerRow("ms2", "Up", serviceip="198.18.0.11")]
INVENTORY = ["198.18.0.10", "198.18.0.11"]


def judge(host: str | None, servers=UP, inventory=INVENTORY, endpoints=()):
    rows = [] if host is None else [ConfigurationRow("host", host)]
    return global_host_findings(rows, servers, inventory, list(endpoints))[0]


def test_both_up_servers_pass_in_any_order_and_spacing():
    assert judge("198.18.0.10,198.18.0.11") == []
    assert judge(" 198.18.0.11 , 198.18.0.10") == []    # IndirectAgentLBServiceImpl removes the blanks


def test_localhost_the_default_fails_and_names_the_missing_servers():
    findings = judge("localhost")
    assert findings[0].startswith("host lists localhost, a loopback address")
    assert findings[1] == ("host=localhost lacks 198.18.0.10 (Up management server ms1), 198.18.0.11 (Up management "
                           "server ms2): agents never fail over to it")


@pytest.mark.parametrize("loopback", ["127.0.0.1", "127.0.1.1", "::1", "[::1]", "LOCALHOST.", "ip6-localhost"])
def test_every_loopback_form_fails(loopback):
    assert any("a loopback address" in f for f in judge(f"198.18.0.10,198.18.0.11,{loopback}"))


def test_a_decommissioned_address_beside_the_up_servers_fails():
    assert judge("198.18.0.10,198.18.0.11,198.18.0.99") == [
        "host lists 198.18.0.99, not among the serviceip of each management server listManagementServers lists Up "
        "(198.18.0.10, 198.18.0.11): a decommissioned or stopped server, or an endpoint the policy does not name"]


def test_a_server_listed_down_is_not_wanted_and_a_server_missing_is_named():
    servers = [UP[0], ManagementServerRow("ms2", "Down", serviceip="198.18.0.11")]
    assert judge("198.18.0.10,198.18.0.11", servers)[0].startswith("host lists 198.18.0.11, not among")
    assert judge("198.18.0.10", servers) == []


def test_ipv6_addresses_compare_however_written():
    servers = [ManagementServerRow("ms1", "Up", serviceip="fd00:0:0:0::10")]
    assert judge("fd00::10", servers) == []


def test_the_policy_s_endpoints_replace_the_servers():
    assert judge("ms-vip.lab.example", endpoints=["MS-VIP.lab.example"]) == []
    assert judge("198.18.0.10,198.18.0.11", endpoints=["198.18.0.250"])[0].startswith(
        "host=198.18.0.10,198.18.0.11 lacks 198.18.0.250 (policy management.agent_endpoints)")


def test_without_serviceip_the_inventory_s_servers_are_wanted():
    servers = [ManagementServerRow("ms1", "Up"), ManagementServerRow("ms2", "Up")]
    assert judge("198.18.0.10,198.18.0.11", servers) == []
    assert "lacks 198.18.0.11 (an inventory management server)" in judge("198.18.0.10", servers)[0]


def test_no_setting_is_not_checked_and_an_empty_one_fails():
    with pytest.raises(NotCheckable, match="no global setting `host`"):
        judge(None)
    assert judge(" , ")[0].startswith("the global setting host is empty")


def test_listmanagementservers_rows_keep_serviceip():
    (row,) = parse_api_rows("listManagementServers", [{"name": "ms1", "state": "Up", "serviceip": "198.18.0.10",
                                                       "ipaddress": "198.18.0.10", "version": "4.22.0.0"}])
    assert row.serviceip == "198.18.0.10"


def test_a_policy_endpoint_that_is_not_a_host_is_a_config_error():
    with pytest.raises(ConfigError, match="management.agent_endpoints"):
        policy_from_data({"management": {"agent_endpoints": ["not a host!"]}}, "policy.yml")


@settings(max_examples=examples(200))
@given(st.permutations(["198.18.0.10", "198.18.0.11"]), st.lists(st.sampled_from([" ", ""]), min_size=2, max_size=2))
def test_the_up_servers_in_any_order_with_blanks_pass(order, blanks):
    assert judge(",".join(blank + address + blank for blank, address in zip(blanks, order))) == []


def test_a_serviceip_that_is_not_text_is_unparsable():
    from stackaudit.errors import UnparsableOutput
    with pytest.raises(UnparsableOutput, match="field serviceip is int, not text"):
        parse_api_rows("listManagementServers", [{"name": "ms1", "state": "Up", "serviceip": 3}])
