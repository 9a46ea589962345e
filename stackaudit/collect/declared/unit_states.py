"""Service units: whether the CloudStack agent and the database server start at boot and run now.

One small sh program asks each unit of the target's kind, in the C locale (chkconfig translates its
"on"/"off": php79/stack issue 8 shows a Korean `mysql 0:해제 ... 2:활성`), `systemctl is-enabled`
and `systemctl is-active` where systemctl exists, else EL6's `chkconfig --list` and `service UNIT
status`; all four only read. Their exit codes are not the program's: is-enabled exits non-zero
for a disabled or unknown unit, is-active 3 for an inactive one, service 3 for a stopped one, so
each is printed with its answer (parsers/unit_states.py) and the program itself exits 0. The answer's
lines are joined with `|`: for a SysV script on a systemd host, is-enabled prints its redirection
to chkconfig or systemd-sysv-install on stderr before the state (mizzy/specinfra pull request 292).
"""
from __future__ import annotations

from stackaudit.collect.readings import Command, Fact, shell
from stackaudit.parsers.unit_states import parse_unit_states

AGENT_UNIT = "cloudstack-agent"     # the unit the cloudstack-agent package installs (apache/cloudstack packaging)
# DB-VIP-SINGLE-HOLDER: the VRRP daemon that moves a database pair's VIP, under the name of its
# own unit (acassen/keepalived, keepalived/keepalived.service.in: WantedBy=multi-user.target) and of
# Debian's SysV script (/etc/init.d/keepalived).
KEEPALIVED_UNIT = "keepalived"
UNIT_STATES_PROGRAM = r"""LC_ALL=C; export LC_ALL
probe() {
  name=$1; shift
  out=$("$@" 2>&1); code=$?
  printf '%s\t%s\t%s\t%s\n' "$unit" "$name" "$code" "$(printf '%s' "$out" | tr '\t\r\n' '  |' | cut -c1-400)"
}
for unit do
  if command -v systemctl >/dev/null 2>&1; then
    probe is-enabled systemctl is-enabled "$unit"
    probe is-active systemctl is-active "$unit"
  elif command -v chkconfig >/dev/null 2>&1; then
    probe chkconfig chkconfig --list "$unit"
    probe service service "$unit" status
  else
    printf '%s\tnone\t127\t\n' "$unit"
  fi
done"""


def units_of(policy, kind: str) -> tuple[str, ...]:
    if kind == "db":
        return tuple(dict.fromkeys((*policy.services.database_units, KEEPALIVED_UNIT)))
    return (AGENT_UNIT,)


def unit_states_line(policy, kind: str) -> str:
    """The program with the kind's units as its arguments (`set --`, each quoted)."""
    return shell("set", "--", *units_of(policy, kind)) + "\n" + UNIT_STATES_PROGRAM


FACTS = [
    Fact("unit_states", ("kvm-host", "db"), (Command("unit_states", unit_states_line),),
         lambda facts: parse_unit_states(facts.section("unit_states"))),
]
