"""MS-LDAP-DOMAIN-LINK: listUsers and listDomains rows recorded by apache/cloudstack-go's test data,
and the rule's verdicts on LDAP users, configurations and the policy's domains."""
from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.records_cloudstack import cloudstack_model
from lab.scenario import resolve_scenario
from lab.sim.cloudstack_api import Api
from lab.topology import build_topology, stable_id
from stackaudit.collect.collectors import Collector
from stackaudit.collect.declarations import FACTS
from stackaudit.config.policy import policy_from_data
from stackaudit.errors import NotCheckable, UnparsableOutput
from stackaudit.parsers.api_rows import (DomainRow, LdapConfigurationRow, UserRow, parse_domains, parse_scoped_domains,
                                         parse_users)
from stackaudit.rules.ldap_link import ldap_link_findings
from stackaudit.targets import Target
from tests.unit.hypothesis_budget import examples
from tests.unit.test_traffic_labels import InProcessApi

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
DOMAINS = [DomainRow("d-root", "ROOT", "ROOT"), DomainRow("d-mem", "Members", "ROOT/Members"),
           DomainRow("d-staff", "Staff", "ROOT/Staff")]


def user(name, domain="d-mem", source="ldap", domain_name="Members") -> UserRow:
    return UserRow(name, domain, domain_name, source)


def test_recorded_users_and_domains():
    users = parse_users(json.loads((RECORDED / "cloudstack-go-listusers.json").read_text()))
    assert [(u.username, u.domain, u.usersource) for u in users] == [("admin", "ROOT", "native"),
                                                                     ("ashley", "saml", "saml2disabled")]
    domains = parse_domains(json.loads((RECORDED / "cloudstack-go-listdomains.json").read_text()))
    assert [(d.name, d.path) for d in domains] == [("DummyDomain", "ROOT/DummyDomain"), ("subdomain", "ROOT/domain/subdomain")]
    # native and saml users need no LDAP configuration
    assert ldap_link_findings(users, [], domains, []) == []


def test_ldap_users_without_their_domains_configuration_fail_naming_them():
    users = [user("alice"), user("dave"), user("bob", "d-staff", domain_name="Staff"), user("carol", "d-x", "saml2")]
    configs = [LdapConfigurationRow("ldap", 636, "d-root"), LdapConfigurationRow("ldap", 636, "d-staff")]
    assert ldap_link_findings(users, configs, DOMAINS, []) == [
        "domain ROOT/Members has 2 LDAP users (alice, dave) but no LDAP configuration "
        "(listLdapConfigurations domainid=d-mem is empty): they cannot log in"]
    assert ldap_link_findings(users, [*configs, LdapConfigurationRow("ldap2", 389, "d-mem")], DOMAINS, []) == []


def test_the_source_is_compared_case_insensitively_and_many_users_are_cut():
    users = [user(f"u{i}", source="LDAP") for i in range(5)]
    (finding,) = ldap_link_findings(users, [LdapConfigurationRow("l", 1, "d-root")], DOMAINS, [])
    assert "5 LDAP users (u0, u1, u2, ...)" in finding


def test_the_policy_names_domains_by_name_or_path():
    configs = [LdapConfigurationRow("l", 1, "d-root")]
    assert ldap_link_findings([], configs, DOMAINS, ["members"]) == [
        "domain ROOT/Members, named in the policy's ldap.domains, has no LDAP configuration "
        "(listLdapConfigurations domainid=d-mem is empty)"]
    assert ldap_link_findings([], [*configs, LdapConfigurationRow("l", 1, "d-mem")], DOMAINS, ["ROOT/Members"]) == []
    with pytest.raises(NotCheckable, match="ldap.domains names 'Nowhere', which listDomains does not list"):
        ldap_link_findings([], configs, DOMAINS, ["Nowhere"])


def test_configurations_without_any_domainid_cannot_be_judged():
    with pytest.raises(NotCheckable, match="no LDAP configuration carries a domainid"):
        ldap_link_findings([user("alice")], [LdapConfigurationRow("ldap", 389)], DOMAINS, [])
    # without LDAP users nothing needs judging
    assert ldap_link_findings([user("x", source="native")], [LdapConfigurationRow("ldap", 389)], DOMAINS, []) == []


@pytest.mark.parametrize("rows, message", [
    ({"user": []}, "expected a list of rows"),
    ([{"domainid": "x"}], "has no field username"),
    ([{"username": "a", "usersource": 1}], "field usersource is int, not text"),
])
def test_users_rows_it_does_not_understand_are_unparsable(rows, message):
    with pytest.raises(UnparsableOutput, match=message):
        parse_users(rows)


@settings(max_examples=examples(200), deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.sampled_from(["d-root", "d-mem", "d-staff"]),
                          st.sampled_from(["ldap", "LDAP", "native", "saml2", "saml2disabled"])), max_size=8),
       st.sets(st.sampled_from(["d-root", "d-mem", "d-staff"]), min_size=1))
def test_a_domain_is_named_exactly_when_it_has_ldap_users_and_no_configuration(users, configured):
    rows = [UserRow(name, domain, None, source) for name, domain, source in users]
    findings = ldap_link_findings(rows, [LdapConfigurationRow("l", 1, d) for d in sorted(configured)], DOMAINS, [])
    unserved = {d for _, d, s in users if s.lower() == "ldap"} - configured
    assert len(findings) == len(unserved)
    assert all(any(f"domainid={d} " in f for f in findings) for d in unserved)


def test_a_run_asks_listdomains_once_for_the_domains_and_every_scope_s_settings():
    """The facts `domains` (the LDAP checks) and `scoped_settings` share one reading: collecting every
    fact of the cloud from the lab's simulator, in process, asks listDomains once, and the domains
    read back keep their paths."""
    raw = {"name": "t", "users": [{"name": "alice", "domain": "Members", "source": "ldap"}],
           "global_settings": {"cloud.kubernetes.service.enabled": "true"},     # its API answers then
           "ldap": [{"domain": "Staff"}],
           "zones": [{"name": "z1", "pods": [{"name": "p1", "clusters": [
               {"name": "c1", "hypervisor": "KVM", "hosts": [{"name": "kvm01"}]}]}]}]}
    api = InProcessApi(Api(cloudstack_model(build_topology(resolve_scenario(raw, "t.yml")), [], [], "")))
    collector = Collector(SimpleNamespace(insecure_channels=()), policy_from_data({}, "defaults"),
                          SimpleNamespace(api={}))
    assert FACTS["domains"].reads == FACTS["scoped_settings"].reads
    part = collector.read_cloud_settings(api, Target("cloud", "t"))
    assert [command for command, _ in api.asked].count("listDomains") == 1
    assert {"scoped", "users", "ldap"} <= set(part) and "domains" not in part
    assert parse_scoped_domains(part["scoped"]) == [DomainRow(stable_id("domain", "ROOT"), "ROOT", "ROOT"),
                                                    DomainRow(stable_id("domain", "Members"), "Members", "ROOT/Members"),
                                                    DomainRow(stable_id("domain", "Staff"), "Staff", "ROOT/Staff")]


@pytest.mark.parametrize("scoped", [[], {}, {"domain": []}, {"domain": {"d1": "ROOT"}}, {"domain": {"d1": {"path": "ROOT"}}}])
def test_scoped_domains_of_unexpected_shape_are_unparsable(scoped):
    with pytest.raises(UnparsableOutput, match="API listDomains"):
        parse_scoped_domains(scoped)
