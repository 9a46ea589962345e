"""What a check sees of its target: parsed facts, each attached as evidence when the check reads it.

A check never touches commands or raw output; it asks `target.facts.<fact>`, a lookup of the
fact's declaration (collect/declarations.py, collect/declared/). Reading a fact attaches the raw text or record it was
parsed from to the result (Allure attachment), so every result carries what it was judged on.
Checks judge the raw facts; secrets are masked as each is attached (config/redact.py). A group check (the cloud, a pool) reads its members' facts
through `facts.of(member)`: collected once per run, shared by every worker through the fact store.
A check reads only the facts it declares (@check's `reads` and `members`): what a run of that one
check collects is exactly what it reads.
"""
from __future__ import annotations

import json

import allure

from stackaudit.collect import collected
from stackaudit.collect.collected import Collected
from stackaudit.collect.declarations import FACTS, closure, command_reading
from stackaudit.collect.factstore import facts_file_name
from stackaudit.config.inventory import unverified_tls_note
from stackaudit.config.redact import redact, redact_text
from stackaudit.config.secret_shapes import cap_lines
from stackaudit.parsers.api_rows import parse_api_rows
from stackaudit.collect import evidence
from stackaudit.collect.evidence import SNAPSHOT_FILE, Piece
from stackaudit.targets import Target
from stackaudit.errors import CollectionFailed, raise_if_error


class Facts:
    def __init__(self, target: Target, store, snapshot=None, evidence_prefix: str = "", declared=None):
        self.target = target
        self.snapshot = snapshot
        self._store = store
        self._prefix = evidence_prefix
        self._attached: set[str] = set()
        self._values: dict[str, object] = {}
        # (own facts, {member kind: facts}) the check declares; None: any fact (outside a check)
        self._declared = declared

    def of(self, member: Target) -> "Facts":
        """Another target's facts, attached as evidence under its id."""
        declared = None
        if self._declared is not None:
            declared = (tuple(self._declared[1].get(member.kind, ())), {})
        return Facts(member, self._store, self.snapshot, f"{member.id}: ", declared)

    def __getattr__(self, name: str):
        if name.startswith("_") or name not in FACTS:
            raise AttributeError(name)
        return self.read(name)

    def read(self, name: str):
        """Fact `name`, parsed by its declaration (once per check)."""
        fact = FACTS[name]
        if self.target.kind not in fact.kinds:
            raise CollectionFailed(f"{self.target.id}: fact {name} is not read on a {self.target.kind}")
        if self._declared is not None and name not in closure(self._declared[0]):
            raise CollectionFailed(f"{self.target.id}: the check reads fact {name} but does not declare it")
        if name not in self._values:
            self._values[name] = fact.parse(self)
        return self._values[name]

    def firewall(self, family: int):
        return self.read(f"firewall_v{family}")

    def attach(self, name: str, content, as_json: bool = False, source: str | None = None) -> None:
        """Evidence `name` (its source: the run directory's file it was read from, by default the target's
        facts file)."""
        name = self._prefix + name
        if name in self._attached:
            return
        self._attached.add(name)
        # Evidence leaves the run here: masked by every secret this process knows, by shape and by
        # position (config/redact.py); the check judged it unmasked.
        # Held until the result's outcome is known: in full, or as its digest (collect/evidence.py).
        name = redact_text(name)
        source = source or f"facts/{facts_file_name(self.target.id, '.json')}"
        if as_json:
            plain = json.loads(json.dumps(content, default=str))
            evidence.attach(Piece(name, json.dumps(redact(plain), indent=1, sort_keys=True),
                                  allure.attachment_type.JSON, source))
        else:
            text = content.decode("utf-8", "replace") if isinstance(content, bytes) else str(content)
            evidence.attach(Piece(name, redact_text(text), allure.attachment_type.TEXT, source))

    # --- collected readings, for the declarations' value functions --------------------------------
    def part(self, name: str) -> dict:
        """One part of the raw facts (ssh, xapi, sql, api); raises the error its collection ended in."""
        data = self._store.raw(self.target).get(name)
        if data is None:
            raise CollectionFailed(f"{self.target.id}: no {name} facts are collected for a {self.target.kind}")
        raise_if_error(data)
        if data.get("host_key"):
            # A system VM's key, pinned by its CloudStack id: every result judged on it says how.
            self.attach("host key", data["host_key"])
        if data.get("tls"):
            # Collected over a channel the inventory's `insecure: true` leaves unverified (collectors.tls_note).
            self.attach("TLS not verified", data["tls"])
        return data

    def reading(self, channel: str, name: str) -> Collected | None:
        """What channel `channel` (ssh, sql, xapi, api) returned for reading `name`, typed; None when
        it was not read. Raises the error the channel's part as a whole ended in."""
        return collected.load(channel, name, self.part(channel))

    def answer(self, channel: str, name: str) -> Collected:
        """Reading `name`, which must have been read: broken if it was not, or if it failed."""
        answer = self.reading(channel, name)
        if answer is None:
            raise CollectionFailed(f"{self.target.id}: no output for {name}")
        if answer.error:
            raise_if_error({"error": answer.error})
        return answer

    def section(self, name: str) -> str | None:
        """A command's output; None for a file that does not exist (where its declaration allows); else broken."""
        declared = command_reading(name)
        section = self.answer("ssh", name)
        if section.exit_code not in declared.ok_exit_codes:
            if declared.absent_if_missing_file and "No such file" in section.stderr:
                self.attach(name, f"(absent) {section.stderr.strip()}")
                return None
            raise CollectionFailed(f"{self.target.id}: {name} exited {section.exit_code}: "
                                   f"{section.stderr.strip()[:200]}")
        self.attach(name, section.output)
        # the parsers' patterns are linear; the cap keeps what one line can cost them small all the same
        return cap_lines(section.output, "parsing")

    def sql(self, name: str) -> list[dict]:
        rows = self.answer("sql", name).output
        self.attach(f"SQL {name}", rows, as_json=True)
        return rows

    def records(self, xapi_class: str) -> dict[str, dict]:
        records = self.answer("xapi", xapi_class).output
        self.attach(f"XAPI {xapi_class}.get_all_records", records, as_json=True)
        return records

    def api(self, name: str):
        value = self.answer("api", name).output
        self.attach(f"API {name}", value, as_json=True)
        return value

    # --- what discovery saw (the snapshot): no collection ----------------------------------------
    def api_rows(self, command: str, **where) -> list:
        """Rows of a list command as discovery saw them, those whose fields equal `where`, typed
        (parsers/api_rows.py)."""
        rows = [r for r in self.snapshot.api.get(command, []) if all(r.get(k) == v for k, v in where.items())]
        if "cloud.api" in self.snapshot.insecure_channels:
            self.attach("TLS not verified", unverified_tls_note("cloud.api"), source=SNAPSHOT_FILE)
        self.attach(f"API {command}" + "".join(f" {k}={v}" for k, v in where.items()), rows, as_json=True,
                    source=SNAPSHOT_FILE)
        return parse_api_rows(command, rows)
