"""The cloud's settings, from the CloudStack API (collectors.read_cloud_settings)."""
from __future__ import annotations

from stackaudit.collect.readings import ApiCall, Fact
from stackaudit.parsers.api_rows import parse_configurations, parse_ldap_configurations, parse_scoped_settings

FACTS = [
    Fact("configurations", ("cloud",), (ApiCall("configurations"),),
         lambda facts: parse_configurations(facts.api("configurations"))),
    Fact("scoped_settings", ("cloud",), (ApiCall("scoped", after=("domains", "accounts")),),
         lambda facts: parse_scoped_settings(facts.api("scoped"))),
    Fact("ldap_configurations", ("cloud",), (ApiCall("ldap"),),
         lambda facts: parse_ldap_configurations(facts.api("ldap"))),
]
