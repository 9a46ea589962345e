"""The cloud's settings and lists, from the CloudStack API (collectors.read_cloud_settings): each
reading says which calls it makes, and the collector makes them as declared here."""
from __future__ import annotations

from stackaudit.collect.readers import SCOPED_CALLS, TRAFFIC_LABEL_CALLS, read_scoped_settings, read_traffic_labels
from stackaudit.collect.readings import ApiCall, Fact
from stackaudit.parsers.api_rows import (parse_configurations, parse_ldap_configurations, parse_scoped_settings,
                                         parse_service_offerings, parse_storage_pools)
from stackaudit.parsers.events import parse_events
from stackaudit.parsers.kubernetes import parse_kubernetes_clusters
from stackaudit.parsers.templates import parse_templates
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
    # CLOUD-K8S-RUNNING: every account's clusters (the command exists while the Kubernetes service is enabled)
    Fact("kubernetes_clusters", ("cloud",),
         (ApiCall("kubernetes_clusters", "listKubernetesClusters", (("listall", "true"),)),),
         lambda facts: parse_kubernetes_clusters(facts.api("kubernetes_clusters"))),
    # CLOUD-SYSTEMVM-TEMPLATE: every zone's system VM templates (one row per template and zone)
    Fact("system_templates", ("cloud",),
         (ApiCall("system_templates", "listTemplates", (("templatefilter", "system"),)),),
         lambda facts: parse_templates(facts.api("system_templates"))),
    # CLOUD-VMS-RESTARTED: every VM.STOP and VM.START event the cloud still keeps (event.purge.delay)
    Fact("vm_power_events", ("cloud",),
         (ApiCall("vm_stops", "listEvents", (("listall", "true"), ("type", "VM.STOP"))),
          ApiCall("vm_starts", "listEvents", (("listall", "true"), ("type", "VM.START")))),
         lambda facts: parse_events(facts.api("vm_stops"), "API listEvents type=VM.STOP")
         + parse_events(facts.api("vm_starts"), "API listEvents type=VM.START")),
]
