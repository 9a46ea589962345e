"""The recorded inputs the tests of KVM-AGENT-MGMT-HOSTS, MS-DB-HOST-NOT-LOCAL and their parsers share
(test_agent_properties.py, test_jdbc_urls.py, test_db_host_not_local.py), and the mutated inputs their
Hypothesis tests draw (each parser raises only UnparsableOutput, fast).

Recorded (tests/data/recorded/SOURCES.md says where each comes from):
- agent-properties-issue5240.properties: a whole agent.properties (apache/cloudstack issue 5240);
- agent-properties-pr10524-{before,after}.txt: `grep host` of an agent.properties before and after
  the `host` setting grew a second server (apache/cloudstack pull request 10524);
- agent-host-issue3895.txt: a cloud's `host` setting and algorithm (apache/cloudstack issue 3895);
- agent-properties-issue10616.txt: a fragment without host= (apache/cloudstack issue 10616);
- db-properties-issue10780.properties, db-properties-issue6813.properties: db.properties pasted in
  apache/cloudstack issues (fragments); db-properties-in-cloudstack.properties: the packaged file;
- jdbc-urls-published.txt: JDBC URLs from Connector/J's guide and pages quoting it;
- ip-addr-debian12.txt, etc-hosts-sandbox.txt, hostname-sandbox.txt: recorded on this Debian 12 box.
"""
from __future__ import annotations

from pathlib import Path

from hypothesis import strategies as st

from stackaudit.parsers.properties import parse_java_properties

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"


def recorded(name: str) -> str:
    return (RECORDED / name).read_text()


def properties(name: str) -> dict[str, str]:
    return parse_java_properties(recorded(name), name)


SEEDS = [recorded(n) for n in ("agent-properties-issue5240.properties", "jdbc-urls-published.txt",
                                "ip-addr-debian12.txt", "etc-hosts-sandbox.txt", "db-properties-issue6813.properties")]
SPECIALS = st.sampled_from(list("@,:[]()=/?#%. \t\n") + ["address=", "jdbc:mysql://", "(host=", "inet6 ", "::1"])


def mutated():
    """Random text, and recorded inputs cut, spliced and sprinkled with the formats' special characters."""
    def mutate(seed: str, cut: int, insert: list[str], at: int) -> str:
        cut %= len(seed) + 1
        at %= cut + 1
        return seed[:at] + "".join(insert) + seed[at:cut]
    return st.one_of(st.text(max_size=300),
                     st.builds(mutate, st.sampled_from(SEEDS), st.integers(0, 4000), st.lists(SPECIALS, max_size=8),
                               st.integers(0, 4000)))


def lines_of(text: str) -> list[str]:
    return text.splitlines() or [text]
