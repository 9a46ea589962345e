"""XML-RPC over HTTPS with every answer bounded (bounded.py): no gzip asked for and none inflated,
a byte cap on the body, no DTD (XML-RPC has none; entity declarations are how "billion laughs" and
quadratic-blowup documents expand), and arrays and structs nested at most MAX_NESTING deep.

Python's xmlrpc.client (docs: "XML vulnerabilities") asks for gzip and inflates a gzip answer whole
before parsing it: a 300 KB answer to the XenAPI client peaked near 950 MiB.
"""
from __future__ import annotations

import xmlrpc.client

from stackaudit.collect.transports.bounded import (MAX_NESTING, AnswerCaps, AnswerRefused, read_capped,
                                                   refuse_compressed)


class BoundedSafeTransport(xmlrpc.client.SafeTransport):
    accept_gzip_encoding = False     # no "Accept-Encoding: gzip" in the request

    def __init__(self, context, caps: AnswerCaps):
        super().__init__(context=context)
        self.caps = caps

    def single_request(self, host, handler, request_body, verbose=False):
        """xmlrpc.client's, but an error status's body is not read (it reads one with a Content-Length
        whole, whatever its length): the connection is dropped and the status raised."""
        try:
            response = self.send_request(host, handler, request_body, verbose).getresponse()
            if response.status == 200:
                self.verbose = verbose
                return self.parse_response(response)
        except xmlrpc.client.Fault:
            raise
        except Exception:
            self.close()    # a connection left in an unknown state (an answer refused half read)
            raise
        self.close()
        raise xmlrpc.client.ProtocolError(host + handler, response.status, response.reason,
                                          dict(response.getheaders()))

    def parse_response(self, response):
        refuse_compressed(response.getheader("Content-Encoding", ""))
        parser, unmarshaller = bounded_parser(self._use_datetime, self._use_builtin_types)
        read_capped(response.read, self.caps, feed=parser.feed)
        parser.close()
        return unmarshaller.close()


class _NestingBoundedUnmarshaller(xmlrpc.client.Unmarshaller):
    def start(self, tag, attrs):
        if tag in ("array", "struct") and len(self._marks) >= MAX_NESTING:
            raise AnswerRefused(f"the answer nests arrays and structs over {MAX_NESTING} deep; not parsed")
        super().start(tag, attrs)


def _refuse_dtd(*_args):
    raise AnswerRefused("the answer declares a DTD, which XML-RPC has none of; not parsed")


def bounded_parser(use_datetime: bool = False, use_builtin_types: bool = False):
    """(parser, unmarshaller) as xmlrpc.client.getparser makes them, bounded."""
    unmarshaller = _NestingBoundedUnmarshaller(use_datetime=use_datetime, use_builtin_types=use_builtin_types)
    parser = xmlrpc.client.ExpatParser(unmarshaller)
    parser._parser.StartDoctypeDeclHandler = _refuse_dtd
    parser._parser.EntityDeclHandler = _refuse_dtd
    return parser, unmarshaller
