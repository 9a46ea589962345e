"""Simulated CloudStack management API (/client/api) for the lab.

Usage: python -m lab.sim.cloudstack_api MODEL.json

With `tls` in the model ({"cert", "key"}: PEM files) it serves https, as a management server with
https.enable does (the lab's certificate is signed by the lab CA, lab/certificates.py).

It answers the list commands in the model with CloudStack's own wire behaviour: request signing,
envelopes, paging and errors as ApiServlet, ApiServer, BaseListCmd and ParamProcessWorker produce
them (apache/cloudstack ApiServer, ApiResponseSerializer [CS-CODE]).  The model rows are already in API field shapes; this only filters, pages
and wraps them.

Faults, for the suite's fault tests: when the model names a `faults_file`, each request first reads
it (JSON, command name -> fault; a missing file means none): {"mode": "unavailable"} answers 503
with an HTML page, as a proxy in front of a stopped management server does; {"mode": "error",
"errortext": ...} answers CloudStack's own error envelope (530, CloudRuntimeException); {"mode":
"forbidden"} answers 432 as CloudStack does for a command the key's role does not allow;
{"mode": "hang", "seconds": N} answers nothing for N seconds; {"mode": "count_extra", "rows": N}
claims N rows more in `count` than the listing holds; {"mode": "nested", "depth": N} answers 200 with
the command's envelope around arrays nested N deep (Python's json raises RecursionError on such a
text; a hostile proxy or management server can send one).
"""
from __future__ import annotations

import json
import re
import signal
import socket
import socketserver
import ssl
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from lab.sim.cloudstack_signing import param, verify
from lab.sim.call_log import CallLog
from lab.sim.netns import network_namespace
from lab.sim.list_filters import REQUIRED_PARAMS, filter_rows, like
from lab.sim.tls import serve_connection, server_context

BAD_CREDENTIALS = "unable to verify user credentials and/or request signature"
SERVER_API_EXCEPTION = 9999  # CSExceptionErrorCode of a bare ServerApiException
INVALID_PARAMETER_VALUE = 4350  # ... of InvalidParameterValueException
CLOUD_RUNTIME_EXCEPTION = 4250  # ... of CloudRuntimeException
INTERNAL_ERROR = 530  # ApiErrorCode.INTERNAL_ERROR
# ApiServer.checkCommandAvailable: a command the caller's role does not allow (PermissionDeniedException),
# answered as ApiErrorCode.UNSUPPORTED_ACTION_ERROR with this text (apache/cloudstack, ApiServer.java).
UNSUPPORTED_ACTION_ERROR = 432
NOT_AVAILABLE_FOR_USER = "The given command does not exist or it is not available for user"
UNAVAILABLE_PAGE = b"<html><body><h1>503 Service Unavailable</h1>No server is available.</body></html>\n"
# ApiServer.checkCharacterInkParams: ASCII control characters other than \n and \r.
CONTROL_CHARACTERS = re.compile("[\x00-\x09\x0b-\x0c\x0e-\x1f\x7f]")
JAVA_INT = re.compile(r"[+-]?\d+")
# How soon serve_forever notices shutdown(): socketserver's 0.5 s default, once per endpoint, was
# most of `lab down` (it waits for this process to end).
POLL_SECONDS = 0.05

# ListCfgsByCmd scope-id parameters and the ConfigKey scope each selects.
CONFIG_SCOPES = {"zoneid": "zone", "clusterid": "cluster", "accountid": "account", "domainid": "domain",
                 "storageid": "storagepool", "imagestoreuuid": "imagestore"}
CONFIG_KEYWORD_FIELDS = ("name", "component", "description", "category", "value")


class ApiError(Exception):
    """A ServerApiException: HTTP status = errorcode, with a cserrorcode and an X-Description header."""

    def __init__(self, status: int, text: str, cserrorcode: int = SERVER_API_EXCEPTION):
        super().__init__(text)
        self.status, self.text, self.cserrorcode = status, text, cserrorcode


def without_nulls(value):
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value]
    return value


def page_of(rows: list, start: int, limit: int | None) -> list:
    return rows[start:] if limit is None else rows[start:start + limit]


def dumps(value) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


class Api:
    """The request logic, independent of HTTP: params in, (status, headers, body) out."""

    def __init__(self, model: dict):
        self.content_type = model.get("json_content_type") or "application/json; charset=UTF-8"
        self.max_page_size = int(model.get("default_page_size", 500))
        self.credentials = {c["apikey"]: c for c in model.get("credentials", [])}
        self.lists = dict(model.get("lists", {}))
        self.configurations = model.get("configurations", [])
        # The commands this cloud has (names are case-sensitive); any other is unknown to it.
        self.commands = {*self.lists, "listConfigurations"}
        self.faults_file = Path(model["faults_file"]) if model.get("faults_file") else None

    def fault(self, command: str | None) -> dict:
        """The fault the fault tests set for this command now, or {}."""
        if self.faults_file is None or command is None:
            return {}
        try:
            return json.loads(self.faults_file.read_text()).get(command, {})
        except FileNotFoundError:
            return {}

    def response_name(self, params: dict[str, str]) -> str:
        """ApiServer.getSerializedApiError: the command's name, else errorresponse ("null" is Java's own)."""
        command = params.get("command")
        if not params:
            return "errorresponse"
        if command is None:
            return "null"
        return f"{command.lower()}response" if command in self.commands else "errorresponse"

    def handle(self, params: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        headers = {"Content-Type": self.content_type}
        if not self.authentic(params):
            error = {"uuidList": [], "errorcode": 401, "errortext": BAD_CREDENTIALS}
            return 401, headers, dumps({self.response_name(params): error})
        command = params["command"]
        fault = self.fault(command)
        if fault.get("mode") == "unavailable":
            return 503, {"Content-Type": "text/html"}, UNAVAILABLE_PAGE
        if fault.get("mode") == "nested":
            depth = int(fault.get("depth", 100_000))
            return 200, headers, b'{"%sresponse":' % command.lower().encode() + b"[" * depth + b"]" * depth + b"}"
        try:
            if fault.get("mode") == "forbidden":
                raise ApiError(UNSUPPORTED_ACTION_ERROR, NOT_AVAILABLE_FOR_USER)
            if fault.get("mode") == "error":
                raise ApiError(INTERNAL_ERROR, fault.get("errortext", "Command failed due to Internal Server Error"),
                               CLOUD_RUNTIME_EXCEPTION)
            body = self.execute(command, params)
            if fault.get("mode") == "count_extra" and body.get("count"):
                body["count"] += int(fault.get("rows", 1))
            return 200, headers, dumps({f"{command.lower()}response": body})
        except ApiError as e:
            error = {"uuidList": [], "errorcode": e.status, "cserrorcode": e.cserrorcode, "errortext": e.text}
            body = dumps({self.response_name(params): error})
            description = re.sub(r"[\r\n]", " ", e.text).encode("latin-1", "replace").decode("latin-1")
            return e.status, {**headers, "X-Description": description}, body

    def authentic(self, params: dict[str, str]) -> bool:
        """ApiServer.verifyRequest: a command that exists, a known enabled key and a valid signature."""
        if params.get("command") not in self.commands:
            return False
        credential = self.credentials.get(param(params, "apikey") or "")
        return (credential is not None and str(credential.get("state", "")).lower() == "enabled"
                and verify(params, credential["secretkey"], datetime.now(timezone.utc)))

    def execute(self, command: str, params: dict[str, str]) -> dict:
        for name, value in params.items():
            if CONTROL_CHARACTERS.search(value):
                raise ApiError(431, f"Received value containing illegal ASCII non-printable characters for parameter {name}")
        for name in (n for n in REQUIRED_PARAMS.get(command, ()) if not params.get(n)):  # ParamProcessWorker's words
            raise ApiError(431, f"Unable to execute API command {command.lower()} due to missing parameter {name}")
        page, size = (self.integer(command, params, name) for name in ("page", "pagesize"))
        self.check_paging(params)
        start, limit = self.window(page, size)
        if command == "listConfigurations":
            return self.list_configurations(params, start, limit)
        listing = self.lists[command]
        rows = self.filter(command, listing["rows"], params)
        return self.envelope(listing["key"], len(rows), page_of(rows, start, limit))

    @staticmethod
    def integer(command: str, params: dict[str, str], name: str) -> int | None:
        """ParamProcessWorker for an INTEGER parameter: blank is absent, otherwise Integer.valueOf."""
        raw = params.get(name)
        if raw is None or not raw.strip():
            return None
        if not JAVA_INT.fullmatch(raw) or not -2 ** 31 <= int(raw) < 2 ** 31:
            raise ApiError(431, f"Unable to execute API command {command.lower()} due to invalid value {raw} "
                                f"for parameter {name}")
        return int(raw)

    @staticmethod
    def check_paging(params: dict[str, str]) -> None:
        """BaseListCmd.validateSpecificParameters, on the raw parameter strings."""
        raw_size, raw_page = params.get("pagesize"), params.get("page")
        if raw_size is not None and not JAVA_INT.fullmatch(raw_size):
            raise ApiError(431, f'For input string: "{raw_size}"')  # Long.valueOf of a blank value
        if raw_page is None and raw_size is not None and int(raw_size) != -1:
            raise ApiError(431, '"page" parameter is required when "pagesize" is specified')
        if raw_size is None and raw_page is not None:
            raise ApiError(431, '"pagesize" parameter is required when "page" is specified')

    def window(self, page: int | None, size: int | None) -> tuple[int, int | None]:
        """BaseListCmd.getPageSize/getPageSizeVal/getStartIndex: (offset, limit or None for unlimited)."""
        if size is not None and self.max_page_size != -1 and size > self.max_page_size:
            raise ApiError(431, f"Page size can't exceed max allowed page size value: {self.max_page_size}",
                           INVALID_PARAMETER_VALUE)
        if size == -1 and page is not None:
            raise ApiError(431, "Can't specify page parameter when pagesize is -1 (Unlimited)", INVALID_PARAMETER_VALUE)
        limit = size if size is not None else self.max_page_size
        if limit == -1:
            return 0, None
        limit = max(limit, 0)  # MySQL rejects a negative LIMIT; answer no rows rather than guess its error
        return (limit * (page - 1) if page is not None and page > 0 else 0), limit

    filter = staticmethod(filter_rows)

    @staticmethod
    def envelope(key: str, count: int, rows: list[dict]) -> dict:
        """ApiResponseSerializer: no count when it is 0, no array when the page is empty."""
        body = {"count": count} if count else {}
        if rows:
            body[key] = [without_nulls(r) for r in rows]
        return body

    def list_configurations(self, params: dict[str, str], start: int, limit: int | None) -> dict:
        """ManagementServerImpl.searchForConfigurations, on the model's configuration rows."""
        scopes = [(kind, params[p]) for p, kind in CONFIG_SCOPES.items() if params.get(p)]
        if len(scopes) > 1:
            raise ApiError(431, "cannot handle multiple IDs, provide only one ID corresponding to the scope",
                           INVALID_PARAMETER_VALUE)
        keyword, name, category = params.get("keyword"), params.get("name"), params.get("category")

        def wanted(c: dict) -> bool:
            return (str(c.get("category", "")).lower() != "hidden"  # hidden settings are never listed
                    and (keyword is None or any(like(f"%{keyword}%", c.get(f, "")) for f in CONFIG_KEYWORD_FIELDS))
                    and (name is None or like(f"%{name}%", c.get("name", "")))
                    and (category is None or str(c.get("category", "")).lower() == category.lower())
                    and (not scopes or str(c.get("scope", "")).lower() == scopes[0][0]))

        matching = sorted(filter(wanted, self.configurations), key=lambda c: c["name"])
        rows = page_of(matching, start, limit)
        page = [{k: v for k, v in c.items() if k != "scoped_values"} for c in rows]
        if not scopes:
            return self.envelope("configuration", len(matching), page)
        kind, target = scopes[0]
        for row, config in zip(page, rows):
            row["value"] = config.get("scoped_values", {}).get(kind, {}).get(target, config.get("value"))
            row["scope"] = kind
        # The scoped branch returns configVOList.size() as the count: the rows on this page.
        return self.envelope("configuration", len(page), page)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30
    api: Api

    def do_GET(self) -> None:
        self.answer()

    def do_POST(self) -> None:
        self.answer()

    def answer(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if url.path != "/client/api" and not url.path.startswith("/client/api/"):
            self.send(404, {"Content-Type": "text/plain"}, b"Not Found")
            self.calls.record(command=None, path=re.sub(r"[\x00-\x1f\x7f]", "?", url.path), status=404)
            return
        params: dict[str, str] = {}
        if self.command == "POST" and self.headers.get_content_type() == "application/x-www-form-urlencoded":
            for name, value in parse_qsl(body.decode(errors="replace"), keep_blank_values=True):
                params.setdefault(name, value)  # servlet parameter map: first value
        for name, value in parse_qsl(url.query, keep_blank_values=True):
            params[name] = value  # ApiServlet.utf8Fixup re-puts each query pair: the last one wins
        fault = self.api.fault(params.get("command"))
        if fault.get("mode") == "hang":
            time.sleep(float(fault.get("seconds", 60)))
        status, headers, payload = self.api.handle(params)
        self.send(status, headers, payload)
        command = re.sub(r"[\x00-\x1f\x7f]", "?", params.get("command", "-"))
        print(f"{command} {status}", file=sys.stderr, flush=True)
        self.calls.record(command=command, status=status)

    def send(self, status: int, headers: dict[str, str], payload: bytes) -> None:
        self.send_response(status)
        for name, value in {**headers, "X-Content-Type-Options": "nosniff", "X-XSS-Protection": "1;mode=block",
                            "Content-Length": str(len(payload))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args) -> None:
        """The default log line holds the query string, with apiKey and signature: never write it."""


class HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    tls: ssl.SSLContext | None = None     # https when set (Server.start)

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)  # no getfqdn(): a namespace may have no resolver
        self.server_name, self.server_port = self.server_address[:2]

    def finish_request(self, request, client_address) -> None:
        serve_connection(self.tls, request, lambda conn: super(HTTPServer, self).finish_request(conn, client_address))


class HTTPServer6(HTTPServer):
    address_family = socket.AF_INET6


class Server:
    """All listen entries of one model, served from threads of this process."""

    def __init__(self, model: dict):
        self.model = model
        self.handler = type("BoundHandler", (Handler,), {"api": Api(model), "calls": CallLog(model.get("call_log"))})
        self.httpds: list[HTTPServer] = []
        self.addresses: list[tuple[str, int]] = []

    def start(self) -> "Server":
        tls = server_context(self.model.get("tls"))
        for entry in self.model["listen"]:
            cls = HTTPServer6 if ":" in entry["address"] else HTTPServer
            with network_namespace(entry.get("netns")):
                httpd = cls((entry["address"], int(entry["port"])), self.handler)
            httpd.tls = tls
            self.httpds.append(httpd)
            self.addresses.append(httpd.server_address[:2])
        for httpd in self.httpds:
            threading.Thread(target=httpd.serve_forever, args=(POLL_SECONDS,), name=f"api-{httpd.server_address}", daemon=True).start()
        return self

    def stop(self) -> None:
        for httpd in self.httpds:
            httpd.shutdown()
            httpd.server_close()


def serve(model: dict) -> Server:
    return Server(model)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m lab.sim.cloudstack_api MODEL.json", file=sys.stderr)
        return 2
    model = json.loads(Path(argv[0]).read_text())
    try:
        server = serve(model).start()
    except OSError as e:
        print(f"cloudstack_api: cannot listen: {e}", file=sys.stderr)
        return 1
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stopping.set())
    if model.get("ready_file"):
        ready = Path(model["ready_file"])
        tmp = ready.with_name(ready.name + ".tmp")
        tmp.write_text(json.dumps([list(a) for a in server.addresses]))
        tmp.replace(ready)
    print(f"cloudstack_api: listening on {len(server.addresses)} endpoints", file=sys.stderr, flush=True)
    stopping.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
