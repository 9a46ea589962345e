"""The fleet benchmark's printed table and its last line (read by tools: keep its form exact)."""
from __future__ import annotations

from dataclasses import dataclass

from benchmarks.sshd_log import Spread

MIB = 1024 * 1024


@dataclass(frozen=True)
class Measured:
    tool: str
    wall: float            # seconds
    cpu: float             # client CPU seconds (user + system of the tool's processes)
    peak_rss: int          # bytes, the tool's process tree at its largest
    connections: Spread    # TCP connections per SSH target, at the target's own sshd
    logins: Spread         # logins per SSH target
    exit_code: int


HEADER = (f"{'tool':<22}{'wall s':>8}{'cpu s':>8}{'peak MiB':>10}"
          f"{'conn/target min/mean/max':>27}{'logins/target':>17}{'exit':>6}")


def table(rows: list[Measured]) -> list[str]:
    return [HEADER] + [f"{r.tool:<22}{r.wall:>8.1f}{r.cpu:>8.1f}{r.peak_rss / MIB:>10.0f}"
                       f"{str(r.connections):>27}{str(r.logins):>17}{r.exit_code:>6}" for r in rows]


def ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}" if denominator > 0 else "n/a"


def last_line(targets: int, floor: float, stackaudit: float, testinfra: float, ansible: float,
              peak_bytes: int, report_mb: float | None = None, report_seconds: float | None = None) -> str:
    """`bench: T targets, floor F s, stackaudit S s (S/F x.xx), testinfra N s (N/S x.xx),
    ansible A s (A/S x.xx), peak M MiB, report R MB in G s` (issue 13; the report's figures: issue 23,
    `report none` when the run wrote no report.html)."""
    report = f"report {report_mb:.1f} MB in {report_seconds:.1f} s" if report_mb is not None else "report none"
    return (f"bench: {targets} targets, floor {floor:.1f} s, stackaudit {stackaudit:.1f} s "
            f"(S/F {ratio(stackaudit, floor)}), testinfra {testinfra:.1f} s (N/S {ratio(testinfra, stackaudit)}), "
            f"ansible {ansible:.1f} s (A/S {ratio(ansible, stackaudit)}), peak {peak_bytes / MIB:.0f} MiB, {report}")


def per_target_line(seconds_per_target: dict[int, dict[str, float]]) -> str:
    """`s/target at 100: floor 0.160, stackaudit 0.180; at 500: ...` (hosts -> tool -> s/target)."""
    parts = [f"at {hosts}: " + ", ".join(f"{tool} {value:.3f}" for tool, value in tools.items())
             for hosts, tools in seconds_per_target.items()]
    return "s/target " + "; ".join(parts)
