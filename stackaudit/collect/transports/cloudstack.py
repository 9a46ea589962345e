"""The CloudStack API through the `cs` client, listing every page and checking the listing's count.

cs's own `fetch_list` stops at an empty page and returns what it has, so a listing whose `count`
says more rows than the pages hold would silently lose targets; here every page is requested
explicitly and the rows must add up to the count the server gave.
"""
from __future__ import annotations

import warnings

import requests
import urllib3
from cs import CloudStack, CloudStackApiException, CloudStackException

from stackaudit.errors import ApiError, LoginRefused, Unreachable

# The page size cs uses, and CloudStack's default `default.page.size` (its maximum page size):
# BaseListCmd refuses a larger pagesize with 431.
PAGE_SIZE = 500
MAX_PAGES = 10_000   # 5 million rows: past that a server that keeps answering full pages is broken


def client(endpoint: str, key: str, secret: str, verify: bool | str, timeout: float) -> CloudStack:
    """`verify`: True, a CA bundle's path, or False (only with cloud.api.insecure: true, config/inventory.py)."""
    if verify is False:
        # The inventory's explicit opt-out: summary.json and every result judged on API facts say so
        # ("TLS not verified"), in place of urllib3's warning at every request.
        warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
        # cs reads verify=False as "not given" and verifies anyway: its own flag turns verification off
        return CloudStack(endpoint=endpoint, key=key, secret=secret, dangerous_no_tls_verify=True, timeout=timeout)
    return CloudStack(endpoint=endpoint, key=key, secret=secret, verify=verify, timeout=timeout)


def list_all(api: CloudStack, command: str, **params) -> list[dict]:
    """Every row of a list command, page by page until `count` rows came; ApiError if they do not add up."""
    rows: list[dict] = []
    count = None
    for page in range(1, MAX_PAGES + 1):
        data = call(api, command, page=page, pagesize=PAGE_SIZE, **params)
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
        rows += page_rows
        if not page_rows or len(rows) >= count:
            break
    if len(rows) != count:
        raise ApiError(f"CloudStack API: {command}: count says {count} rows but the pages held {len(rows)}; "
                       "the listing is incomplete, so its targets cannot be trusted")
    return rows


def call(api: CloudStack, command: str, **params):
    try:
        return getattr(api, command)(**params)
    except CloudStackApiException as err:
        error = err.error if isinstance(err.error, dict) else {}
        code, text = error.get("errorcode"), error.get("errortext", str(err))
        status = err.response.status_code if getattr(err, "response", None) is not None else None
        if code == 401 or status == 401:
            raise LoginRefused(f"CloudStack API: {command}: {text}") from None
        raise ApiError(f"CloudStack API: {command}: error {code or status}: {text}") from None
    except CloudStackException as err:
        raise ApiError(f"CloudStack API: {command}: {err.args[0] if err.args else type(err).__name__}") from None
    except requests.Timeout:
        raise Unreachable(f"CloudStack API: {command}: no answer within {api.timeout:.0f}s (timed out)") from None
    except requests.RequestException as err:
        raise Unreachable(f"CloudStack API: {command}: cannot connect: {type(err).__name__}") from None
