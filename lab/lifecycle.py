"""`up`, `down` and `status` of a lab, driven by a scenario and recorded in a state directory."""
from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lab import build, credentials, inventory
from lab.parts.db import setup_lab_databases
from lab.parts.db_sessions import open_sessions
from lab.machine import is_listening, start_machine, write_machine_files
from lab.network import (MAX_BRIDGE_PORTS, bridge_exists, create_network, delete_network, interfaces_holding_lab_range,
                         make_room_for_floods, restore_backlog)
from lab.records_cloudstack import cloudstack_model
from lab.records_xapi import xapi_pool_of, xapi_pools
from lab.scenario import load_scenario
from lab.sim.process import start_simulator, wait_ready
from lab.state import LabState, end_processes, is_alive, record_process
from lab.topology import BRIDGE, BRIDGE_V4, Topology, build_topology

READY_TIMEOUT = 90.0
API_PORT, XAPI_PORT = 8080, 443


class LabError(Exception):
    """A lab that could not be brought up or down; the message is one line."""


def up(scenario_path: Path, state_dir: Path, out=print) -> Topology:
    started = time.monotonic()
    scenario = load_scenario(scenario_path)
    topo = build_topology(scenario)
    state_dir.mkdir(parents=True, exist_ok=True)
    if any(is_alive(p) for p in LabState.load(state_dir).processes):
        raise LabError(f"a lab is already up in {state_dir}; run `python -m lab down --state-dir {state_dir}` first")
    if bridge_exists():
        raise LabError(f"another lab is up (bridge {BRIDGE} exists); bring it down with "
                       "`python -m lab down --state-dir DIR` for its state dir")
    holders = interfaces_holding_lab_range()
    if holders:
        raise LabError(f"{', '.join(holders)} already holds an address in the lab range {BRIDGE_V4.network}; "
                       "bring that network down first")
    state = LabState(bridge=BRIDGE)
    state.save(state_dir)
    try:
        _bring_up(topo, state_dir, state, out)
    except BaseException as err:
        down(state_dir, out=lambda *_: None)
        if isinstance(err, (LabError, KeyboardInterrupt)):
            raise
        raise LabError(f"lab up failed: {type(err).__name__}: {err}") from err
    out(f"lab up: {len(topo.machines)} machines in {time.monotonic() - started:.1f}s; "
        f"inventory {state_dir / 'inventory.yml'}")
    return topo


def _bring_up(topo: Topology, state_dir: Path, state: LabState, out) -> None:
    secrets = credentials.make(state_dir, topo)
    machines = [n for n in topo.machines if n.kind == "systemvm" or n.facts.get("ssh", True)]
    specs = {node.name: build.SPEC_BUILDERS[node.kind](topo, node, secrets.ssh) for node in machines}
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda s: write_machine_files(state_dir, s), specs.values()))
    state.namespaces = [n.netns for n in topo.machines]
    ports = sum(n.kind != "systemvm" for n in topo.machines)
    if ports > MAX_BRIDGE_PORTS:
        raise LabError(f"{ports} machines beside the system VMs: the lab's bridge holds at most {MAX_BRIDGE_PORTS} "
                       "(Linux's BR_MAX_PORTS); generate fewer hosts")
    state.backlog_before = make_room_for_floods(ports)
    state.save(state_dir)
    create_network(topo.machines)

    launched = {}
    for node in machines:
        proc = start_machine(state_dir, specs[node.name])
        launched[node.name] = (node, proc, time.monotonic())
        state.processes.append(record_process(f"machine/{node.name}", proc.pid))
    state.save(state_dir)
    _wait_ready(launched, specs, state_dir, state, out)

    if topo.databases:
        t = time.monotonic()
        pids = {name: m["pid"] for name, m in state.machines.items()}
        setup_lab_databases(topo, pids, secrets)
        open_sessions(topo, pids, state_dir, state)
        out(f"  databases    replication   {', '.join(d.name for d in topo.databases)}  "
            f"ready {time.monotonic() - t:.2f}s")
    _start_simulators(topo, state_dir, state, secrets, out)
    inventory.write(topo, state_dir, secrets)


def _wait_ready(launched: dict, specs: dict, state_dir: Path, state: LabState, out) -> None:
    pending = dict(launched)
    deadline = time.monotonic() + READY_TIMEOUT
    while pending:
        for name, (node, proc, t0) in list(pending.items()):
            if proc.poll() is not None:
                log = (state_dir / "machines" / name / "console.log").read_text(errors="replace").strip()
                raise LabError(f"machine {name} stopped while booting: {(log.splitlines() or ['no output'])[-1]}")
            if is_listening(proc.pid, specs[name].ssh_port):
                state.machines[name] = {"kind": node.kind, "address": node.address, "netns": node.netns,
                                        "pid": proc.pid, "ssh_port": specs[name].ssh_port}
                out(f"  {node.kind:<15}{name:<16}{node.address:<16}ssh ready {time.monotonic() - t0:.2f}s")
                del pending[name]
        if pending and time.monotonic() > deadline:
            raise LabError(f"{len(pending)} machines not ready after {READY_TIMEOUT:.0f}s: "
                           f"{', '.join(sorted(pending)[:5])}")
        time.sleep(0.05)
    state.save(state_dir)


def _start_simulators(topo: Topology, state_dir: Path, state: LabState, secrets, out) -> None:
    sim_dir = state_dir / "sim"
    sim_dir.mkdir(exist_ok=True)
    models = {
        "cloudstack_api": cloudstack_model(
            topo, [{"apikey": secrets.api_key, "secretkey": secrets.api_secret, "state": "enabled"}],
            [{"netns": f"/run/netns/{m.netns}", "address": m.address, "port": API_PORT}
             for m in topo.management if m.facts["state"] == "Up"],
            str(sim_dir / "cloudstack_api.ready")) | {
                "faults_file": str(sim_dir / "cloudstack_api.faults.json"),
                "tls": {"cert": str(secrets.api_tls_cert), "key": str(secrets.api_tls_key)}},
    }
    pools = xapi_pools(topo)
    if pools:
        models["xapi"] = {
            "credentials": {"username": "root", "password": secrets.xapi_password},
            "tls": {"cert": str(secrets.xapi_cert), "key": str(secrets.xapi_key)},
            "ready_file": str(sim_dir / "xapi.ready"),
            "faults_file": str(sim_dir / "xapi.faults.json"),
            "hosts": [{"netns": f"/run/netns/{h.netns}", "address": h.address, "port": XAPI_PORT,
                       "pool": xapi_pool_of(h)} for h in topo.hosts
                      if h.kind == "xs-host" and h.facts["ssh"]],
            "pools": pools,
        }
    procs = {}
    for name, model in models.items():
        model["call_log"] = str(sim_dir / f"{name}.calls.jsonl")    # every call received (tests/checks/test_read_only.py)
        path = sim_dir / f"{name}.json"
        path.write_text(json.dumps(model))
        path.chmod(0o600)
        Path(model["ready_file"]).unlink(missing_ok=True)
        proc = start_simulator(name, path, state_dir / "sim" / f"{name}.log")
        state.processes.append(record_process(f"sim/{name}", proc.pid))
        procs[name] = (proc, Path(model["ready_file"]), time.monotonic())
    state.save(state_dir)
    deadline = time.monotonic() + READY_TIMEOUT
    for name, (proc, ready, t0) in procs.items():
        if not wait_ready(proc, ready, deadline):
            log = (state_dir / "sim" / f"{name}.log").read_text(errors="replace").strip().splitlines()
            raise LabError(f"simulator {name} did not start: {(log or ['no output'])[-1]}")
        listening = json.loads(ready.read_text())
        out(f"  {'simulator':<15}{name:<16}{len(listening)} endpoints ready {time.monotonic() - t0:.2f}s")


def down(state_dir: Path, out=print) -> None:
    state = LabState.load(state_dir)
    end_processes(state.processes)
    delete_network(state.namespaces, state.bridge)
    restore_backlog(state.backlog_before)
    leftover = [p.name for p in state.processes if is_alive(p)]
    if leftover:
        raise LabError(f"processes still alive after down: {', '.join(leftover[:5])}")
    LabState().save(state_dir) if state_dir.exists() else None
    out(f"lab down: ended {len(state.processes)} processes, removed {len(state.namespaces)} namespaces")


def status(state_dir: Path, out=print) -> bool:
    state = LabState.load(state_dir)
    if not state.processes:
        out(f"no lab is up in {state_dir}")
        return False
    healthy = True
    by_name = {p.name: p for p in state.processes}
    for name, machine in sorted(state.machines.items()):
        record = by_name.get(f"machine/{name}")
        alive = bool(record and is_alive(record) and is_listening(record.pid, machine["ssh_port"]))
        healthy &= alive
        out(f"  {machine['kind']:<15}{name:<16}{machine['address']:<16}{'alive' if alive else 'DEAD'}")
    for record in state.processes:
        if record.name.startswith("sim/"):
            alive = is_alive(record)
            healthy &= alive
            out(f"  {'simulator':<15}{record.name[4:]:<16}{'':<16}{'alive' if alive else 'DEAD'}")
    return healthy
