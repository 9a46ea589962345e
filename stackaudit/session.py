"""A run's session, set up once by the plugin's pytest_configure: its configuration, its run directory,
its targets and the collector of their facts.

- The controller (or the only process) takes `stackaudit run`'s configuration as read (GivenConfiguration)
  or reads the files, discovers the cloud once and freezes the targets to a snapshot in the run directory.
- An xdist worker reads the same files (and refuses them if they changed since the controller read
  them) and loads the controller's snapshot, so every worker collects the same items in the same order.
"""
from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from stackaudit.applicability import ScopeLedger
from stackaudit.catalog import PROFILES, catalog
from stackaudit.collect.collectors import Collector
from stackaudit.collect.factstore import FactStore, raw_dir
from stackaudit.config.redact import redact_text
from stackaudit.config.safe_files import UnsafePath, check_directory
from stackaudit.config.shard import Shard, parse_shard
from stackaudit.configuration import Configuration, load_configuration
from stackaudit.discovery.discovery import discover
from stackaudit.targets import Snapshot
from stackaudit.errors import ConfigError, TargetError
from stackaudit.report.auditor import not_checked_reason
from stackaudit.report.discovery_result import discovery_failure, write_result
from stackaudit.report.outcomes import EXIT_BROKEN, EXIT_CONFIG, EXIT_NOT_RECORDED, Tally
from stackaudit.report.recorder import RunRecord
from stackaudit.report.runs import new_run_dir
from stackaudit.report.summary_fields import discovery_failed
from stackaudit.report.visible import visible

STATE = pytest.StashKey["RunState | None"]()
CONFIGURATION = pytest.StashKey[Configuration]()    # the inventory, policy and waivers, read once
SHARD = pytest.StashKey["Shard | None"]()


@dataclass
class RunState:
    inventory: object
    policy: object
    snapshot: Snapshot
    run_dir: Path
    store: FactStore
    collector: Collector
    waivers: tuple = ()
    today: datetime.date = datetime.date.min
    run_mark: str = ""      # this run's own mark on the system VM keys it pins (collect/hostkeys.py)
    scope: ScopeLedger = field(default_factory=ScopeLedger)     # where each check applies, decided at collection


def stop(message: str, code: int):
    """End the run with one line; text from the cloud in it is shown escaped."""
    pytest.exit(f"stackaudit: {visible(message)}", returncode=code)


class GivenConfiguration:
    """`stackaudit run`'s configuration, read before the run began: handed to pytest.main as a plugin
    so that the run reads its files once (stackaudit/configuration.py)."""

    def __init__(self, configuration: Configuration):
        self.configuration = configuration

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config):
        config.stash[CONFIGURATION] = self.configuration


def register_tally(config, record: RunRecord | None, run_dir: Path | None = None) -> None:
    """The controller (or only process) counts the outcomes; under `stackaudit run` its record writes summary.json."""
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(Tally(record, run_dir), "stackaudit-outcomes")


def run_configuration(config) -> Configuration:
    """`stackaudit run`'s configuration as it read it, or (plain pytest, an xdist worker) the files read now."""
    try:
        shard_text = config.getoption("--shard")
        config.stash[SHARD] = parse_shard(shard_text) if shard_text is not None else None
        if CONFIGURATION not in config.stash:
            waivers = config.getoption("--waivers")
            config.stash[CONFIGURATION] = load_configuration(Path(config.getoption("--inventory")),
                                                             Path(waivers) if waivers else None)
    except ConfigError as err:
        stop(str(err), EXIT_CONFIG)
    return config.stash[CONFIGURATION]


def worker_state(config, configuration: Configuration) -> RunState:
    """An xdist worker: the controller's run directory, run mark and frozen snapshot, and the same files."""
    workerinput = config.workerinput
    if workerinput["stackaudit_inputs"] != configuration.input_files():
        stop(f"{configuration.inventory.path} or its policy changed since the run began; run again", EXIT_CONFIG)
    run_dir = Path(workerinput["stackaudit_run_dir"])
    snapshot = Snapshot.load(raw_dir(run_dir) / "targets.json")
    return run_state(config, configuration, snapshot, run_dir, workerinput["stackaudit_run_mark"])


def controller_state(config, configuration: Configuration) -> RunState:
    """The controller (or only process): discover the cloud once and freeze its targets for the workers."""
    given = config.getoption("--run-dir")
    run_dir = checked_run_dir(Path(config.getoption("--reports-dir")), given)
    # `stackaudit run`: the run directory's snapshot is the one, and it records the run
    record = run_record(config, configuration, run_dir) if given else None
    register_tally(config, record, run_dir)
    snapshot = discover_targets(config, configuration, record)
    save_snapshot(snapshot, run_dir, None if record else Path(config.getoption("--reports-dir")))
    state = run_state(config, configuration, snapshot, run_dir, f"{run_dir.name}.{uuid.uuid4().hex[:12]}")
    if record is not None:
        record.cloudstack_version = discovered_versions(snapshot)
        record.first_use_pins = state.collector.host_key_pins.pinned_in_run
    return state


def checked_run_dir(reports_dir: Path, given: str | None) -> Path:
    """`stackaudit run`'s --run-dir; for a plain pytest run, a new `reports/runs/<UTC timestamp>` as
    `stackaudit run` makes (report/runs.py)."""
    try:
        check_directory(reports_dir)
        if given:
            check_directory(Path(given))
            return Path(given)
        return new_run_dir(reports_dir)
    except UnsafePath as err:
        stop(str(err), EXIT_CONFIG)
    except OSError as err:
        stop(f"--reports-dir={reports_dir}: cannot create a run directory there ({err.strerror}); "
             "give a writable directory", EXIT_CONFIG)


def run_record(config, configuration: Configuration, run_dir: Path) -> RunRecord:
    """The record `stackaudit run` keeps of the run: summary.json, written when the session finishes."""
    markexpr = config.getoption("markexpr", "")
    shard = config.stash[SHARD]
    inventory = configuration.inventory
    return RunRecord(run_dir, configuration.waivers, inventory.cloud_name, None,
                     markexpr if markexpr in PROFILES else None, configuration.today, str(shard) if shard else None,
                     inventory.insecure_channels, inputs=configuration.input_files(), records=catalog())


def discover_targets(config, configuration: Configuration, record: RunRecord | None) -> Snapshot:
    """The cloud's targets, listed once; a night that could not even list them is recorded too."""
    try:
        return discover(configuration.inventory, configuration.policy.limits)
    except TargetError as err:
        if record is not None:
            record.finish([], EXIT_BROKEN, discovery=discovery_failed(not_checked_reason(err), redact_text(str(err))))
            results_dir = config.getoption("allure_report_dir", None)
            if results_dir:
                write_result(Path(results_dir), discovery_failure(configuration.inventory.cloud_name, err,
                                                                  redact_text(str(err))))
        stop(f"cannot discover the cloud's targets: {redact_text(str(err))}", EXIT_BROKEN)


def save_snapshot(snapshot: Snapshot, run_dir: Path, reports_dir: Path | None) -> None:
    """targets.json in the run directory (and, raw, for the workers); a plain pytest run also in `reports_dir`."""
    try:
        snapshot.save(raw_dir(run_dir) / "targets.json", raw=True)   # for the workers
        snapshot.save(run_dir / "targets.json")
    except OSError as err:
        stop(f"cannot write {run_dir / 'targets.json'}: {err.strerror}", EXIT_NOT_RECORDED)
    if reports_dir is not None:
        snapshot.save(reports_dir / "targets.json")


def run_state(config, configuration: Configuration, snapshot: Snapshot, run_dir: Path, run_mark: str) -> RunState:
    inventory = configuration.inventory
    collector = Collector(inventory, configuration.policy, snapshot, Path(config.getoption("--reports-dir")), run_mark)
    store = FactStore(run_dir, collector, inventory.ssh.max_connections, inventory.ssh.connect_timeout)
    return RunState(inventory, configuration.policy, snapshot, run_dir, store, collector, configuration.waivers,
                    configuration.today, run_mark)


def discovered_versions(snapshot: Snapshot) -> str | None:
    """For the run's summary: the management servers' versions as discovery listed them (several, joined,
    during an upgrade). The version rules judge by is rules/management.py's cloud_version."""
    return ", ".join(snapshot.cloud_versions()) or None
