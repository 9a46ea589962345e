"""The shapes a secret takes in text, wherever it sits in a line: each is a pattern whose `value`
group is the secret.

Pure regular expressions and `mask_shapes` over them: a secret is masked where its shape puts it,
and nothing is learnt from a shape (config/redact.py says why). Examples of each shape, with their
sources, are in tests/data/recorded/ (SOURCES.md, "Secrets in text").
"""
from __future__ import annotations

import re

MASK = "********"
# Names that say "secret": CloudStack's db.cloud.password, db.cloud.encrypt.secret,
# db.cloud.keyStorePassphrase (client/conf/db.properties.in), agent.properties' keystore.passphrase,
# ldap.bind.password, the API's secretkey/apikey/sessionkey, Java's javax.net.ssl.keyStorePassword.
# sshpass's SSHPASS and mysql's MYSQL_PWD environment variables; RootCAProvider's
# ca.plugin.root.private.key (the cloud's CA key, plugins/ca/root-ca).
SECRET_WORDS = (r"pass(?:word|wd|phrase)", "secret", r"api[._\-]?key", r"session[._\-]?key", "token",
                r"private[._\-]?key", "signature", "sshpass", "mysql_pwd")
# A name (a run of [\w.\-]) holding a secret word. Written so that matching it is linear: the
# lookahead finds the word, the possessive run takes the whole name and never gives any back; the
# plain form ([\w.\-]*word[\w.\-]*) backtracks over every word in a long run (quadratic).
SECRET_NAME = r"(?=[\w.\-]*?(?:" + "|".join(SECRET_WORDS) + r"))[\w.\-]++"
_NAME_START = r"(?<![\w.\-])"
_QUOTED = r"\"(?:[^\"\\\n]|\\.)*+\"|'[^'\n]*+'"
_BARE = r"[^\s&;'\"<>]++"
# A quoted value up to its closing quote (group v), escapes kept
_QUOTED_VALUE = r"(?P<value>(?:(?!(?P=v))[^\\\n]|\\.)++)(?P=v)"

# Each pattern's group `value` is the secret; the rest of the match stays.
SHAPES: tuple[re.Pattern, ...] = tuple(re.compile(p, flags) for p, flags in (
    # java.util.Properties, INI, shell and YAML at the start of a line: `key=value`, `key: value`,
    # `key value` (Properties accepts all three); the value is the rest of the line.
    # (The value is greedy up to its last non-blank: a lazy value before [ \t]* is quadratic in blanks.)
    (rf"^(?P<key>[ \t]*+{SECRET_NAME}(?:[ \t]*+[=:][ \t]*+|[ \t]++))(?P<value>[^ \t\r\n](?:[^\r\n]*[^ \t\r\n])?)"
     rf"[ \t]*+\r?$", re.I | re.M),
    # quoted keys with a quoted value: JSON and Python reprs ({"password": "x"}, {'secret': 'x'})
    (rf"(?P<q>[\"']){SECRET_NAME}(?P=q)[ \t]*+:[ \t]*+(?P<v>[\"']){_QUOTED_VALUE}", re.I),
    # quoted keys with a bare value ({"password": 1234})
    (rf"(?P<q>[\"']){SECRET_NAME}(?P=q)[ \t]*+:[ \t]*+(?P<value>[^\s\"',}}\]]++)", re.I),
    # name/value pairs: CloudStack's detail lists ({"name": "secretkey", "value": "x"}) and
    # listConfigurations rows, either order; XML-RPC struct members (<name>password</name><value>)
    (rf"(?P<q>[\"'])name(?P=q)[ \t]*+:[ \t]*+(?P<n>[\"']){SECRET_NAME}(?P=n)[ \t]*+,[ \t]*+(?P<r>[\"'])value(?P=r)"
     rf"[ \t]*+:[ \t]*+(?P<v>[\"']){_QUOTED_VALUE}", re.I),
    (rf"(?P<q>[\"'])value(?P=q)[ \t]*+:[ \t]*+(?P<v>[\"']){_QUOTED_VALUE}[ \t]*+,[ \t]*+"
     rf"(?P<r>[\"'])name(?P=r)[ \t]*+:[ \t]*+(?P<n>[\"']){SECRET_NAME}(?P=n)", re.I),
    (rf"<name>\s*+{SECRET_NAME}\s*+</name>\s*+<value>\s*+(?:<string>)?(?P<value>[^<]++)", re.I),
    # XML elements (<password>x</password>, <secretKey>x</secretKey>)
    # (Attributes hold no < (XML 1.0, AttValue), so a tag never left open scans only to the next <.)
    (rf"<(?P<tag>{SECRET_NAME})(?:\s[^<>]*+)?>(?P<value>[^<]++)</(?P=tag)>", re.I),
    # URLs with userinfo (mysql://cloud:x@db, https://u:x@host). A hand-written password may hold
    # what a URL would have to percent-encode (/, #, ?), so only the first @ ends it (RFC 3986 3.2.1:
    # userinfo holds no @); the host after it stays, for the rules that read it. The value stops where
    # another //user: begins: scanning on through each (//a://a://a:...) would be quadratic.
    (r"(?P<key>//[^/?#@\s:'\"]*+:)(?P<value>(?:[^@\s'\"/]|/(?!/[^/?#@\s:'\"]*+:))++)@", 0),
    # command-line flags: --password=x, --password x, --db-password x
    (rf"(?<![\w\-])--{SECRET_NAME}(?:=|[ \t]++(?!-))(?P<value>{_QUOTED}|{_BARE})", re.I),
    # CloudStack's settings as cloudmonkey/cmk set them: update configuration name='ldap.bind.password' value=x
    (rf"(?<![\w.\-])name=(?P<q>[\"']?){SECRET_NAME}(?P=q)[ \t]++value=(?P<value>{_QUOTED}|{_BARE})", re.I),
    # name=value anywhere in a line: -Djavax.net.ssl.keyStorePassword=x, ?password=x&, PASS_WORD="x",
    # and `name: value` (a colon and a space: `secrets.py:12:` in a traceback is a file and a line)
    (rf"{_NAME_START}(?P<key>{SECRET_NAME})[ \t]*+(?:=|:(?=[ \t]))[ \t]*+(?P<value>{_QUOTED}|{_BARE})", re.I),
    # jasypt-encrypted values CloudStack writes (db.cloud.password=ENC(...)): ciphertext of a secret
    (r"ENC\((?P<value>[^)\s]++)\)?", 0),
))
# Programs that take a secret as a short flag, each with the flags that do: only on a line that
# runs the program, after its name.
# - mysql/mariadb clients: -px (no space: with a space, -p prompts and the next word is a database;
#   "mysql -u <username> -p<password>" in CloudStack's upgrade guides);
# - sshpass -p x (sshpass(1): "-p password  Provide password as argument (security unwise)");
# - cloudstack-setup-databases cloud:<dbpassword>@localhost --deploy-as=root:<password>
#   -m <management_server_key> -k <database_key> (CloudStack installation guide, configuration.rst).
COMMAND_FLAGS: tuple[tuple[re.Pattern, re.Pattern], ...] = tuple((re.compile(c), re.compile(f)) for c, f in (
    (r"\b(?i:mysql\w*+|mariadb\w*+)\b", rf"(?<=[ \t])-p(?P<value>{_QUOTED}|[^\s'\"]++)"),
    (r"\bsshpass\b", rf"(?<=[ \t])-p[ \t]*+(?P<value>{_QUOTED}|[^\s'\"]++)"),
    (r"\bcloudstack-setup-databases\b",
     rf"(?:(?<=[ \t])-[mk][ \t]++|--deploy-as=[^:\s]*+:|(?<=[ \t])[\w.\-]++:)(?P<value>{_QUOTED}|[^\s'\"@]++)"),
))
# Private key blocks: PEM (PKCS#1/#8, EC, DSA, "ENCRYPTED"), OpenSSH and PGP armor; a block cut
# short (BEGIN, no END) is masked to the end of the text.
_KEY_BLOCK = re.compile(r"(?P<begin>-----BEGIN (?P<kind>[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?)-----)"
                        r"(?P<value>.*?)(?:(?P<end>-----END (?P=kind)-----)|\Z)", re.S)
# ssh.com's SSH2 format (`---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----`)
_SSH2_BLOCK = re.compile(r"(?P<begin>---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----)(?P<value>.*?)"
                         r"(?:(?P<end>---- END SSH2 ENCRYPTED PRIVATE KEY ----)|\Z)", re.S)
# PuTTY .ppk: the `Private-Lines: N` lines and the MAC (PuTTY's "PPK file format" appendix)
_PUTTY_PRIVATE = re.compile(r"(?P<begin>Private-Lines:[ \t]*\d*)(?P<value>.*?)"
                            r"(?:(?P<end>\r?\nPrivate-(?:MAC|Hash):[^\r\n]*)|\Z)", re.S)
# PGP armor headers (`Version: GnuPG v2`) and PuTTY's fields say nothing secret
_ARMOR_HEADER = re.compile(r"[\w-]+: ")
BLOCKS = (_KEY_BLOCK, _SSH2_BLOCK, _PUTTY_PRIVATE)


# Lines longer than this are cut before any shape is matched, and the cut is said in the line: the
# shapes are linear in a line's length, so this bounds no time, but no output a check reads has such
# lines (an iptables-save rule, a properties line, an argv: well under 10,000 characters), and a
# line of megabytes in evidence helps no reader.
MAX_LINE = 65_536


def cap_lines(text: str, before: str = "masking") -> str:
    """The text with each line over MAX_LINE characters cut, ending in a note of the cut (and of what
    it was cut `before`); a line cut once is not cut again (the note keeps it within MAX_LINE)."""
    if len(text) <= MAX_LINE:
        return text
    lines = text.split("\n")
    if all(len(line) <= MAX_LINE for line in lines):
        return text
    return "\n".join(line if len(line) <= MAX_LINE else _cut(line, before) for line in lines)


def _cut(line: str, before: str) -> str:
    note = f" [line cut at {MAX_LINE:,} characters before {before}: {len(line):,} in all; the rest not shown]"
    return line[:MAX_LINE - len(note)] + note


# Every shape needs one of these; text without any is left as it is, without running each pattern
# (collected records hold many thousands of short strings).
_TRIGGER = re.compile("|".join(SECRET_WORDS) + r"|ENC\(|@|mysql|mariadb|cloudstack-setup-databases|BEGIN|"
                      r"Private-Lines", re.I)


def may_hold_shaped_secret(text: str) -> bool:
    return _TRIGGER.search(text) is not None


def _inner(value: str) -> str:
    """A quoted value without its quotes."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _command_flag_matches(text: str):
    """The secret flags of COMMAND_FLAGS' programs, as matches over `text`."""
    for command, flag in COMMAND_FLAGS:
        for line in re.finditer(r"[^\n]+", text):
            program = command.search(line.group(0))
            if program:
                yield from flag.finditer(text, line.start() + program.end(), line.end())


def _mask_group(match: re.Match) -> str:
    start, end = match.span("value")
    value = match["value"]
    quote = value[0] if _inner(value) != value else ""
    whole = match.group(0)
    return whole[:start - match.start()] + quote + MASK + quote + whole[end - match.start():]


def _mask_block(match: re.Match) -> str:
    return match["begin"] + "\n" + MASK + ("\n" + match["end"].lstrip("\r\n") if match["end"] else "")


def _mask_spans(text: str, spans: set[tuple[int, int]]) -> str:
    """The text with each span's value masked, in one pass (rebuilding the text once per span would
    be quadratic in their number); where two programs' flags on one line overlap, masked once."""
    pieces, done = [], 0
    for start, end in sorted(spans):
        if end <= done:
            continue
        start = max(start, done)
        value = text[start:end]
        quote = value[0] if _inner(value) != value else ""
        pieces += [text[done:start], quote, MASK, quote]
        done = end
    return "".join(pieces) + text[done:]


def mask_shapes(text: str) -> str:
    """The text with every shaped secret replaced by MASK (one pass), its lines capped at MAX_LINE."""
    if not may_hold_shaped_secret(text):
        return cap_lines(text)
    text = cap_lines(text)
    for pattern in BLOCKS:
        text = pattern.sub(_mask_block, text)
    text = _mask_spans(text, {m.span("value") for m in _command_flag_matches(text)})
    for pattern in SHAPES:
        text = pattern.sub(_mask_group, text)
    return text
