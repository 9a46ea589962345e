"""KVM-CS-USER: the user CloudStack logs in to a KVM host as exists and may run any command as root
through sudo without a password or a tty ([CS-CODE] LibvirtServerDiscoverer: a user other than root
runs `sudo cloudstack-setup-agent ...` over a non-interactive SSH session; [CSC-WIKI]'s two
sudoers lines, `cloudstack ALL=(ALL) NOPASSWD:ALL` and `Defaults:cloudstack !requiretty`)."""
from __future__ import annotations

from dataclasses import dataclass

from stackaudit.errors import NotCheckable
from stackaudit.parsers.sudo import SudoList, is_user_name

AS_ROOT = ("ALL", "root")     # a runas list whose user part lets the command run as root


@dataclass(frozen=True)
class CloudStackUser:
    name: str
    source: str      # where it was read: "cloud.host_details on db://db1", "policy kvm.ssh_user"


def cloudstack_user(host_id: str, users_by_host: dict | None, source: str, policy_user: str | None,
                    target_id: str) -> CloudStackUser:
    """The user CloudStack logs in to this host as: the database's username detail where the database
    was read (`users_by_host`: host uuid -> (name, user)), else the policy's user."""
    if users_by_host is not None:
        if host_id not in users_by_host:
            raise NotCheckable(f"{target_id}: cloud.host_details has no username for host {host_id} ({source})")
        return CloudStackUser(users_by_host[host_id][1], source)
    if policy_user is None:
        raise NotCheckable(f"{target_id}: the inventory names no database and the policy has no kvm.ssh_user: "
                           "set kvm.ssh_user to the user CloudStack adds hosts with")
    return CloudStackUser(policy_user, "policy kvm.ssh_user")


def user_findings(user: CloudStackUser, access, target_id: str) -> list[str]:
    """What keeps CloudStack from running `sudo cloudstack-setup-agent` as `user`; `access` is what
    the host said of the user the policy names (collect/declared/kvm_user.py), None if none was asked."""
    if user.name == "root":
        return []
    if not is_user_name(user.name):
        raise NotCheckable(f"{target_id}: CloudStack logs in as {user.name!r} ({user.source}), not a POSIX user "
                           "name: nothing was asked of the host")
    if access is None or access.user != user.name:
        read = f"user {access.user!r}" if access is not None else "no user"
        raise NotCheckable(f"{target_id}: CloudStack logs in as {user.name!r} ({user.source}) but the suite read "
                           f"{read} (policy kvm.ssh_user): set kvm.ssh_user to {user.name}")
    if access.passwd is None:
        return [f"user {user.name} does not exist (getent passwd finds nothing)"]
    return sudo_findings(access.sudo)


def sudo_findings(listing: SudoList) -> list[str]:
    findings = []
    if not listing.commands:
        findings.append(f"user {listing.user} may not run sudo at all")
    else:
        run_all = [c for c in listing.commands if c.command == "ALL" and c.runas.split(":")[0].strip() in AS_ROOT]
        if not run_all:
            findings.append(f"sudo lets {listing.user} run only {', '.join(c.command for c in listing.commands)[:200]}, "
                            "not ALL as root")
        elif "NOPASSWD" not in run_all[-1].tags:
            findings.append(f"({run_all[-1].runas}) ALL lacks the NOPASSWD tag: sudo would ask {listing.user} for a password")
    if last_requiretty(listing.defaults) == "requiretty":
        findings.append(f"Defaults requiretty applies to {listing.user}: sudo refuses CloudStack's SSH session, "
                        "which has no tty")
    if "requiretty" in listing.specific_defaults:
        findings.append(f"a Runas or command-specific Defaults sets requiretty for {listing.user}")
    return findings


def last_requiretty(defaults: tuple[str, ...]) -> str | None:
    """The requiretty entry in force: the last one listed. sudo 1.9.13 lists matching Defaults in
    sudoers order and refuses a tty-less user where `requiretty` comes last, even after the user's own
    `!requiretty` (recorded: tests/data/recorded/sudo-as-cloudstack-no-tty-negated-first-debian12.txt)."""
    return next((d for d in reversed(defaults) if d in ("requiretty", "!requiretty")), None)


def evidence(user: CloudStackUser, access) -> dict:
    shown = {"user": user.name, "read from": user.source}
    if access is not None and access.user == user.name:
        shown["getent passwd"] = ":".join(access.passwd) if access.passwd else "not found"
        if access.sudo is not None:
            shown["requiretty"] = last_requiretty(access.sudo.defaults) or "not set"
            shown["sudo rules"] = [f"({c.runas}) {c.command}" + (f" [{' '.join(c.tags)}]" if c.tags else "")
                                   for c in access.sudo.commands] or ["none"]
    return shown
