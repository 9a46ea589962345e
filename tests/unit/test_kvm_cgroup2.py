"""KVM-CGROUP2-CPU-WEIGHT: the cgroup file-system type (parsers/cgroups.py) on recorded outputs, and the rule
(rules/kvm_cgroup2.py) on dpkg-query's answer (parsers/dpkg.py) and listHosts' version."""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackaudit.config.policy import KvmPolicy, policy_from_data
from stackaudit.errors import ConfigError, NotCheckable, UnparsableOutput
from stackaudit.parsers.cgroups import parse_cgroup_fs_type
from stackaudit.parsers.dpkg import compare_versions, parse_dpkg_query
from stackaudit.rules.kvm_cgroup2 import agent_release, weight_findings
from tests.unit.hypothesis_budget import examples

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
KVM = KvmPolicy()
FLOOR = KVM.cgroup2_agent_floor
PATCHED = ("4.16.0.0+1",)   # the source's own build (004), as a site would list it


def recorded(name: str) -> str:
    return (RECORDED / name).read_text()


def agent(version: str, status: str = "install ok installed") -> dict:
    return parse_dpkg_query(f"qemu-system-x86\tinstall ok installed\t1:7.2+dfsg-7+deb12u6\n"
                            f"cloudstack-agent\t{status}\t{version}\n")


def judge(version: str, reported: str | None = None, patched: tuple[str, ...] = ()):
    return weight_findings(agent(version), reported, FLOOR, patched)


@pytest.mark.parametrize("name, fs_type, unified", [
    ("stat-cgroup-fs-kubernetes-docs-v2.txt", "cgroup2fs", True),
    ("stat-cgroup-fs-kubernetes-docs-v1.txt", "tmpfs", False),
    ("stat-cgroup-fs-sandbox-unified.txt", "cgroup2fs", True),
    ("stat-cgroup-fs-sandbox-hybrid.txt", "tmpfs", False),
])
def test_recorded_stat_outputs(name, fs_type, unified):
    mount = parse_cgroup_fs_type(recorded(name))
    assert (mount.fs_type, mount.unified) == (fs_type, unified)


def test_a_stat_without_a_name_for_cgroup2_prints_its_magic_number_and_it_is_unified():
    # coreutils' human_fstype() default: "UNKNOWN (0x%lx)"; CGROUP2_SUPER_MAGIC is 0x63677270.
    assert parse_cgroup_fs_type("UNKNOWN (0x63677270)\n").unified
    assert not parse_cgroup_fs_type("cgroupfs\n").unified


@pytest.mark.parametrize("text, message", [
    (recorded("stat-cgroup-fs-sandbox-ramfs.txt"), "'ramfs' is not a cgroup file system"),
    ("sysfs\n", "'sysfs' is not a cgroup file system"),
    ("UNKNOWN (0x27e0eb)\n", "is not a cgroup file system"),
    ("", "expected one line, got 0"),
    ("cgroup2fs\ntmpfs\n", "expected one line, got 2"),
])
def test_other_types_and_shapes_are_unparsable(text, message):
    with pytest.raises(UnparsableOutput, match=message):
        parse_cgroup_fs_type(text)


def test_an_old_agent_fails_and_says_why():
    verdict = judge("4.16.0.0")
    assert verdict.findings == [
        "cloudstack-agent 4.16.0.0 is below the floor 4.18.2.0 and is not a patched build the policy lists: "
        "on cgroup v2 a VM whose cores × MHz exceed 10000 fails to start or migrate "
        "(\"Value specified in CPUWeight is out of range\")"]
    assert verdict.evidence["release compared"] == "4.16.0.0"


def test_the_floor_and_the_releases_after_it_pass_with_or_without_a_codename():
    # download.cloudstack.org's packages are plain (4.19.1.2); packaging/build-deb.sh appends ~<codename>.
    for version in ("4.18.2.0", "4.18.2.0~jammy", "4.19.0.0", "4.19.0.0~bookworm", "4.19.1.2", "4.20.1.0~noble",
                    "4.18.10.0"):
        assert judge(version, agent_release(version)).findings == [], version
    # by dpkg's rules alone 4.18.2.0~jammy sorts before 4.18.2.0: the codename must go first
    assert compare_versions("4.18.2.0~jammy", "4.18.2.0") < 0
    for version in ("4.18.1.0", "4.18.1.1~focal", "4.17.2.0", "4.9.3.0"):
        assert judge(version).findings, version


def test_a_patched_build_the_policy_lists_passes_and_an_unlisted_one_fails():
    assert judge("4.16.0.0+1", "4.16.0.0", PATCHED).findings == []
    assert judge("4.16.0.0+1~bullseye", None, PATCHED).evidence["judged"].startswith("a patched build")
    assert judge("4.16.0.0+1").findings                                  # not listed
    assert judge("4.16.0.0+2", None, PATCHED).findings                   # another build of the same release
    assert judge("4.16.0.0", None, PATCHED).findings                     # the unpatched release


def test_a_running_agent_older_than_the_installed_one_fails():
    verdict = judge("4.19.0.0~bookworm", "4.16.0.0")
    assert verdict.findings == [
        "CloudStack reports the agent at 4.16.0.0 (listHosts version), below the floor 4.18.2.0, while "
        "4.19.0.0~bookworm is installed: the running agent predates the fix (restart cloudstack-agent)"]
    assert judge("4.19.0.0", None).evidence["listHosts version"] == "not reported by listHosts"
    garbled = judge("4.19.0.0", "n/a")
    assert garbled.findings == [] and "not compared" in garbled.evidence["listHosts version"]


def test_an_agent_that_is_not_installed_is_not_checkable():
    with pytest.raises(NotCheckable, match="cloudstack-agent is not installed \\(dpkg-query lists no such package\\)"):
        weight_findings(parse_dpkg_query("qemu-system-x86\tinstall ok installed\t1:7.2\n"), None, FLOOR, ())
    with pytest.raises(NotCheckable, match="dpkg status 'deinstall ok config-files'"):
        weight_findings(agent("", "deinstall ok config-files"), None, FLOOR, ())


def test_the_policy_reads_the_floor_and_the_patched_builds_and_refuses_bad_versions():
    assert (KVM.cgroup2_agent_floor, KVM.patched_agent_versions) == ("4.18.2.0", ())
    policy = policy_from_data({"kvm": {"cgroup2_agent_floor": "4.19.0.0",
                                       "patched_agent_versions": ["4.16.0.0+1"]}}, "p.yml")
    assert (policy.kvm.cgroup2_agent_floor, policy.kvm.patched_agent_versions) == ("4.19.0.0", ("4.16.0.0+1",))
    assert policy.kvm.qemu_floor == KVM.qemu_floor
    with pytest.raises(ConfigError, match="kvm.cgroup2_agent_floor"):
        policy_from_data({"kvm": {"cgroup2_agent_floor": "four"}}, "p.yml")
    with pytest.raises(ConfigError, match="kvm.patched_agent_versions"):
        policy_from_data({"kvm": {"patched_agent_versions": ["x:1"]}}, "p.yml")


RELEASE = st.tuples(*[st.integers(0, 30)] * 4).map(lambda parts: ".".join(map(str, parts)))
CODENAME = st.sampled_from(["", "~bookworm", "~bullseye", "~jammy", "~noble", "~focal"])


@settings(max_examples=examples(200))
@given(release=RELEASE, codename=CODENAME, floor=RELEASE)
def test_a_release_fails_exactly_when_it_is_below_the_floor_whatever_its_codename(release, codename, floor):
    findings = weight_findings(agent(release + codename), None, floor, ()).findings
    below = tuple(map(int, release.split("."))) < tuple(map(int, floor.split(".")))
    assert bool(findings) == below


KNOWN_TYPES = {"cgroup2fs": True, "UNKNOWN (0x63677270)": True, "tmpfs": False, "cgroupfs": False}


@settings(max_examples=examples(300))
@given(text=st.one_of(st.text(max_size=60),
                      st.tuples(st.sampled_from(sorted(KNOWN_TYPES)), st.sampled_from(["", "\n", " \n", "\r\n", "\n\n"]),
                                st.sampled_from(["", " ", "\n"])).map(lambda t: t[2] + t[0] + t[1])))
def test_stat_answers_are_one_known_type_or_unparsable(text):
    try:
        mount = parse_cgroup_fs_type(text)
    except UnparsableOutput as error:
        assert str(error).startswith("stat -fc %T /sys/fs/cgroup: ")
        return
    assert mount.unified == KNOWN_TYPES[mount.fs_type]
    assert text.split() and " ".join(text.split()) == mount.fs_type
