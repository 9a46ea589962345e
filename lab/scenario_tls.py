"""The scenario format's TLS front ends of the UI/API (lab/parts/tls_frontend.py)."""
from __future__ import annotations

from stackaudit.config.schema import REQUIRED, Bool, Enum, Int, MapOf, Optional, Record, Str, f

# MS-TLS-LIBSSL-PATCHED: an OpenSSL-based TLS front end of the UI/API (lab/parts/tls_frontend.py): its
# Debian release and ssl packages (package -> version over the release's patched ones; null: not
# installed); the process listening on its TLS port (none: nothing listens), which maps the release's
# libssl and, with stale, sees that file replaced after; `stale_elsewhere`, a process that listens on
# nothing and maps a replaced library (outside the rule: not the front end's TLS)
TLS_FRONTEND = Record({
    "name": f(Str(), REQUIRED),
    "port": f(Int(1), 443),
    "debian": f(Enum("7", "8", "9", "10", "11", "12", "13"), "7"),
    "packages": f(MapOf(Optional(Str())), dict),
    "listener": f(Optional(Record({"process": f(Str(), "nginx"), "stale": f(Bool(), False),
                                   "library": f(Enum("libssl", "libcrypto"), "libssl")})), dict),
    "stale_elsewhere": f(Optional(Record({"process": f(Str(), "logrotate"),
                                          "library": f(Enum("libssl", "libcrypto"), "libcrypto")}))),
})
