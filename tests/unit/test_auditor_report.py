"""Each Allure result as an auditor reads it (stackaudit/report/auditor.py): title, message without
pytest's echo, the record as escaped HTML, suites by target, and categories that split the outcomes."""
from __future__ import annotations

import datetime
import re
from dataclasses import replace
from html.parser import HTMLParser

import pytest
from allure_commons.model2 import Label, Parameter, StatusDetails
from allure_commons.model2 import TestResult as AllureResult

from stackaudit.catalog import catalog
from stackaudit.config.waivers import Waiver
from stackaudit.targets import KINDS
from stackaudit.errors import (ApiError, AuthenticationFailed, CollectionFailed, HostKeyRejected, LoginRefused,
                               NotCheckable, Unreachable, UnparsableOutput, error_record, raise_if_error)
from stackaudit.report.auditor import (FAMILIES, REASONS, SUITES, Verdict, allure_status, categories, description_html,
                                       not_checked_message,
                                       not_checked_reason, present, severity_line, ticket_url, title)
from stackaudit.report.outcomes import failure_message
from stackaudit.report.description import citations, cited
from stackaudit.report.waiving import waive
from tests.checks.rendered_report import allure_categories

TODAY = datetime.date(2026, 11, 25)
SCRIPT = "<script>alert(1)</script>"


def assertion_text(findings: list[str], message: str | None) -> str:
    """The text of the AssertionError a check raises, as pytest's assertion rewriting makes it."""
    with pytest.raises(AssertionError) as raised:
        if message is None:
            assert not findings
        else:
            assert not findings, message
    return str(raised.value)


def test_title_reads_check_and_target_short_enough_for_every_tree():
    record = catalog()["DB-CNF-PERSISTED"]
    assert title(record.id, record.title, "db://db2") == "DB-CNF-PERSISTED · db://db2"
    assert title(record.id, record.title, None) == f"DB-CNF-PERSISTED · {record.title}"     # no target of its kind


def test_every_catalog_title_is_one_line_without_a_full_stop():
    for record in catalog().values():
        assert "\n" not in record.title and " · " not in record.title and not record.title.endswith("."), record.id


@pytest.mark.parametrize("findings, message, expected", [
    (["max_connections 151"], "max_connections 151; the rule wants >= 350", "max_connections 151; the rule wants >= 350"),
    (["a", "b"], "two findings:\n  a\n  b", "two findings:\n  a\n  b"),
    (["x"], None, "the rule does not hold"),
    (["x"], "", "the rule does not hold"),
])
def test_failure_message_is_the_check_s_own_without_pytest_s_assert_echo(findings, message, expected):
    text = assertion_text(findings, message)
    assert "\nassert not [" in text or text.startswith("assert not [")     # what pytest really raises
    assert failure_message(text) == expected


def test_failure_message_of_a_comparison_drops_pytest_s_where_lines():
    timeout = None
    with pytest.raises(AssertionError) as raised:
        assert timeout == 180, "HA timeout: no explicit timeout; the policy wants 180 s"
    assert "\nassert None == 180" in str(raised.value)
    assert failure_message(str(raised.value)) == "HA timeout: no explicit timeout; the policy wants 180 s"


@pytest.mark.parametrize("error, reason", [
    (Unreachable("kvm-host://zone1/kvm02: cannot connect: No route to host"), "unreachable"),
    (LoginRefused("198.18.1.4:22: SSH login as audit refused"), "login refused"),
    (AuthenticationFailed("refused"), "login refused"),
    (HostKeyRejected("198.18.1.4:22: host key unknown (not in known_hosts)"), "host key"),
    (UnparsableOutput("dpkg-query line 3: expected 'package<TAB>status<TAB>version'"), "unparsable"),
    (ApiError("CloudStack API: listHosts: 530 internal error"), "API error"),
    (NotCheckable("the policy names no IPv6 management prefix"), "not checkable"),
    (CollectionFailed("db://db1: fact cnf exited 2"), "not checkable"),
    (KeyError("hostname"), "not checkable"),
    (None, "not checkable"),
])
def test_a_broken_result_names_why_it_was_not_checked_by_the_error_s_type(error, reason):
    assert not_checked_reason(error) == reason


def test_the_split_error_types_survive_the_fact_store():
    # Collection errors are stored as JSON with the facts and raised again where a check reads them.
    for error in (LoginRefused("a"), HostKeyRejected("b"), ApiError("c")):
        with pytest.raises(type(error)):
            raise_if_error(error_record(error))


def html_text(fragment: str) -> tuple[str, list[str]]:
    """The text a browser shows of an HTML fragment, and the tags it holds."""
    class Reader(HTMLParser):
        def __init__(self):
            super().__init__()
            self.text, self.tags = [], []

        def handle_starttag(self, tag, attrs):
            self.tags.append(tag)

        def handle_data(self, data):
            self.text.append(data)
    reader = Reader()
    reader.feed(fragment)
    return "".join(reader.text), reader.tags


def test_description_shows_rule_severity_why_with_sources_remediation_and_verification():
    record = catalog()["KVM-AGENT-MGMT-HOSTS"]
    page = description_html(record, "agent.properties `host=` names every management server.", record.severity)
    text, tags = html_text(page)
    for part in ("KVM-AGENT-MGMT-HOSTS", "Severity: normal", "WHY", "REMEDIATION", "Disruption:", "VERIFY BY HAND",
                 "CloudStack (Computer Science Club of the University of Waterloo, CSCWiki (Max Erenberg), 2022)",
                 "Apache CloudStack source code"):
        assert part in text, part
    # Sources by title and link: no README keys, no "keys of the Sources table".
    assert '<a href="https://wiki.csclub.uwaterloo.ca/CloudStack" target="_blank" rel="noopener noreferrer">CloudStack</a>' in page
    assert "[CS-CODE]" not in text and "README" not in text
    assert "<code>host=</code>" in page and "`" not in text.replace("`host=`", "") and "script" not in tags


def test_description_of_an_escalated_result_gives_both_severities():
    record = catalog()["KVM-LIBVIRTD-LISTEN"]
    text, _ = html_text(description_html(record, None, "critical"))
    assert "Severity: critical (for this result; the check's own severity is normal)" in text


def test_no_text_reaches_the_html_unescaped():
    record = replace(catalog()["DB-BINLOG-ROW"], title=SCRIPT, rationale=f"why {SCRIPT}", remediation=f"`{SCRIPT}`",
                     verify=f"<b onmouseover=x>{SCRIPT}", source=f"[CSC-WIKI] {SCRIPT}, https://e.org/\"><script>")
    waiver = {"check": "DB-BINLOG-ROW", "target": SCRIPT, "reason": SCRIPT, "approver": "<i>j</i>",
              "ticket": "OPS-1", "expires": "2027-01-01", "expired": False}
    page = description_html(record, f"The rule {SCRIPT}", "critical", waiver)
    text, tags = html_text(page)
    assert set(tags) <= {"br", "h3", "p", "b", "ul", "li", "a", "code", "pre", "table", "tr", "td"}
    assert text.count(SCRIPT) == 7 and "<i>j</i>" in text
    assert all('"' not in href for href in re.findall(r'href="([^"]*)"', page))


def test_a_waived_result_shows_the_waiver_s_fields():
    waiver = Waiver("DB-BINLOG-ROW", "db://*", "migration to ROW planned", "j.doe", "OPS-7", datetime.date(2027, 1, 31))
    status, message, fields = waive(waiver, "binlog_format STATEMENT", TODAY)
    text, _ = html_text(description_html(catalog()["DB-BINLOG-ROW"], None, "critical", fields))
    assert text.startswith("WAIVERWaived by j.doe, ticket OPS-7, until 2027-01-31: the failure does not count.")
    for part in ("Approved by:\xa0j.doe", "Ticket:\xa0OPS-7", "Expires:\xa02027-01-31",
                 "Reason:\xa0migration to ROW planned", "Covers:\xa0db://*"):
        assert part in text, part


def allure_result(name="test_cnf_persisted[db://db2]", labels=(("severity", "normal"), ("severity", "critical"))):
    """A TestResult as allure-pytest leaves it at teardown."""
    found = AllureResult(name=name, description="**Markdown**", status="failed",
                       statusDetails=StatusDetails(message="AssertionError: found\nassert not ['x']",
                                                   trace="failed: found"))
    found.labels = [Label(name=n, value=v) for n, v in (*labels, ("parentSuite", "checks"),
                    ("suite", "test_database"), ("subSuite", "x"), ("check_id", "DB-CNF-PERSISTED"),
                    ("target", "db://db2"), ("epic", "Databases"), ("feature", "DB-CNF-PERSISTED"))]
    return found


def labels_of(result) -> list[tuple[str, str]]:
    return [(label.name, label.value) for label in result.labels]


def test_present_rewrites_a_failed_result_for_the_auditor():
    record = catalog()["DB-CNF-PERSISTED"]
    result = allure_result()
    present(result, record, "The rule.", "db://db2", "critical", Verdict("failed", "max_connections is not set"))
    assert result.name.startswith("DB-CNF-PERSISTED · ") and result.name.endswith(" · db://db2")
    # the message is the check's heading, the same for every target; the finding follows the severity line
    assert (result.status, result.statusDetails.message, result.statusDetails.trace) == (
        "failed", f"DB-CNF-PERSISTED · {record.title}",
        "Severity critical: DB-CNF-PERSISTED does not hold on db://db2.\n\nmax_connections is not set")
    assert result.description is None and "<h3><b>WHY</b></h3>" in result.descriptionHtml
    assert html_text(result.descriptionHtml)[0].startswith("FOUNDmax_connections is not set")
    labels = labels_of(result)
    assert [v for n, v in labels if n == "severity"] == ["critical"]
    assert ("parentSuite", "Database servers") in labels and ("suite", "db://db2") in labels
    assert [n for n, _ in labels if n in ("parentSuite", "suite", "subSuite")] == ["parentSuite", "suite"]
    assert {("check_id", "DB-CNF-PERSISTED"), ("target", "db://db2"), ("epic", "Databases"),
            ("feature", f"DB-CNF-PERSISTED · {record.title}")} <= set(labels)
    assert [n for n, _ in labels].count("feature") == 1


def test_present_names_why_a_broken_result_was_not_checked_and_keeps_its_trace():
    result = allure_result()
    verdict = Verdict("broken", "db://db2: cannot connect (2003)", not_checked="unreachable", trace="Traceback ...")
    present(result, catalog()["DB-CNF-PERSISTED"], None, "db://db2", "normal", verdict)
    assert (result.status, result.statusDetails.message, result.statusDetails.trace) == (
        "broken", f"not checked (unreachable): DB-CNF-PERSISTED · {catalog()['DB-CNF-PERSISTED'].title}",
        "db://db2: cannot connect (2003)\n\nTraceback ...")
    assert ("finding", "not checked (unreachable): db://db2: cannot connect (2003)") in labels_of(result)


def test_present_skips_a_waived_failure_with_its_waiver_label_and_fields():
    waiver = Waiver("DB-BINLOG-ROW", "db://db2", "planned", "j.doe", "OPS-1", datetime.date(2027, 1, 31))
    status, message, fields = waive(waiver, "binlog_format STATEMENT", TODAY)
    result = allure_result()
    present(result, catalog()["DB-BINLOG-ROW"], None, "db://db2", "critical", Verdict(status, message, waiver=fields))
    assert (result.status, result.statusDetails.message, result.statusDetails.trace) == (
        "skipped", f"waived until 2027-01-31 by j.doe (OPS-1, waiver target db://db2): DB-BINLOG-ROW · "
                   f"{catalog()['DB-BINLOG-ROW'].title}", message)
    assert ("finding", message) in labels_of(result)
    assert result.name.startswith("Waived · DB-BINLOG-ROW · ")      # the status says skipped: the title says waived
    assert ("waiver", "OPS-1 · j.doe · expires 2027-01-31") in labels_of(result)
    assert "OPS-1" in result.descriptionHtml


def test_a_result_without_a_target_has_no_target_in_title_or_suite():
    record = catalog()["XS-POOL-HA-ENABLED"]
    result = allure_result(name="test_pool_ha_enabled")
    present(result, record, None, None, record.severity, Verdict("skipped", ""))
    assert result.name == f"XS-POOL-HA-ENABLED · {record.title}"
    assert ("parentSuite", "XenServer pools") in labels_of(result)


def test_every_kind_of_target_has_a_suite_name():
    assert set(SUITES) == set(KINDS)


# --- categories.json: each result in exactly one category, the one of its kind -----------------------------
def written(verdict: Verdict, severity: str = "critical") -> tuple[str, str, str]:
    """(Allure status, message, trace) as present() writes them for this verdict."""
    return allure_status(verdict, "DB-BINLOG-ROW", "binlog_format is ROW", severity, "db://db1")


def violation(message: str, severity: str = "critical", waiver: dict | None = None) -> tuple[str, str, str]:
    return written(Verdict("failed", message, waiver=waiver), severity)


def messages_by_category() -> dict[str, list[tuple[str, str, str | None]]]:
    """(Allure status, message, trace) of each kind, as the plugin writes them."""
    expired = Waiver("HOST-IPTABLES-V4", "kvm-host://zone1/kvm02", "r", "j.doe", "OPS-2", TODAY - datetime.timedelta(2))
    in_force = Waiver("DB-BINLOG-ROW", "db://*", "r", "j.doe", "OPS-1", TODAY + datetime.timedelta(30))
    multi_line = "new connections from outside the exceptions:\n  tcp 8250 => ACCEPT\n(waiver text in evidence)"
    broken = {reason: [written(Verdict("broken", f"db://db1: {reason} (waived until 2027-01-01)", not_checked=reason,
                                       trace="Traceback ..."))] for reason in REASONS}
    # older forms the categories still sort: a message without the reason, none at all
    broken["not checkable"] += [("broken", "KeyError: 'hostname'", None), ("broken", "not checked", None)]
    expired_failures = [waive(expired, "rules.v4 does not exist", TODAY), waive(expired, "line one\nline two", TODAY)]
    in_force_status, in_force_message, in_force_fields = waive(in_force, "binlog_format STATEMENT\nsecond line", TODAY)
    return {
        "6 · Expired waivers": [violation(expired_failures[0][1], waiver=expired_failures[0][2]),
                                violation(expired_failures[1][1], "minor", expired_failures[1][2])],
        "1 · Blocker violations": [violation("binlog_format STATEMENT; the rule wants ROW", "blocker")],
        "2 · Critical violations": [violation(multi_line), violation("not checked (unreachable): only looks broken")],
        "3 · Normal violations": [violation("x", "normal")],
        "4 · Minor violations": [violation("Severity critical: a message that names another severity", "minor")],
        "5 · Trivial violations": [violation("y", "trivial")],
        **{f"7 · Not checked: {FAMILIES[reason]}": found for reason, found in broken.items()},
        "8 · Waived": [written(Verdict(in_force_status, in_force_message, waiver=in_force_fields))],
        None: [("skipped", "Skipped: turned off", None), ("passed", "", None)],
    }


def matching(status: str, message: str, trace: str | None) -> list[str]:
    return allure_categories(status, message, trace, categories())


def test_each_message_falls_in_exactly_the_category_of_its_kind():
    for category, found in messages_by_category().items():
        for status, message, trace in found:
            assert matching(status, message, trace) == ([category] if category else []), message


def test_categories_read_by_severity_then_expired_waivers_every_reason_s_family_and_waived():
    found = categories()
    assert [c["name"] for c in found] == [
        "1 · Blocker violations", "2 · Critical violations", "3 · Normal violations", "4 · Minor violations",
        "5 · Trivial violations", "6 · Expired waivers", "7 · Not checked: network", "7 · Not checked: credentials",
        "7 · Not checked: host key or certificate", "7 · Not checked: unreadable output",
        "7 · Not checked: CloudStack API", "7 · Not checked: policy or rule", "8 · Waived"]
    # Allure sorts the groups by lower-cased name (allure-generator 2.46, the tree's name comparator): the
    # ranks keep severity order, whatever the words
    ranks = [c["name"].split(" · ")[0] for c in found]
    assert ranks == sorted(ranks) and sorted(c["name"].lower() for c in found)[:6] == [c["name"].lower() for c in found[:6]]
    assert REASONS == ("unreachable", "login refused", "host key", "unparsable", "API error", "not checkable")
    assert all(set(c) <= {"name", "matchedStatuses", "messageRegex", "traceRegex"}
               and c["messageRegex"].startswith("(?s)") for c in found)
    # Reasons go into the regexes unescaped: words and spaces only.
    assert all(re.fullmatch(r"[A-Za-z ]+", reason) for reason in REASONS)


def test_a_container_reaches_the_file_logger_without_pytest_s_fixtures():
    from allure_commons.model2 import TestAfterResult, TestBeforeResult, TestResultContainer
    from stackaudit.report.allure_fixtures import FixturesUnlisted
    container = TestResultContainer(uuid="c", children=["t"], befores=[TestBeforeResult(name="kvm_host")],
                                    afters=[TestAfterResult(name="kvm_host::finalizer")])
    FixturesUnlisted().report_container(container)
    assert (container.befores, container.afters, container.children) == ([], [], ["t"])


@pytest.mark.parametrize("ticket, pattern, url", [
    ("OPS-7", "https://tracker.example/browse/{}", "https://tracker.example/browse/OPS-7"),
    ("https://tracker.example/OPS-7", "{}", "https://tracker.example/OPS-7"),
    ("OPS-7", "{}", None),                                   # no pattern: a name, not a link
    ("OPS-7", "javascript:alert({})", None),                 # only http(s) addresses become links
    ("OPS-7", "https://t.example/{name}", None),             # a pattern str.format cannot fill
])
def test_a_waiver_s_ticket_is_a_link_by_allure_pytest_s_issue_pattern(ticket, pattern, url):
    assert ticket_url(ticket, pattern) == url


def test_a_waived_result_says_who_until_when_and_links_the_ticket_first():
    waiver = Waiver("DB-BINLOG-ROW", "db://db2", "planned", "j.doe", "OPS-1", datetime.date(2027, 1, 31))
    status, message, fields = waive(waiver, "binlog_format STATEMENT", TODAY)
    result = allure_result()
    present(result, catalog()["DB-BINLOG-ROW"], None, "db://db2", "critical", Verdict(status, message, waiver=fields),
            "https://tracker.example/browse/{}")
    assert [(link.type, link.url, link.name) for link in result.links] == [
        ("issue", "https://tracker.example/browse/OPS-1", "OPS-1")]
    text, _ = html_text(result.descriptionHtml)
    assert text.startswith("WAIVERWaived by j.doe, ticket OPS-1, until 2027-01-31: the failure does not count.")
    assert '<a href="https://tracker.example/browse/OPS-1" target="_blank" rel="noopener noreferrer">OPS-1</a>' \
        in result.descriptionHtml
    assert message.startswith("waived until 2027-01-31 by j.doe (OPS-1")      # the message, at first glance too


def test_a_broken_result_gives_the_fix_of_its_reason_not_the_rule_s_remediation():
    record = catalog()["SVM-LIBSSL-PATCHED"]
    result = allure_result()
    verdict = Verdict("broken", "cpvm://zone1/v-2-VM: host key changed", not_checked="host key", trace="Traceback")
    present(result, record, None, "cpvm://zone1/v-2-VM", "critical", verdict)
    text, _ = html_text(result.descriptionHtml)
    assert text.startswith("NOT CHECKED: HOST KEYcpvm://zone1/v-2-VM: host key changedNothing was judged")
    assert "known_hosts" in text and "REMEDIATION" not in text and "apt-get" not in record.verify
    assert "apt-get" in record.remediation and "apt-get" not in text


def test_present_shows_the_target_as_its_one_plain_parameter_and_no_pytest_name():
    result = allure_result()
    result.parameters = [Parameter(name="database", value="'db://db2'")]
    result.fullName, result.historyId, result.testCaseId = "checks.test_database#test_cnf_persisted", "h1", "t1"
    result.labels += [Label(name=n, value=v) for n, v in (("package", "checks.test_database"), ("host", "vm"),
                      ("thread", "12993-MainThread"), ("framework", "pytest"), ("language", "cpython3"))]
    present(result, catalog()["DB-CNF-PERSISTED"], None, "db://db2", "critical", Verdict("failed", "x"))
    assert [(p.name, p.value) for p in result.parameters] == [("target", "db://db2")]
    assert result.fullName == f"Database · DB-CNF-PERSISTED · {catalog()['DB-CNF-PERSISTED'].title}"
    assert (result.historyId, result.testCaseId) == ("h1", "t1")
    labels = dict(labels_of(result))    # Packages by area; the Timeline by kind of target and target
    assert (labels["package"], labels["host"], labels["thread"]) == ("Database", "Database servers", "db://db2")
    assert not {"framework", "language"} & set(labels)
    assert "checks" not in repr(labels) and "pytest" not in repr(labels) and "test_" not in repr(labels)


@pytest.mark.parametrize("citation, cited_as", [
    ('Remi Bergsma, "Making XenServer and CloudStack sing and dance together (again)", blog, 23 May 2015, '
     'https://blog.remibergsma.com/2015/05/23/x/',
     ("Making XenServer and CloudStack sing and dance together (again)", "https://blog.remibergsma.com/2015/05/23/x/",
      "Remi Bergsma, blog, 23 May 2015")),
    ("Apache CloudStack source code, https://github.com/apache/cloudstack",
     ("Apache CloudStack source code", "https://github.com/apache/cloudstack", "")),
    ("Remi Bergsma, blog post on cloned hosts, 2015, https://blog.remibergsma.com/ (category howto)",
     ("Remi Bergsma, blog post on cloned hosts, 2015", "https://blog.remibergsma.com/", "category howto")),
    ('Apache CloudStack documentation, "Management Server Installation", Installation Guide, https://docs.x/ (database)',
     ("Management Server Installation", "https://docs.x/", "Apache CloudStack documentation, Installation Guide (database)")),
    ("A book without an address, 1999", ("A book without an address, 1999", None, "")),
])
def test_a_source_is_cited_by_its_title_and_link(citation, cited_as):
    assert cited(citation) == cited_as


def test_every_catalog_source_has_a_title_and_a_link():
    for record in catalog().values():
        for _, citation in citations(record.source):
            title_, url, _ = cited(citation)
            assert title_ and url and "[" not in title_ and "http" not in title_, (record.id, citation)
