"""Which cgroup hierarchy a host mounts at /sys/fs/cgroup, from `stat -fc %T /sys/fs/cgroup`."""
from __future__ import annotations

from dataclasses import dataclass

from stackaudit.errors import UnparsableOutput

# GNU coreutils src/stat.c human_fstype(): the names `%T` prints for the file system types that can
# be mounted at /sys/fs/cgroup. A stat older than cgroup v2 knows no name for its magic number and
# prints "UNKNOWN (0x%lx)" with the number itself (CGROUP2_SUPER_MAGIC, linux/magic.h).
UNIFIED = "cgroup2fs"
UNIFIED_UNNAMED = "UNKNOWN (0x63677270)"
# tmpfs: the cgroup v1 layout (a tmpfs of v1 mounts) and systemd's hybrid one (the same, plus a
# cgroup2 mount at /sys/fs/cgroup/unified that holds no controller); cgroupfs: one v1 hierarchy
# mounted at /sys/fs/cgroup itself.
NOT_UNIFIED = ("tmpfs", "cgroupfs")


@dataclass(frozen=True)
class CgroupMount:
    fs_type: str        # as stat printed it
    unified: bool       # the cgroup v2 hierarchy (libvirt then sets cpu.weight, at most 10000)

    @property
    def description(self) -> str:
        return ("cgroup v2 (unified hierarchy)" if self.unified
                else "cgroup v1 or hybrid (a tmpfs of v1 hierarchies)" if self.fs_type == "tmpfs"
                else "cgroup v1 (one hierarchy)")


def parse_cgroup_fs_type(text: str) -> CgroupMount:
    """The type of the file system at /sys/fs/cgroup, one line as `stat -fc %T` prints it:

        cgroup2fs

    on a unified (cgroup v2) host such as Debian 11 or later, `tmpfs` on a cgroup v1 or hybrid one
    (the Kubernetes documentation's "Identify the cgroup version on Linux Nodes"). Any other type
    (sysfs: nothing is mounted there) is not a cgroup layout this suite knows: unparsable.
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) != 1:
        raise UnparsableOutput(f"stat -fc %T /sys/fs/cgroup: expected one line, got {len(lines)}: {text[:80]!r}")
    fs_type = lines[0]
    if fs_type in (UNIFIED, UNIFIED_UNNAMED):
        return CgroupMount(fs_type, True)
    if fs_type in NOT_UNIFIED:
        return CgroupMount(fs_type, False)
    raise UnparsableOutput(f"stat -fc %T /sys/fs/cgroup: {fs_type[:80]!r} is not a cgroup file system "
                           f"(cgroup2fs, tmpfs or cgroupfs)")
