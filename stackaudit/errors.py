"""The suite's exception types, and what each means for a result.

Only a violated rule raises AssertionError (Allure: failed). Everything that prevents checking a
target raises a TargetError (Allure: broken), with a one-line reason. A bad inventory or policy is
a ConfigError: the run stops before anything connects.
"""
from __future__ import annotations



class SchemaError(Exception):
    """Data that cannot be used; the message is one line naming the file and key path."""


class ConfigError(SchemaError):
    """The inventory, policy or command line cannot be used (exit code 4); one line naming file and key."""


class TargetError(Exception):
    """A target could not be checked: the result is broken, never passed or failed."""


class Unreachable(TargetError):
    """No connection: refused, timed out, no route."""


class AuthenticationFailed(TargetError):
    """The target refused the credentials, or its identity could not be verified (the two below)."""


class LoginRefused(AuthenticationFailed):
    """The target refused the credentials: SSH login, API key, XAPI or database login."""


class HostKeyRejected(AuthenticationFailed):
    """The target is not provably the host on record: its SSH host key is unknown or changed, or its
    TLS certificate is not trusted."""


class CollectionFailed(TargetError):
    """A command or API call ran but did not give what a check needs (error status, missing tool)."""


class ApiError(CollectionFailed):
    """A CloudStack API or XAPI call was answered with an error."""


class UnparsableOutput(TargetError):
    """Output that a parser does not understand; the message names the parser and the line."""


class NotCheckable(TargetError):
    """The policy gives no expected value for this target (e.g. no libssl floor for its release)."""


class MembersNotRead(NotCheckable):
    """A group's result (the cloud, a pool, a cluster) that could not be judged because members could
    not be read; `members_error` is their common error when they all failed alike, else None."""

    def __init__(self, message: str, members_error: TargetError | None = None):
        super().__init__(message)
        self.members_error = members_error


def error_record(error: TargetError) -> dict:
    """How a collection error is stored with the facts (JSON), to be raised again where it is read."""
    return {"error": {"type": type(error).__name__, "message": str(error)}}


def raise_if_error(data: dict) -> None:
    """Raise the error a stored record holds, as its own TargetError type (CollectionFailed if unknown)."""
    if "error" in data:
        error_class = globals().get(data["error"]["type"], CollectionFailed)
        if not (isinstance(error_class, type) and issubclass(error_class, TargetError)):
            error_class = CollectionFailed
        raise error_class(data["error"]["message"])
