"""The CloudStack API through the `cs` client, listing every page."""
from __future__ import annotations

import requests
from cs import CloudStack, CloudStackApiException, CloudStackException

from stackaudit.errors import ApiError, LoginRefused, Unreachable


def client(endpoint: str, key: str, secret: str, verify: bool | str, timeout: float) -> CloudStack:
    return CloudStack(endpoint=endpoint, key=key, secret=secret, verify=verify, timeout=timeout)


def list_all(api: CloudStack, command: str, **params) -> list[dict]:
    """Every row of a list command (cs pages with pagesize 500 until count is reached)."""
    try:
        return getattr(api, command)(fetch_list=True, **params)
    except CloudStackApiException as err:
        error = err.error if isinstance(err.error, dict) else {}
        code, text = error.get("errorcode"), error.get("errortext", str(err))
        if code == 401:
            raise LoginRefused(f"CloudStack API: {command}: {text}") from None
        raise ApiError(f"CloudStack API: {command}: {code} {text}") from None
    except CloudStackException as err:
        raise ApiError(f"CloudStack API: {command}: {err}") from None
    except requests.RequestException as err:
        raise Unreachable(f"CloudStack API: {command}: cannot connect: {type(err).__name__}") from None
