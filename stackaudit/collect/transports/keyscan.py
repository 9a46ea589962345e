"""A server's SSH host key, read as ssh-keyscan reads it: the key exchange only, no authentication.

paramiko's Transport.start_client runs the key exchange; get_remote_server_key is the key the server
signed it with. Nothing is sent after that: no user name, no key, no password. The server picks its
key type from the client's list, first match first (RFC 4253, "The Secure Shell (SSH) Transport
Layer Protocol", 2006, section 7.1, server_host_key_algorithms), so the list is ordered as the run's
own client orders it (`preferred_key_types`) and the key read is the one the run will be shown.
"""
from __future__ import annotations

import socket

import paramiko

from stackaudit.collect.transports.ssh import connect_failure
from stackaudit.errors import Unreachable

# What paramiko offers, most preferred first (paramiko 5.1: Transport._preferred_keys): ed25519,
# ecdsa, rsa with SHA-2. known_hosts names an RSA key ssh-rsa whichever hash signs the exchange.
RSA_SIGNATURES = ("rsa-sha2-512", "rsa-sha2-256")


def preferred_key_types(known_types: list[str], offered: tuple[str, ...]) -> list[str]:
    """`offered` with the first type known_hosts lists for the host put first, as paramiko's
    SSHClient.connect does (paramiko 5.1, client.py): a host known by its RSA key is asked for that
    one, not for the ed25519 key it may also have."""
    if not known_types:
        return list(offered)
    first = known_types[0]
    if first == "ssh-rsa":
        first = next((t for t in RSA_SIGNATURES if t in offered), first)
    return [first, *(t for t in offered if t != first)]


def read_host_key(address: str, port: int, timeout: float, known_types: list[str], label: str,
                  sock=None) -> paramiko.PKey:
    """The host key `address`:`port` offers (over `sock`, a channel through another host, if given);
    Unreachable with one reason when there is none to read within `timeout` seconds."""
    try:
        if sock is None:
            sock = socket.create_connection((address, port), timeout=timeout)
    except OSError as err:
        raise Unreachable(f"{label}: cannot connect: {connect_failure(err, timeout)}") from None
    transport = paramiko.Transport(sock)
    try:
        transport.banner_timeout = transport.handshake_timeout = timeout
        options = transport.get_security_options()
        options.key_types = preferred_key_types(known_types, tuple(options.key_types))
        transport.start_client(timeout=timeout)
        # start_client returns without raising when `timeout` passes first; the key is not there then
        return transport.get_remote_server_key()
    except (paramiko.SSHException, EOFError, OSError) as err:
        raise Unreachable(f"{label}: {key_exchange_failure(err, timeout, bool(transport.remote_version))}") from None
    finally:
        transport.close()


def key_exchange_failure(err: Exception, timeout: float, banner_seen: bool) -> str:
    """Why no host key came, in words an operator can act on."""
    text = str(err)
    if "no acceptable host key" in text:
        return "offers no host key type the suite reads (ed25519, ecdsa, rsa)"
    if text == "No existing session" or isinstance(err, TimeoutError) or isinstance(err.__context__, TimeoutError):
        return f"no SSH key exchange within {timeout:.0f}s (the port accepts TCP but nothing answers as sshd)"
    if isinstance(err, (EOFError, OSError)) or isinstance(err.__context__, (EOFError, OSError)):
        return ("closed the connection during the key exchange" if banner_seen
                else "closed the connection before its SSH banner")
    return f"SSH key exchange failed: {text}"
