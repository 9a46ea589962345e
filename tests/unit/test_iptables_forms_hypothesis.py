"""Property: a random rule, written in random spellings iptables-restore accepts and its words in a random
valid order, reads as the text iptables-save prints for it (built here from the parts, by the forms the
real iptables 1.8.9 printed: tests/unit/test_iptables_forms.py), and has the key of that text."""
from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.iptables import parse_iptables_save
from tests.unit.hypothesis_budget import examples

SERVICES = {"ssh": 22, "http": 80, "https": 443}
REJECT_SPELLINGS = {"icmp-port-unreachable": ["icmp-port-unreachable", "port-unreach", "PORT", "icmp-port"],
                    "icmp-host-prohibited": ["icmp-host-prohibited", "host-prohib", "ICMP-HOST-P"],
                    "tcp-reset": ["tcp-reset", "tcp-rst", "TCP-R"]}
LEVELS = {"warning": 4, "info": 6, "debug": 7, "0": 0, "3": 3}


@st.composite
def rules(draw):
    """(written words in groups that may be reordered, the group that must come first, iptables-save's text)."""
    groups, saved_head, saved_tcp, saved_target = [], [], [], []
    if draw(st.booleans()):                                    # a source, as a prefix, a mask or a host
        prefix = draw(st.integers(8, 32))
        network = f"10.{draw(st.integers(0, 255))}.0.0"
        mask = ".".join(str((0xFFFFFFFF << (32 - prefix) >> s) & 255) for s in (24, 16, 8, 0))
        base = ".".join(str(int(p) & int(m)) for p, m in zip(network.split("."), mask.split(".")))
        written = draw(st.sampled_from([f"{network}/{prefix}", f"{network}/{mask}"]))
        groups.append([draw(st.sampled_from(["-s", "--source", "--src"])), written])
        saved_head += ["-s", f"{base}/{prefix}"]
    if draw(st.booleans()):
        interface = draw(st.sampled_from(["eth0", "eth+", "cloudbr0"]))
        groups.append([draw(st.sampled_from(["-i", "--in-interface"])), interface])
        saved_head += ["-i", interface]
    protocol = draw(st.sampled_from(["tcp", "TCP", "6"]))
    first = [draw(st.sampled_from(["-p", "--protocol"])), protocol]     # before the tcp options
    saved_head += ["-p", "tcp"]
    name, port = draw(st.sampled_from([(str(p), p) for p in (22, 8250, 16509)] + list(SERVICES.items())))
    option = draw(st.sampled_from(["--dport", "--destination-port", "--dp", "--dport="]))
    first += [option + name] if option.endswith("=") else [option, name]
    saved_tcp += ["--dport", str(port)]
    if draw(st.booleans()):
        first.append("--syn")
        saved_tcp += ["--tcp-flags", "FIN,SYN,RST,ACK", "SYN"]
    if draw(st.booleans()):
        first[2:2] = ["-m", "tcp"]
    target = draw(st.sampled_from(["ACCEPT", "DROP", "REJECT", "LOG"]))
    target_group = [draw(st.sampled_from(["-j", "--jump"])), target]
    saved_target = ["-j", target]
    if target == "REJECT" and draw(st.booleans()):
        answer = draw(st.sampled_from(sorted(REJECT_SPELLINGS)))
        target_group += ["--reject-with", draw(st.sampled_from(REJECT_SPELLINGS[answer]))]
        saved_target += ["--reject-with", answer]
    elif target == "REJECT":
        saved_target += ["--reject-with", "icmp-port-unreachable"]
    if target == "LOG":
        level = draw(st.sampled_from(sorted(LEVELS)))
        target_group += ["--log-level", level]
        saved_target += ["--log-level", str(LEVELS[level])] if LEVELS[level] != 4 else []
    saved = saved_head + ["-m", "tcp"] + saved_tcp + saved_target
    return groups, first, target_group, " ".join(saved)


@settings(max_examples=examples(300), deadline=None)
@given(rules(), st.randoms(use_true_random=False), st.booleans())
def test_a_rule_in_any_spelling_and_order_reads_as_iptables_save_prints_it(rule, random, options_after_target):
    groups, first, target_group, saved = rule
    random.shuffle(groups)
    # iptables reads the whole line: -p's group may follow -j, and the other groups may follow the target's
    ordered = [first, *groups, target_group] if not options_after_target else [target_group, first, *groups]
    written = " ".join(word for group in ordered for word in group)
    text = f"*filter\n:INPUT ACCEPT [0:0]\n-A INPUT {written}\nCOMMIT\n"
    (read,) = parse_iptables_save(text).chain("filter", "INPUT").rules
    (canonical,) = parse_iptables_save(f"*filter\n:INPUT ACCEPT [0:0]\n-A INPUT {saved}\nCOMMIT\n").chain(
        "filter", "INPUT").rules
    assert (read.text, read.key) == (saved, canonical.key)
    assert canonical.text == saved


RULES_FILES = ("restore-spellings.v4", "restore-spellings.v6", "iptables-save-restore-spellings-v4.txt",
               "iptables-save-v4-conditions.txt", "sysconfig-iptables-iptables-services-default.txt")
WORDS = ["-j", "-g", "!", "-p", "-m", "tcp", "--dport", "--syn", "--reject-with", "--log-level", "REJECT", "LOG",
         "-s", "0.0.0.0/0", "fd00::/ffff::", '"', "'", "\\", "=", "--d", "--tcp-flags", "ALL", "-c", "١٢", "all"]


@settings(max_examples=examples(300), deadline=None)
@given(st.sampled_from(RULES_FILES), st.data())
def test_a_mutated_rules_file_is_read_or_refused_with_the_reason_never_an_error(name, data):
    lines = (Path(__file__).resolve().parent.parent / "data" / "recorded" / name).read_text().splitlines()
    rule_lines = [i for i, line in enumerate(lines) if line.startswith(("-A", "-I", "[", "-N"))]
    index = data.draw(st.sampled_from(rule_lines))
    words = lines[index].split(" ")
    for _ in range(data.draw(st.integers(1, 3))):
        position = data.draw(st.integers(0, len(words)))
        if data.draw(st.booleans()) and position < len(words):
            del words[position]
        else:
            words.insert(position, data.draw(st.sampled_from(WORDS) | st.text(max_size=6)))
    lines[index] = " ".join(words)
    try:
        parse_iptables_save("\n".join(lines) + "\n", name)
    except UnparsableOutput as error:
        assert str(error).startswith(f"{name} line ") and "\n" not in str(error)
