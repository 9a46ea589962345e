"""How each channel reads one reading and makes its collected.Collected: an SQL statement, an XAPI
class's records, a CloudStack list command (the SSH commands run as one batch: collectors.run_batch)."""
from __future__ import annotations

from stackaudit.collect.collected import Collected, utc_now
from stackaudit.collect.transports import cloudstack, mysql, xapi
from stackaudit.errors import TargetError, error_record
from stackaudit.parsers.traffic_labels import PHYSICAL_NETWORKS, TRAFFIC_TYPES

# The system offerings a secondary storage VM may run on (ListServiceOfferingsCmd's issystem and systemvmtype).
SSVM_OFFERINGS = {"issystem": "true", "systemvmtype": "secondarystoragevm"}
SCOPES = {"zone": "zoneid", "cluster": "clusterid", "account": "accountid", "domain": "domainid"}


def api_call(command: str, **params: str) -> str:
    return " ".join([command, *(f"{key}={value}" for key, value in params.items())])


SCOPED_CALLS = (api_call("listDomains", listall="true") + "; " + api_call("listAccounts", listall="true") + "; "
                + "; ".join(api_call("listConfigurations", **{scoped_id: "<id>"}) for scoped_id in SCOPES.values()))


TRAFFIC_LABEL_CALLS = f"{PHYSICAL_NETWORKS}; {api_call(TRAFFIC_TYPES, physicalnetworkid='<id>')} per physical network"


def read_api_list(api, name: str, command: str, **params: str) -> Collected:
    """Every row of one CloudStack list command, as reading `name`."""
    read_at = utc_now()
    return Collected("api", name, cloudstack.list_all(api, command, **params), api_call(command, **params), read_at)


def read_traffic_labels(api) -> Collected:
    """Every physical network, then each one's traffic types (listTrafficTypes requires the network's
    id): {"listPhysicalNetworks": rows, "listTrafficTypes": {network id: rows}}."""
    read_at = utc_now()
    networks = cloudstack.list_all(api, PHYSICAL_NETWORKS)
    traffic = {}
    for network in networks:
        if not isinstance(network, dict) or not isinstance(network.get("id"), str):
            break       # an answer of unexpected shape: parse_traffic_labels names it
        traffic[network["id"]] = cloudstack.list_all(api, TRAFFIC_TYPES, physicalnetworkid=network["id"])
    return Collected("api", "traffic_labels", {PHYSICAL_NETWORKS: networks, TRAFFIC_TYPES: traffic},
                     TRAFFIC_LABEL_CALLS, read_at)


def ask(conn, label: str, name: str, statement: str) -> Collected:
    """One SQL statement's answer, as reading `name`: its rows, or the error it was refused with."""
    read_at = utc_now()
    answer = mysql.query_or_error(conn, label, statement)
    return Collected("sql", name, answer.get("rows"), statement, read_at, error=answer.get("error"))


def read_xapi_class(session, address: str, xapi_class: str) -> Collected:
    call = f"{xapi_class}.get_all_records"
    read_at = utc_now()
    return Collected("xapi", xapi_class, xapi.call(session, address, call), call, read_at)


def ask_query(conn, label: str, query, answers: dict[str, Collected]) -> Collected:
    """A declared query's answer; a statement chosen from earlier answers (Query.statement_of) is
    chosen here, once, and kept as the answer's `used`."""
    statement = query.statement
    if statement is None:
        try:
            statement = query.statement_of({name: answers[name] for name in query.after})
        except TargetError as err:
            return Collected("sql", query.name, read_at=utc_now(), **error_record(type(err)(f"{label}: {err}")))
    return ask(conn, label, query.name, statement)
