"""The software a system VM runs (its Debian release, its OpenSSL packages, its CloudStack release), the
same OpenSSL readings on a TLS front end of the UI/API, and the packages a KVM host has."""
from __future__ import annotations

from stackaudit.collect.readings import Command, Fact, config_file_fact, shell
from stackaudit.parsers.cloudstack import parse_cloudstack_release
from stackaudit.parsers.dpkg import parse_dpkg_query
from stackaudit.parsers.osinfo import parse_debian_version
from stackaudit.targets import SYSTEM_VM_KINDS, TLS_KINDS

# ${Status} and ${Version} are understood by every dpkg-query back to Debian 7 (dpkg 1.16).
DPKG_QUERY_FORMAT = r"${Package}\t${Status}\t${Version}\n"

FACTS = [
    Fact("debian_release", TLS_KINDS, (Command("debian_version", shell("cat", "/etc/debian_version")),),
         lambda facts: parse_debian_version(facts.section("debian_version"))),
    # dpkg-query exits 1 when one of its patterns matches nothing; the rest is still listed.
    Fact("packages", TLS_KINDS, (Command("packages", shell("dpkg-query", "-W", "-f=" + DPKG_QUERY_FORMAT,
                                                                 "openssl", "libssl*"), ok_exit_codes=(0, 1)),),
         lambda facts: parse_dpkg_query(facts.section("packages"))),
    config_file_fact("cloudstack_release", SYSTEM_VM_KINDS, "/etc/cloudstack-release",
                     lambda text, path: parse_cloudstack_release(text)),
    # KVM-PACKAGES: every package dpkg knows (no pattern), so a policy that names other packages needs
    # no other command; a few thousand short lines, read-only. Not a Debian host: no dpkg-query, broken.
    Fact("kvm_packages", ("kvm-host",), (Command("kvm_packages", shell("dpkg-query", "-W", "-f=" + DPKG_QUERY_FORMAT)),),
         lambda facts: parse_dpkg_query(facts.section("kvm_packages"))),
]
