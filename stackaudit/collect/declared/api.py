"""The cloud's settings and lists, from the CloudStack API (collectors.read_cloud_settings): each
reading says which calls it makes, and the collector makes them as declared here."""
from __future__ import annotations

from stackaudit.collect.readers import SCOPED_CALLS, TRAFFIC_LABEL_CALLS, read_scoped_settings, read_traffic_labels
from stackaudit.collect.readings import ApiCall, Fact
from stackaudit.parsers.api_rows import (parse_configurations, parse_ldap_configurations, parse_scoped_settings,
                                         parse_service_offerings, parse_storage_pools)
from stackaudit.parsers.setting_edits import CONFIG_EDIT, parse_setting_edits
from stackaudit.parsers.traffic_labels import parse_traffic_labels

# The system offerings a secondary storage VM may run on (ListServiceOfferingsCmd's issystem and systemvmtype).
SSVM_OFFERINGS = (("issystem", "true"), ("systemvmtype", "secondarystoragevm"))

FACTS = [
    Fact("configurations", ("cloud",), (ApiCall("configurations", "listConfigurations", rows="every global setting"),),
         lambda facts: parse_configurations(facts.api("configurations"))),
    Fact("scoped_settings", ("cloud",),
         (ApiCall("scoped", reader=read_scoped_settings, asks=SCOPED_CALLS,
                  rows="each zone's, cluster's, account's and domain's own values"),),
         lambda facts: parse_scoped_settings(facts.api("scoped"))),
    Fact("ldap_configurations", ("cloud",), (ApiCall("ldap", "listLdapConfigurations", (("listall", "true"),)),),
         lambda facts: parse_ldap_configurations(facts.api("ldap"))),
    Fact("ssvm_offerings", ("cloud",), (ApiCall("ssvm_offerings", "listServiceOfferings", SSVM_OFFERINGS),),
         lambda facts: parse_service_offerings(facts.api("ssvm_offerings"))),
    # zone id -> traffic type -> its KVM and XenServer labels (KVM-BRIDGES, SVM-SSVM-MTU)
    Fact("traffic_labels", ("cloud",), (ApiCall("traffic_labels", reader=read_traffic_labels, asks=TRAFFIC_LABEL_CALLS),),
         lambda facts: parse_traffic_labels(facts.api("traffic_labels"))),
    Fact("storage_pools", ("cloud",),
         (ApiCall("storage_pools", "listStoragePools", rows="every primary storage pool, with its type and zone"),),
         lambda facts: parse_storage_pools(facts.api("storage_pools"))),
    # MS-CONFIG-ACTIVE: every setting change the cloud still keeps (event.purge.delay days); one
    # reading for every management server, so no startdate (each server started at its own time)
    Fact("setting_edits", ("cloud",),
         (ApiCall("setting_edits", "listEvents", (("listall", "true"), ("type", CONFIG_EDIT)),
                  rows="every CONFIGURATION.VALUE.EDIT event"),),
         lambda facts: parse_setting_edits(facts.api("setting_edits"))),
]
