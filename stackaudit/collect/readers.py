"""How each channel reads one reading and makes its collected.Collected: an SQL statement, an XAPI
class's records, a CloudStack list command (the SSH commands run as one batch: collectors.run_batch)."""
from __future__ import annotations

from stackaudit.collect.collected import Collected, utc_now
from stackaudit.collect.transports import cloudstack, mysql, xapi
from stackaudit.errors import TargetError, error_record
from stackaudit.parsers.traffic_labels import PHYSICAL_NETWORKS, TRAFFIC_TYPES

SCOPES = {"zone": "zoneid", "cluster": "clusterid", "account": "accountid", "domain": "domainid"}


def api_call(command: str, **params: str) -> str:
    return " ".join([command, *(f"{key}={value}" for key, value in params.items())])


SCOPED_COMMANDS = ("listDomains", "listAccounts", "listConfigurations")    # read_scoped_settings sends these
SCOPED_CALLS = (api_call("listDomains", listall="true") + "; " + api_call("listAccounts", listall="true") + "; "
                + "; ".join(api_call("listConfigurations", **{scoped_id: "<id>"}) for scoped_id in SCOPES.values()))
TRAFFIC_LABEL_COMMANDS = (PHYSICAL_NETWORKS, TRAFFIC_TYPES)
TRAFFIC_LABEL_CALLS = f"{PHYSICAL_NETWORKS}; {api_call(TRAFFIC_TYPES, physicalnetworkid='<id>')} per physical network"


def read_api_call(api, call, snapshot) -> Collected:
    """An ApiCall's answer: its own reader's, or every row of its one list command."""
    if call.reader is not None:
        return call.reader(api, snapshot)
    read_at = utc_now()
    return Collected("api", call.name, cloudstack.list_all(api, call.command, **dict(call.params)), call.calls, read_at)


def read_scoped_settings(api, snapshot) -> Collected:
    """Each zone's, cluster's, account's and domain's own settings (listConfigurations with its id),
    the domains and accounts listed first, the zones and clusters as discovery listed them; each
    object with its name (a domain also with its path)."""
    read_at = utc_now()
    scope_objects = {"zone": snapshot.api.get("listZones", []), "cluster": snapshot.api.get("listClusters", []),
                     "account": cloudstack.list_all(api, "listAccounts", listall="true"),
                     "domain": cloudstack.list_all(api, "listDomains", listall="true")}
    scoped = {scope: {obj["id"]: {**_named(obj), "settings": cloudstack.list_all(
        api, "listConfigurations", **{SCOPES[scope]: obj["id"]})} for obj in objects}
        for scope, objects in scope_objects.items()}
    return Collected("api", "scoped", scoped, SCOPED_CALLS, read_at)


def _named(obj: dict) -> dict:
    """What the scoped answer keeps of a listed object: its name, and a domain's path, so that the
    fact `domains` reads this answer instead of asking listDomains again."""
    return {"name": obj.get("name"), **({"path": obj["path"]} if "path" in obj else {})}


def read_traffic_labels(api, snapshot) -> Collected:
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


def ask_query(conn, label: str, query, answers: dict[str, Collected], policy) -> Collected:
    """A declared query's answer; a statement chosen from the policy or from earlier answers
    (Query.statement_of) is chosen here, once, and kept as the answer's `used`."""
    statement = query.statement(policy) if callable(query.statement) else query.statement
    if statement is None:
        try:
            statement = query.statement_of({name: answers[name] for name in query.after})
        except TargetError as err:
            return Collected("sql", query.name, read_at=utc_now(), **error_record(type(err)(f"{label}: {err}")))
    return ask(conn, label, query.name, statement)
