"""TLS for the simulators: a server context from the model's PEM files, and each connection's
handshake done on that connection's own thread (a client that stalls it holds no one else up)."""
from __future__ import annotations

import ssl

HANDSHAKE_TIMEOUT = 10    # seconds for a TLS handshake


def server_context(spec: dict | None) -> ssl.SSLContext | None:
    """{"cert", "key"} (PEM paths) -> a TLS 1.2+ server context; None (no spec) -> plain."""
    if not spec:
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(spec["cert"], spec["key"])
    return context


def serve_connection(tls: ssl.SSLContext | None, request, serve) -> None:
    """serve(connection) over `request`, after a TLS handshake when `tls` is set."""
    if tls is None:
        serve(request)
        return
    request.settimeout(HANDSHAKE_TIMEOUT)
    try:
        conn = tls.wrap_socket(request, server_side=True)
    except OSError:   # includes ssl.SSLError: a client that gave up, refused the certificate or spoke plain text
        return
    with conn:
        serve(conn)
