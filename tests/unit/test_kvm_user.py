"""KVM-CS-USER: `sudo -l -U` and `getent passwd` read on recorded real outputs (parsers/sudo.py), the
commands built from the policy's user (collect/declared/kvm_user.py) and the rule (rules/kvm_user.py)."""
from __future__ import annotations

import shlex
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackaudit.collect.declared.kvm_user import UserAccess, passwd_line, sudo_list_line
from stackaudit.config.policy import policy_from_data
from stackaudit.errors import ConfigError, NotCheckable, UnparsableOutput
from stackaudit.parsers.sudo import is_user_name, parse_getent_passwd, parse_sudo_list, split_entries
from stackaudit.rules.kvm_user import CloudStackUser, cloudstack_user, sudo_findings, user_findings
from tests.unit.hypothesis_budget import examples

RECORDED = Path(__file__).resolve().parents[1] / "data" / "recorded"
PASSWD = ("cloudstack", "x", "1600", "1600", "", "/var/lib/cloudstack", "/bin/sh")
FROM_DB = CloudStackUser("cloudstack", "cloud.host_details on db://db1")


def recorded(name: str, user: str = "cloudstack"):
    return parse_sudo_list((RECORDED / name).read_text(), user)


# (recorded file, user, findings): every listing the recorder made through the suite's command, and one
# recorded by others (Puppet's sudo quick start, EL's long wrapped Defaults).
CASES = [
    ("sudo-l-U-compliant-suite-debian12.txt", "cloudstack", []),
    ("sudo-l-U-compliant-debian12.txt", "cloudstack", []),
    ("sudo-l-U-group-negated-suite-debian12.txt", "cloudstack", []),
    ("sudo-l-U-puppet-docs-quick-start.txt", "jargyle", []),
    ("sudo-l-U-lab-pty-unresolved-host.txt", "cloudstack", []),
    ("sudo-l-U-requiretty-suite-debian12.txt", "cloudstack", [
        "(ALL) ALL lacks the NOPASSWD tag: sudo would ask cloudstack for a password",
        "Defaults requiretty applies to cloudstack: sudo refuses CloudStack's SSH session, which has no tty"]),
    ("sudo-l-U-one-command-suite-debian12.txt", "cloudstack", [
        "sudo lets cloudstack run only /usr/bin/cloudstack-setup-agent, /usr/bin/cloudstack-setup-agent *, "
        "not ALL as root"]),
    ("sudo-l-U-not-allowed-suite-debian12.txt", "cloudstack", ["user cloudstack may not run sudo at all"]),
]


@pytest.mark.parametrize("name, user, findings", CASES, ids=[c[0] for c in CASES])
def test_recorded_listings_are_judged(name, user, findings):
    assert sudo_findings(recorded(name, user)) == findings


SUDO_CASES = ("compliant", "requiretty", "group-negated", "negated-first", "one-command", "not-allowed")


@pytest.mark.parametrize("case", SUDO_CASES)
def test_the_rule_passes_exactly_where_sudo_ran_a_command_as_root_without_a_tty(case):
    """The recorder also let the user run `sudo -n id -un` with no tty, as CloudStack's SSH session
    does: the listing's verdict must agree with what sudo itself did (the last requiretty entry in
    force, the user's `!requiretty` before the global `requiretty` included)."""
    ran = (RECORDED / f"sudo-as-cloudstack-no-tty-{case}-debian12.txt").read_text()
    assert ran.splitlines()[-1] in ("exit 0", "exit 1")
    passes = sudo_findings(recorded(f"sudo-l-U-{case}-suite-debian12.txt")) == []
    assert passes == (ran == "root\nexit 0\n"), ran


def test_a_listing_wrapped_inside_a_quoted_value_keeps_the_value_whole():
    listing = recorded("sudo-l-U-puppet-docs-quick-start.txt", "jargyle")
    assert 'env_keep="COLORS DISPLAY HOSTNAME HISTSIZE INPUTRC KDEDIR LS_COLORS"' in listing.defaults
    assert listing.defaults[-1] == "secure_path=/usr/local/bin\\:/sbin\\:/bin\\:/usr/sbin\\:/usr/bin"
    assert [(c.runas, c.tags, c.command) for c in listing.commands] == [("ALL", ("NOPASSWD",), "ALL")]


def test_the_last_requiretty_is_in_force_and_a_rule_may_span_lines():
    negated = recorded("sudo-l-U-group-negated-suite-debian12.txt")
    assert negated.defaults[4:6] == ("requiretty", "!requiretty")
    assert negated.commands[0].runas == "ALL : ALL"
    wrapped = recorded("sudo-l-U-one-command-debian12.txt")
    assert [c.command for c in wrapped.commands] == ["/usr/bin/cloudstack-setup-agent",
                                                     "/usr/bin/cloudstack-setup-agent *"]
    assert all(c.tags == ("NOPASSWD",) for c in wrapped.commands)


def test_tags_hold_until_replaced_and_the_last_rule_for_all_decides():
    listing = parse_sudo_list("User u may run the following commands on h:\r\n"
                              "    (ALL) NOPASSWD: ALL\r\n    (ALL : ALL) SETENV: PASSWD: /bin/a, NOPASSWD: /bin/b, ALL\r\n", "u")
    assert [(c.command, c.tags) for c in listing.commands] == [
        ("ALL", ("NOPASSWD",)), ("/bin/a", ("SETENV", "PASSWD")), ("/bin/b", ("SETENV", "NOPASSWD")),
        ("ALL", ("SETENV", "NOPASSWD"))]
    assert sudo_findings(listing) == []
    later_password = parse_sudo_list("User u may run the following commands on h:\n"
                                     "    (ALL) NOPASSWD: ALL\n    (root) ALL\n", "u")
    assert sudo_findings(later_password) == ["(root) ALL lacks the NOPASSWD tag: sudo would ask u for a password"]


@pytest.mark.parametrize("text, message", [
    ("", "sudo -l -U cloudstack: no output"),
    ("sudo: sorry, you must have a tty to run sudo\n", "unexpected line 'sudo: sorry, you must have a tty to run sudo'"),
    ((RECORDED / "sudo-l-U-unknown-user-debian12.txt").read_text(), "unexpected line 'sudo: unknown user nosuchuser'"),
    ("Matching Defaults entries for cloudstack on h:\n    env_reset\n", "no \"User cloudstack may run the following"),
    ("User root may run the following commands on h:\n    (ALL) ALL\n", "the listing is for 'root'"),
    ("User cloudstack may run the following commands on h:\n    (ALL) NOPASSWD:\n", "a rule ends in a tag with no command"),
])
def test_what_is_not_a_listing_is_unparsable(text, message):
    with pytest.raises(UnparsableOutput) as err:
        parse_sudo_list(text, "cloudstack")
    assert message in str(err.value)


def test_getent_passwd_finds_the_user_or_nothing():
    assert parse_getent_passwd(":".join(PASSWD) + "\n", "cloudstack") == PASSWD
    assert parse_getent_passwd("", "cloudstack") is None
    with pytest.raises(UnparsableOutput, match="expected one line name:x:uid:gid:gecos:home:shell"):
        parse_getent_passwd("root:x:0:0:root:/root:/bin/bash\n", "cloudstack")


@settings(max_examples=examples(200), deadline=None)
@given(entries=st.lists(st.text(st.characters(codec="ascii", exclude_characters='\n\r,"\\'), min_size=1, max_size=12)
                        .map(str.strip).filter(bool), max_size=8),
       quoted=st.text(st.characters(codec="ascii", exclude_characters='\n\r"\\'), max_size=20))
def test_entries_split_at_commas_outside_quotes_only(entries, quoted):
    value = f'env_keep="{quoted}"'
    assert split_entries(", ".join([*entries, value])) == [*entries, value]


@settings(max_examples=examples(200), deadline=None)
@given(text=st.text(max_size=300))
def test_any_text_is_a_listing_or_unparsable(text):
    try:
        listing = parse_sudo_list(text, "cloudstack")
    except UnparsableOutput:
        return
    assert listing.user == "cloudstack"
    sudo_findings(listing)


@settings(max_examples=examples(300), deadline=None)
@given(name=st.text(max_size=40))
def test_only_a_posix_user_name_reaches_a_command(name):
    policy = SimpleNamespace(kvm=SimpleNamespace(ssh_user=name))
    line = sudo_list_line(policy, "kvm-host")
    if not is_user_name(name) or name == "root":
        assert line is None and passwd_line(policy, "kvm-host") is None
        return
    assert shlex.split(passwd_line(policy, "kvm-host")) == ["getent", "passwd", name]
    assert f"-U {shlex.quote(name)} " in line


def test_the_policy_refuses_a_user_name_a_shell_word_could_break():
    assert policy_from_data({"kvm": {"ssh_user": None}}, "p.yml").kvm.ssh_user is None
    with pytest.raises(ConfigError, match=r"p.yml: kvm.ssh_user: .*a user name of letters"):
        policy_from_data({"kvm": {"ssh_user": "cloud stack; reboot"}}, "p.yml")


def test_the_database_names_the_user_else_the_policy():
    users = {"uuid-1": ("kvm01", "cloudstack"), "uuid-2": ("kvm02", "root")}
    assert cloudstack_user("uuid-2", users, "cloud.host_details on db://db1", "cloudstack", "t").name == "root"
    with pytest.raises(NotCheckable, match="cloud.host_details has no username for host uuid-3"):
        cloudstack_user("uuid-3", users, "cloud.host_details on db://db1", "cloudstack", "t")
    assert cloudstack_user("uuid-3", None, "", "cloudstack", "t") == CloudStackUser("cloudstack", "policy kvm.ssh_user")
    with pytest.raises(NotCheckable, match="names no database and the policy has no kvm.ssh_user"):
        cloudstack_user("uuid-3", None, "", None, "t")


def test_root_needs_nothing_and_another_user_than_the_one_read_is_not_checked():
    assert user_findings(CloudStackUser("root", "cloud.host_details on db://db1"), None, "t") == []
    access = UserAccess("cloudstack", PASSWD, recorded("sudo-l-U-compliant-suite-debian12.txt"))
    assert user_findings(FROM_DB, access, "t") == []
    with pytest.raises(NotCheckable, match="logs in as 'ops' .* the suite read user 'cloudstack' .* set kvm.ssh_user to ops"):
        user_findings(CloudStackUser("ops", "cloud.host_details on db://db1"), access, "t")
    with pytest.raises(NotCheckable, match=r"logs in as 'x\$\(reboot\)' .* not a POSIX user name"):
        user_findings(CloudStackUser("x$(reboot)", "cloud.host_details on db://db1"), access, "t")
    assert user_findings(FROM_DB, UserAccess("cloudstack", None, None), "t") == [
        "user cloudstack does not exist (getent passwd finds nothing)"]


WORD = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz_/=+.:*-"), min_size=1, max_size=12)
RUNAS = st.sampled_from(["ALL", "ALL : ALL", "root", "root : wheel", "ALL, !root"])
# at most one tag of each pair, as sudo prints them
TAGS = st.tuples(*(st.sampled_from([None, *pair]) for pair in (("NOPASSWD", "PASSWD"), ("SETENV", "NOSETENV"),
                                                             ("NOEXEC", "EXEC")))).map(lambda t: [x for x in t if x])


def wrapped(first: str, text: str, width: int, indent: str) -> list[str]:
    """Lines as sudo's lbuf wraps them: at a blank, continuation lines indented."""
    lines, line = [], first
    for word in text.split(" "):
        candidate = f"{line} {word}" if line.strip() else line + word
        if len(candidate) > width and line.strip():
            lines.append(line)
            line = indent + word
        else:
            line = candidate
    return lines + [line]


@settings(max_examples=examples(200), deadline=None)
@given(defaults=st.lists(st.one_of(WORD, st.builds(lambda k, v: f'{k}="{v}"', WORD, st.lists(WORD, min_size=1).map(" ".join))),
                         max_size=10),
       rules=st.lists(st.tuples(RUNAS, TAGS, st.lists(WORD, min_size=1, max_size=4)), min_size=1, max_size=4),
       width=st.integers(30, 120), crlf=st.booleans())
def test_listings_as_sudo_prints_them_read_back(defaults, rules, width, crlf):
    lines = ["Matching Defaults entries for cloudstack on kvm01:"]
    if defaults:
        lines += wrapped("   ", ", ".join(defaults), width, "    ")
    lines += ["", "User cloudstack may run the following commands on kvm01:"]
    for runas, tags, commands in rules:
        lines += wrapped(f"    ({runas})", "".join(f" {t}:" for t in tags) + " " + ", ".join(commands), width, "        ")
    listing = parse_sudo_list(("\r\n" if crlf else "\n").join(lines) + "\n", "cloudstack")
    assert listing.defaults == tuple(defaults)
    assert [(c.runas, c.tags, c.command) for c in listing.commands] == [
        (runas, tuple(tags), command) for runas, tags, commands in rules for command in commands]
