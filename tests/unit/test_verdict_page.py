"""The verdict page (summary.html) as a pure function of a run's recorded data: the verdict first, each
section's content, every text from the cloud escaped, and a page that loads nothing."""
from __future__ import annotations

import html
import re
from dataclasses import replace
from html.parser import HTMLParser

import pytest

from stackaudit.catalog import catalog
from stackaudit.cli.run_command import verdict_checks
from stackaudit.report.verdict_page import render, verdict
from stackaudit.report.verdict_sections import MATRIX_ROWS
from tests.unit.verdict_samples import HOSTILE, inputs, result


def section(page: str, anchor: str) -> str:
    """One section's HTML (sections follow each other; the last ends before the footer)."""
    start = page.index(f'<section id="{anchor}">')
    return page[start:page.index("</section>", start)]


def text_of(fragment: str) -> str:
    """The text a reader sees: tags out, entities read, spaces folded."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


class Balance(HTMLParser):
    """Every element closed in order (void elements aside): a hostile name cannot open a tag."""
    VOID = {"meta", "br", "img", "link", "input", "hr"}

    def __init__(self):
        super().__init__()
        self.open, self.tags, self.attrs = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [(tag, name, value) for name, value in attrs]
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        assert self.open and self.open.pop() == tag, (tag, self.open[-3:])


def parsed(page: str) -> Balance:
    checker = Balance()
    checker.feed(page)
    checker.close()
    assert checker.open == []
    return checker


# --- the verdict ------------------------------------------------------------------------------------------------
def test_a_gate_with_a_failed_critical_check_is_no_go_naming_it():
    headline, cls, reasons = verdict(inputs(profile="pre_upgrade", exit_code=1))
    assert (headline, cls) == ("NO-GO", "nogo")
    assert "2 blocker or critical results failed: do not upgrade until fixed." in reasons[0]
    assert "KVM-LIBVIRTD-LISTEN · kvm-host://zone1/kvm02 (critical): listen_tcp = 1, auth_tcp none" in reasons[0]
    assert "MS-CA-STRICT · cloud://lab (critical)" in reasons[0]
    assert reasons[1] == "Exit code 1: a blocker or critical check failed."


def test_a_gate_that_could_not_check_everything_is_no_go_even_without_a_blocker():
    page = inputs(profile="pre_upgrade", exit_code=6)
    page = replace(page, summary={**page.summary, "results": [r for r in page.summary["results"]
                                                               if r["severity"] != "critical" or r["status"] != "failed"]})
    headline, cls, reasons = verdict(page)
    assert (headline, cls) == ("NO-GO", "nogo")
    assert reasons[0].startswith("1 result could not be checked: a gate that could not check everything cannot clear.")
    assert "HOST-NTP · kvm-host://zone1/kvm01 (normal): ssh 198.18.1.4:22: connection timed out" in reasons[0]


@pytest.mark.parametrize("statuses, exit_code, expected", [
    ({"passed", "waived"}, 0, ("GO", "go", "Every result passed (1 waived).")),
    ({"passed", "waived", "failed"}, 7, ("GO", "warn", "No blocker or critical check failed and everything was "
                                                       "checked; 2 lower-severity failures to review (warning).")),
])
def test_a_gate_clears_when_nothing_blocks(statuses, exit_code, expected):
    page = inputs(profile="pre_upgrade", exit_code=exit_code)
    kept = [r for r in page.summary["results"] if r["status"] in statuses and r["severity"] != "critical"
            or r["status"] in statuses - {"failed"}]
    headline, cls, reasons = verdict(replace(page, summary={**page.summary, "results": kept}))
    assert (headline, cls, reasons[0]) == expected


def test_an_interrupted_gate_is_never_a_go():
    page = inputs(profile="pre_upgrade", exit_code=2)
    passed = [r for r in page.summary["results"] if r["status"] == "passed"]
    headline, cls, reasons = verdict(replace(page, summary={**page.summary, "results": passed}))
    assert (headline, cls) == ("NO-GO", "nogo")
    assert reasons == ["The run did not finish: its results cannot clear the gate.",
                       "Exit code 2: the run did not finish."]


def test_a_nightly_run_opens_with_its_new_failures_then_what_broke():
    page = render(inputs())
    header = text_of(page[page.index("<header"):page.index("</header>")])
    assert header.startswith("StackAudit verdict: lab-<violations>, run 20261125T020000Z 1 NEW FAILURE "
                             "New failures since run 20261124T020000Z: KVM-LIBVIRTD-LISTEN · kvm-host://zone1/kvm02")
    assert header.index("New failures") < header.index("Newly broken") < header.index("In all: 4 failures")
    assert "(2 still failing from before), 1 broken. Exit code 1: a blocker or critical check failed." in header
    assert page.index("<header") < page.index('id="counts"') < page.index('id="audited"') < page.index('id="findings"') \
        < page.index('id="waivers"') < page.index('id="changes"') < page.index('id="trend"') < page.index('id="matrix"')


def test_the_verdict_lists_ten_of_a_kind_and_points_to_the_rest():
    page = inputs(profile="pre_upgrade", exit_code=6)
    broken = [result("HOST-NTP", f"kvm-host://zone1/h{i:02d}", "broken", "normal", "timed out") for i in range(13)]
    reasons = verdict(replace(page, summary={**page.summary, "results": broken}))[2]
    assert reasons[0].count("<li>") == 11 and "h09 (normal)" in reasons[0] and "h10" not in reasons[0]
    assert reasons[0].endswith('<li>and 3 more (<a href="#findings">failed and broken results</a>)</li></ul>')


def test_a_night_without_new_failures_says_so():
    page = inputs()
    quiet = {**page.summary["changes"], "new_failures": [], "new_broken": []}
    assert verdict(replace(page, summary={**page.summary, "changes": quiet}))[0] == "NO NEW FAILURES"


def test_a_failed_discovery_reads_as_nothing_checked_with_its_reason():
    page = inputs(exit_code=6, results=[], counts={"total": 0})
    page = replace(page, discovery_failure="not checked (unreachable): CloudStack API: listZones: refused", targets=[])
    for profile, expected in (("nightly", "NOTHING CHECKED"), ("pre_upgrade", "NO-GO")):
        headline, cls, reasons = verdict(replace(page, summary={**page.summary, "profile": profile}))
        assert (headline, cls) == (expected, "nogo")
        assert reasons[0] == ("Nothing was checked: StackAudit could not list the cloud's targets. "
                              "not checked (unreachable): CloudStack API: listZones: refused")
    assert "No target was listed (targets.json was not written)." in render(page)


def test_a_shard_says_the_merge_decides_what_changed():
    page = inputs(changes=None, changes_since=None, stale_waivers=None, shard="1/4")
    html_page = render(replace(page, earlier=[]))
    assert "This run is shard 1/4" in section(html_page, "changes")
    assert "Not known for this run: the night's <code>stackaudit merge</code> decides." in section(html_page, "waivers")
    assert verdict(page)[0] == "4 FAILURES"


# --- the sections --------------------------------------------------------------------------------------------------
def test_counts_by_severity_and_outcome():
    rows = re.findall(r"<tr>(.*?)</tr>", section(render(inputs()), "counts"))
    cells = [text_of(row.replace("</td>", " |").replace("</th>", " |")) for row in rows]
    assert cells == ["severity | passed | failed | broken | waived | skipped | total |",
                     "critical | 1 | 2 | 0 | 1 | 0 | 4 |",
                     "normal | 1 | 2 | 1 | 0 | 0 | 4 |",
                     "all | 2 | 4 | 1 | 1 | 0 | 8 |"]


def test_what_was_audited_names_kinds_counts_and_versions():
    audited = text_of(section(render(inputs()), "audited"))
    assert "XenServer pools 1 XenServer 8.2.1 (2)" in audited
    assert "KVM hosts 2 CloudStack 4.18.0.0 (1), CloudStack 4.19.1.0 (1)" in audited
    assert "Database servers 1 not listed" in audited
    assert f"Inventory inventories/lab.yml (SHA-256 {'ab' * 32} )" in audited
    assert "Policy built-in defaults" in audited


def test_each_failed_and_broken_result_has_its_check_target_finding_and_fix_by_severity():
    findings = section(render(inputs()), "findings")
    critical, normal = findings.split("<h3>normal (3)</h3>")
    assert "<h3>critical (2)</h3>" in critical
    assert text_of(critical).count("failed") == 2 and "kvm-host://zone1/kvm02" in critical
    assert "Set <code>listen_tls = 1</code>." in critical
    row = text_of(normal.split("<tr>")[2])
    assert row == ("DB-CNF-PERSISTED The configuration files hold CloudStack's block db://db2 failed binlog_format "
                   "= STATEMENT; the rule wants ROW Write the block to /etc/mysql/conf.d/cloudstack.cnf , see "
                   "https://example.org/db .")
    assert '<a href="https://example.org/db">https://example.org/db</a>' in normal
    broken = text_of(normal.split("<tr>")[-1])
    assert broken.startswith("HOST-NTP Clocks are synchronised kvm-host://zone1/kvm01 broken ssh 198.18.1.4:22: "
                             "connection timed out Not checked (unreachable) : Restore the path from the StackAudit "
                             "machine to the target")
    assert "<code>nc -vz ADDRESS PORT</code>" in normal     # the fix Allure gives the same reason
    assert "Enable chrony" not in findings      # a broken result's fix is never the rule's remediation


def test_every_shipped_check_has_the_title_and_fix_the_page_shows():
    checks = verdict_checks()
    assert set(checks) == set(catalog()) and all(c.title and c.remediation for c in checks.values())


def test_waivers_active_expired_expiring_and_stale_with_their_fields():
    waivers = section(render(inputs()), "waivers")
    active, expired, expiring, stale = waivers.split("<h3>")[1:]
    assert text_of(active).endswith("DB-BINLOG-ROW db://db2 accepted <for> the test j.doe OPS-1 2027-01-06 "
                                    "db://db2")
    assert text_of(expired).endswith("MS-CA-STRICT cloud://lab agents re-keyed a.admin OPS-7 2026-11-01 cloud://*")
    assert text_of(expiring).endswith("DB-BINLOG-ROW db://db2 soon j.doe OPS-1 2026-12-01")
    assert text_of(stale).endswith("HOST-NTP kvm-host://zone9/* old x OPS-3 2027-02-01")


def test_changes_list_new_failures_newly_broken_and_fixed():
    changes = text_of(section(render(inputs()), "changes"))
    assert "Against run 20261124T020000Z." in changes
    assert ("new failure KVM-LIBVIRTD-LISTEN libvirtd listens only with TLS kvm-host://zone1/kvm02 newly broken "
            "HOST-NTP Clocks are synchronised kvm-host://zone1/kvm01 fixed HOST-NTP") in changes
    assert changes.endswith("Still failing from before: 2.")


def test_the_trend_lists_this_run_and_earlier_ones_with_their_dates():
    trend = text_of(section(render(inputs()), "trend"))
    assert ("20261125T020000Z (this run) 2026-11-25T02:00:00+00:00 nightly 1 2 4 1 1 "
            "20261124T020000Z 2026-11-24T02:00:00+00:00 nightly 7 6 2 0 0") in trend


def test_the_matrix_marks_each_target_against_each_check_of_its_kind():
    matrix = section(render(inputs()), "matrix")
    kvm = matrix.split("<h3>KVM hosts</h3>")[1].split("</table>")[0]
    assert re.findall(r'<th class="check"><span>([^<]+)</span>', kvm) == ["HOST-NTP", "KVM-LIBVIRTD-LISTEN"]
    row = kvm.split("kvm-host://zone1/kvm01</th>")[1].split("</tr>")[0]
    assert re.findall(r'title="(\w+)"', row) == ["broken", "passed"]


def test_a_large_matrix_keeps_only_targets_that_did_not_pass():
    page = inputs()
    many = [result("HOST-NTP", f"kvm-host://zone1/h{i:04d}", "passed", "normal") for i in range(MATRIX_ROWS + 5)]
    matrix = section(render(replace(page, summary={**page.summary, "results": page.summary["results"] + many})),
                     "matrix")
    assert "h0001" not in matrix and "kvm-host://zone1/kvm02" in matrix
    # the passed ones and db://db1, whose one result passed
    assert f"{MATRIX_ROWS + 5 + 1} targets where every check passed are left out" in text_of(matrix)


# --- safe and self-contained -------------------------------------------------------------------------------------
def test_every_text_from_the_cloud_is_escaped():
    page = inputs()
    hostile = {**page.summary, "cloud": "<b>evil</b>", "changes_since": "<i>x</i>",
               "stale_waivers": [{"check_id": "HOST-NTP", "target": "<u>", "reason": "</table><script>",
                                  "approver": "\u202e", "ticket": "<a href=x>", "expires": "2027-01-01"}]}
    html_page = render(replace(page, summary=hostile, discovery_failure=None,
                               targets=page.targets + [{"kind": "<kvm>", "attrs": {"version": "<v>"}}]))
    checker = parsed(html_page)
    assert "script" not in checker.tags and "img" not in checker.tags and "u" not in checker.tags
    for raw in ("<img src=x", "<script>alert(2)", "<b>evil", "<i>x", "</table><script>", "<a href=x>", "<kvm>", "\x1b",
                "\u202e"):
        assert raw not in html_page
    assert HOSTILE not in html_page and "kvm-host://zone1/&lt;img src=x onerror=alert(1)&gt;\\x1b[2J" in html_page
    assert "\\u202e" in html_page and "&lt;script&gt;alert(2)&lt;/script&gt;" in html_page


def test_the_page_loads_nothing_and_runs_no_script():
    page = render(inputs())
    checker = parsed(page)
    assert not {"script", "link", "img", "iframe", "object", "embed"} & set(checker.tags)
    assert "url(" not in page and "@import" not in page
    assert {name for _, name, _ in checker.attrs} <= {"lang", "charset", "http-equiv", "content", "name", "id",
                                                      "class", "title", "style", "href"}
    assert [value for tag, name, value in checker.attrs if name == "href"] == ["https://example.org/db"]
    assert all(re.fullmatch(r"width:[0-9.]+%", value) for _, name, value in checker.attrs if name == "style")
    assert "default-src 'none'; style-src 'unsafe-inline'" in page


def test_it_prints_on_a4_with_a_page_break_before_each_section_after_the_first_page():
    page = render(inputs())
    assert "@page { size: A4;" in page and "section { break-before: page; }" in page
    assert "section#counts, section#audited { break-before: auto; }" in page
    assert page.count("<section id=") == 7
