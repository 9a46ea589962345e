"""up, status and down: a failed up cleans up, down leaves nothing behind and can be repeated."""
from __future__ import annotations

import io
from pathlib import Path

import paramiko
import pytest
import yaml

from lab.lifecycle import LabError, down, status, up
from lab.network import bridge_exists
from lab.state import LabState, is_alive
from tests.lab.conftest import LabHandle, require_root, run

pytestmark = [pytest.mark.lab, pytest.mark.slow]

SMALL = {
    "name": "small",
    "zones": [{"name": "zone1", "pods": [{"name": "pod1", "clusters": [
        {"name": "kvm-c1", "hypervisor": "KVM", "hosts": [{"name": "kvm01"}]}]}],
        "system_vms": [{"name": "s-1-VM", "type": "secondarystoragevm", "host": "kvm01", "debian": "12",
                        "stale_library": {"process": "apache2", "library": "libcrypto"}}]}],
    "databases": [],
    "management_servers": [{"name": "ms1"}],
}


@pytest.fixture(autouse=True)
def no_shared_lab(labs):
    """These tests bring labs up and down themselves, up() included: the session's shared lab goes first."""
    labs.release()


def write_scenario(tmp_path: Path, scenario: dict) -> Path:
    path = tmp_path / f"{scenario['name']}.yml"
    path.write_text(yaml.safe_dump(scenario))
    return path


def leftovers(state_dir: Path) -> list[str]:
    """Anything of this lab still on the machine: namespaces, the bridge, processes, mounts."""
    found = []
    state = LabState.load(state_dir)
    netns = {p.name for p in Path("/run/netns").glob("*")} if Path("/run/netns").exists() else set()
    found += [f"netns {ns}" for ns in state.namespaces if ns in netns]
    found += ["bridge salab0"] if bridge_exists() else []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if str(state_dir) in (proc / "cmdline").read_bytes().decode(errors="replace"):
                found.append(f"process {proc.name}")
            if str(state_dir) in (proc / "mountinfo").read_text():
                found.append(f"mount in process {proc.name}")
        except OSError:
            continue
    return found


def test_small_lab_up_status_stale_library_and_clean_down(tmp_path, capsys):
    require_root()
    state_dir = tmp_path / "state"
    up(write_scenario(tmp_path, SMALL), state_dir)
    try:
        lines = capsys.readouterr().out.splitlines()
        assert any("kvm01" in line and "ssh ready" in line for line in lines)
        assert lines[-1].startswith("lab up: 3 machines in ")
        assert status(state_dir, out=lambda *_: None) is True
        lab = LabHandle(state_dir, None)
        with lab.ssh("198.18.1.1") as host:
            key = paramiko.RSAKey.from_private_key(io.StringIO(run(host, "cat /root/.ssh/id_rsa.cloud")))
            channel = host.get_transport().open_channel("direct-tcpip", ("169.254.1.1", 3922), ("127.0.0.1", 0))
            with lab.ssh("169.254.1.1", port=3922, sock=channel, key=key, machine="s-1-VM") as vm:
                maps = run(vm, "grep -l 'libcrypto.so.3 (deleted)' /proc/[0-9]*/maps || true")
                pid = maps.strip().split("/")[2]
                assert run(vm, f"cat /proc/{pid}/comm").strip() == "apache2"
                assert "libssl3:amd64\t3.0.19-1~deb12u2" in run(vm, "dpkg-query -W libssl3")
    finally:
        down(state_dir, out=lambda *_: None)
    assert leftovers(state_dir) == []
    assert status(state_dir, out=lambda *_: None) is False
    down(state_dir, out=lambda *_: None)   # a second down is harmless


def test_failed_up_cleans_up_and_says_why_in_one_line(tmp_path):
    require_root()
    broken = {**SMALL, "name": "broken-firewall"}
    broken["zones"] = [{**SMALL["zones"][0], "system_vms": [], "pods": [{"name": "pod1", "clusters": [
        {"name": "kvm-c1", "hypervisor": "KVM",
         "hosts": [{"name": "kvm01", "firewall": {"v4_running": "*filter\n-A NOSUCHCHAIN -j DROP\nCOMMIT\n"}}]}]}]}]
    state_dir = tmp_path / "state"
    with pytest.raises(LabError) as err:
        up(write_scenario(tmp_path, broken), state_dir, out=lambda *_: None)
    assert "machine kvm01 stopped while booting" in str(err.value) and "\n" not in str(err.value)
    assert leftovers(state_dir) == []
    assert not any(is_alive(p) for p in LabState.load(state_dir).processes)


def test_a_second_lab_cannot_start_while_one_is_up(tmp_path):
    require_root()
    first = tmp_path / "first"
    scenario = write_scenario(tmp_path, {**SMALL, "zones": [{**SMALL["zones"][0], "system_vms": []}]})
    up(scenario, first, out=lambda *_: None)
    try:
        with pytest.raises(LabError, match="another lab is up"):
            up(scenario, tmp_path / "second", out=lambda *_: None)
        with pytest.raises(LabError, match="already up"):
            up(scenario, first, out=lambda *_: None)
    finally:
        down(first, out=lambda *_: None)
    assert leftovers(first) == []
