"""The user CloudStack logs in to a KVM host as, and what that user may do with sudo (KVM-CS-USER).

CloudStack's KVM discoverer (LibvirtServerDiscoverer) saves the SSH user and password it added a host
with as two rows of cloud.host_details; only the `username` row is read here, never `password`.
The host's readings are asked of the user the policy names (`kvm.ssh_user`): a target's commands
are built before any other target's facts exist, so the database's user is compared with the one
read, in the rule (rules/kvm_user.py).
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass

from stackaudit.collect.readings import Command, Fact, Query, shell
from stackaudit.errors import CollectionFailed, UnparsableOutput
from stackaudit.parsers.sudo import SudoList, is_user_name, parse_getent_passwd, parse_sudo_list

# One row per host, its username detail only; a removed host keeps its rows until purged.
SSH_USERS = Query("cloudstack_ssh_users",
                  "SELECT h.uuid AS uuid, h.name AS name, d.value AS username FROM cloud.host h "
                  "JOIN cloud.host_details d ON d.host_id = h.id WHERE d.name = 'username' AND h.removed IS NULL")

# Root's own `sudo -l` is refused without a tty where requiretty applies to root ("sorry, you must
# have a tty to run sudo"); the listing is then asked again under script(1)'s pty, which writes
# its typescript to /dev/null. Both only read sudo's policy.
SUDO_LIST = """command -v sudo >/dev/null 2>&1 || { echo "sudo is not installed" >&2; exit 127; }
out=$(sudo -n -l -U %(user)s </dev/null 2>&1); rc=$?
case $out in *"must have a tty"*) exec script -q -c %(inner)s /dev/null </dev/null ;; esac
printf '%%s\\n' "$out"; exit $rc"""


def policy_user(policy) -> str | None:
    user = policy.kvm.ssh_user
    return user if user is not None and is_user_name(user) else None


def passwd_line(policy, kind) -> str | None:
    user = policy_user(policy)
    return None if user is None or user == "root" else shell("getent", "passwd", user)


def sudo_list_line(policy, kind) -> str | None:
    user = policy_user(policy)
    if user is None or user == "root":
        return None
    return SUDO_LIST % {"user": shlex.quote(user), "inner": shlex.quote(shell("sudo", "-n", "-l", "-U", user))}


@dataclass(frozen=True)
class UserAccess:
    user: str
    passwd: tuple[str, ...] | None    # None: no such user
    sudo: SudoList | None             # None: not asked (no such user)


def user_access(facts) -> UserAccess | None:
    """What the policy's user may do on the host; None when the policy names no user (or root)."""
    answer = facts.reading("ssh", "cs_user_passwd")
    if answer is None:
        return None
    user = shlex.split(answer.used)[-1]
    passwd = parse_getent_passwd(facts.section("cs_user_passwd"), user)
    if passwd is None:
        return UserAccess(user, None, None)
    text = facts.section("cs_user_sudo")
    if "must have a tty" in text:
        raise CollectionFailed(f"{facts.target.id}: sudo -l -U {user} needs a tty even under script(1): {text.strip()[:120]}")
    return UserAccess(user, passwd, parse_sudo_list(text, user))


def ssh_users(facts) -> dict[str, tuple[str, str]]:
    """Host uuid (listHosts id) -> (host name, the user CloudStack logs in as)."""
    rows = facts.sql("cloudstack_ssh_users")
    users = {}
    for number, row in enumerate(rows, 1):
        if not isinstance(row, dict) or not all(isinstance(row.get(k), str) for k in ("uuid", "name", "username")):
            raise UnparsableOutput(f"SQL cloudstack_ssh_users: row {number} lacks a uuid, name or username")
        users[row["uuid"]] = (row["name"], row["username"])
    return users


FACTS = [
    Fact("cloudstack_ssh_users", ("db",), (SSH_USERS,), ssh_users),
    Fact("cs_user_access", ("kvm-host",), (Command("cs_user_passwd", passwd_line, ok_exit_codes=(0, 2)),
                                           Command("cs_user_sudo", sudo_list_line, ok_exit_codes=(0, 1))),
         user_access),
]
