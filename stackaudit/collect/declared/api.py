"""The cloud's settings, from the CloudStack API (collectors.read_cloud_settings)."""
from __future__ import annotations

from stackaudit.collect.readings import ApiCall, Fact
from stackaudit.parsers.api_rows import (parse_configurations, parse_ldap_configurations, parse_scoped_settings,
                                         parse_service_offerings, parse_storage_pools)
from stackaudit.parsers.traffic_labels import parse_traffic_labels

FACTS = [
    Fact("configurations", ("cloud",), (ApiCall("configurations"),),
         lambda facts: parse_configurations(facts.api("configurations"))),
    Fact("scoped_settings", ("cloud",), (ApiCall("scoped", after=("domains", "accounts")),),
         lambda facts: parse_scoped_settings(facts.api("scoped"))),
    Fact("ldap_configurations", ("cloud",), (ApiCall("ldap"),),
         lambda facts: parse_ldap_configurations(facts.api("ldap"))),
    Fact("ssvm_offerings", ("cloud",), (ApiCall("ssvm_offerings"),),
         lambda facts: parse_service_offerings(facts.api("ssvm_offerings"))),
    # zone id -> traffic type -> its KVM and XenServer labels (KVM-BRIDGES, SVM-SSVM-MTU)
    Fact("traffic_labels", ("cloud",), (ApiCall("traffic_labels"),),
         lambda facts: parse_traffic_labels(facts.api("traffic_labels"))),
    Fact("storage_pools", ("cloud",), (ApiCall("storage_pools"),),
         lambda facts: parse_storage_pools(facts.api("storage_pools"))),
]
