"""Simulated XenServer XAPI (XML-RPC over HTTP(S) POST) on every XenServer host of the lab.

    python -m lab.sim.xapi MODEL.json

One process serves every host entry of the model: each entry gets its own listening socket, made
inside that host's network namespace, and one selector thread accepts on all of them; each
connection is then served on its own thread. Once all are listening, the model's ready_file gets
the JSON list of bound [address, port]. SIGTERM or SIGINT shuts down.

Only method names and result status are logged, never parameters (passwords, session refs).

Faults, for the suite's fault tests: when the model names a `faults_file`, each new connection
first reads it (JSON; a missing file means none); a host whose address is in its "reset" list
resets every connection at once (TCP RST), as a host whose xapi is down does. Each call reads it
too: a host whose address maps to another in its "redirect" mapping answers every login with
HOST_IS_SLAVE naming that address, as a pool member that names a master elsewhere does. Its "answers" map,
{address: {method or "*": fault}}, makes that host answer a call with what a hostile or broken
one might send instead of the call's result, whatever the client asked for:
{"mode": "fault", "code": N, "string": S}: an XML-RPC <fault> (not XAPI's own failure envelope);
{"mode": "gzip_bomb", "inflated": N}: `Content-Encoding: gzip` over a success envelope whose value is
a string of N bytes (default 256 MiB), about a thousandth of that on the wire; {"mode": "oversize",
"bytes": N}: the same envelope uncompressed, N bytes of string sent a MiB at a time.
"""
from __future__ import annotations

import json
import logging
import selectors
import signal
import socket
import ssl
import struct
import sys
import threading
import xmlrpc.client
import zlib
from functools import cache
from pathlib import Path
from socketserver import ThreadingMixIn
from xmlrpc.server import SimpleXMLRPCRequestHandler, SimpleXMLRPCServer

from lab.sim.call_log import CallLog
from lab.sim.netns import network_namespace
from lab.sim.tls import serve_connection, server_context
from lab.sim.xapi_model import Pool, failure

log = logging.getLogger("lab.sim.xapi")

POLL_INTERVAL = 0.05      # seconds between checks for stop(); lab down waits for it
IDLE_TIMEOUT = 60         # seconds a kept-alive connection may sit idle


class _Handler(SimpleXMLRPCRequestHandler):
    rpc_paths = ()   # any path: xapi's POST "/" handler matches by longest prefix, so "/RPC2" reaches it
    protocol_version = "HTTP/1.1"   # keep-alive, as xapi
    timeout = IDLE_TIMEOUT

    def do_POST(self):
        faults = self.server.answer_faults()
        if not faults:
            super().do_POST()
            return
        data = self.rfile.read(int(self.headers["content-length"]))
        method = xmlrpc.client.loads(data)[1]
        fault = faults.get(method, faults.get("*"))
        headers = {}
        if fault is None:
            answer = self.server._marshaled_dispatch(data, None, self.path)
        else:
            log.info("%s %s %s (fault)", self.server.host_address, method, fault["mode"])
            if fault["mode"] == "oversize":
                self.send_oversize(int(fault["bytes"]))
                return
            answer, headers = hostile_answer(fault)
        self.send_response(200)
        for name, value in {"Content-Type": "text/xml", **headers, "Content-Length": str(len(answer))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(answer)

    def send_oversize(self, size: int) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(_ENVELOPE_HEAD) + size + len(_ENVELOPE_TAIL)))
        self.end_headers()
        try:
            self.wfile.write(_ENVELOPE_HEAD)
            block = b"A" * (1 << 20)
            for sent in range(0, size, len(block)):
                self.wfile.write(block[:size - sent])
            self.wfile.write(_ENVELOPE_TAIL)
        except OSError:     # the client stopped reading, as it should past its cap
            self.close_connection = True


def hostile_answer(fault: dict) -> tuple[bytes, dict[str, str]]:
    """(body, headers) of a fault of the faults file's "answers"."""
    if fault["mode"] == "fault":
        return xmlrpc.client.dumps(xmlrpc.client.Fault(fault.get("code", 1), fault.get("string", "fault")),
                                   methodresponse=True).encode(), {}
    return gzip_bomb(int(fault.get("inflated", 256 << 20))), {"Content-Encoding": "gzip"}


# A success envelope around a string value, in two halves, the string between them
_ENVELOPE_HEAD = (b"<?xml version='1.0'?><methodResponse><params><param><value><struct><member><name>Status"
                  b"</name><value><string>Success</string></value></member><member><name>Value</name><value><string>")
_ENVELOPE_TAIL = b"</string></value></member></struct></value></param></params></methodResponse>"


@cache
def gzip_bomb(inflated: int) -> bytes:
    """A gzip body that inflates to a success envelope holding a string of `inflated` bytes, made
    a MiB at a time."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)    # 31: the gzip format
    parts = [packer.compress(_ENVELOPE_HEAD)]
    block = b"A" * (1 << 20)
    for _ in range(inflated >> 20):
        parts.append(packer.compress(block))
    parts += [packer.compress(_ENVELOPE_TAIL), packer.flush()]
    return b"".join(parts)


def current_faults(faults_file: Path | None) -> dict:
    """The faults the fault tests set now (a missing file: none)."""
    if faults_file is None:
        return {}
    try:
        return json.loads(faults_file.read_text())
    except FileNotFoundError:
        return {}


class _Endpoint:
    """The XML-RPC instance of one host: every call goes to its pool."""

    def __init__(self, pool: Pool, address: str, calls: CallLog, faults_file: Path | None = None):
        self._pool = pool
        self._address = address
        self._on_master = address == pool.master_address
        self._calls = calls
        self._faults_file = faults_file

    def _dispatch(self, method: str, params: tuple) -> dict:
        redirect = current_faults(self._faults_file).get("redirect", {}).get(self._address)
        if redirect is not None and method == "session.login_with_password":
            result = failure("HOST_IS_SLAVE", redirect)    # as a supporter answers, naming whatever it was told
        else:
            result = self._pool.call(self._on_master, method, params)
        outcome = result["Status"] if result["Status"] == "Success" else result["ErrorDescription"][0]
        log.info("%s %s %s", self._address, method, outcome)
        self._calls.record(address=self._address, method=method, status=outcome)
        return result


class _HostServer(ThreadingMixIn, SimpleXMLRPCServer):
    allow_reuse_address = True
    daemon_threads = True
    block_on_close = False
    request_queue_size = 64
    timeout = 0   # handle_request() is only called when a connection is waiting

    def __init__(self, address: str, port: int, tls: ssl.SSLContext | None, faults_file: str | None = None):
        self.address_family = socket.AF_INET6 if ":" in address else socket.AF_INET
        super().__init__((address, port), _Handler, logRequests=False)
        self._tls = tls
        self._address = address
        self._faults_file = Path(faults_file) if faults_file else None

    @property
    def host_address(self) -> str:
        return self._address

    def answer_faults(self) -> dict:
        """{method or "*": fault} the faults file sets for this host's answers now, or {}."""
        return current_faults(self._faults_file).get("answers", {}).get(self._address, {})

    def verify_request(self, request, client_address) -> bool:
        """False (after setting an RST on close) when the fault tests make this host reset connections."""
        if self._address not in current_faults(self._faults_file).get("reset", []):
            return True
        request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        log.info("%s reset (fault)", self._address)
        return False

    def finish_request(self, request, client_address):
        serve_connection(self._tls, request,
                         lambda conn: super(_HostServer, self).finish_request(conn, client_address))


class Server:
    """All simulated XAPI endpoints of one model. start() enters each host's netns on the calling
    thread (only that thread switches); the lab calls it from the main thread."""

    def __init__(self, model: dict):
        self._model = model
        self._servers: list[_HostServer] = []
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def addresses(self) -> list[tuple[str, int]]:
        """Bound (address, port) per host entry, in model order."""
        return [srv.server_address[:2] for srv in self._servers]

    def start(self) -> None:
        model = self._model
        tls = server_context(model.get("tls"))
        pools = {name: Pool(spec, model["credentials"]) for name, spec in model["pools"].items()}
        calls = CallLog(model.get("call_log"))
        try:
            for host in model["hosts"]:
                with network_namespace(host.get("netns")):
                    srv = _HostServer(host["address"], host["port"], tls, model.get("faults_file"))
                self._servers.append(srv)
                srv.register_instance(_Endpoint(pools[host["pool"]], host["address"], calls,
                                                Path(model["faults_file"]) if model.get("faults_file") else None))
        except BaseException:
            self._close()
            raise
        self._thread = threading.Thread(target=self._accept_loop, name="xapi-accept", daemon=True)
        self._thread.start()

    def _accept_loop(self) -> None:
        with selectors.DefaultSelector() as selector:
            for srv in self._servers:
                selector.register(srv, selectors.EVENT_READ)
            while not self._stopping.is_set():
                for key, _ in selector.select(POLL_INTERVAL):
                    key.fileobj.handle_request()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
        self._close()

    def _close(self) -> None:
        for srv in self._servers:
            srv.server_close()


def serve(model: dict) -> Server:
    return Server(model)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m lab.sim.xapi MODEL.json", file=sys.stderr)
        return 2
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="xapi: %(message)s")
    model = json.loads(Path(argv[0]).read_text())
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    server = serve(model)
    server.start()
    try:
        ready = Path(model["ready_file"])
        tmp = ready.with_name(ready.name + ".tmp")
        tmp.write_text(json.dumps(server.addresses))
        tmp.replace(ready)
        log.info("listening on %d endpoints", len(server.addresses))
        stop.wait()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
