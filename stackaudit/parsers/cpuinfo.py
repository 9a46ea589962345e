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
from stackaudit.parsers.xapi_records import labelled_host_records

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


# --- XenServer: the host record's cpu_info, as xapi fills it from Xen's view of the CPU --------------
# xapi-project/xen-api ocaml/xapi/create_misc.ml create_host_cpu: `cpu_info` is a string map with
# `vendor` and `modelname` among cpu_count, socket_count, speed, family, model, stepping, flags and
# the feature masks (the "Heterogeneous pools" design: Host.cpu_info, XenServer 5.6). When xapi
# cannot read the CPU it leaves the map as it was, empty on a new host, and logs "Failed to get host
# CPU info; not updating database".
@dataclass(frozen=True)
class XapiHostCpu:
    """One member's CPU from its XAPI host record; `cpu` None with `unknown` saying why."""
    name_label: str
    address: str
    cpu: CpuIdentity | None
    unknown: str | None = None


def parse_host_cpus(records) -> list[XapiHostCpu]:
    """Every host of `host.get_all_records` ({ref: record}) with its `cpu_info` vendor and modelname,
    sorted by name_label. A record of another shape is unparsable; a map without either key, or with
    an empty one, leaves that host's CPU unknown (the reason is kept, so it is reported, never passed)."""
    hosts = []
    for _, label, address, record in labelled_host_records(records):
        if "cpu_info" not in record:
            hosts.append(XapiHostCpu(label, address, None, "its XAPI host record has no cpu_info (XenServer before 5.6)"))
            continue
        info = record["cpu_info"]
        if not isinstance(info, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in info.items()):
            raise UnparsableOutput(f"XAPI host {label}: cpu_info is not a map of strings")
        missing = [key for key in ("vendor", "modelname") if not info.get(key, "").strip()]
        if missing:
            hosts.append(XapiHostCpu(label, address, None,
                                     f"its XAPI cpu_info gives no {' or '.join(missing)} (xapi could not read the CPU)"))
        else:
            hosts.append(XapiHostCpu(label, address, CpuIdentity(info["vendor"].strip(), info["modelname"].strip())))
    return sorted(hosts, key=lambda h: (h.name_label, h.address))
