"""Lines built to make a backtracking regular expression of secret_shapes.py do quadratic work:
each is a head, a unit repeated to the length wanted, and a tail; the unit starts a shape again and
again without finishing one, or makes one attempt scan on over it. The forms before issue 18 took
67 s on one 40 KB line of the first kind."""
from __future__ import annotations

HOSTILE = {   # name: (head, unit, tail)
    "blanks inside a value": ("password=a", " ", "b"),        # a lazy value before [ \t]* (shape 1)
    "a name of secret words": ("", "password", ""),           # [\w.-]*word[\w.-]* over one long run
    "URL userinfo starts": ("@ ", "//a:", ""),                 # each // scanning on to the line's end
    "open XML tags": ("", "<password ", ""),                   # attributes scanned on past the next <
    "mixed quotes after keys": ("", "'password':\"", ""),      # quoted values never closed
    "quotes and at signs": ("", '"@', ""),
    "flags of a program": ("mysql ", ' -p"', ""),
    "open quoted flags": ("", '--password "', ""),
    "name= runs": ("", "name=password", ""),
    "ENC( runs": ("", "ENC(", ""),
    "begin without end": ("", "-----BEGIN RSA PRIVATE KEY-----", ""),
}


def hostile_line(name: str, length: int) -> str:
    head, unit, tail = HOSTILE[name]
    return head + unit * ((length - len(head) - len(tail)) // len(unit)) + tail
