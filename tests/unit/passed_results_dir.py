"""A run's Allure results directory as the suite leaves it, written by allure-commons' own file logger
(AllureFileLogger): results rewritten by report/auditor.present, the evidence of a passed result as its
digest (collect/evidence.py), of one that did not pass in full. For tests of report/passed_per_check.py."""
from __future__ import annotations

import datetime
import uuid
from pathlib import Path

from allure_commons.logger import AllureFileLogger
from allure_commons.model2 import Attachment, Label, Parameter, StatusDetails, TestResult, TestResultContainer

from stackaudit.catalog import catalog
from stackaudit.collect.evidence import DIGEST_NAME, Piece, digest_text
from stackaudit.config.waivers import Waiver
from stackaudit.report.auditor import Verdict, present
from stackaudit.report.waiving import waive

HOSTILE = "kvm-host://zone1/<b>kvm\x1b[2J</b>"
PASSED = {"HOST-IPTABLES-V4": ["kvm-host://zone1/kvm01", "kvm-host://zone1/kvm02", HOSTILE, "mgmt://ms1"],
          "DB-CNF-PERSISTED": ["db://db1"]}
START = 1764036000000


def pieces(target: str) -> list[Piece]:
    facts = f"facts/{target.split('://')[0]}_{abs(hash(target)) % 1000}.json"
    return [Piece("os_release", f"ID=debian\n# {target}\n", "text/plain", facts),
            Piece("iptables_save", f"*filter\n-A INPUT -j CLOUDSTACK-SERVICES # {target}\n", "text/plain", facts)]


def allure_result(check_id: str, target: str, index: int) -> TestResult:
    record = catalog()[check_id]
    result = TestResult(uuid=str(uuid.uuid4()), historyId=f"h-{check_id}-{index}", name="test_x", status="passed",
                        fullName="checks.test_x#test_x", start=START + index * 1000, stop=START + index * 1000 + 10)
    result.parameters = [Parameter(name="host", value=repr(target))]
    result.labels = [Label(name=n, value=v) for n, v in (
        ("check_id", check_id), ("target", target), ("epic", record.area), ("tag", "nightly"),
        ("package", "checks.test_x"), ("host", "vm"), ("thread", "1-MainThread"), ("severity", record.severity))]
    return result


def attach(logger: AllureFileLogger, item, name: str, text: str) -> str:
    source = f"{uuid.uuid4()}-attachment.txt"
    logger.report_attached_data(text, source)
    item.attachments.append(Attachment(name=name, source=source, type="text/plain"))
    return source


def write_run_results(results: Path, evidence_all: bool = False, gone: str | None = None) -> dict[str, TestResult]:
    """The results: HOST-IPTABLES-V4 passed on four targets (one of them hostile) and failed on one;
    DB-CNF-PERSISTED passed on one; DB-BINLOG-ROW waived; SVM-LIBSSL-PATCHED broken; a result without a
    check. Every result has its container. `evidence_all`: passed results carry their evidence in full;
    `gone`: a passed target left out (it has left the cloud). Returns the non-passed results by kind."""
    logger = AllureFileLogger(str(results))
    index = 0
    passed_uuids = []
    for check_id, targets in PASSED.items():
        for target in targets:
            if target == gone:
                continue
            index += 1
            result = allure_result(check_id, target, index)
            present(result, catalog()[check_id], None, target, catalog()[check_id].severity, None)
            if evidence_all:
                for piece in pieces(target):
                    attach(logger, result, piece.name, piece.text)
            else:
                attach(logger, result, DIGEST_NAME, digest_text(pieces(target)))
            logger.report_result(result)
            passed_uuids.append(result.uuid)
    waiver = Waiver("DB-BINLOG-ROW", "db://db2", "migration planned", "j.doe", "OPS-7", datetime.date(2027, 1, 31))
    status, message, fields = waive(waiver, "binlog_format STATEMENT", datetime.date(2026, 11, 25))
    kept = {}
    for kind, check_id, target, verdict in (
            ("failed", "HOST-IPTABLES-V4", "kvm-host://zone1/kvm09", Verdict("failed", "rules.v4 does not exist")),
            ("broken", "SVM-LIBSSL-PATCHED", "cpvm://zone1/v-2-VM", Verdict("broken", "host key changed",
                                                                              not_checked="host key", trace="tb")),
            ("waived", "DB-BINLOG-ROW", "db://db2", Verdict(status, message, waiver=fields))):
        index += 1
        result = allure_result(check_id, target, index)
        result.status, result.statusDetails = "failed", StatusDetails(message="AssertionError", trace="tb")
        present(result, catalog()[check_id], None, target, catalog()[check_id].severity, verdict)
        for piece in pieces(target):
            attach(logger, result, piece.name, piece.text)
        logger.report_result(result)
        kept[kind] = result
    discovery = TestResult(uuid=str(uuid.uuid4()), name="discovery", status="passed", start=START, stop=START + 1)
    logger.report_result(discovery)
    kept["no check"] = discovery
    for child in [*passed_uuids, *(r.uuid for r in kept.values())]:
        logger.report_container(TestResultContainer(uuid=str(uuid.uuid4()), children=[child], start=START, stop=START))
    logger.report_container(TestResultContainer(uuid=str(uuid.uuid4()), children=[passed_uuids[0], kept["failed"].uuid]))
    return kept
