"""Key/value configuration files: Java properties (CloudStack) and shell variable assignments."""
from __future__ import annotations

import re

from stackaudit.errors import UnparsableOutput

PROPERTIES_BLANKS = " \t\f"
PROPERTIES_ESCAPE = re.compile(r"\\(?:u(?P<hex>.{0,4})|(?P<char>.))", re.S)
PROPERTIES_ESCAPES = {"t": "\t", "r": "\r", "n": "\n", "f": "\f"}
SHELL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def parse_java_properties(text: str, source: str) -> dict[str, str]:
    """java.util.Properties.load(): what CloudStack reads from agent.properties and db.properties.

        #Storage
        #Mon Nov 23 19:49:37 UTC 2026
        host=10.0.0.1,10.0.0.2
        guid=5b1fa3d6-8d7c-3e0e-a1b6-cf07cc2b7e50
        hypervisor.uri=qemu\\:///system

    `key=value`, `key: value` and `key value`; `#`/`!` comment lines; a line ending in an odd
    number of backslashes goes on with the next one (its leading blanks dropped); `\\t \\n \\r \\f
    \\uXXXX` escapes, and a backslash before any other character stands for that character. A
    key given twice keeps its last value, as Properties does.
    """
    properties: dict[str, str] = {}
    for number, line in logical_lines(text):
        key_end, value_start = split_property(line)
        key = unescape_property(line[:key_end], source, number)
        properties[key] = unescape_property(line[value_start:], source, number)
    return properties


def parse_java_properties_file(text: str, source: str) -> dict[str, str]:
    """A properties file as CloudStack loads it: PropertiesUtil.loadFromFile hands a FileInputStream to
    Properties.load(InputStream), which reads the bytes as ISO 8859-1 (apache/cloudstack
    utils/src/main/java/com/cloud/utils/PropertiesUtil.java). `text` is the file's UTF-8 text; its
    bytes are read again as Java reads them: a `٣` written as UTF-8 is two characters to Java, never a
    digit; only the escape `\\u0663` gives Java that character."""
    return parse_java_properties(text.encode("utf-8").decode("latin-1"), source)


def logical_lines(text: str):
    """(line number, logical line) pairs, read as Properties' LineReader reads them."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    line: list[str] = []
    number = start = 1
    skip_blanks, continued, backslash = True, False, False
    position = 0
    while position < len(text):
        char = text[position]
        position += 1
        if skip_blanks:
            if char in PROPERTIES_BLANKS:
                continue
            if char == "\n" and not continued:
                number += 1
                continue
            skip_blanks = continued = False
        if not line and char in "#!":
            end = text.find("\n", position)
            position, number = (len(text), number) if end < 0 else (end + 1, number + 1)
            skip_blanks = True
        elif char != "\n":
            if not line:
                start = number
            line.append(char)
            backslash = char == "\\" and not backslash
        else:
            number += 1
            skip_blanks = True
            if backslash:
                line.pop()
                continued, backslash = True, False
            elif line:
                yield start, "".join(line)
                line = []
    if backslash:
        line.pop()
    if line:
        yield start, "".join(line)


def split_property(line: str) -> tuple[int, int]:
    """End of the key and start of the value: the first unescaped `=`, `:` or blank ends the key;
    blanks and one `=`/`:` around it are skipped."""
    key_end, escaped = len(line), False
    for position, char in enumerate(line):
        if not escaped and (char in "=:" or char in PROPERTIES_BLANKS):
            key_end = position
            break
        escaped = char == "\\" and not escaped
    value_start, separator_seen = key_end, False
    while value_start < len(line):
        char = line[value_start]
        if char in "=:" and not separator_seen:
            separator_seen = True
        elif char not in PROPERTIES_BLANKS:
            break
        value_start += 1
    return key_end, value_start


def unescape_property(raw: str, source: str, number: int) -> str:
    def replace(match: re.Match) -> str:
        if match["hex"] is None:
            return PROPERTIES_ESCAPES.get(match["char"], match["char"])
        if not re.fullmatch(r"[0-9a-fA-F]{4}", match["hex"]):
            raise UnparsableOutput(f"{source} line {number}: malformed \\uXXXX escape {match[0]!r}")
        return chr(int(match["hex"], 16))

    text = PROPERTIES_ESCAPE.sub(replace, raw)
    # Java strings are UTF-16: \uD83D\uDE00 is one character
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass")


def parse_shell_assignments(text: str, source: str) -> dict[str, str]:
    """Files of shell variable assignments, with the value as the shell would see it.

        INSTALLATION_UUID='0a7a8a6e-5cf3-4c11-9a3e-6b8b5f0e4d21'    (XenServer /etc/xensource-inventory)
        LIBVIRTD_ARGS="--listen"                                     (/etc/default/libvirtd, /etc/sysconfig/libvirtd)
        libvirtd_opts="-l"                                           (Ubuntu's old /etc/default/libvirt-bin)

    Blank lines and comments are skipped, `export NAME=value` is read as `NAME=value`; a value
    that is more than one shell word (`A=b c`, which runs `c`) is not an assignment.
    """
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, raw = re.sub(r"^export\s+", "", line).partition("=")
        if not sep or not SHELL_NAME.fullmatch(key):
            raise UnparsableOutput(f"{source} line {number}: expected KEY=value, got {line[:80]!r}")
        words = shell_words(without_shell_comment(raw))
        if words is None:
            raise UnparsableOutput(f"{source} line {number}: unbalanced quotes in {line[:80]!r}")
        if len(words) > 1:
            raise UnparsableOutput(f"{source} line {number}: the value of {key} is more than one shell "
                                   f"word: {line[:80]!r}")
        values[key] = words[0] if words else ""
    return values


def shell_words(raw: str) -> list[str] | None:
    """The words sh makes of `raw` (quote removal, no expansion), or None for an open quote or a
    trailing backslash. POSIX Shell Command Language 2.2: '...' is literal; in "..." a backslash
    escapes only $ ` " \\ and newline; outside quotes it escapes any character. Linear: shlex
    grows each token by string concatenation, quadratic on a long value."""
    words: list[str] = []
    word: list[str] | None = None
    position, length = 0, len(raw)
    while position < length:
        char = raw[position]
        if char in " \t\n":
            if word is not None:
                words.append("".join(word))
                word = None
            position += 1
            continue
        word = [] if word is None else word
        if char == "'":
            end = raw.find("'", position + 1)
            if end < 0:
                return None
            word.append(raw[position + 1:end])
            position = end + 1
        elif char == '"':
            position += 1
            while position < length and raw[position] != '"':
                if raw[position] == "\\" and position + 1 < length and raw[position + 1] in '$`"\\\n':
                    if raw[position + 1] != "\n":
                        word.append(raw[position + 1])
                    position += 2
                else:
                    word.append(raw[position])
                    position += 1
            if position >= length:
                return None
            position += 1
        elif char == "\\":
            if position + 1 >= length:
                return None
            if raw[position + 1] != "\n":
                word.append(raw[position + 1])
            position += 2
        else:
            word.append(char)
            position += 1
    if word is not None:
        words.append("".join(word))
    return words


def without_shell_comment(raw: str, operators: str = "") -> str:
    """`raw` up to an unquoted `#` that starts a word (`a#b` is one word in sh, `a #b` is not); a
    word also starts after one of `operators` (`;&|()<>` where the text is a command line)."""
    quote, escaped = None, False
    for position, char in enumerate(raw):
        if escaped:
            escaped = False
        elif char == "\\" and quote != "'":
            escaped = True
        elif quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (position == 0 or raw[position - 1].isspace() or raw[position - 1] in operators):
            return raw[:position]
    return raw


# systemd's sets (src/basic/string-util.h, escape.h)
ENV_WHITESPACE, ENV_NEWLINE, ENV_COMMENTS, ENV_NEED_ESCAPE = " \t\n\r", "\n\r", "#;", "\"\\`$"
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def parse_environment_file(text: str, source: str) -> dict[str, str]:
    """A unit's EnvironmentFile= as systemd reads it (src/basic/env-file.c, parse_env_file_internal):
    how libvirtd.service reads /etc/default/libvirtd (Debian, Ubuntu) and /etc/sysconfig/libvirtd
    (RHEL family) before it runs `libvirtd $LIBVIRTD_ARGS`.

        # If systemd socket activation is disabled, then the following
        # can be used to listen on TCP/TLS sockets
        LIBVIRTD_ARGS="--listen"

    Not a shell: `#`/`;` start a comment only at the start of a line; an unquoted value runs to the
    end of the line, blanks inside kept and trailing blanks dropped (`A=b c # d` is "b c # d");
    quotes join (`A="a"'b'c` is "abc"); `\\` escapes as in sh; a line without `=` is ignored; a
    name that is not a valid variable name (`export A=b` names "export A") is dropped, as
    systemd drops invalid assignments. A quote still open at the end of the file is refused here
    (systemd would take the cut value): the file was cut short.
    """
    values: dict[str, str] = {}
    state, key, value, line = "pre_key", [], [], 1
    key_blank = value_blank = None      # where trailing blanks start, as env-file.c tracks them

    def push() -> None:
        name = "".join(key[:key_blank] if key_blank is not None else key)
        text_value = "".join(value[:value_blank] if state == "value" and value_blank is not None else value)
        if ENV_NAME.fullmatch(name):
            values[name] = text_value

    for char in text:
        if state == "pre_key":
            if char in ENV_COMMENTS:
                state = "comment"
            elif char not in ENV_WHITESPACE:
                state, key, key_blank = "key", [char], None
        elif state == "key":
            if char in ENV_NEWLINE:
                state, line = "pre_key", line + 1
            elif char == "=":
                state, value, value_blank = "pre_value", [], None
            else:
                if char not in ENV_WHITESPACE:
                    key_blank = None
                elif key_blank is None:
                    key_blank = len(key)
                key.append(char)
        elif state in ("pre_value", "value") and char in ENV_NEWLINE:
            push()
            state, line = "pre_key", line + 1
        elif state == "pre_value":
            if char == "'":
                state = "single"
            elif char == '"':
                state = "double"
            elif char == "\\":
                state = "value_escape"
            elif char not in ENV_WHITESPACE:
                state = "value"
                value.append(char)
        elif state == "value":
            if char == "\\":
                state, value_blank = "value_escape", None
            else:
                if char not in ENV_WHITESPACE:
                    value_blank = None
                elif value_blank is None:
                    value_blank = len(value)
                value.append(char)
        elif state == "value_escape":
            state = "value"
            if char not in ENV_NEWLINE:
                value.append(char)
        elif state == "single":
            if char == "'":
                state = "pre_value"
            else:
                value.append(char)
        elif state == "double":
            if char == '"':
                state = "pre_value"
            elif char == "\\":
                state = "double_escape"
            else:
                value.append(char)
        elif state == "double_escape":
            state = "double"
            if char in ENV_NEED_ESCAPE:
                value.append(char)
            elif char != "\n":
                value += ["\\", char]
        elif state == "comment":
            if char == "\\":
                state = "comment_escape"
            elif char in ENV_NEWLINE:
                state, line = "pre_key", line + 1
        elif state == "comment_escape":
            state, line = ("pre_key", line + 1) if char in ENV_NEWLINE else ("comment", line)
    if state in ("single", "double", "double_escape"):
        raise UnparsableOutput(f"{source} line {line}: a quoted value still open at the end of the file "
                               f"(cut short?)")
    if state in ("pre_value", "value", "value_escape"):
        push()
    return values
