"""The StackAudit pytest plugin: inventory -> discovery -> targets -> facts -> checks -> outcomes.

- The controller (or the only process) loads the inventory and policy, discovers the cloud once
  and freezes the targets to a snapshot; xdist workers get its path through `workerinput`, so
  every worker collects the same items in the same order (pytest_configure's steps: session.py).
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

import os
from pathlib import Path

import allure_commons
import pytest

from stackaudit.applicability import decide
from stackaudit.catalog import ESCALATED, catalog
from stackaudit.collect.factstore import publish_facts
from stackaudit.config.redact import (KNOWN, install_log_redaction, redact_report, redact_text,
                                      remember_inventory_secrets)
from stackaudit.config.safe_files import use_private_umask
from stackaudit.report.outcomes import EXIT_CONFIG, classify
from stackaudit.config.waivers import matching_waiver
from stackaudit.report.allure_fixtures import FixturesUnlisted, PytestFinalizersUnwrapped
from stackaudit.report.auditor import Verdict, not_checked_reason, present
from stackaudit.collect.evidence import EvidenceHold
from stackaudit.report.visible import visible
from stackaudit.report.waiving import waive
from stackaudit.targets import Snapshot
from stackaudit.session import (CONFIGURATION, SHARD, STATE, controller_state, register_tally, run_configuration,
                                stop, worker_state)

pytest_plugins = ["stackaudit.fixtures"]

NO_INVENTORY = "stackaudit: the checks need an inventory: pass --inventory=FILE, or run `stackaudit run --inventory=FILE`"
# The fixtures a check names its target by (stackaudit/fixtures.py). The name only reads well: the
# targets it is parametrized over are those its catalog record applies to (stackaudit/applicability.py).
TARGET_FIXTURES = ("pool", "hypervisor_host", "kvm_host", "xen_host", "firewalled_host", "system_vm", "database",
                   "management_server", "tls_frontend", "backed_up_machine", "machine", "zone", "cluster",
                   "routed_network", "stopped_vm", "cloud")
UMASK_BEFORE = pytest.StashKey[int]()
FIXTURES_UNLISTED = "stackaudit-fixtures-unlisted"
EVIDENCE_HOLD = "stackaudit-evidence-hold"
# The result's outcome, for its Allure result (report/auditor.py).
VERDICT = pytest.StashKey[Verdict]()


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


def pytest_configure(config):
    config.stash[STATE] = None
    config.stash[SHARD] = None
    install_log_redaction()
    register_markers(config)
    config.pluginmanager.register(PytestFinalizersUnwrapped(), "stackaudit-allure-fixtures")
    if not config.getoption("--inventory"):
        if names_the_checks(config.args):     # one line, not an error per check module at collection
            raise pytest.UsageError(NO_INVENTORY)
        register_tally(config, None)
        return
    if allure_commons.plugin_manager.get_plugin(FIXTURES_UNLISTED) is None:     # a run of checks: no fixtures shown
        allure_commons.plugin_manager.register(FixturesUnlisted(), FIXTURES_UNLISTED)
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
    # each result's evidence held until its outcome is known (collect/evidence.py)
    config.pluginmanager.register(EvidenceHold(state.policy.report.evidence), EVIDENCE_HOLD)


def pytest_configure_node(node):
    """xdist controller: hand each worker the frozen snapshot's run directory."""
    state = node.config.stash[STATE]
    if state is not None:
        node.workerinput["stackaudit_run_dir"] = str(state.run_dir)
        node.workerinput["stackaudit_run_mark"] = state.run_mark
        node.workerinput["stackaudit_inputs"] = node.config.stash[CONFIGURATION].input_files()


def pytest_unconfigure(config):
    if allure_commons.plugin_manager.get_plugin(FIXTURES_UNLISTED) is not None:
        allure_commons.plugin_manager.unregister(name=FIXTURES_UNLISTED)
    state = config.stash.get(STATE, None)
    if state is not None:
        state.store.close()
        if not hasattr(config, "workerinput"):     # the workers have ended: only masked facts stay
            publish_facts(state.run_dir)
    if UMASK_BEFORE in config.stash:    # pytest run in-process: the caller's umask back
        os.umask(config.stash[UMASK_BEFORE])


def pytest_generate_tests(metafunc):
    """Parametrize a check over the targets it applies to, and only those (stackaudit/applicability.py);
    the run's ScopeLedger keeps what was left out and why."""
    names = [n for n in TARGET_FIXTURES if n in metafunc.fixturenames]
    if not names:
        return
    state = metafunc.config.stash[STATE]
    if state is None:
        raise pytest.UsageError(NO_INVENTORY)
    (name,) = names
    check_id = getattr(metafunc.function, "stackaudit_check_id", None)
    if check_id is None:
        raise pytest.UsageError(f"stackaudit: {metafunc.definition.nodeid} asks for the target {name} "
                                "but implements no check: decorate it with @check(CHECK-ID)")
    decision = decide(catalog()[check_id], state.snapshot, state.policy, state.inventory)
    state.scope.record(check_id, decision, metafunc.definition)
    if decision.applies:    # else no item at all (pytest_pycollect_makeitem), not pytest's skipped empty parameter set
        metafunc.parametrize(name, [pytest.param(t.id, id=t.id, marks=pytest.mark.xdist_group(t.id))
                                    for t in decision.applies], indirect=True)


@pytest.hookimpl(wrapper=True)
def pytest_pycollect_makeitem(collector, name, obj):
    """A check that applies to no target is not collected at all (it was not parametrized: its one
    item would have no target); the ledger counts it as not applicable."""
    made = yield
    check_id = getattr(obj, "stackaudit_check_id", None)
    state = collector.config.stash.get(STATE, None)
    if check_id is not None and state is not None and isinstance(made, list) and state.scope.applies_nowhere(check_id):
        return []
    return made


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
    if state is None:
        return
    if shard is not None:
        deselect_other_shards(config, items, shard, state.snapshot)
    state.scope.narrow(items, lambda target: shard is None or shard.holds(state.snapshot.shard_key(target)),
                       lambda definition: selected_by_expressions(config, definition))
    hand_over_not_applicable(config, state.scope.entries())


def deselect_other_shards(config, items, shard, snapshot: Snapshot) -> None:
    kept, deselected = [], []
    for item in items:
        (kept if shard.holds(snapshot.shard_key(item_target(item))) else deselected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


def selected_by_expressions(config, definition) -> bool:
    """Whether -m and -k would keep a check that applies to no target, so has no item to keep: judged on
    its function as pytest judges an item (deselect_by_mark and deselect_by_keyword, src/_pytest/mark/
    __init__.py, pytest-dev/pytest; pytest has no public API for it, hence the private imports)."""
    from _pytest.mark import KeywordMatcher, MarkMatcher
    from _pytest.mark.expression import Expression
    markexpr, keywordexpr = config.option.markexpr, config.option.keyword.lstrip()
    if markexpr and not Expression.compile(markexpr).evaluate(MarkMatcher.from_markers(definition.iter_markers())):
        return False
    return not keywordexpr or Expression.compile(keywordexpr).evaluate(KeywordMatcher.from_item(definition))


def hand_over_not_applicable(config, entries) -> None:
    """To the outcomes' tally: this process's (one process) or the controller's, from a worker (every
    worker collects the same items, so the controller keeps one worker's list: Tally.pytest_testnodedown)."""
    listed = [entry.entry() for entry in entries]
    if hasattr(config, "workeroutput"):
        config.workeroutput["stackaudit_not_applicable"] = listed
        return
    tally = config.pluginmanager.get_plugin("stackaudit-outcomes")
    if tally is not None:
        tally.not_applicable = listed


def pytest_collection_finish(session):
    """Start collecting, concurrently and in the background, the facts this run's checks read."""
    state = session.config.stash[STATE]
    if state is None:
        return
    needs = fact_needs(session.items, state.snapshot)
    state.collector.needs = needs
    targets = [state.snapshot.by_id(i) for i in sorted(needs) if needs[i]]
    state.store.prefetch(targets)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Outside the checkout, plain `pytest` finds no checks: say where they are."""
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED and not config.getoption("--inventory"):
        terminalreporter.write_line(f"stackaudit: no checks here; run `stackaudit run --inventory=FILE`, or "
                                    f"`pytest {checks_dir()} --inventory=FILE`")


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
    issue_pattern = dict(getattr(item.config.option, "allure_link_pattern", None) or []).get("issue", "{}")
    present(test_result, record, item.function.__doc__, item_target(item), item.stash.get(ESCALATED, record.severity),
            item.stash.get(VERDICT, None), issue_pattern)
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
                             "message": reason or "", "waiver": fields,
                             "not_checked": item.stash[VERDICT].not_checked}
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


def names_the_checks(args: list[str]) -> bool:
    """Whether pytest's arguments (paths, `path::test` ids) reach the checks: a path in the checks
    directory or one holding it."""
    checks = checks_dir().resolve()
    for arg in args:
        path = Path(arg.split("::", 1)[0]).resolve()
        if path == checks or checks in path.parents or path in checks.parents:
            return True
    return False


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
