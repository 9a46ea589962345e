"""What `stackaudit access` prints and docs/accounts.md holds, made from access_needs.py: the API role
as CloudMonkey (cmk) commands, the database GRANTs per server version, the SSH user's commands."""
from __future__ import annotations

import shlex

from stackaudit.access_needs import (DENY_ALL, ROLE_NAME, ROLE_TYPE, Grant, SshCommand, api_commands, grants_by_server,
                                     role_rules, ssh_commands)

ACCOUNT = "'stackaudit'@'%'"
ROLE_DESCRIPTION = "StackAudit: the list commands its checks read, nothing else"
SYSTEM_VM_KINDS = ("ssvm", "cpvm", "router")
KIND_NAMES = ("kvm-host: KVM hosts, xs-host: XenServer hosts, mgmt: management servers, db: database servers, "
              "tls-frontend: TLS front ends, ssvm, cpvm, router: secondary storage VMs, console proxies, "
              "virtual routers")
# What an operator must know of a privilege beyond its GRANT line.
PRIVILEGE_NOTES = {
    "REPLICATION SLAVE ADMIN": "on MariaDB 10.5.2 to 10.5.8 only this privilege (or SUPER) shows replication "
                               "status, and it also allows STOP SLAVE and CHANGE MASTER: grant it knowing that, or "
                               "leave it out and DB-REPLICATION-HEALTHY reports broken; 10.5.9 and later have the "
                               "read-only SLAVE MONITOR",
    "PROCESS": "without it information_schema.PROCESSLIST shows the audit user only its own sessions, and "
               "DB-VIP-SINGLE-HOLDER reports broken, naming the grant",
}
TABLE_NOTES = {
    "cloud.host_details": "a column grant cannot leave rows out: the `value` column of every detail is readable, "
                          "also the `password` rows CloudStack keeps for KVM hosts added with a password; the suite "
                          "asks only the `username` rows",
    "cloud.user": "`password` is read into the suite's process only (MS-ADMIN-DEFAULT-PASSWORD) and masked "
                  "wherever it would leave the run",
}


def cmk_lines(role: str = ROLE_NAME) -> list[str]:
    """The role as CloudMonkey commands: createRole, then one createRolePermission per rule, in order
    (each new permission goes after the role's others: apache/cloudstack RolePermissionsDao.persist)."""
    # cmk prints the answer's object, {"role": {"id": ...}} (apache/cloudstack-cloudmonkey cmd/network.go)
    lines = [f"ROLE=$(cmk -o json create role name={role} type={ROLE_TYPE} "
             f"description={shlex.quote(ROLE_DESCRIPTION)} | jq -r .role.id)"]
    lines += [f"cmk create rolepermission roleid=$ROLE rule={shlex.quote(rule)} permission={permission}"
              for rule, permission in role_rules()]
    return lines


def sql_lines(account: str = ACCOUNT) -> list[str]:
    """The GRANTs: those every server needs, then each version range's own, as SQL with `--` comments."""
    common, per_range = grants_by_server()
    lines = ["-- every server (MariaDB and MySQL); then the lines of your server's version below"]
    lines += [grant.statement(account) for grant in common]
    for label, grants in per_range:
        lines += ["", f"-- {label}"]
        for grant in grants:
            note = PRIVILEGE_NOTES.get(grant.privilege) if grant.privilege != "PROCESS" else None
            lines += ([f"-- {note}"] if note else []) + [grant.statement(account)]
    return lines


def grant_why(grant: Grant) -> str:
    notes = [PRIVILEGE_NOTES.get(grant.privilege), TABLE_NOTES.get(grant.on)]
    return "; ".join(["read by " + ", ".join(grant.why), *(n for n in notes if n)])


def ssh_groups() -> tuple[list[SshCommand], list[SshCommand]]:
    """(what the inventory's ssh.user runs on hosts, management, database servers and TLS front ends,
    what the suite runs on system VMs as root with CloudStack's key)."""
    commands = ssh_commands()
    on_vms = [c for c in commands if set(c.kinds) <= set(SYSTEM_VM_KINDS)]
    return [c for c in commands if c not in on_vms], on_vms


def first_line(command: SshCommand) -> str:
    lines = command.line.strip().splitlines()
    return lines[0] + (" ..." if len(lines) > 1 else "")


def text(part: str | None = None) -> str:
    """`stackaudit access [--api|--database|--ssh]`: the commands to run, as plain text."""
    sections = []
    if part in (None, "api"):
        sections.append("\n".join([f"# CloudStack API: a read-only role of type {ROLE_TYPE} "
                                   f"({len(api_commands())} list commands, then deny *)", *cmk_lines()]))
    if part in (None, "database"):
        sections.append("\n".join(sql_lines()))
    if part in (None, "ssh"):
        users, on_vms = ssh_groups()
        lines = ["# SSH: the commands the inventory's ssh.user runs (section, target kinds, command, root: why)"]
        lines += [f"{c.section}\t{','.join(c.kinds)}\t{first_line(c)}" + (f"\troot: {c.root}" if c.root else "")
                  for c in users]
        lines += ["# on system VMs, as root with CloudStack's key (not the inventory's user)"]
        lines += [f"{c.section}\t{','.join(c.kinds)}\t{first_line(c)}" for c in on_vms]
        sections.append("\n".join(lines))
    return "\n\n".join(sections) + "\n"


def as_json() -> dict:
    common, per_range = grants_by_server()

    def grants(items):
        return [{"privilege": g.privilege, "on": g.on, "columns": list(g.columns), "why": list(g.why),
                 "sql": g.statement(ACCOUNT)} for g in items]
    return {"api": {"role_type": ROLE_TYPE, "commands": list(api_commands()),
                    "rules": [{"rule": rule, "permission": permission} for rule, permission in role_rules()]},
            "database": {"every_server": grants(common),
                         "by_server": [{"servers": label, "grants": grants(items)} for label, items in per_range]},
            "ssh": [{"section": c.section, "kinds": list(c.kinds), "command": c.line, "root": c.root or None}
                    for c in ssh_commands()]}


GENERATED_NOTE = ("<!-- Generated from the code by `make docs` (stackaudit/access_document.py); do not edit: "
                  "tests/unit/test_generated_docs.py fails when it is out of date. -->")


def markdown() -> str:
    """docs/accounts.md."""
    common, per_range = grants_by_server()
    users, on_vms = ssh_groups()
    out = [GENERATED_NOTE, "", "# What the accounts need", "",
           "StackAudit only reads. It uses three kinds of login, and each needs exactly what is listed here, made "
           "from the suite's own code (the fact declarations and discovery), so the lists are the commands, "
           "statements and programs the suite sends. `stackaudit access` prints the same "
           "(`--api`, `--database`, `--ssh`; `--format json`).", "",
           "## The CloudStack API key", "",
           f"A role of type **{ROLE_TYPE}** that allows only the {len(api_commands())} list commands the suite "
           "sends and denies everything else. Type Admin because the checks must see the whole cloud: a "
           "DomainAdmin's listings (`listall=true`) cover only its own domain, and a check would pass on what "
           "it cannot see. The last rule, deny `*`, is what makes the role read-only: for an API no rule "
           "matches, CloudStack falls back to the APIs annotated for the role type, which for Admin is most of "
           "the API, changes included (apache/cloudstack, `DynamicRoleBasedAPIAccessChecker`). CloudStack keeps a role's permissions "
           "in the order they were created, so create them in this order (CloudStack 4.9 and later: "
           "`createRole`, `createRolePermission`).", "",
           "```sh", *cmk_lines(), "```", "",
           "Then give the role to an account of its own (UI: Accounts, Add account, role "
           f"`{ROLE_NAME}`), generate its user's keys (`cmk register userkeys id=<the user's id>`) and "
           "put them where the inventory's `cloud.api` reads them. The rules, in order:", "",
           "| # | rule | permission |", "|---|---|---|",
           *[f"| {n} | `{rule}` | {permission} |" for n, (rule, permission) in enumerate(role_rules(), 1)], "",
           "## The database audit user", "",
           "Column-level SELECTs of the tables the SQL checks read, and the global privileges of the "
           "statements that are not plain SELECTs. The statements differ with the server's version (its "
           "accounts table, the replication status statement), so the GRANTs do too: run the common ones and "
           "those of your version. Create the user for the address the suite connects from, over TLS:", "",
           "```sql", "CREATE USER 'stackaudit'@'<the suite host>' IDENTIFIED BY '<password>' REQUIRE SSL;",
           *sql_lines("'stackaudit'@'<the suite host>'"), "```", "",
           "| privilege | on | servers | why |", "|---|---|---|---|",
           *[f"| {g.privilege}{' (' + ', '.join(g.columns) + ')' if g.columns else ''} | `{g.on}` | {servers} "
             f"| {grant_why(g)} |" for g, servers in unique_grants(common, per_range)], "",
           "`SELECT @@version`, `SHOW GLOBAL VARIABLES` and the account's own rows of "
           "`information_schema.USER_PRIVILEGES` need no privilege.", "",
           "## The SSH user", "",
           "The inventory's `ssh.user` logs in to hypervisor hosts, management servers, database servers and "
           "TLS front ends and runs one batch of these commands there. Each only reads. Those marked root "
           "need root; as another user they fail and the results judged on them are reported broken, "
           "never passed. So the user is `root`, or a user whose login runs as root (the suite runs no sudo "
           "of its own).", "",
           f"On: the kinds of target ({KIND_NAMES}).", "",
           "| section | on | command | needs root because |", "|---|---|---|---|",
           *[f"| {c.section} | {', '.join(c.kinds)} | `{cell(first_line(c))}` | {c.root or ''} |" for c in users], "",
           "On system VMs (secondary storage, console proxy, virtual routers) the suite logs in as root with the "
           "key CloudStack gives its hosts, over the VM's host (the inventory's `system_vms`), and runs:", "",
           "| section | on | command |", "|---|---|---|",
           *[f"| {c.section} | {', '.join(c.kinds)} | `{cell(first_line(c))}` |" for c in on_vms], ""]
    return "\n".join(out)


def unique_grants(common, per_range) -> list[tuple[Grant, str]]:
    """Each grant once, with the server versions that need it."""
    seen: dict[Grant, list[str]] = {grant: [] for grant in common}
    for label, grants in per_range:
        for grant in grants:
            seen.setdefault(grant, []).append(label)
    return [(grant, "; ".join(labels) or "every server") for grant, labels in seen.items()]


def cell(text: str) -> str:
    """Text inside a table's code span: a `|` would end the cell."""
    return text.replace("|", "\\|").replace("`", "'")
