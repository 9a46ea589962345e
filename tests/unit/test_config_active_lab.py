"""MS-CONFIG-ACTIVE's matrix scenarios as the lab lays them out (lab/records_events.py, the simulator's
listConfigurations, lab/parts/mgmt.py), read back with the suite's own parsers and judged by the rule
with a start just before the lab builds its answers, as on a lab: no lab, no root."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from lab.parts.common import Keys
from lab.parts.mgmt import mgmt_spec
from lab.records_cloudstack import cloudstack_model
from lab.records_events import event_rows
from lab.scenario import load_scenario
from lab.topology import build_topology
from stackaudit.parsers.api_rows import parse_configurations
from stackaudit.parsers.setting_edits import START_ONLY_FILES, ServerStart, parse_setting_edits
from stackaudit.rules.config_active import config_active_findings

MATRIX = Path(__file__).resolve().parents[2] / "lab" / "scenarios" / "matrix"
KEYS = Keys("ssh-ed25519 AAAA suite", "PRIVATE", "ssh-rsa AAAA cloud",
            {f"ms{n}": ("PRIVATE", "ssh-ed25519 AAAA host") for n in range(1, 4)})


def file_mtime(spec, path: str, started: int) -> int | None:
    """The file's mtime on the lab machine: the one the lab sets, else written before the start; the
    configuration directory may be a symlink into a war drop."""
    directory = "/etc/cloudstack/management"
    written = path.replace(directory, spec.symlinks.get(directory, directory))
    return int(spec.mtimes.get(written, started - 5)) if written in spec.files else None


def judged(name: str) -> dict[str, list[str]]:
    """Each server's findings, its process started a minute before the lab builds the API's answers."""
    started = int(time.time()) - 60
    topo = build_topology(load_scenario(MATRIX / name))
    model = cloudstack_model(topo, [], [], "ready")
    edits = parse_setting_edits(model["lists"]["listEvents"]["rows"])
    dynamic = {c.name: c.isdynamic for c in parse_configurations(model["configurations"])}
    results = {}
    for node in topo.management:
        spec = mgmt_spec(topo, node, KEYS)
        mtimes = tuple((path, file_mtime(spec, path, started)) for path in START_ONLY_FILES)
        results[node.name] = config_active_findings(ServerStart(4242, started, mtimes), edits, dynamic)
    return results


def test_the_failing_scenario_fails_exactly_its_seeded_servers_for_their_reasons():
    scenario = load_scenario(MATRIX / "config_active.yml")
    servers = {s["name"]: s for s in scenario["management_servers"]}
    results = judged("config_active.yml")
    assert [f.split(" was ")[0] for f in results["ms1"]] == ["expunge.interval"]
    assert [f.split(" was ")[0] for f in results["ms2"]] == ["expunge.interval", "/etc/cloudstack/management/db.properties"]
    assert not servers["ms3"]["main_pid_recorded"]     # broken on the lab: its unit has no main process
    assert not any("max.account.cpus" in f or "allow.user.view" in f or "New Value" in f
                   for found in results.values() for f in found)


def test_the_unusual_scenario_passes_on_every_server():
    assert judged("config_active_unusual.yml") == {"ms1": [], "ms2": []}


def test_an_event_of_another_type_needs_its_description():
    with pytest.raises(ValueError, match=r"events\[0\]: a USER.LOGIN event needs a description"):
        event_rows({"events": [{"type": "USER.LOGIN", "minutes": 0, "setting": None, "value": "1",
                                "description": None, "by": "admin"}]})


def test_the_simulators_list_events_filters_on_type_and_pages_newest_first():
    """The reading as declared (listall, type) against the simulator's answer: other types are left
    out, pages follow the simulator's paging, and the count is the whole list's."""
    from lab.sim.cloudstack_api import Api
    model = cloudstack_model(build_topology(load_scenario(MATRIX / "config_active.yml")), [], [], "ready")
    api = Api(model)
    answer = api.execute("listEvents", {"listall": "true", "type": "CONFIGURATION.VALUE.EDIT",
                                        "page": "1", "pagesize": "2"})
    assert answer["count"] == 3 and len(answer["event"]) == 2
    rest = api.execute("listEvents", {"listall": "true", "type": "CONFIGURATION.VALUE.EDIT",
                                      "page": "2", "pagesize": "2"})["event"]
    edits = parse_setting_edits(answer["event"] + rest)
    assert [e.name for e in edits] == ["expunge.interval", "allow.user.view.destroyed.vm", "max.account.cpus"]


def test_a_war_drops_moved_configuration_is_dated_where_it_lives():
    topo = build_topology(load_scenario(MATRIX / "war_layout.yml"))
    linked = next(n for n in topo.management if n.facts["war"]["config_link"])
    linked.facts["modified_after_start"] = ["db.properties"]
    spec = mgmt_spec(topo, linked, KEYS)
    moved = spec.symlinks["/etc/cloudstack/management"] + "/db.properties"
    assert spec.mtimes[moved] > time.time() + 500 and "/etc/cloudstack/management/db.properties" not in spec.mtimes
