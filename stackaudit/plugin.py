"""The StackAudit pytest plugin: inventory -> discovery -> targets -> facts -> checks -> outcomes.

- The controller (or the only process) loads the inventory and policy, discovers the cloud once
  and freezes the targets to a snapshot; xdist workers get its path through `workerinput`, so
  every worker collects the same items in the same order.
- A check names its target kind by its fixture (`pool`, `firewalled_host`, `system_vm`, ...);
  it is parametrized over exactly those targets, sorted, with the target id as the id and an
  `xdist_group` mark, so `--dist loadgroup` keeps a target on one worker.
- Outcomes: passed; failed (AssertionError: the rule is violated); broken (anything else: the
  target could not be checked); waived (a failure a valid --waivers entry covers, decided in
  pytest_runtest_makereport so the checks never see waivers). Exit codes are
  stackaudit.report.outcomes' (0, 1 blocker, 6 could not check, 7 warning) and 4 for a bad
  inventory, policy or waivers file.
- Under `stackaudit run` (--run-dir), the run directory holds targets.json and the facts, and the
  controller writes its summary.json when the session finishes. Everything is written private
  (umask 077) into directories of the user's own (config/safe_files.py), and every line of text from
  the cloud that reaches the terminal has its control characters escaped (report/visible.py).
- `--shard=I/N` keeps the results whose target hashes into shard I (config/shard.py) and deselects
  the others before any fact is collected, so a shard collects only what its own checks read.
"""
from __future__ import annotations

import datetime
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from stackaudit.catalog import ESCALATED, PROFILES, catalog
from stackaudit.collect.collectors import Collector
from stackaudit.discovery.discovery import discover
from stackaudit.errors import ConfigError, TargetError
from stackaudit.collect.factstore import FactStore, publish_facts, raw_dir
from stackaudit.config.shard import Shard, parse_shard
from stackaudit.config.redact import (KNOWN, install_log_redaction, redact_report, redact_text,
                                      remember_inventory_secrets)
from stackaudit.config.safe_files import UnsafePath, check_directory, use_private_umask
from stackaudit.rules.management import cloud_version
from stackaudit.report.outcomes import EXIT_BROKEN, EXIT_CONFIG, EXIT_NOT_RECORDED, Tally, classify
from stackaudit.config.waivers import matching_waiver
from stackaudit.configuration import Configuration, load_configuration
from stackaudit.report.allure_fixtures import PytestFinalizersUnwrapped
from stackaudit.report.auditor import Verdict, not_checked_reason, present
from stackaudit.report.discovery_result import discovery_failure, write_result
from stackaudit.report.recorder import RunRecord
from stackaudit.report.runs import new_run_dir
from stackaudit.report.visible import visible
from stackaudit.report.waiving import waive
from stackaudit.discovery.targets import Snapshot

pytest_plugins = ["stackaudit.fixtures"]

# The fixtures a check names its target by (defined in stackaudit/fixtures.py) and the kinds they stand for.
TARGET_FIXTURES = {
    "pool": ("xs-pool",),
    "hypervisor_host": ("kvm-host", "xs-host"),
    "kvm_host": ("kvm-host",),
    "xen_host": ("xs-host",),
    "firewalled_host": ("kvm-host", "xs-host", "mgmt"),
    "system_vm": ("ssvm", "cpvm", "router"),
    "database": ("db",),
    "management_server": ("mgmt",),
    "backed_up_machine": ("db", "mgmt", "kvm-host"),
    "zone": ("zone",),
    "cluster": ("cluster",),
    "cloud": ("cloud",),
}
STATE = pytest.StashKey["RunState | None"]()
CONFIGURATION = pytest.StashKey[Configuration]()    # the inventory, policy and waivers, read once
SHARD = pytest.StashKey["Shard | None"]()
UMASK_BEFORE = pytest.StashKey[int]()
# The result's outcome, for its Allure result (report/auditor.py).
VERDICT = pytest.StashKey[Verdict]()


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


def pytest_addoption(parser):
    group = parser.getgroup("stackaudit")
    group.addoption("--inventory", metavar="FILE", help="the cloud's inventory (YAML); required to run checks")
    group.addoption("--reports-dir", metavar="DIR", default="reports",
                    help="where the target snapshot and collected facts go (default: reports)")
    group.addoption("--waivers", metavar="FILE", help="accepted deviations (inventories/waivers.yml shows the format)")
    group.addoption("--run-dir", metavar="DIR",
                    help="this run's directory (stackaudit run makes one): targets.json, facts, summary.json")
    group.addoption("--shard", metavar="I/N",
                    help="run only the targets of shard I of N (0 <= I < N); `stackaudit merge` joins the shards")


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


def pytest_configure(config):
    config.stash[STATE] = None
    config.stash[SHARD] = None
    install_log_redaction()
    register_markers(config)
    config.pluginmanager.register(PytestFinalizersUnwrapped(), "stackaudit-allure-fixtures")
    if not config.getoption("--inventory"):
        register_tally(config, None)
        return
    config.stash[UMASK_BEFORE] = use_private_umask()    # a run's evidence is its owner's only (config/safe_files.py)
    problem = choose_test_paths(config)
    if problem:
        stop(problem, EXIT_CONFIG)
    configuration = run_configuration(config)
    remember_inventory_secrets(configuration.inventory)    # in every process: each masks them by value
    state = worker_state(config, configuration) if hasattr(config, "workerinput") else \
        controller_state(config, configuration)
    KNOWN.protect(state.snapshot.identities())
    config.stash[STATE] = state


def register_tally(config, record: RunRecord | None) -> None:
    """The controller (or only process) counts the outcomes; under `stackaudit run` its record writes summary.json."""
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(Tally(record), "stackaudit-outcomes")


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
    register_tally(config, record)
    snapshot = discover_targets(config, configuration, record)
    save_snapshot(snapshot, run_dir, None if record else Path(config.getoption("--reports-dir")))
    state = run_state(config, configuration, snapshot, run_dir, f"{run_dir.name}.{uuid.uuid4().hex[:12]}")
    if record is not None:
        record.cloudstack_version = cloudstack_version(snapshot)
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
                     inventory.insecure_channels, inputs=configuration.input_files())


def discover_targets(config, configuration: Configuration, record: RunRecord | None) -> Snapshot:
    """The cloud's targets, listed once; a night that could not even list them is recorded too."""
    try:
        return discover(configuration.inventory, configuration.policy.limits)
    except TargetError as err:
        if record is not None:
            record.finish([], EXIT_BROKEN)
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


def cloudstack_version(snapshot: Snapshot) -> str | None:
    """The management servers' version as discovery listed it (several, joined, during an upgrade)."""
    versions = sorted({t.attrs.version for t in snapshot.of_kinds(("mgmt",)) if t.attrs.version})
    return ", ".join(versions) or None


def pytest_configure_node(node):
    """xdist controller: hand each worker the frozen snapshot's run directory."""
    state = node.config.stash[STATE]
    if state is not None:
        node.workerinput["stackaudit_run_dir"] = str(state.run_dir)
        node.workerinput["stackaudit_run_mark"] = state.run_mark
        node.workerinput["stackaudit_inputs"] = node.config.stash[CONFIGURATION].input_files()


def pytest_unconfigure(config):
    state = config.stash.get(STATE, None)
    if state is not None:
        state.store.close()
        if not hasattr(config, "workerinput"):     # the workers have ended: only masked facts stay
            publish_facts(state.run_dir)
    if UMASK_BEFORE in config.stash:    # pytest run in-process: the caller's umask back
        os.umask(config.stash[UMASK_BEFORE])


def pytest_generate_tests(metafunc):
    names = [n for n in TARGET_FIXTURES if n in metafunc.fixturenames]
    if not names:
        return
    state = metafunc.config.stash[STATE]
    if state is None:
        raise pytest.UsageError("stackaudit: checks need an inventory: pass --inventory FILE")
    (name,) = names
    check_id = getattr(metafunc.function, "stackaudit_check_id", None)
    # A check runs on the kinds its catalog record names; its fixture's name only reads well.
    kinds = catalog()[check_id].targets if check_id else TARGET_FIXTURES[name]
    targets = state.snapshot.of_kinds(kinds)
    if targets:
        params = [pytest.param(t.id, id=t.id, marks=pytest.mark.xdist_group(t.id)) for t in targets]
    else:
        reason = f"the cloud {state.snapshot.cloud} has no {' or '.join(kinds)} targets"
        params = [pytest.param(None, id="no-targets", marks=pytest.mark.skip(reason=reason))]
    metafunc.parametrize(name, params, indirect=True)


def item_target(item) -> str | None:
    params = item.callspec.params if hasattr(item, "callspec") else {}
    return next((v for k, v in params.items() if k in TARGET_FIXTURES and v), None)


def fact_needs(items, snapshot: Snapshot) -> dict[str, set[str]]:
    """Target id -> the facts the selected checks read on it: each check's own facts on its
    target, and the facts it reads of other targets (members) on every target of their kind."""
    needs: dict[str, set[str]] = {}
    for item in items:
        declared = getattr(getattr(item, "function", None), "stackaudit_reads", None)
        target_id = item_target(item)
        if declared is None or target_id is None:
            continue
        own, members = declared
        needs.setdefault(target_id, set()).update(own)
        for kind, names in members.items():
            for member in snapshot.of_kinds((kind,)):
                needs.setdefault(member.id, set()).update(names)
    return needs


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Under --shard, deselect the results of other shards' targets; last, so that -k and -m have
    already narrowed the items (and pytest_collection_finish's fact_needs sees only what is left)."""
    shard, state = config.stash.get(SHARD, None), config.stash.get(STATE, None)
    if shard is None or state is None:
        return
    kept, deselected = [], []
    snapshot = state.snapshot
    for item in items:
        (kept if shard.holds(snapshot.shard_key(item_target(item))) else deselected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


def pytest_collection_finish(session):
    """Start collecting, concurrently and in the background, the facts this run's checks read."""
    state = session.config.stash[STATE]
    if state is None:
        return
    needs = fact_needs(session.items, state.snapshot)
    state.collector.needs = needs
    targets = [state.snapshot.by_id(i) for i in sorted(needs) if needs[i]]
    state.store.prefetch(targets)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item):
    """A result out of the check's declared scope is skipped, with the reason, before the check runs."""
    scopes = getattr(getattr(item, "function", None), "stackaudit_scope", ())
    if not scopes:
        return
    state = item.config.stash[STATE]
    handle = next(item.funcargs[name] for name in TARGET_FIXTURES if name in item.funcargs)
    for scope in scopes:
        version = cloud_version(handle.facts.api_rows("listManagementServers")) if scope.needs_cloud_version else None
        reason = scope.out_of_scope(handle.target, version, state.policy, state.inventory)
        if reason:
            pytest.skip(f"not in scope: {reason}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_teardown(item):
    """Rewrite allure-pytest's result as an auditor reads it (report/auditor.py). Outermost, so it runs
    after allure-pytest has added its labels (a second severity, module-based suites) at teardown."""
    result = yield
    check_id = getattr(getattr(item, "function", None), "stackaudit_check_id", None)
    test_result = current_allure_result(item.config)
    if test_result is None or check_id is None:
        return result
    record = catalog()[check_id]
    present(test_result, record, item.function.__doc__, item_target(item), item.stash.get(ESCALATED, record.severity),
            item.stash.get(VERDICT, None))
    return result


def current_allure_result(config):
    """allure-pytest's result of the test being torn down, or None without --alluredir.

    allure-pytest offers no public hook to rewrite a result. Its reporter's get_test(None), the last
    result it scheduled, is what its own allure.dynamic API writes to (allure_pytest/listener.py,
    add_label, allure-framework/allure-python): in one process a test's teardown runs before the next
    test is scheduled, so that is this test's, without reading the listener's private _cache."""
    listener = config.pluginmanager.get_plugin("allure_listener")
    return listener.allure_logger.get_test(None) if listener else None


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_makereport(item, call):
    report = yield
    redact_report(report)     # innermost: allure-pytest, junitxml and the terminal read it masked
    check_id = getattr(getattr(item, "function", None), "stackaudit_check_id", None)
    if check_id is None:
        return report
    if report.when == "call" or not report.passed:
        outcome, reason = classify(report, call)
        reason = redact_text(reason) if reason else reason
        target = item_target(item)
        state = item.config.stash[STATE]
        waiver = matching_waiver(state.waivers, check_id, target) if outcome == "failed" and state else None
        fields = None
        if waiver is not None:      # only a failure: a waiver never turns broken into anything else
            outcome, reason, fields = waive(waiver, reason, state.today)
        broken, error = outcome == "broken", call.excinfo.value if call.excinfo else None
        item.stash[VERDICT] = Verdict(outcome, reason or "", waiver=fields,     # pytest's trace, before ours below
                                      not_checked=not_checked_reason(error) if broken else None,
                                      trace=report.longreprtext if broken else None)
        report.stackaudit = {"check_id": check_id, "target": target, "status": outcome,
                             "severity": item.stash.get(ESCALATED, catalog()[check_id].severity),
                             "message": reason or "", "waiver": fields}
        if outcome == "waived":
            report.outcome = "skipped"
            report.longrepr = (str(item.path), item.location[1] or 0, f"waived: {reason}")
        elif reason:
            report.longrepr = f"{outcome}: {reason}"
    escape_for_terminal(report)
    return report


def escape_for_terminal(report) -> None:
    """What pytest prints of a result (its failure and short-summary lines, a skip's reason, captured
    output) and writes to junit.xml, with control characters escaped: it holds names from the cloud."""
    if isinstance(report.longrepr, tuple):
        path, line, message = report.longrepr
        report.longrepr = (path, line, visible(message))
    elif isinstance(report.longrepr, str):
        report.longrepr = visible(report.longrepr, multiline=True)
    report.sections = [(title, visible(content, multiline=True)) for title, content in report.sections]


# Where the checks are and what a run needs from pytest, with or without the repository's pytest.ini.
# Installed (`pip install .`), the plugin loads through its `pytest11` entry point in any directory,
# where pytest reads no pytest.ini of ours: so the plugin registers the suite's markers itself, and a
# run that names no test path runs the checks, wherever they are (the repository's `checks/`, or
# `stackaudit/checks/` in an installed wheel: setup.py maps one onto the other).
PACKAGE = Path(__file__).resolve().parent
MARKERS = (
    "nightly: the nightly compliance run (every check of the catalog in that profile)",
    "pre_upgrade: the gate before an upgrade (exit code decides)",
    "security: security rules",
    "check_id(id): the catalog ID a check implements",
)


def checks_dir() -> Path:
    """The checks: the wheel's stackaudit/checks, else the checkout's checks/ (also an editable install)."""
    for candidate in (PACKAGE / "checks", PACKAGE.parent / "checks"):
        if any(candidate.glob("test_*.py")):
            return candidate
    raise FileNotFoundError(f"no checks beside {PACKAGE} (neither ../checks nor checks/)")


def is_suite_ini(path: Path) -> bool:
    """pytest.ini of a StackAudit checkout (its addopts, markers and `testpaths = checks`)."""
    return path.name == "pytest.ini" and (path.parent / "checks").is_dir() \
        and (path.parent / "stackaudit" / "catalog.yml").is_file()


def register_markers(config: pytest.Config) -> None:
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)


def choose_test_paths(config: pytest.Config) -> str | None:
    """Point a run that named no test path at the checks; or say why the run cannot go on.

    pytest picks its configuration file from the path-like words of the command line before it
    knows our options, so a run may have read another project's file; its `testpaths` would
    replace the checks. Returns the problem (exit code 4) or None.
    """
    inipath = config.inipath
    if inipath is not None and is_suite_ini(inipath):
        return None
    if config.args_source == pytest.Config.ArgsSource.TESTPATHS:
        return (f"pytest read {inipath}, whose testpaths are not StackAudit's checks; run from another "
                f"directory, name the checks ({checks_dir()}), or write path options as --inventory=FILE")
    if config.args_source == pytest.Config.ArgsSource.INVOCATION_DIR:
        config.args = [str(checks_dir())]
    return None
