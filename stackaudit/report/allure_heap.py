"""Java's heap for Allure's report generation, capped and sized from the results it reads.

Uncapped, the JVM may grow its heap to a quarter of the machine's memory (HotSpot's default
MaxRAMPercentage, Java SE 17 "java" tool reference, https://docs.oracle.com/en/java/javase/17/docs/specs/man/java.html),
and it collects late: at 1,000 hosts Allure alone held 777 MB (docs/benchmarks.md, "Fleet benchmark"). The cap is
the results directory's size times HEAP_PER_RESULTS_BYTE, between a floor and a ceiling measured on
the fleet benchmark's results (below; docs/report-at-scale.md).

allure-commandline's launcher (dist/bin/allure, a Gradle start script, allure-commandline 2.46.1 on npm)
runs `java $DEFAULT_JVM_OPTS $JAVA_OPTS $ALLURE_OPTS ... io.qameta.allure.CommandLine`, so the options go
in JAVA_OPTS; an -Xmx the operator already put in JAVA_OPTS or ALLURE_OPTS is left to rule.
The JVM's own options: SPEED_AND_SIZE. -XX:+ExitOnOutOfMemoryError ends it at the first OutOfMemoryError (exit code 3) instead of leaving
a generation half-dead: report.html is then not written, with a one-line reason, never a hang.
"""
from __future__ import annotations

import math
import re
from pathlib import Path

MIB = 1024 * 1024
# Measured with the serial collector (SPEED_AND_SIZE): a 100-host run's 6.8 MB of results (22 MB of report)
# need 64 MiB and fail at 48; ten times those results (66 MB, 191 MB of report) need 512 MiB (19.6 s) and
# fail at 384, 640 MiB take 11.1 s at 682 MiB resident. Ten times the results' bytes clears both with room;
# the ceiling keeps Java under about 800 MiB resident, so the run's peak stays under 1 GiB.
HEAP_FLOOR_MIB = 256
HEAP_CEILING_MIB = 768
HEAP_PER_RESULTS_BYTE = 10.0
EXIT_ON_OOM = "-XX:+ExitOnOutOfMemoryError"
# (option, what in the operator's options already says it). A generation is one short-lived JVM on a small
# machine: the serial collector keeps its memory near what it uses and starts no GC threads; C1 alone
# (tiered compilation stopped at level 1) compiles less for a run of seconds. Measured on 2,500 synthetic
# results (20 MB): half the CPU time, a third less memory (docs/report-at-scale.md).
SPEED_AND_SIZE = (("-XX:+UseSerialGC", r"-XX:\+Use\w*GC\b"), ("-XX:TieredStopAtLevel=1", "TieredStopAtLevel"),
                  (EXIT_ON_OOM, "ExitOnOutOfMemoryError"))


def results_bytes(results_dir: Path) -> int:
    return sum(p.stat().st_size for p in results_dir.rglob("*") if p.is_file())


def heap_mib(size: int) -> int:
    """The cap for `size` bytes of results."""
    return max(HEAP_FLOOR_MIB, min(HEAP_CEILING_MIB, math.ceil(size * HEAP_PER_RESULTS_BYTE / MIB)))


def java_options(environment: dict[str, str], heap: int) -> dict[str, str]:
    """The environment for the launcher: JAVA_OPTS with the cap and SPEED_AND_SIZE, each left out where the
    operator's JAVA_OPTS or ALLURE_OPTS already say it (their -Xmx, their choice of collector)."""
    given = f"{environment.get('JAVA_OPTS', '')} {environment.get('ALLURE_OPTS', '')}"
    ours = [option for option, said_by in ((f"-Xmx{heap}m", "-Xmx"), *SPEED_AND_SIZE) if not re.search(said_by, given)]
    return {**environment, "JAVA_OPTS": " ".join(o for o in (environment.get("JAVA_OPTS", "").strip(), *ours) if o)}


def out_of_heap(output: str) -> bool:
    return "java.lang.OutOfMemoryError" in output


def heap_in_effect(environment: dict[str, str]) -> str:
    """The -Xmx Java takes from the launcher's options: the last one given."""
    given = [o for o in f"{environment.get('JAVA_OPTS', '')} {environment.get('ALLURE_OPTS', '')}".split()
             if o.startswith("-Xmx")]
    return given[-1] if given else "Java's default heap"


def out_of_heap_reason(environment: dict[str, str], size: int) -> str:
    return (f"allure generate ran out of Java heap ({heap_in_effect(environment)} for {size / 1e6:.1f} MB of "
            "results); give it more with JAVA_OPTS=-Xmx<MiB>m")
