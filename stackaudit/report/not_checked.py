"""What lets a broken result be checked, by the family of its reason (report/auditor.py REASONS).

A broken result judged nothing, so the rule's remediation (`apt-get install openssl`) is the wrong
advice: the fix is on the way StackAudit reaches the target (the network, the target's identity,
the audit account, the API), and the message names which.
"""
from __future__ import annotations

FIXES = {
    "unreachable": (
        "Restore the path from the StackAudit machine to the target, then run again. The message names "
        "the address and port and how the connection failed: a name that does not resolve (DNS), a refusal "
        "(nothing listens, or a firewall rejects: sshd on 22, XAPI on 443, MariaDB on 3306, the CloudStack "
        "API on its endpoint's port), no route (routing or a firewall dropping with an ICMP error), or a "
        "timeout (a firewall dropping silently, or a host down). From the StackAudit machine, "
        "`nc -vz ADDRESS PORT` shows which."),
    "host key": (
        "The target did not prove its identity: its SSH host key is unknown or differs from the inventory's "
        "known_hosts, or its TLS certificate (XAPI, MariaDB, the API) is not signed by the CA the inventory "
        "names. Confirm out of band, on the machine's console, that the key or certificate is the "
        "machine's own (a reinstall, a rebuilt system VM, a renewed certificate): `ssh-keygen -lf "
        "/etc/ssh/ssh_host_ed25519_key.pub` there shows the fingerprint. Then update known_hosts (or the "
        "CA file; a system VM's key pinned by its CloudStack id: docs/configuration.md, \"System VM host keys\"). If nothing explains the change, treat it as a machine in the middle and do not connect."),
    "login refused": (
        "The target refused the audit account: check the user, key or password the inventory gives for "
        "it (and the file it names), that the key is in the account's authorized_keys, and that the "
        "account is neither locked nor expired. For MariaDB: the account's grants and the host it may "
        "connect from."),
    "API error": (
        "The CloudStack API answered with an error, or not as the API does: the message names the "
        "command and the answer. Check the management server's log for that command, that the API "
        "keys' account exists, is enabled and its role allows the command, and that the endpoint in "
        "the inventory is the management server's API (not a proxy's error page)."),
    "unparsable": (
        "The target answered in a form StackAudit does not read (the message names where): check the "
        "tool's version on the target against the ones StackAudit reads (docs/facts.md), and keep this "
        "result's evidence for a bug report."),
    "not checkable": (
        "The message says what is missing: a policy value to set (the policy file's key it names), or "
        "a condition StackAudit cannot judge on this target. Set the value, or waive the check with a "
        "ticket if it does not apply."),
}


def fix_for(reason: str) -> str:
    """The fix for a reason of auditor.REASONS; a reason without its own text gets "not checkable"'s."""
    return FIXES.get(reason, FIXES["not checkable"])
