"""Issue 23's goals for the fleet benchmark, each printed PASS or MISS: at 1,000 hosts the whole run's
peak memory under 1 GiB, report.html under 30 MB and generated in under 10 s; at 100 hosts StackAudit
within 1.3 times the SSH floor."""
from __future__ import annotations

import re
from dataclasses import dataclass

from benchmarks.fleet_report import MIB, Measured

# `stackaudit run`'s line: `Report: PATH (12.3 MB, generated in 4.5 s)` (stackaudit/cli/run_command.py, finish)
REPORT_LINE = re.compile(r"^Report: .* \(([0-9.]+) MB, generated in ([0-9.]+) s\)$", re.MULTILINE)


@dataclass(frozen=True)
class ReportFigures:
    megabytes: float
    seconds: float


def report_figures(output: str) -> ReportFigures | None:
    """report.html's size and generation time as the run printed them; None when it wrote none."""
    found = REPORT_LINE.findall(output)
    return ReportFigures(float(found[-1][0]), float(found[-1][1])) if found else None


def verdict(met: bool) -> str:
    return "PASS" if met else "MISS"


def goal_lines(hosts: int, floor: Measured, stackaudit: Measured, report: ReportFigures | None) -> list[str]:
    """One line per goal set at this size (none at other sizes)."""
    lines = []
    if hosts == 1000:
        peak = stackaudit.peak_rss / MIB
        lines.append(f"goal at 1000 hosts: peak {peak:.0f} MiB, under 1024 MiB: {verdict(peak < 1024)}")
        if report is None:
            lines.append("goal at 1000 hosts: report.html: none written: MISS")
        else:
            lines.append(f"goal at 1000 hosts: report.html {report.megabytes:.1f} MB, under 30 MB: "
                         f"{verdict(report.megabytes < 30)}")
            lines.append(f"goal at 1000 hosts: report generated in {report.seconds:.1f} s, under 10 s: "
                         f"{verdict(report.seconds < 10)}")
    if hosts == 100:
        ratio = stackaudit.wall / floor.wall if floor.wall > 0 else float("inf")
        lines.append(f"goal at 100 hosts: stackaudit {stackaudit.wall:.1f} s / floor {floor.wall:.1f} s = "
                     f"{ratio:.2f}, at most 1.30: {verdict(ratio <= 1.3)}")
    return lines
