"""The cloud's settings and lists, from the CloudStack API (collectors.read_cloud_settings): each
reading says which calls it makes, and the collector makes them as declared here."""
from __future__ import annotations

from stackaudit.collect.readers import (SCOPED_CALLS, SCOPED_COMMANDS, TRAFFIC_LABEL_CALLS, TRAFFIC_LABEL_COMMANDS,
                                       read_scoped_settings, read_traffic_labels)
from stackaudit.collect.readings import ApiCall, Fact
from stackaudit.parsers.api_rows import (parse_configurations, parse_image_stores, parse_ldap_configurations,
                                         parse_pods, parse_scoped_domains, parse_scoped_settings,
                                         parse_service_offerings, parse_storage_pools, parse_users)
from stackaudit.parsers.events import parse_events
from stackaudit.parsers.kubernetes import parse_kubernetes_clusters
from stackaudit.parsers.templates import parse_templates
from stackaudit.parsers.setting_edits import CONFIG_EDIT, parse_setting_edits
from stackaudit.parsers.traffic_labels import parse_traffic_labels

# Each scope's own settings, the domains and accounts listed first (read by two facts, asked once).
SCOPED = ApiCall("scoped", reader=read_scoped_settings, asks=SCOPED_CALLS, sends=SCOPED_COMMANDS,
                 rows="each zone's, cluster's, account's and domain's own values; each domain's name and path")

# The system offerings a secondary storage VM may run on (ListServiceOfferingsCmd's issystem and systemvmtype).
SSVM_OFFERINGS = (("issystem", "true"), ("systemvmtype", "secondarystoragevm"))

FACTS = [
    Fact("configurations", ("cloud",), (ApiCall("configurations", "listConfigurations", rows="every global setting"),),
         lambda facts: parse_configurations(facts.api("configurations"))),
    Fact("scoped_settings", ("cloud",), (SCOPED,), lambda facts: parse_scoped_settings(facts.api("scoped"))),
    Fact("ldap_configurations", ("cloud",), (ApiCall("ldap", "listLdapConfigurations", (("listall", "true"),)),),
         lambda facts: parse_ldap_configurations(facts.api("ldap"))),
    # MS-LDAP-DOMAIN-LINK: every user with its domain and source, and every domain
    Fact("users", ("cloud",), (ApiCall("users", "listUsers", (("listall", "true"),), rows="every user, with its domain and source"),),
         lambda facts: parse_users(facts.api("users"))),
    # the domains the scoped settings are read for: one listDomains a run
    Fact("domains", ("cloud",), (SCOPED,), lambda facts: parse_scoped_domains(facts.api("scoped"))),
    Fact("ssvm_offerings", ("cloud",), (ApiCall("ssvm_offerings", "listServiceOfferings", SSVM_OFFERINGS),),
         lambda facts: parse_service_offerings(facts.api("ssvm_offerings"))),
    # zone id -> traffic type -> its KVM and XenServer labels (KVM-BRIDGES, SVM-SSVM-MTU)
    Fact("traffic_labels", ("cloud",), (ApiCall("traffic_labels", reader=read_traffic_labels, asks=TRAFFIC_LABEL_CALLS,
                                             sends=TRAFFIC_LABEL_COMMANDS),),
         lambda facts: parse_traffic_labels(facts.api("traffic_labels"))),
    Fact("storage_pools", ("cloud",),
         (ApiCall("storage_pools", "listStoragePools", rows="every primary storage pool, with its type, state and zone"),),
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
    Fact("pods", ("cloud",), (ApiCall("pods", "listPods", rows="every pod, with its allocation state"),),
         lambda facts: parse_pods(facts.api("pods"))),
    Fact("image_stores", ("cloud",),
         (ApiCall("image_stores", "listImageStores", rows="every image (secondary) store, with its zone"),),
         lambda facts: parse_image_stores(facts.api("image_stores"))),
    # MS-CONFIG-ACTIVE: every setting change the cloud still keeps (event.purge.delay days); one
    # reading for every management server, so no startdate (each server started at its own time)
    Fact("setting_edits", ("cloud",),
         (ApiCall("setting_edits", "listEvents", (("listall", "true"), ("type", CONFIG_EDIT)),
                  rows="every CONFIGURATION.VALUE.EDIT event"),),
         lambda facts: parse_setting_edits(facts.api("setting_edits"))),
]
