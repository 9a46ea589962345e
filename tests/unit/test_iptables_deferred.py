"""Rules read when their chain is asked for (parse_iptables_save's `defer`): the same rules as reading
every line at once, the persisted file's repeated lines not read again, and what iptables-restore
refuses still refused where it is read (issue 19, item 1)."""
from __future__ import annotations

import pytest

from lab.security_groups import host_rules
from lab.firewall_rules import saved_rules_file
from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.iptables import parse_iptables_save
from stackaudit.parsers.iptables_rules import Deferred

FIREWALL = {"chain": True, "jump": True, "reject_ports": [16509, 16514, 45335, 41047, 8250]}


def with_forward_rule(text: str, rule: str) -> str:
    """`text` with `rule` appended to filter/FORWARD (before the filter table's COMMIT)."""
    start = text.index("*filter")
    end = text.index("COMMIT", start)
    return text[:end] + f"-A FORWARD {rule}\n" + text[end:]


def every_rule(ruleset) -> dict:
    return {(table, name): chain.rules for table, chains in ruleset.tables.items() for name, chain in chains.items()}


@pytest.mark.parametrize("family", [4, 6])
def test_deferred_reading_gives_the_rules_reading_at_once_gives(family):
    text = host_rules(family, 30, FIREWALL, "fd00:5341:4c41::/64" if family == 6 else None)
    deferred = parse_iptables_save(text, family=family, defer=True)
    assert any(isinstance(item, Deferred) for item in deferred.tables["filter"]["FORWARD"]._items)
    assert every_rule(deferred) == every_rule(parse_iptables_save(text, family=family))


def test_a_persisted_file_repeating_the_running_rules_defers_them_and_reads_the_rest():
    running_text = host_rules(4, 30, FIREWALL)
    running = parse_iptables_save(running_text, defer=True)
    persisted_text = with_forward_rule(saved_rules_file(running_text), "-p tcp --dport 1 -j ACCEPT")
    persisted = parse_iptables_save(persisted_text, "rules.v4", defer=running.deferred)
    forward = persisted.tables["filter"]["FORWARD"]._items
    assert isinstance(forward[0], Deferred) and not isinstance(forward[-1], Deferred)   # the new line read at once
    assert every_rule(persisted) == every_rule(parse_iptables_save(persisted_text, "rules.v4"))


def test_a_line_the_running_rules_never_held_is_refused_at_once_in_the_persisted_file():
    running = parse_iptables_save(host_rules(4, 5, FIREWALL), defer=True)
    broken = with_forward_rule(saved_rules_file(host_rules(4, 5, FIREWALL)), "--dport 1 -j ACCEPT")
    with pytest.raises(UnparsableOutput, match="rules.v4 line"):
        parse_iptables_save(broken, "rules.v4", defer=running.deferred)


def test_a_deferred_jump_to_an_undeclared_chain_is_refused_where_the_line_is():
    text = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -j NOWHERE-chain\nCOMMIT\n"
    with pytest.raises(UnparsableOutput, match="line 5: jump to undeclared chain"):
        parse_iptables_save(text, defer=True)


def test_a_running_line_no_reader_understands_fails_when_its_chain_is_read_and_names_the_line():
    text = ("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
            "-A INPUT -p tcp --dport 22 -j ACCEPT\n-A FORWARD -p tcp --dport nine:1 -j ACCEPT\nCOMMIT\n")
    ruleset = parse_iptables_save(text, defer=True)
    assert [r.text for r in ruleset.tables["filter"]["INPUT"].rules] == ["-p tcp -m tcp --dport 22 -j ACCEPT"]
    with pytest.raises(UnparsableOutput, match="iptables-save line 6"):
        ruleset.tables["filter"]["FORWARD"].rules
