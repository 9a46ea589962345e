"""Property tests of the parsers: on random text and on mutations of their recorded inputs they
return or raise UnparsableOutput, nothing else; and they stay linear on large adversarial input.

To add a parser: one TextParser entry in PARSERS (the callable that takes the raw text, and the
recorded files, or inline seeds, its mutations start from).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.boot_scripts import RC_LOCAL_FIX, parse_boot_paths, parse_script_runs
from stackaudit.parsers.builds import parse_package_build, parse_sha256sum
from stackaudit.parsers.setting_edits import parse_elapsed_seconds, parse_server_start
from stackaudit.parsers.cloudstack import parse_cloudstack_release, parse_cloudstack_version
from stackaudit.parsers.files import parse_epoch, parse_stat_lines
from stackaudit.parsers.getent import parse_getent_ahosts, parse_lookups
from stackaudit.parsers.libvirt import parse_libvirtd_conf
from stackaudit.parsers.net import parse_ss_listening, parse_ss_listening_processes
from stackaudit.parsers.osinfo import parse_os_release
from stackaudit.parsers.procs import parse_pids, parse_ps, parse_ps_names, parse_stale_mappings
from stackaudit.parsers.properties import parse_environment_file, parse_java_properties, parse_shell_assignments
from stackaudit.collect.batch import parse_sections
from stackaudit.parsers.units import parse_socket_units
from stackaudit.parsers.xapi import parse_pool_ha
from tests.unit.hypothesis_budget import examples

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"


def batch_stdout(text: str):
    """The batch's sections from its stdout, for the sections whose begin frames it holds (in the
    order of their first frame), with an empty stderr for each."""
    names = list(dict.fromkeys(re.findall(r"^@begin ([a-z0-9_]+)$", text, re.M)))
    return parse_sections(text.encode(), "".join(f"@begin {n}\n|\n@end {n}\n" for n in names).encode(), names)


@dataclass(frozen=True)
class TextParser:
    name: str
    parse: Callable[[str], object]
    recorded: tuple[str, ...] = ()
    seeds: tuple[str, ...] = ()          # inline inputs, for a parser whose outputs are not recorded in files

    def inputs(self) -> list[str]:
        texts = [(RECORDED / name).read_text(encoding="latin-1" if name.endswith(".properties") else "utf-8")
                 for name in self.recorded]
        return texts + list(self.seeds)


PARSERS = [
    TextParser("libvirtd.conf", parse_libvirtd_conf, (
        "libvirtd.conf-debian12.txt", "libvirtd.conf-cloudstack.txt", "outside-libvirtd.conf-libvirt-confdata.txt",
        "outside-libvirt-fc4.conf.txt", "outside-libvirt-no-newline.conf.txt",
        "outside-libvirtd.conf-cloudstack-issue-4659.txt")),
    TextParser("java properties", lambda text: parse_java_properties(text, "agent.properties"), (
        "agent-properties-stored.properties", "properties-edge.properties",
        "outside-agent.properties-cloudstack-sample.properties", "outside-db.properties.in-cloudstack.properties",
        "outside-Bug6609431.properties")),
    TextParser("EnvironmentFile", lambda text: parse_environment_file(text, "/etc/default/libvirtd"), (
        "default-libvirtd-debian12.txt", "default-libvirtd-cloudstack.txt", "sysconfig-libvirtd-rhel-sample.txt",
        "outside-libvirtd.sysconf-libvirt.txt", "outside-sysconfig-libvirtd-cloudstack-4754.txt",
        "outside-default-libvirt-bin-puppet-nova.txt")),
    TextParser("shell assignments", lambda text: parse_shell_assignments(text, "/etc/xensource-inventory"), (
        "xensource-inventory-sample.txt", "default-libvirtd-cloudstack.txt",
        "outside-sysconfig-libvirtd-nova-doc.txt")),
    TextParser("os-release", parse_os_release, (
        "os-release-debian12.txt", "outside-os-release-rhel8.7-briefcase.txt",
        "outside-os-release-tumbleweed-briefcase.txt", "outside-os-release-ubuntu22.04-briefcase.txt")),
    TextParser("ss -ltn", parse_ss_listening, (
        "ss-listening-debian12.txt", "outside-ss-ntl-centos7-ansible.txt", "outside-ss-lnt-old-iproute2-blog.txt",
        "outside-ss-tl-util-linux-2066.txt")),
    TextParser("ps", parse_ps, ("ps-debian12.txt", "outside-ps-ef-ha-unraid-36.txt", "ps-libvirtd-debian12.txt")),
    TextParser("ps names", parse_ps_names, ("ps-programs-debian12.txt", "ps-debian12.txt")),
    TextParser("pgrep", parse_pids, ("pgrep-server-debian12.txt",)),
    TextParser("ss -ltnp", parse_ss_listening_processes, (
        "ss-ltnp-debian12.txt", "outside-ss-ltpn-root-kubeadm.txt", "outside-ss-ltpn-unprivileged-kubeadm.txt")),
    TextParser("stale libraries", parse_stale_mappings, ("stale-libraries-debian12.txt",)),
    TextParser("socket units", parse_socket_units, seeds=(
        "libvirtd.socket\t/dev/null\t/lib/systemd/system/libvirtd.socket\n"
        "libvirtd-ro.socket\t\t/usr/lib/systemd/system/libvirtd-ro.socket\nlibvirtd-tcp.socket\t\t\n",)),
    TextParser("stat", parse_stat_lines, ("stat-debian12.stdout", "outside-stat-default-catalyst2.txt")),
    TextParser("date +%s", parse_epoch, ("date-epoch-debian12.txt", "outside-date-epoch-unixtutorial.txt",
                                         "outside-date-epoch-checkmk-1970.txt")),
    TextParser("cloudstack-release", parse_cloudstack_release, (
        "outside-cloudstack-release-docs-4.0.txt", "outside-cloudstack-release-ansible-sample.txt"),
        seeds=("Cloudstack Release 4.19.1.0 Wed Nov 25 17:00:00 UTC 2026\n",)),
    TextParser("cloudstack version", parse_cloudstack_version,
               seeds=("4.19.1.0", "4.18.0.0-SNAPSHOT", "4.0.0-incubating")),
    TextParser("batch sections", batch_stdout, ("batch-sh-debian12.stdout",)),
    TextParser("getent ahosts", parse_getent_ahosts, ("getent-ahosts-localhost-debian12.txt",)),
    TextParser("rc.local runs", lambda text: parse_script_runs(text, RC_LOCAL_FIX), (
        "rc-local-centos7-uniquexenserver.txt", "uniquexenserver-xenserver_make_unique.sh.txt",
        "uniquexenserver-init.d-xenserver_make_unique.txt")),
    TextParser("boot paths", parse_boot_paths, ("make-unique-paths-lab-xu6.txt",), seeds=(
        "present\t/etc/init.d/xenserver_make_unique\npresent\t/etc/rc.d/rc3.d/S24xenserver_make_unique\n"
        "same\t/etc/rc.local\t/etc/rc.d/rc.local\n",)),
    TextParser("sha256sum", parse_sha256sum, ("sha256sum-jars-debian12.txt", "sha256sum-coreutils-tests.txt",
                                              "sha256sum-newline-name-debian12.txt")),
    TextParser("ps -o etimes=", parse_elapsed_seconds, seeds=("   86461\n", "      3\n")),
    TextParser("server start", parse_server_start, ("server-start-debian12-absent.txt", "server-start-debian12-files.txt")),
    TextParser("management package", parse_package_build, seeds=(
        "dpkg\tinstall ok installed\t4.19.1.0\n", "rpm\tpackage cloudstack-management is not installed\n")),
    TextParser("getent lookups", lambda text: parse_lookups(text, ["localhost", "db9.invalid"]),
               seeds=(" 127.0.0.1       STREAM localhost\n 127.0.0.1       DGRAM\n= 0\n= 2\n",)),
]
IDS = [p.name for p in PARSERS]

# characters the formats give a meaning to, and some that trip naive readers
# and digits that str.isdigit() or re's \d take but the tools never print (superscript, Arabic-Indic)
SPECIAL = list("\"'\\#;!=:[],%*@\t \n\r\f{}$`") + ["\x00", "\u00e9", "\u2028", "\x85", "\u0664", "\u00b2", "\uff11"]


def parse_or_refuse(parser: TextParser, text: str):
    """The parser's result, or None when it refused the text with UnparsableOutput (the only exception allowed)."""
    try:
        return parser.parse(text)
    except UnparsableOutput as error:
        assert str(error), "an UnparsableOutput must say what it could not read"
        return None


@st.composite
def mutated(draw, parser: TextParser) -> str:
    text = draw(st.sampled_from(parser.inputs()))
    chars = st.sampled_from(SPECIAL) | st.characters(codec="utf-8")
    for _ in range(draw(st.integers(1, 6))):
        lines = text.split("\n")
        op = draw(st.sampled_from(["insert", "delete", "replace", "drop line", "repeat line", "new line", "cut"]))
        at = draw(st.integers(0, len(text)))
        line = draw(st.integers(0, len(lines) - 1))
        if op == "insert":
            text = text[:at] + draw(st.text(chars, min_size=1, max_size=4)) + text[at:]
        elif op == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 8)):]
        elif op == "replace":
            text = text[:at] + draw(chars) + text[at + 1:]
        elif op == "drop line":
            text = "\n".join(lines[:line] + lines[line + 1:])
        elif op == "repeat line":
            text = "\n".join(lines[:line + 1] + [lines[line]] + lines[line + 1:])
        elif op == "new line":
            text = "\n".join(lines[:line] + [draw(st.text(chars, max_size=40))] + lines[line:])
        else:
            text = text[:at]
    return text


@pytest.mark.parametrize("parser", PARSERS, ids=IDS)
@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_recorded_inputs_give_a_result_or_unparsable_output(parser, data):
    parse_or_refuse(parser, data.draw(mutated(parser)))


@pytest.mark.parametrize("parser", PARSERS, ids=IDS)
@settings(max_examples=examples(100), deadline=None)
@given(text=st.text(st.sampled_from(SPECIAL) | st.characters(codec="utf-8"), max_size=300))
def test_random_text_gives_a_result_or_unparsable_output(parser, text):
    parse_or_refuse(parser, text)


# --- XAPI records arrive as XML-RPC structures, not text ------------------------------------------

XMLRPC_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                             lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                         max_size=3), max_leaves=8)


@settings(max_examples=examples(200), deadline=None)
@given(enabled=XMLRPC_VALUES, configuration=XMLRPC_VALUES, extra=st.dictionaries(st.text(max_size=8), XMLRPC_VALUES))
def test_pool_records_of_any_shape_give_a_result_or_unparsable_output(enabled, configuration, extra):
    for record in ({**extra, "ha_enabled": enabled, "ha_configuration": configuration}, extra, enabled,
                   {"ha_enabled": True, "ha_configuration": {"timeout": configuration}}):
        try:
            parse_pool_ha(record)
        except UnparsableOutput:
            pass


# --- linear, not quadratic: inputs of size n and 8n give results that scale, and parse at all --------

@dataclass(frozen=True)
class Growth:
    """`build(k)` is an adversarial input holding k units; `outcome(result)` what k units must give."""
    parser: TextParser
    build: Callable[[int], str]
    outcome: Callable[[object, int], bool] = field(default=lambda result, k: True)


def by_name(name: str) -> TextParser:
    return next(p for p in PARSERS if p.name == name)


def refused(result, k) -> bool:
    return result is None


def repeated(name: str, file: str) -> Callable[[int], str]:
    return lambda k: (RECORDED / file).read_text() * (300 * k)


GROWTH = [
    Growth(by_name("libvirtd.conf"), lambda k: "a = [" + ' "x",' * (2000 * k) + " ]\n",
           lambda r, k: len(r["a"]) == 2000 * k),
    Growth(by_name("libvirtd.conf"), lambda k: "a = '" + "x" * (10000 * k), refused),
    Growth(by_name("libvirtd.conf"), lambda k: 'a = """' + "x\n" * (5000 * k), refused),
    Growth(by_name("libvirtd.conf"), lambda k: "a = " + "[" * (20000 * k), refused),
    Growth(by_name("java properties"), lambda k: "a=" + "\\" * (20000 * k) + "\n",
           lambda r, k: r["a"] == "\\" * (10000 * k)),
    Growth(by_name("java properties"), lambda k: "a=\\\n" * (5000 * k) + "b\n",
           lambda r, k: r["a"] == "a=" * (5000 * k - 1) + "b"),
    Growth(by_name("java properties"), lambda k: "a\\u00" * (5000 * k), refused),
    Growth(by_name("EnvironmentFile"), lambda k: 'A="' + "x\\\n" * (5000 * k) + '"\n',
           lambda r, k: r["A"] == "x" * (5000 * k)),
    Growth(by_name("shell assignments"), lambda k: "A='" + "x" * (20000 * k) + "'\n",
           lambda r, k: len(r["A"]) == 20000 * k),
    Growth(by_name("ss -ltn"), repeated("ss -ltn", "ss-listening-debian12.txt"), lambda r, k: len(r) == 6 * 300 * k),
    Growth(by_name("ss -ltn"), lambda k: "LISTEN 0 1 " + ":" * (20000 * k) + "1 x\n", refused),
    Growth(by_name("ss -ltnp"), lambda k: "".join((RECORDED / "ss-ltnp-debian12.txt").read_text().splitlines(True)[1:])
           * (300 * k), lambda r, k: len(r) == 3 * 300 * k),
    Growth(by_name("ss -ltnp"), lambda k: "LISTEN 0 1 0.0.0.0:443 0.0.0.0:* users:((" + '("x",pid=1,fd=3),' * (2000 * k)
           + "))\n", lambda r, k: len(r[0].owners) == 2000 * k),
    Growth(by_name("ss -ltnp"), lambda k: "LISTEN 0 1 0.0.0.0:443 0.0.0.0:* users:((" + '("' * (10000 * k) + "))\n",
           refused),
    Growth(by_name("ps"), lambda k: "root" + " " * (20000 * k) + "x\n", refused),
    Growth(by_name("stat"), lambda k: "1 " * (10000 * k) + "\n", lambda r, k: len(r) == 1),
    Growth(by_name("rc.local runs"), lambda k: "nohup \\\n" * (5000 * k) + "/etc/rc.local.fix\n",
           lambda r, k: len(r) == 1 and r[0].line_number == 1),
    Growth(by_name("rc.local runs"), lambda k: "sh '" + "x" * (20000 * k) + " /etc/rc.local.fix\n",
           lambda r, k: len(r) == 1),
    Growth(by_name("batch sections"), lambda k: "@begin a\n" + "|x\n@end a 0\n" * (1000 * k), refused),
    Growth(by_name("batch sections"), lambda k: "@begin a\n" + "|x\n" * (5000 * k), refused),
    Growth(by_name("batch sections"), lambda k: "@begin a\n" * (2000 * k), refused),
    Growth(by_name("batch sections"), lambda k: "".join(f"@begin s{i}\n|out\n|\n@end s{i} 0\n" for i in range(500 * k)),
           lambda r, k: len(r) == 500 * k and r["s0"].stdout == "out\n"),
]


@pytest.mark.parametrize("growth", GROWTH, ids=[f"{g.parser.name}-{i}" for i, g in enumerate(GROWTH)])
def test_large_adversarial_inputs_parse_and_scale(growth):
    """Sizes n and 8n (8n is about 100-300 KB): correct results at both; timings are in the report, not here."""
    for k in (1, 8):
        text = growth.build(k)
        assert len(text) > 10_000 * k
        result = parse_or_refuse(growth.parser, text)
        assert growth.outcome(result, k), f"{growth.parser.name}: unexpected result for {k} units"


def test_every_recorded_file_named_in_the_table_exists():
    for parser in PARSERS:
        for name in parser.recorded:
            assert (RECORDED / name).is_file(), name
    assert not [p for p in PARSERS if not p.inputs()], "each parser needs an input to mutate"


def test_the_table_covers_every_parser_module_of_this_brief():
    modules = {re.sub(r"^stackaudit\.parsers\.", "", getattr(p.parse, "__module__", "")) for p in PARSERS}
    # lambdas report this module; their names are in the table ids
    assert {"libvirt", "net", "osinfo", "procs", "units", "files", "cloudstack"} <= modules


@pytest.mark.parametrize("parser, text", [
    (by_name("stale libraries"), "\u00b2\tsshd\t/usr/lib/libssl.so.3\n"),      # "²".isdigit() is True, int("²") fails
    (by_name("ps"), f"{'root':<32} \u0664\u0662 /usr/sbin/libvirtd\n"),       # Arabic-Indic digits match re's \d
    (by_name("ss -ltn"), "LISTEN 0 128 0.0.0.0:\u0662\u0662 0.0.0.0:*\n"),
    (by_name("ss -ltnp"), 'LISTEN 0 128 0.0.0.0:443 0.0.0.0:* users:(("nginx",pid=\u0661\u0662,fd=3))\n'),
    (by_name("date +%s"), "\u0661\u0667\u0660\u0660\n"),
    (by_name("stat"), "\u0661 2 /x\n"),
])
def test_digits_the_tools_never_print_are_refused(parser, text):
    assert parse_or_refuse(parser, text) is None
