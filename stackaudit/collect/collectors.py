"""Collectors: gather a target's raw facts in as few remote round trips as possible.

An SSH target's commands run as ONE batched exec (a connection costs 0.1-0.6 s and every further
exec 0.13-0.3 s, almost all of it on the remote side); a pool's records come from one XAPI session;
a database's from one connection; the cloud's settings from the API. Each part of a target's facts
is collected on its own: a database whose SSH is refused still has its SQL facts. Facts are kept
raw, as the target sent them: rules judge them so, and secrets are masked only where data leaves
the run (config/redact.py). SSH output is bounded (policy `limits`, ssh.command_timeout).

Each reading's answer is a collected.Collected (its output, the command, statement or call used,
when it was read), stored as JSON by collected.store; a part that could not be collected is
{"error": {type, message}}.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from stackaudit.errors import ApiError, CollectionFailed, TargetError, Unreachable, UnparsableOutput, error_record
from stackaudit.collect.hostkeys import PinningPolicy, system_vm_host_keys
from stackaudit.collect.batch import build_batch_script, decoded, split_sections
from stackaudit.collect import collected
from stackaudit.collect.collected import Collected, utc_now
from stackaudit.collect.readers import ask_query, read_api_call, read_xapi_class
from stackaudit.collect.declarations import ApiCall, Command, Query, Records, all_facts_of, readings_of
from stackaudit.config.files import shown
from stackaudit.config.inventory import unverified_tls_note
from stackaudit.config.policy import LimitsPolicy
from stackaudit.targets import SYSTEM_VM_KINDS, Target
from stackaudit.collect.transports import cloudstack, mysql, ssh, xapi

class Collector:
    def __init__(self, inventory, policy, snapshot, reports_dir: Path = Path("reports"), run: str | None = None):
        self.inventory = inventory
        self.policy = policy
        self.snapshot = snapshot
        self._ssh_key = None
        self._reports_dir = reports_dir
        self._run = run     # this run's mark on the keys it pins (summary.json's first_use_pins)
        # target id -> the facts the selected checks read on it; None: every fact of its kind
        self._needs: dict[str, set[str]] | None = None
        self._units: dict[str, Unit] | None = None     # target id -> its unit (`unit_of`)

    @functools.cached_property
    def host_key_pins(self):
        """How system VM host keys are checked: pinned on first use, or against the inventory's fingerprints."""
        vms = self.inventory.system_vms
        return system_vm_host_keys(vms.host_key_fingerprints, vms.fingerprints, self._reports_dir, self._run)

    @property
    def needs(self) -> dict[str, set[str]] | None:
        return self._needs

    @needs.setter
    def needs(self, needs: dict[str, set[str]] | None) -> None:
        self._needs, self._units = needs, None

    def readings(self, target: Target, of_type):
        facts = all_facts_of(target.kind) if self.needs is None else self.needs.get(target.id, set())
        return [r for r in readings_of(facts, target.kind) if isinstance(r, of_type)]

    def collect(self, target: Target) -> dict:
        """The raw facts the selected checks read on this target alone (its own SSH connection)."""
        return self.collect_unit(Unit(target.id, self.first_hop(target), (target,)))[target.id]

    def collect_unit(self, unit: "Unit", connected=None, refused: str | None = None) -> dict[str, dict]:
        """Target id -> the raw facts the selected checks read on it, for every target of the unit: the
        SSH parts over one connection to the unit's endpoint (over `connected`, a TCP connection made
        to it already; or refused with the reason its connect failed), the other parts each on its own."""
        # SQL first: a command may be built from an SQL answer (Command.after_query)
        sql_parts = {t.id: guarded(self.collect_database, t) for t in unit.targets if self.readings(t, Query)}
        ssh_parts = self.collect_ssh_unit(unit, connected, refused, sql_parts)
        collected = {}
        for target in unit.targets:
            parts = {"ssh": ssh_parts[target.id]} if target.id in ssh_parts else {}
            if self.readings(target, Records):
                parts["xapi"] = guarded(self.collect_pool, target)
            if target.id in sql_parts:
                parts["sql"] = sql_parts[target.id]
            if self.readings(target, ApiCall):
                parts["api"] = guarded(self.collect_cloud_settings, target)
            collected[target.id] = parts
        return collected

    def commands(self, target: Target, sql_part: dict | None = None) -> dict[str, str]:
        """The batched command's sections: name -> shell line (those built from an SQL answer only
        with the target's SQL part)."""
        answers = collected.load_all("sql", sql_part)
        lines = {c.name: c.line_for(self.policy, target.kind, answers) for c in self.readings(target, Command)}
        return {name: line for name, line in lines.items() if line is not None}

    def runs_commands(self, target: Target) -> bool:
        return bool(self.commands(target)) or any(c.after_query for c in self.readings(target, Command))

    # --- one connection per SSH endpoint -------------------------------------------------------
    def first_hop(self, target: Target) -> tuple[str, int] | None:
        """The sshd the target's batched commands connect to first: its own, or a system VM's hop;
        None when it runs no command or its address is unknown (its collection says why)."""
        if not self.runs_commands(target):
            return None
        if target.kind in SYSTEM_VM_KINDS:
            try:
                address = self.system_vm_route(target)[1]
            except TargetError:
                return None
        else:
            address = own_ssh_address(target)
        return (address, self.inventory.ssh.port) if address else None

    def units(self, targets: list[Target]) -> list["Unit"]:
        """These targets in units of collection: those with the same first hop share one (a host and
        the system VMs reached through it; a database on its management server's machine)."""
        by_hop: dict[tuple[str, int], list[Target]] = {}
        units = []
        for target in targets:
            hop = self.first_hop(target)
            if hop is None:
                units.append(Unit(target.id, None, (target,)))
            else:
                by_hop.setdefault(hop, []).append(target)
        units += [Unit(f"ssh {address} {port}", (address, port), tuple(members))
                  for (address, port), members in by_hop.items()]
        return sorted(units, key=lambda unit: unit.targets[0].id)

    def unit_of(self, target: Target) -> "Unit":
        """The unit the target is collected in: among the run's needs, else on its own."""
        if self._units is None:
            needed = [self.snapshot.by_id(i) for i in sorted(self.needs or {}) if self.needs[i]]
            self._units = {t.id: unit for unit in self.units(needed) for t in unit.targets}
        return self._units.get(target.id) or Unit(target.id, self.first_hop(target), (target,))

    # --- SSH ---------------------------------------------------------------------------------
    def ssh_key(self):
        if self._ssh_key is None:
            self._ssh_key = ssh.load_private_key(self.inventory.ssh.private_key)
        return self._ssh_key

    @property
    def limits(self) -> LimitsPolicy:
        return self.policy.limits if self.policy is not None else LimitsPolicy()

    def connect_ssh(self, address: str | None, label: str, connected=None, refused: str | None = None):
        settings = self.inventory.ssh
        if not address:
            raise Unreachable(f"{label}: no SSH address (not in the API, not in the inventory)")
        if refused:
            raise Unreachable(f"{label}: cannot connect: {refused}")
        return ssh.connect(address, settings.port, settings.user, self.ssh_key(), settings.known_hosts,
                           settings.connect_timeout, label=label, command_timeout=settings.command_timeout,
                           connected=connected, output_cap=UnitBudget(self.limits.ssh_unit_mib).cap())

    def collect_ssh_unit(self, unit: "Unit", connected=None, refused: str | None = None,
                         sql_parts: dict[str, dict] | None = None) -> dict[str, dict]:
        """Target id -> its SSH part, for the unit's targets that run commands: one connection to the
        unit's endpoint; each system VM through it, over a channel of that connection."""
        sql_parts = sql_parts or {}
        running = [t for t in unit.targets if self.commands(t, sql_parts.get(t.id))]
        if not running:
            return {}
        if unit.endpoint is None:       # no address known: say why, for each target
            return {t.id: guarded(self.no_first_hop, t) for t in running}
        own = [t for t in running if t.kind not in SYSTEM_VM_KINDS]
        behind = [t for t in running if t.kind in SYSTEM_VM_KINDS]
        label = own[0].id if own else self.system_vm_route(behind[0])[0]
        try:
            hop = self.connect_ssh(unit.endpoint[0], label, connected, refused)
        except TargetError as err:
            return {t.id: error_record(relabelled(err, label, t.id if t in own else self.system_vm_route(t)[0]))
                    for t in running}
        keys: dict[str, object] = {}
        budget = UnitBudget(self.limits.ssh_unit_mib)
        try:
            parts = {t.id: guarded(lambda t: run_batch(hop, self.commands(t, sql_parts.get(t.id)), t.id,
                                                       self.limits, budget), t)
                     for t in own}
            for vm in behind:
                parts[vm.id] = guarded(lambda vm: self.collect_system_vm(hop, vm, keys, budget), vm)
            return parts
        finally:
            hop.backend.close()

    def collect_system_vm(self, hop, target: Target, keys: dict, budget: "UnitBudget") -> dict:
        """A system VM's commands, through its hop's connection (the hop's key read once per unit),
        within what is left of the unit's output cap."""
        hop_name, _, vm_address, key_path = self.system_vm_route(target)
        if not vm_address:
            raise Unreachable(f"{target.id}: the API gives no address to reach it from {hop_name}")
        if key_path not in keys:
            keys[key_path] = ssh.read_key(hop, key_path)
        settings = self.inventory.ssh
        pinning = self.system_vm_key_policy(target)
        vm = ssh.connect_through(hop, vm_address, self.inventory.system_vms.port, "root", key_path,
                                 settings.known_hosts, settings.connect_timeout,
                                 label=f"{target.id} via {hop_name}", command_timeout=settings.command_timeout,
                                 host_key_policy=pinning, pkey=keys[key_path], output_cap=budget.cap())
        try:
            facts = run_batch(vm, self.commands(target), target.id, self.limits, budget)
        finally:
            vm.backend.close()
        if pinning is not None:
            facts["host_key"] = pinning.note
        return facts

    def no_first_hop(self, target: Target) -> dict:
        """Raises why a target that runs commands has no first hop (`first_hop` is None): the system
        VM's route has none, or no address is known for its own sshd or its hop's."""
        label = self.system_vm_route(target)[0] if target.kind in SYSTEM_VM_KINDS else target.id
        raise Unreachable(f"{label}: no SSH address (not in the API, not in the inventory)")

    def system_vm_key_policy(self, target: Target) -> PinningPolicy | None:
        """Pinned by CloudStack id (the default), or None: checked against known_hosts by address."""
        if self.inventory.system_vms.host_keys == "known_hosts":
            return None
        vm_id = target.attrs.id
        row = next((r for r in self.snapshot.api.get("listSystemVms", []) + self.snapshot.api.get("listRouters", [])
                    if r.get("id") == vm_id), {})
        template = row.get("templatename") or row.get("templateid")
        return PinningPolicy(functools.partial(self.host_key_pins.verify, vm_id, target.id, template))

    def system_vm_route(self, target: Target) -> tuple[str, str | None, str | None, str]:
        """(hop label, hop address, VM address, key path on the hop) for a system VM.

        XenServer and KVM: from the host it runs on, to its link-local address; VMware: from a
        management server, to its private address, with the cloud user's key ([CS-DOCS-SYSTEMVM]).
        """
        access = self.inventory.system_vms
        if target.attrs.hypervisor == "VMware":
            jump = access.vmware_jump_host
            if jump is None:
                raise Unreachable(f"{target.id}: a VMware system VM is reached through a management server; "
                                  "set system_vms.vmware_jump_host in the inventory")
            address = next(m.ssh_address for m in self.inventory.management_servers if m.name == jump)
            return f"management server {jump}", address, target.attrs.privateip, access.key_on_jump_host
        return (f"host {target.attrs.host}", target.attrs.host_address, target.address,
                access.key_on_host)

    # --- XAPI --------------------------------------------------------------------------------
    def collect_pool(self, target: Target) -> dict:
        settings = self.inventory.xenserver
        if settings is None or not target.address:
            raise Unreachable(f"{target.id}: {target.attrs.reason or 'no reachable pool master'}")
        try:
            session = xapi.login(target.address, settings.port, settings.username, settings.password.read(),
                                 settings.ca_file, settings.timeout, settings.insecure,
                                 answer_caps=xapi_answer_caps(self.policy.limits))
        except xapi.NotMaster as redirect:     # discovery follows one HOST_IS_SLAVE, never a second
            raise ApiError(f"XAPI {target.address}: named the pool master, but answered HOST_IS_SLAVE naming "
                           f"{shown(redirect.master_address)}; not followed") from None
        try:
            records = [read_xapi_class(session, target.address, r.xapi_class) for r in self.readings(target, Records)]
        finally:
            xapi.logout(session)
        return collected.store("xapi", records, master_address=target.address, **tls_note(self.inventory, "xenserver"))

    # --- SQL ---------------------------------------------------------------------------------
    def collect_database(self, target: Target) -> dict:
        settings = self.inventory.databases
        conn = mysql.connect(target.address, target.attrs.port, settings.user, settings.password.read(),
                             self.inventory.ssh.connect_timeout, settings.ca_file)
        channel = mysql.channel_record(conn, settings.insecure)
        try:
            answers: dict[str, Collected] = {}
            for query in sorted(self.readings(target, Query), key=lambda query: bool(query.after)):
                answers[query.name] = ask_query(conn, target.id, query, answers, self.policy)
            return collected.store("sql", list(answers.values()), **channel)
        finally:
            conn.close()

    # --- CloudStack API ----------------------------------------------------------------------
    def collect_cloud_settings(self, target: Target) -> dict:
        """Those the checks read of: global settings, each scope's own values (with the domains and
        accounts they are read for), LDAP configurations."""
        settings = self.inventory.api
        api = cloudstack.client(settings.endpoint, settings.key.read(), settings.secret.read(), settings.verify,
                                self.inventory.ssh.connect_timeout, limits=self.policy.limits)
        with cloudstack.rows_of_unexpected_shape("the cloud's settings"):
            return self.read_cloud_settings(api, target)

    def read_cloud_settings(self, api, target: Target) -> dict:
        answers = [read_api_call(api, call, self.snapshot) for call in self.readings(target, ApiCall)]
        return collected.store("api", answers, **tls_note(self.inventory, "cloud.api"))


@dataclass(frozen=True)
class Unit:
    """Targets collected together: over one SSH connection to `endpoint` (the sshd all of them are
    reached through first), or one target reached by no SSH (endpoint None)."""
    key: str
    endpoint: tuple[str, int] | None
    targets: tuple[Target, ...]


def tls_note(inventory, channel: str) -> dict:
    """{"tls": why not verified} for a part collected over a channel the inventory leaves unverified
    (Facts.part attaches it to every result judged on that part), else {}."""
    return {"tls": unverified_tls_note(channel)} if channel in inventory.insecure_channels else {}


def own_ssh_address(target: Target) -> str | None:
    """Where a target that is not a system VM runs its commands: a database server's SSH address
    may differ from the one MariaDB answers on; every other target is reached at its address."""
    return target.attrs.ssh_address if target.kind == "db" else target.address


def xapi_answer_caps(limits) -> xapi.AnswerCaps:
    return xapi.AnswerCaps(limits.xapi_answer_mib << 20, "policy limits.xapi_answer_mib", limits.answer_seconds)


def relabelled(err: TargetError, label: str, own_label: str) -> TargetError:
    """The hop's error as a target behind it reports it: under the name it knows the hop by."""
    text = str(err)
    return type(err)(own_label + text[len(label):] if text.startswith(label) else text)


def guarded(collect, target: Target) -> dict:
    """One part of a target's facts, or the reason it could not be collected."""
    try:
        return collect(target)
    except TargetError as err:
        return error_record(err)


class UnitBudget:
    """The output the batches over one SSH connection may still give (policy limits.ssh_unit_mib):
    every target's facts are held until its unit is stored, so the unit, not each exec, is capped.
    A batch refused for its size keeps nothing, and costs the others nothing."""

    def __init__(self, mib: int):
        self.mib, self.left = mib, mib << 20

    def cap(self) -> ssh.OutputCap:
        name = f"{self.mib} MiB (limits.ssh_unit_mib)"
        taken = (self.mib << 20) - self.left
        if taken:
            name += f", {taken / (1 << 20):.2f} MiB of it taken by the targets read before over the same SSH connection"
        return ssh.OutputCap(self.left, name)

    def spend(self, size: int) -> None:
        self.left -= size


def run_batch(host, commands: dict[str, str], label: str, limits: LimitsPolicy, budget: UnitBudget) -> dict:
    """The commands' sections, from one `/bin/sh -s` exec whose script is sent on its stdin."""
    read_at = utc_now()
    rc, stdout, stderr = host.backend.run_script(build_batch_script(commands), budget.cap())
    if rc == 255 or not stdout:
        raise_collection_failed(label, rc, stderr)
    try:
        raw = split_sections(stdout, stderr, list(commands))
        section_cap = limits.ssh_section_mib << 20
        for name, section in raw.items():
            for stream, data in (("stdout", section.stdout), ("stderr", section.stderr)):
                if len(data) > section_cap:
                    raise CollectionFailed(f"{stream} of section {name!r} over {limits.ssh_section_mib} MiB "
                                           "(limits.ssh_section_mib)")
        sections = [(name, decoded(section, name)) for name, section in raw.items()]
    except (UnparsableOutput, CollectionFailed) as err:
        raise type(err)(f"{label}: {err}") from None
    budget.spend(len(stdout) + len(stderr))
    return collected.store("ssh", [Collected("ssh", name, section.stdout, commands[name], read_at, section.exit_code,
                                             section.stderr) for name, section in sections])


def raise_collection_failed(label: str, rc: int, stderr: bytes) -> None:
    said = stderr.decode("utf-8", "replace").strip()
    raise CollectionFailed(f"{label}: the batched commands did not run (exit {rc}): {said[:200]!r}")
