"""A KVM host's CPU as the kernel describes it in /proc/cpuinfo (CLUSTER-HOMOGENEOUS).

The kernel prints one block per logical CPU, each line `<key>\\t: <value>` with the key padded by
tabs (arch/x86/kernel/cpu/proc.c show_cpuinfo: "vendor_id\\t: %s", "model name\\t: %s"). The first
block is read: the check compares the first `vendor_id` and `model name` of each host. arm64 prints
no vendor_id and, in most kernels, no model name: `CPU implementer` and `CPU part` say the same
there (arch/arm64/kernel/cpuinfo.c), so they are kept too. Recorded outputs: tests/data/recorded/
cpuinfo-*.txt (SOURCES.md).

    processor	: 0
    vendor_id	: GenuineIntel
    cpu family	: 6
    model		: 60
    model name	: Intel(R) Core(TM) i7-4800MQ CPU @ 2.70GHz
"""
from __future__ import annotations

from dataclasses import dataclass

from stackaudit.errors import UnparsableOutput

KEYS = {"vendor_id": "vendor", "model name": "model", "CPU implementer": "implementer", "CPU part": "part"}


@dataclass(frozen=True)
class CpuIdentity:
    """The first CPU's vendor and model (x86), or implementer and part (arm64); None when absent."""
    vendor: str | None = None
    model: str | None = None
    implementer: str | None = None
    part: str | None = None

    @property
    def vendor_name(self) -> str | None:
        return self.vendor if self.vendor is not None else self.implementer and f"implementer {self.implementer}"

    @property
    def model_name(self) -> str | None:
        return self.model if self.model is not None else self.part and f"part {self.part}"


def parse_cpuinfo(text: str, where: str = "/proc/cpuinfo") -> CpuIdentity:
    """The first value of each key of KEYS; UnparsableOutput when the text is not a cpuinfo listing
    (no `processor` line) or names neither a vendor nor a model."""
    found: dict[str, str] = {}
    seen_processor = False
    for line in text.splitlines():
        key, colon, value = line.partition(":")
        if not colon:
            continue
        key = key.strip()
        seen_processor = seen_processor or key == "processor"
        if key in KEYS and KEYS[key] not in found:
            found[KEYS[key]] = value.strip()
    identity = CpuIdentity(**found)
    if not seen_processor:
        raise UnparsableOutput(f"{where}: no `processor` line; not a /proc/cpuinfo listing")
    if identity.vendor_name is None or identity.model_name is None:
        raise UnparsableOutput(f"{where}: names no CPU vendor (vendor_id, CPU implementer) or no model "
                               "(model name, CPU part)")
    return identity
