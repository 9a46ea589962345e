"""Answers read within bounds, whatever an endpoint sends: XML-RPC (XAPI) and the CloudStack API,
each over a loopback HTTP server or a recorded response; a refused answer is one line naming why."""
from __future__ import annotations

import gzip
import json
import threading
import time
import xmlrpc.client
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from xml.parsers.expat import ExpatError

import pytest

from stackaudit.collect.transports import cloudstack, xapi
from stackaudit.collect.transports.bounded import (MAX_NESTING, AnswerCaps, AnswerRefused, json_nesting, one_line,
                                                   refuse_deep_json)
from stackaudit.collect.transports.xmlrpc_bounded import BoundedSafeTransport
from stackaudit.config.files import size_text
from stackaudit.config.policy import LimitsPolicy
from stackaudit.discovery.discovery import discover
from stackaudit.errors import ApiError, TargetError

SUCCESS = xmlrpc.client.dumps(({"Status": "Success", "Value": "OpaqueRef:s1"},), methodresponse=True).encode()


class RecordedResponse:
    """What XML-RPC's transport reads of an http.client response: a header and the body in chunks."""

    def __init__(self, body: bytes, encoding: str = ""):
        self.body, self.encoding, self.offset = body, encoding, 0

    def getheader(self, name, default=""):
        return self.encoding if name.lower() == "content-encoding" and self.encoding else default

    def read(self, size):
        chunk = self.body[self.offset:self.offset + size]
        self.offset += len(chunk)
        return chunk


def caps(max_bytes: int = 1 << 20, max_seconds: float = 60) -> AnswerCaps:
    return AnswerCaps(max_bytes, "policy limits.xapi_answer_mib", max_seconds)


def parse(body: bytes, encoding: str = "", cap: int = 1 << 20):
    return BoundedSafeTransport(None, caps(cap)).parse_response(RecordedResponse(body, encoding))


def test_an_xml_rpc_answer_within_bounds_is_parsed():
    assert parse(SUCCESS) == ({"Status": "Success", "Value": "OpaqueRef:s1"},)


def test_no_gzip_is_asked_for_and_a_gzip_answer_is_refused_unread():
    assert BoundedSafeTransport.accept_gzip_encoding is False
    bomb = gzip.compress(b" " * (8 << 20))
    response = RecordedResponse(bomb, "gzip")
    with pytest.raises(AnswerRefused, match=r"^the answer is compressed \(Content-Encoding: gzip\)"):
        BoundedSafeTransport(None, caps()).parse_response(response)
    assert response.offset == 0


def test_an_answer_over_the_cap_is_refused_naming_the_cap_after_reading_at_most_the_cap():
    body = SUCCESS.replace(b"OpaqueRef:s1", b"x" * (3 << 20))
    response = RecordedResponse(body)
    with pytest.raises(AnswerRefused) as refused:
        BoundedSafeTransport(None, caps()).parse_response(response)
    assert str(refused.value) == "the answer is over 1 MiB (policy limits.xapi_answer_mib); not read further"
    assert response.offset <= (1 << 20) + 64 * 1024


def test_an_answer_dripping_past_its_seconds_is_refused_naming_the_setting():
    class Drip(RecordedResponse):
        def read(self, size):
            time.sleep(0.05)
            return super().read(100)
    response = Drip(SUCCESS * 100)
    with pytest.raises(AnswerRefused, match=r"^the answer did not come whole within 0.1 s \(policy "
                                            r"limits.answer_seconds\): [0-9,]+ bytes came; not read further$"):
        BoundedSafeTransport(None, caps(max_seconds=0.1)).parse_response(response)
    assert response.offset < 1000


def test_entity_declarations_and_deep_nesting_are_refused():
    laughs = (b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
              b"<methodResponse><params><param><value><string>&b;</string></value></param></params>"
              b"</methodResponse>")
    with pytest.raises(AnswerRefused, match="declares a DTD"):
        parse(laughs)
    deep = (b"<methodResponse><params><param>" + b"<value><array><data>" * 100_000
            + b"</data></array></value>" * 100_000 + b"</param></params></methodResponse>")
    with pytest.raises(AnswerRefused, match=f"nests arrays and structs over {MAX_NESTING} deep"):
        parse(deep, cap=len(deep))


@pytest.mark.parametrize("failure, reason", [
    (AnswerRefused("the answer is over 1 MiB (policy limits.xapi_answer_mib); not read further"),
     "XAPI 198.18.1.1: VM.get_all_records: the answer is over 1 MiB (policy limits.xapi_answer_mib)"),
    (xmlrpc.client.Fault(42, "no\nsuch\x1b[31m method"),
     "XAPI 198.18.1.1: VM.get_all_records: XML-RPC fault 42: no such [31m method"),
    (xmlrpc.client.ResponseError("unknown tag 'x'"),
     "XAPI 198.18.1.1: VM.get_all_records: malformed XML-RPC answer: unknown tag 'x'"),
    (ExpatError("mismatched tag: line 1, column 9"),
     "XAPI 198.18.1.1: VM.get_all_records: malformed XML-RPC answer: mismatched tag: line 1, column 9"),
    (TypeError('can only concatenate str (not "list") to str'),
     "XAPI 198.18.1.1: VM.get_all_records: an answer of unexpected shape (TypeError: can only concatenate"),
])
def test_any_failure_of_an_xapi_call_is_one_line(failure, reason):
    def fails(*_args):
        raise failure
    session = SimpleNamespace(xenapi=SimpleNamespace(VM=SimpleNamespace(get_all_records=fails)))
    with pytest.raises(ApiError) as err:
        xapi.call(session, "198.18.1.1", "VM.get_all_records")
    assert str(err.value).startswith(reason) and "\n" not in str(err.value)


def test_a_failure_whose_details_are_not_a_list_is_still_one_line():
    def fails(*_args):
        raise xapi.XenAPI.Failure({"odd": "details"})
    session = SimpleNamespace(xenapi=SimpleNamespace(pool=SimpleNamespace(get_all_records=fails)))
    with pytest.raises(ApiError, match=r"^XAPI a: pool.get_all_records failed: \{'odd': 'details'\}$"):
        xapi.call(session, "a", "pool.get_all_records")


def test_xml_rpc_dates_and_binaries_in_records_come_as_json_text():
    records = {"OpaqueRef:h": {"last_updated": xmlrpc.client.DateTime("20261206T13:00:00Z"),
                               "blob": xmlrpc.client.Binary(b"\x00\xff"), "other_config": {"n": [1, 2.5, True, None]}}}
    session = SimpleNamespace(xenapi=SimpleNamespace(host_metrics=SimpleNamespace(get_all_records=lambda: records)))
    answer = xapi.call(session, "a", "host_metrics.get_all_records")
    assert json.loads(json.dumps(answer)) == {"OpaqueRef:h": {"last_updated": "20261206T13:00:00Z", "blob": "AP8=",
                                                              "other_config": {"n": [1, 2.5, True, None]}}}


class Answers(BaseHTTPRequestHandler):
    """Answers every request with the server's (status, headers, body); records the request headers."""
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.server.requests.append(dict(self.headers))
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status, headers, body = self.server.answer
        self.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *_args):
        pass


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        """A client that stopped reading an answer it refused: expected here."""


@pytest.fixture
def api_server():
    server = QuietServer(("127.0.0.1", 0), Answers)
    server.requests = []
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()  # shutdown() waits a poll
    yield server
    server.shutdown()
    server.server_close()


def api(server, limits=LimitsPolicy()):
    return cloudstack.client(f"http://127.0.0.1:{server.server_address[1]}/client/api", "k", "s", False, 5,
                             limits=limits)


JSON = {"Content-Type": "application/json; charset=UTF-8"}


def listing(rows) -> bytes:
    return json.dumps({"listzonesresponse": {"count": len(rows), "zone": rows}}).encode()


@pytest.mark.integration
def test_an_api_answer_within_bounds_is_read_and_no_compression_is_asked_for(api_server):
    api_server.answer = (200, JSON, listing([{"id": "z1", "name": "zone1"}]))
    assert cloudstack.list_all(api(api_server), "listZones") == [{"id": "z1", "name": "zone1"}]
    assert api_server.requests[0]["Accept-Encoding"] == "identity"


@pytest.mark.integration
@pytest.mark.parametrize("headers, body, reason", [
    (JSON, b"[" * 100_000 + b"]" * 100_000,
     "CloudStack API: listZones: the answer nests 100,000 deep, over the 64 any real answer needs; not parsed"),
    ({**JSON, "Content-Encoding": "gzip"}, gzip.compress(b" " * (4 << 20)),
     "CloudStack API: listZones: the answer is compressed (Content-Encoding: gzip), which was not asked for"),
    (JSON, b'{"listzonesresponse": {"count": 1, "zone": [{"id": "' + b"x" * (2 << 20) + b'"}]}}',
     "CloudStack API: listZones: the answer is over 1 MiB (policy limits.api_answer_mib); not read further"),
    (JSON, b'{"listzonesresponse": {"count": 1, "zone": ["not a row"]}}',
     "CloudStack API: listZones: page 1 holds a row that is not an object"),
    (JSON, b'{"listzonesresponse": {"count": 501, "zone": [' + b"{}," * 500 + b"{}]}}",
     "CloudStack API: listZones: page 1 holds 501 rows, more than the 500 asked for"),
], ids=["nested-100000-deep", "gzip", "over-the-cap", "not-a-row", "more-rows-than-asked"])
def test_an_api_answer_out_of_bounds_is_an_api_error_of_one_line(api_server, headers, body, reason):
    api_server.answer = (200, headers, body)
    with pytest.raises(ApiError) as err:
        cloudstack.list_all(api(api_server, LimitsPolicy(api_answer_mib=1)), "listZones")
    assert str(err.value).startswith(reason) and "\n" not in str(err.value)


@pytest.mark.integration
def test_an_api_error_text_of_several_lines_is_one_line(api_server):
    api_server.answer = (530, JSON, b'{"x": {"errorcode": 530, "errortext": "line one\\nline two\\u001b[2J"}}')
    with pytest.raises(ApiError, match=r"^CloudStack API: listZones: error 530: line one line two \[2J$"):
        cloudstack.list_all(api(api_server), "listZones")


@pytest.mark.integration
def test_a_listing_whose_pages_together_are_over_the_cap_is_refused(api_server):
    rows = [{"id": f"z{i}", "name": "n" * 1000} for i in range(500)]    # a full page of about 0.5 MB
    api_server.answer = (200, JSON, json.dumps({"listzonesresponse": {"count": 5000, "zone": rows}}).encode())
    with pytest.raises(ApiError, match=r"^CloudStack API: listZones: the listing's pages are over 1 MiB together "
                                       r"\(policy limits.api_listing_mib\); not read further$"):
        cloudstack.list_all(api(api_server, LimitsPolicy(api_listing_mib=1)), "listZones")
    assert len(api_server.requests) == 3


@pytest.mark.integration
def test_a_redirect_is_not_followed(api_server):
    api_server.answer = (302, {"Location": "http://127.0.0.2:1/elsewhere", "Content-Type": "text/html"}, b"moved")
    with pytest.raises(ApiError, match="^CloudStack API: listZones: HTTP 302 Found"):
        cloudstack.list_all(api(api_server), "listZones")
    assert len(api_server.requests) == 1


class PlainBoundedTransport(BoundedSafeTransport):
    """The bounded transport over plain HTTP, to a loopback server."""

    def make_connection(self, host):
        return xmlrpc.client.Transport.make_connection(self, host)


@pytest.mark.integration
def test_an_xml_rpc_error_status_is_raised_without_reading_its_body(api_server):
    """The server says 1 GiB follows and sends 1 MiB: xmlrpc.client would wait to read it all."""
    api_server.answer = (500, {"Content-Length": str(1 << 30)}, b" " * (1 << 20))
    proxy = xmlrpc.client.ServerProxy(f"http://127.0.0.1:{api_server.server_address[1]}/",
                                      transport=PlainBoundedTransport(None, caps()))
    started = time.monotonic()
    with pytest.raises(xmlrpc.client.ProtocolError) as err:
        proxy.session.login_with_password("u", "p")
    assert err.value.errcode == 500 and time.monotonic() - started < 5


def test_json_nesting_counts_brackets_outside_strings_only():
    assert json_nesting(b'{"a": [1, {"b": "[[[[{{{{"}], "c": "\\"]]]"}') == 3
    assert json_nesting(b"[]" * 1000) == 1
    refuse_deep_json(b"[" * MAX_NESTING + b"]" * MAX_NESTING)
    with pytest.raises(AnswerRefused):
        refuse_deep_json(b"[" * (MAX_NESTING + 1))


def test_one_line_and_size_text():
    assert one_line("a\nb\r\x1b[0m") == "a b [0m"
    assert one_line("x" * 400).endswith("... (400 characters)")
    assert [size_text(n) for n in (64 << 20, 1 << 30, 1000, 1536)] == ["64 MiB", "1 GiB", "1,000 bytes", "1,536 bytes"]


def inventory_for(server):
    secret = SimpleNamespace(read=lambda: "s")
    return SimpleNamespace(
        cloud_name="c", api=SimpleNamespace(endpoint=f"http://127.0.0.1:{server.server_address[1]}/client/api",
                                            key=secret, secret=secret, verify=False),
        ssh=SimpleNamespace(connect_timeout=5), xenserver=None, management_servers=[], databases=None,
        insecure_channels=("cloud.api",))


@pytest.mark.integration
@pytest.mark.parametrize("body, reason", [
    (b'{"r": {"count": 1, "row": [{"id": "h1"}]}}',
     "CloudStack API: discovery: a row of unexpected shape (KeyError: 'name')"),
    (b'{"r": {"count": 1, "row": [{"id": ["h1"], "name": "h", "hypervisor": "KVM", "zonename": "z"}]}}',
     "CloudStack API: discovery: a row of unexpected shape (TypeError: unhashable type: 'list')"),
    (b"{" * 100_000, "CloudStack API: listZones: the answer nests 100,000 deep"),
], ids=["row-lacks-a-key", "a-list-for-an-id", "nested-100000-deep"])
def test_discovery_fails_with_one_line_whatever_the_api_answers(api_server, body, reason):
    """Every listing gets the same answer here: cs takes any single top-level key."""
    api_server.answer = (200, JSON, body)
    with pytest.raises(TargetError) as err:
        discover(inventory_for(api_server))
    assert str(err.value).startswith(reason) and "\n" not in str(err.value)


@pytest.mark.integration
@pytest.mark.parametrize("body, reason", [
    (xmlrpc.client.dumps(xmlrpc.client.Fault(1, "Internal error\nat line 2"), methodresponse=True).encode(),
     "XAPI 127.0.0.1: login failed: XML-RPC fault 1: Internal error at line 2"),
    (b"<methodResponse><params><param><value><struct>", "XAPI 127.0.0.1: login failed: malformed XML-RPC answer: "),
    (xmlrpc.client.dumps((["not", "a", "status"],), methodresponse=True).encode(),
     "XAPI 127.0.0.1: login failed: an answer of unexpected shape (TypeError: "),
    (xmlrpc.client.dumps(({"Status": "Failure", "ErrorDescription": []},), methodresponse=True).encode(),
     "XAPI 127.0.0.1: login failed: an answer of unexpected shape (IndexError: "),
], ids=["fault", "malformed", "not-a-status", "empty-failure"])
def test_any_answer_to_a_login_is_one_line(api_server, monkeypatch, body, reason):
    """What discovery's and collection's login do with an answer that is not XAPI's own."""
    api_server.answer = (200, {"Content-Type": "text/xml"}, body)
    monkeypatch.setattr(xapi, "session", lambda address, port, *_, **_kw: xapi.XenAPI.Session(
        f"http://{address}:{port}/", transport=PlainBoundedTransport(None, caps())))
    with pytest.raises(ApiError) as err:
        xapi.login("127.0.0.1", api_server.server_address[1], "root", "pw", None, 5)
    assert str(err.value).startswith(reason) and "\n" not in str(err.value)
