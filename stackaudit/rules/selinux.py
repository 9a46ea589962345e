"""MS-SELINUX-MODE: SELinux's running mode (getenforce) and its mode at the next boot
(/etc/selinux/config, read as libselinux reads it) are both allowed by the policy, and agree.

A host with neither getenforce nor /etc/selinux/config has no SELinux: both modes are disabled. So
is a host whose getenforce says Disabled and which has no configuration file (Debian with
selinux-utils but no policy): nothing would load one at boot. Where only one side can be read, or
the file names no mode, the next boot's mode is unknown: not checked, never passed.
"""
from __future__ import annotations

from stackaudit.errors import NotCheckable
from stackaudit.parsers.selinux import CONFIG_PATH, SelinuxModes


def boot_mode(modes: SelinuxModes) -> str:
    """The mode the next boot starts in; raises NotCheckable where it cannot be told."""
    if modes.config_present and modes.persisted is None:
        raise NotCheckable(f"{CONFIG_PATH} has no line SELINUX=enforcing, permissive or disabled (libselinux reads "
                           "the first `SELINUX=` line naming one): the mode at the next boot cannot be told; set one")
    if modes.running is None and modes.config_present:
        raise NotCheckable(f"{CONFIG_PATH} exists but getenforce is not installed: the running mode cannot be read; "
                           "install libselinux-utils (selinux-utils on Debian)")
    if not modes.config_present and modes.running not in (None, "disabled"):
        raise NotCheckable(f"SELinux runs {modes.running} but {CONFIG_PATH} is missing: the mode at the next boot "
                           "cannot be told")
    return modes.persisted or "disabled"


def selinux_findings(modes: SelinuxModes, allowed: tuple[str, ...]) -> tuple[list[str], dict]:
    """(findings, evidence) for one management server against policy ms.selinux_modes."""
    at_boot = boot_mode(modes)
    running = modes.running or "disabled"
    evidence = {"running (getenforce)": modes.running or "no getenforce: disabled",
                f"at the next boot ({CONFIG_PATH})": modes.persisted or "no file: disabled",
                "allowed (ms.selinux_modes)": list(allowed)}
    wanted = ", ".join(allowed)
    findings = []
    if running not in allowed:
        findings.append(f"SELinux runs {running}; the policy allows {wanted} (ms.selinux_modes)")
    if at_boot not in allowed:
        findings.append(f"{CONFIG_PATH} sets SELINUX={at_boot} for the next boot; the policy allows {wanted}")
    if running != at_boot:
        findings.append(f"SELinux runs {running} but {CONFIG_PATH} sets {at_boot}: the next boot changes the mode "
                        f"(setenforce and {CONFIG_PATH} disagree)")
    return findings, evidence
