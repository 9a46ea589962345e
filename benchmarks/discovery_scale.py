"""Wall time of discovery against a CloudStack API that lists a large cloud (issue 13's goal: 10,000
hosts and 2,000 routers under 30 s).

python benchmarks/discovery_scale.py [--hosts 10000] [--zones 10] [--cluster-size 5]

The lab's API simulator serves a generated scenario on loopback (API-only: no machine behind any
host); discovery pages through listZones, listClusters, listHosts, listSystemVms, listRouters and
listManagementServers with CloudStack's request signing, as against a real cloud. One router per
cluster, so --cluster-size 5 gives 2,000 routers for 10,000 hosts. Prints the lists' sizes, the
pages fetched and the wall time, split into building the snapshot and the API calls.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from lab.generate import generate_scenario  # noqa: E402
from lab.records_cloudstack import cloudstack_model  # noqa: E402
from lab.scenario import load_scenario  # noqa: E402
from lab.sim.cloudstack_api import serve  # noqa: E402
from lab.topology import build_topology  # noqa: E402
from stackaudit.config.inventory import load_inventory  # noqa: E402
from stackaudit.discovery.discovery import discover  # noqa: E402

KEY, SECRET = "bench-api-key-0123456789", "bench-api-secret-0123456789"


def inventory_file(work: Path, port: int) -> Path:
    key = ed25519.Ed25519PrivateKey.generate()
    (work / "id").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                                serialization.NoEncryption()))
    (work / "id").chmod(0o600)
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    (work / "known_hosts").write_text(f"127.0.0.1 {public.decode()}\n")
    path = work / "inventory.yml"
    path.write_text(yaml.safe_dump({
        # The benchmark's own simulator on loopback speaks plain http, which the inventory must say.
        "cloud": {"name": "bench", "api": {"endpoint": f"http://127.0.0.1:{port}/client/api",
                                           "key_env": "BENCH_API_KEY", "secret_env": "BENCH_API_SECRET",
                                           "insecure": True}},
        "ssh": {"private_key": "id", "known_hosts": "known_hosts"}}))
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=10000)
    parser.add_argument("--zones", type=int, default=10)
    parser.add_argument("--cluster-size", type=int, default=5)
    args = parser.parse_args()
    os.environ.update(BENCH_API_KEY=KEY, BENCH_API_SECRET=SECRET)
    with tempfile.TemporaryDirectory(prefix="stackaudit-bench-discovery-") as tmp:
        work = Path(tmp)
        started = time.monotonic()
        scenario_file = work / "scenario.yml"
        scenario_file.write_text(yaml.safe_dump(generate_scenario(args.hosts, args.zones, xenserver=False,
                                                                  cluster_size=args.cluster_size)))
        topology = build_topology(load_scenario(scenario_file))
        model = cloudstack_model(topology, [{"apikey": KEY, "secretkey": SECRET, "state": "enabled"}],
                                 [{"address": "127.0.0.1", "port": 0}], str(work / "ready"))
        server = serve(model).start()
        built = time.monotonic() - started
        try:
            inventory = load_inventory(inventory_file(work, server.addresses[0][1]))
            started = time.monotonic()
            snapshot = discover(inventory)
            wall = time.monotonic() - started
        finally:
            server.stop()
    kinds: dict[str, int] = {}
    for target in snapshot.targets:
        kinds[target.kind] = kinds.get(target.kind, 0) + 1
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"simulated cloud built in {built:.1f} s; page size {model['default_page_size']}")
    print("targets: " + ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())))
    print(f"discovery: {wall:.1f} s (API server and client in this one process), peak RSS {peak:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
