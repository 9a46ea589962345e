"""XAPI call dispatch for the lab's simulated XenServer pools: method name + params -> result.

Behaviour follows xapi-project/xen-api (e2ee48d):
- results are {"Status": "Success", "Value": v} or {"Status": "Failure", "ErrorDescription": [...]}
  (ocaml/xapi/api_server.ml); void is the empty string (doc/content/xen-api/wire-protocol.md);
- the generated dispatcher (ocaml/idl/ocaml_backend/gen_server.ml) first matches the parameter
  count, failing with MESSAGE_PARAMETER_COUNT_MISMATCH [method, expected, received], both counts
  excluding the session; then unmarshals each argument (a non-string where a string or ref is
  expected is an INTERNAL_ERROR: ocaml-rpc's string_of_rpc failure via ocaml/xapi/exnHelper.ml);
  then checks the session (ocaml/xapi/session_check.ml): unknown -> SESSION_INVALID [ref], known
  but on a supporter -> HOST_IS_SLAVE [master address];
- an unknown method with a session argument is session-checked like any call, then fails with
  MESSAGE_METHOD_UNKNOWN [method] (Host.call_extension path, ocaml/xapi/xapi_extensions.ml);
- session.login_with_password (uname, pwd, then optional version and originator) fails on a
  supporter with HOST_IS_SLAVE [master address] before credentials are looked at, and on bad
  credentials with SESSION_AUTHENTICATION_FAILED [uname, PAM message] (ocaml/xapi/xapi_session.ml);
- a missing ref is HANDLE_INVALID [class, ref], a missing uuid UUID_INVALID [class, uuid].
"""
from __future__ import annotations

import threading
import uuid

CLASSES = ("pool", "host", "host_metrics", "VM", "SR", "PBD", "VDI")
NAMED_CLASSES = {"pool", "host", "VM", "SR", "VDI"}   # classes whose datamodel has name_label
PAM_AUTH_ERR = "Authentication failure"               # pam_strerror(PAM_AUTH_ERR)


class XapiError(Exception):
    """An XAPI Server_error; args are the ErrorDescription."""


def success(value) -> dict:
    return {"Status": "Success", "Value": value}


def failure(code: str, *params: str) -> dict:
    return {"Status": "Failure", "ErrorDescription": [code, *params]}


def _rpc_repr(value) -> str:
    """ocaml-rpc's Rpc.to_string of a decoded XML-RPC value, as quoted in unmarshal errors."""
    if value is None:
        return "N"
    if isinstance(value, bool):
        return f"B({str(value).lower()})"
    if isinstance(value, int):
        return f"I({value})"
    if isinstance(value, float):
        return f"F({value:g})"
    if isinstance(value, str):
        return f"S({value})"
    if isinstance(value, (list, tuple)):
        return "[" + ";".join(_rpc_repr(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ";".join(f"{k}:{_rpc_repr(v)}" for k, v in value.items()) + "}"
    return str(value)


def _strings(params: tuple) -> tuple[str, ...]:
    for value in params:
        if not isinstance(value, str):
            raise XapiError("INTERNAL_ERROR", f"Failure(\"Expected string, got '{_rpc_repr(value)}'\")")
    return params


class Pool:
    """One pool's database and sessions; every host of the pool serves it."""

    def __init__(self, spec: dict, credentials: dict):
        self.master_address = spec["master_address"]
        self._credentials = (credentials["username"], credentials["password"])
        objects = spec["objects"]
        self._methods: dict[str, tuple] = {}   # wire name -> (argument count after the session, handler)
        for cls in dict.fromkeys((*CLASSES, *objects)):
            self._add_class_methods(cls, objects.get(cls, {}))
        self._sessions: set[str] = set()
        self._lock = threading.Lock()

    def _add_class_methods(self, cls: str, table: dict) -> None:
        by_uuid = {record["uuid"]: ref for ref, record in table.items() if "uuid" in record}

        def record(ref):
            if ref not in table:
                raise XapiError("HANDLE_INVALID", cls, ref)
            return table[ref]

        def get_by_uuid(value):
            if value not in by_uuid:
                raise XapiError("UUID_INVALID", cls, value)
            return by_uuid[value]

        methods = {
            "get_all": (0, lambda: list(table)),
            "get_all_records": (0, lambda: table),
            "get_record": (1, record),
            "get_by_uuid": (1, get_by_uuid),
        }
        fields = {name for rec in table.values() for name in rec}
        if cls in NAMED_CLASSES or "name_label" in fields:
            methods["get_by_name_label"] = (
                1, lambda label: [ref for ref, rec in table.items() if rec.get("name_label") == label])
        for name in fields:
            methods[f"get_{name}"] = (1, lambda ref, name=name: record(ref)[name])
        self._methods.update({f"{cls}.{method}": entry for method, entry in methods.items()})

    def call(self, on_master: bool, method: str, params: tuple) -> dict:
        """Run one XML-RPC call received by a host of this pool."""
        try:
            if method == "session.login_with_password":
                return success(self._login(on_master, params))
            if method == "session.logout":
                session, = self._session_args(on_master, method, params, 0)
                with self._lock:
                    self._sessions.discard(session)
                return success("")
            if method in self._methods:
                expected, handler = self._methods[method]
                _, *args = self._session_args(on_master, method, params, expected)
                return success(handler(*args))
            if params:
                self._check_session(on_master, _strings(params[:1])[0])
            raise XapiError("MESSAGE_METHOD_UNKNOWN", method)
        except XapiError as err:
            return failure(*err.args)

    def _session_args(self, on_master: bool, method: str, params: tuple, expected: int) -> tuple[str, ...]:
        """The checked (session, *args) of a call taking a session and `expected` more strings."""
        if len(params) != expected + 1:
            raise XapiError("MESSAGE_PARAMETER_COUNT_MISMATCH", method, str(expected), str(len(params) - 1))
        _strings(params)
        self._check_session(on_master, params[0])
        return params

    def _login(self, on_master: bool, params: tuple) -> str:
        if len(params) < 2:
            raise XapiError("MESSAGE_PARAMETER_COUNT_MISMATCH", "session.login_with_password", "2",
                            str(len(params)))
        uname, pwd, *_ = _strings(params)
        if not on_master:
            raise XapiError("HOST_IS_SLAVE", self.master_address)
        if (uname, pwd) != self._credentials:
            raise XapiError("SESSION_AUTHENTICATION_FAILED", uname, PAM_AUTH_ERR)
        session = f"OpaqueRef:{uuid.uuid4()}"
        with self._lock:
            self._sessions.add(session)
        return session

    def _check_session(self, on_master: bool, session: str) -> None:
        with self._lock:
            known = session in self._sessions
        if not known:
            raise XapiError("SESSION_INVALID", session)
        if not on_master:
            raise XapiError("HOST_IS_SLAVE", self.master_address)
