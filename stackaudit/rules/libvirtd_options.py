"""Whether libvirtd's command line turns on --listen, read as libvirtd reads it.

libvirt src/remote/remote_daemon.c parses its arguments with getopt_long(argc, argv,
"ldf:p:t:vVh", opts): short options cluster (`-dl`), -f/-p/-t take a value (attached, `-t120`, or
the next word), long options may be shortened to any unambiguous prefix (`--lis`) and take
`--name=value`, GNU getopt permutes so options after a plain word still count, and `--` ends them.
"""
from __future__ import annotations

SHORT_WITH_VALUE = "fpt"
LONG_OPTIONS = {"verbose": False, "daemon": False, "listen": False, "config": True, "timeout": True,
                "pid-file": True, "version": False, "help": False}   # name: takes a value


def turns_on_listen(args: list[str]) -> bool:
    """True when getopt_long would hand libvirtd the 'l' option (args without the program word)."""
    position = 0
    while position < len(args):
        word = args[position]
        position += 1
        if word == "--":
            return False
        if word.startswith("--"):
            name = word[2:].split("=", 1)[0]
            matches = [o for o in LONG_OPTIONS if o.startswith(name)] if name else []
            if name in LONG_OPTIONS:
                matches = [name]
            if len(matches) != 1:
                continue                      # unknown or ambiguous: libvirtd prints usage and exits
            if matches[0] == "listen":
                return True
            if LONG_OPTIONS[matches[0]] and "=" not in word:
                position += 1                 # the value is the next word
        elif word.startswith("-") and len(word) > 1:
            for index, letter in enumerate(word[1:], 1):
                if letter == "l":
                    return True
                if letter in SHORT_WITH_VALUE:
                    if index == len(word) - 1:
                        position += 1         # -t 120: the next word is the value
                    break                     # -t120: the rest of the word is the value
    return False
