"""MS-VHDUTIL: its scope (clouds with a XenServer cluster, rules/scope.py) and its rule
(rules/vhd_util.py) on GNU stat's output as parsers/stat_modes.py reads it."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackaudit.collect.declared.mgmt_host import VHD_UTIL_COMMAND
from stackaudit.parsers.stat_modes import FileMode, parse_stat_blocks
from stackaudit.rules.scope import XENSERVER_CLUSTERS
from stackaudit.rules.vhd_util import VHD_UTIL, vhd_util_findings
from stackaudit.targets import ClusterAttrs, Snapshot, Target
from tests.unit.hypothesis_budget import examples

MS = Target("mgmt", "ms1")


def cloud(*hypervisors: str) -> Snapshot:
    return Snapshot("lab", [MS, *(Target("cluster", f"c{i}", "zone1", attrs=ClusterAttrs(hypervisor=h))
                                  for i, h in enumerate(hypervisors))])


def test_it_applies_only_to_clouds_with_a_xenserver_cluster():
    assert XENSERVER_CLUSTERS.out_of_scope(MS, None, None, None, cloud("KVM", "XenServer")) is None
    assert XENSERVER_CLUSTERS.out_of_scope(MS, None, None, None, cloud("KVM")) == \
        "the cloud has no XenServer cluster (listClusters hypervisortype)"
    assert XENSERVER_CLUSTERS.out_of_scope(MS, None, None, None, cloud()) is not None


def test_the_command_stats_the_packaged_scripts_path_following_links():
    assert VHD_UTIL == "/usr/share/cloudstack-common/scripts/vm/hypervisor/xenserver/vhd-util"
    assert VHD_UTIL_COMMAND == f"if [ -e {VHD_UTIL} ]; then LC_ALL=C stat -L -- {VHD_UTIL}; fi"


def stat_of(mode: str, kind: str = "regular file") -> str:
    return (f"  File: {VHD_UTIL}\n  Size: 1    \tBlocks: 8          IO Block: 4096   {kind}\n"
            f"Device: 254,0\tInode: 1     Links: 1\nAccess: ({mode}/-rwxr-xr-x)  Uid: (    0/    root)   "
            "Gid: (    0/    root)\n")


def judge(text: str) -> list[str]:
    return vhd_util_findings(parse_stat_blocks(text))[0]


def test_0755_and_0711_pass():
    assert judge(stat_of("0755")) == [] and judge(stat_of("0711")) == []


@pytest.mark.parametrize("text, finding", [
    ("", f"{VHD_UTIL} is missing: XenServer volume, snapshot and template operations from this server fail; "
         "download vhd-util there and chmod 755 it"),
    (stat_of("0644"), f"{VHD_UTIL} has mode 0644: not executable by owner, group and others; chmod 755 it"),
    (stat_of("0750"), f"{VHD_UTIL} has mode 0750: not executable by owner, group and others; chmod 755 it"),
    (stat_of("0755", "directory"), f"{VHD_UTIL} is a directory, not a program"),
])
def test_missing_not_executable_or_not_a_file_fails(text, finding):
    assert judge(text) == [finding]


@settings(max_examples=examples(200))
@given(st.integers(0, 0o7777))
def test_it_passes_exactly_when_all_three_execute_bits_are_set(mode):
    found = [FileMode(VHD_UTIL, "regular file", mode, "root", "root")]
    assert (vhd_util_findings(found)[0] == []) == (mode & 0o111 == 0o111)
