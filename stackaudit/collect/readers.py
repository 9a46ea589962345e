"""How each channel reads one reading and makes its collected.Collected: an SQL statement, an XAPI
class's records, a CloudStack list command (the SSH commands run as one batch: collectors.run_batch)."""
from __future__ import annotations

from stackaudit.collect.collected import Collected, utc_now
from stackaudit.collect.transports import cloudstack, mysql, xapi
from stackaudit.errors import CollectionFailed, TargetError, error_record, raise_if_error
from stackaudit.parsers.mysql import parse_server_version

SCOPES = {"zone": "zoneid", "cluster": "clusterid", "account": "accountid", "domain": "domainid"}


def api_call(command: str, **params: str) -> str:
    return " ".join([command, *(f"{key}={value}" for key, value in params.items())])


SCOPED_CALLS = (api_call("listDomains", listall="true") + "; " + api_call("listAccounts", listall="true") + "; "
                + "; ".join(api_call("listConfigurations", **{scoped_id: "<id>"}) for scoped_id in SCOPES.values()))


def read_api_list(api, name: str, command: str, **params: str) -> Collected:
    """Every row of one CloudStack list command, as reading `name`."""
    read_at = utc_now()
    return Collected("api", name, cloudstack.list_all(api, command, **params), api_call(command, **params), read_at)


def ask(conn, label: str, name: str, statement: str) -> Collected:
    """One SQL statement's answer, as reading `name`: its rows, or the error it was refused with."""
    read_at = utc_now()
    answer = mysql.query_or_error(conn, label, statement)
    return Collected("sql", name, answer.get("rows"), statement, read_at, error=answer.get("error"))


def read_xapi_class(session, address: str, xapi_class: str) -> Collected:
    call = f"{xapi_class}.get_all_records"
    read_at = utc_now()
    return Collected("xapi", xapi_class, xapi.call(session, address, call), call, read_at)


def ask_replication_status(conn, label: str, answers: list[Collected]) -> Collected:
    """The replication status, asked in the statement the server's version calls for; the
    statement is decided here, once, and recorded as the answer's `used`."""
    version = next(a for a in answers if a.name == "server_version")
    try:
        if version.error:
            raise_if_error({"error": version.error})
        statement = parse_server_version(version.output).replica_status_statement
    except TargetError as err:
        failed = CollectionFailed(f"{label}: replication status not read: the server's version is unknown "
                                  f"({err})")
        return Collected("sql", "replicas", read_at=utc_now(), **error_record(failed))
    return ask(conn, label, "replicas", statement)
