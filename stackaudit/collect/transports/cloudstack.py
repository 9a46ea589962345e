"""The CloudStack API through the `cs` client, listing every page and checking the listing's count.

cs's own `fetch_list` stops at an empty page and returns what it has, so a listing whose `count`
says more rows than the pages hold would silently lose targets; here every page is requested
explicitly and the rows must add up to the count the server gave.

Every answer is read within bounds (bounded.py): uncompressed, at most the policy's
limits.api_answer_mib, nested at most MAX_NESTING deep before json parses it; a listing's pages
together at most limits.api_listing_mib. A refused answer is an ApiError, like any answer the
client cannot use.
"""
from __future__ import annotations

import warnings
from contextlib import contextmanager

import requests
import urllib3
from cs import CloudStack, CloudStackApiException, CloudStackException

from stackaudit.collect.transports.bounded import AnswerCaps, AnswerRefused, one_line, read_capped, \
    refuse_compressed, refuse_deep_json
from stackaudit.collect.transports.http_failures import Failure, failure, shown_endpoint
from stackaudit.config.files import size_text
from stackaudit.config.policy import LimitsPolicy
from stackaudit.errors import ApiError, HostKeyRejected, LoginRefused, Unreachable

# The page size cs uses, and CloudStack's default `default.page.size` (its maximum page size):
# BaseListCmd refuses a larger pagesize with 431.
PAGE_SIZE = 500
MAX_PAGES = 10_000   # 5 million rows: past that a server that keeps answering full pages is broken


ANSWER_CAP = "policy limits.api_answer_mib"
LISTING_CAP = "policy limits.api_listing_mib"


def client(endpoint: str, key: str, secret: str, verify: bool | str, timeout: float, *,
           limits: LimitsPolicy = LimitsPolicy()) -> CloudStack:
    """`verify`: True, a CA bundle's path, or False (only with cloud.api.insecure: true, config/inventory.py)."""
    if verify is False:
        # The inventory's explicit opt-out: summary.json and every result judged on API facts say so
        # ("TLS not verified"), in place of urllib3's warning at every request.
        warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
        # cs reads verify=False as "not given" and verifies anyway: its own flag turns verification off
        return CloudStack(endpoint=endpoint, key=key, secret=secret, dangerous_no_tls_verify=True, timeout=timeout,
                          session=BoundedSession(limits))
    return CloudStack(endpoint=endpoint, key=key, secret=secret, verify=verify, timeout=timeout,
                      session=BoundedSession(limits))


class BoundedSession(requests.Session):
    """A requests session whose every answer is read whole here, within the limits, before `cs` sees
    it: no gzip asked for (none inflated), at most `api_answer_mib`, JSON nested at most MAX_NESTING.
    It counts what it read, for a listing's total (`bytes_read`)."""

    def __init__(self, limits: LimitsPolicy):
        super().__init__()
        self.limits = limits
        self.caps = AnswerCaps(limits.api_answer_mib << 20, ANSWER_CAP, limits.answer_seconds)
        self.headers["Accept-Encoding"] = "identity"
        self.bytes_read = 0

    def send(self, request, **kwargs):
        # stream: read here, bounded; no redirects: requests reads a redirect's body whole, and the API
        # never redirects (cs reports the 3xx as the error it is)
        kwargs |= {"stream": True, "allow_redirects": False}
        response = super().send(request, **kwargs)
        try:
            refuse_compressed(response.headers.get("Content-Encoding"))
            chunks = response.iter_content(64 * 1024)
            body = read_capped(lambda _size: next(chunks, b""), self.caps)
            self.bytes_read += len(body)
            if response.headers.get("Content-Type", "").startswith(("application/json", "text/javascript")):
                refuse_deep_json(body)
        finally:
            response.close()
        response._content, response._content_consumed = body, True
        return response


def list_all(api: CloudStack, command: str, **params) -> list[dict]:
    """Every row of a list command, page by page until `count` rows came; ApiError if they do not add up."""
    rows: list[dict] = []
    count = None
    listing_start = getattr(api.session, "bytes_read", 0)
    for page in range(1, MAX_PAGES + 1):
        data = call(api, command, page=page, pagesize=PAGE_SIZE, **params)
        refuse_long_listing(api, command, listing_start)
        if not isinstance(data, dict):
            raise ApiError(f"CloudStack API: {command}: page {page} is not a listing: {str(data)[:80]!r}")
        keys = [k for k in data if k != "count"]
        page_count = data.get("count", 0)
        if not isinstance(page_count, int) or len(keys) > 1 or (keys and not isinstance(data[keys[0]], list)):
            raise ApiError(f"CloudStack API: {command}: page {page} is not a listing (keys {sorted(data)})")
        if count is not None and page_count != count:
            raise ApiError(f"CloudStack API: {command}: count changed from {count} to {page_count} while paging; "
                           "run again")
        count = page_count
        page_rows = data[keys[0]] if keys else []
        if len(page_rows) > PAGE_SIZE:
            raise ApiError(f"CloudStack API: {command}: page {page} holds {len(page_rows):,} rows, more than the "
                           f"{PAGE_SIZE} asked for")
        if not all(isinstance(row, dict) for row in page_rows):
            raise ApiError(f"CloudStack API: {command}: page {page} holds a row that is not an object")
        rows += page_rows
        if not page_rows or len(rows) >= count:
            break
    if len(rows) != count:
        raise ApiError(f"CloudStack API: {command}: count says {count} rows but the pages held {len(rows)}; "
                       "the listing is incomplete, so its targets cannot be trusted")
    return rows


@contextmanager
def rows_of_unexpected_shape(what: str):
    """Rows read by key (row["id"]) that lack the key or are not what a row is: an ApiError naming
    what was being read, never a traceback."""
    try:
        yield
    except (KeyError, TypeError, AttributeError, ValueError, IndexError) as err:
        raise ApiError(one_line(f"CloudStack API: {what}: a row of unexpected shape ({type(err).__name__}: "
                                f"{err})")) from None


def refuse_long_listing(api: CloudStack, command: str, listing_start: int) -> None:
    session = api.session
    if not isinstance(session, BoundedSession):
        return
    if session.bytes_read - listing_start > session.limits.api_listing_mib << 20:
        raise ApiError(f"CloudStack API: {command}: the listing's pages are over "
                       f"{size_text(session.limits.api_listing_mib << 20)} together ({LISTING_CAP}); not read further")


def connection_error(command: str, endpoint: str, found: Failure) -> Exception:
    """The error of a request that got no answer, naming the endpoint and the kind of failure."""
    if found.kind == "certificate":     # the endpoint's identity, as a changed host key is a host's
        return HostKeyRejected(one_line(f"CloudStack API: {command}: {endpoint}: {found.text}"))
    if found.text.startswith("no answer"):
        return Unreachable(one_line(f"CloudStack API: {command}: {found.text} from {endpoint}"))
    return Unreachable(one_line(f"CloudStack API: {command}: cannot connect to {endpoint}: {found.text}"))


def call(api: CloudStack, command: str, **params):
    try:
        return getattr(api, command)(**params)
    except AnswerRefused as err:
        raise ApiError(f"CloudStack API: {command}: {err}") from None
    except CloudStackApiException as err:
        error = err.error if isinstance(err.error, dict) else {}
        code, text = error.get("errorcode"), error.get("errortext", str(err))
        status = err.response.status_code if getattr(err, "response", None) is not None else None
        if code == 401 or status == 401:
            raise LoginRefused(one_line(f"CloudStack API: {command}: {text}")) from None
        raise ApiError(one_line(f"CloudStack API: {command}: error {code or status}: {text}")) from None
    except CloudStackException as err:
        raise ApiError(one_line(f"CloudStack API: {command}: {err.args[0] if err.args else type(err).__name__}")) \
            from None
    except requests.RequestException as err:
        raise connection_error(command, shown_endpoint(str(api.endpoint)), failure(err, api.timeout)) from None
    except Exception as err:  # noqa: BLE001 - whatever the answer was, it is an error, never a traceback
        raise ApiError(one_line(f"CloudStack API: {command}: an answer of unexpected shape "
                                f"({type(err).__name__}: {err})")) from None
