"""StackAudit's SSH reads written the way testinfra suites usually are: one test per check, the
`host` fixture parametrized by `--hosts`, one `host.run` per check per target, `-n` workers.

    pytest benchmarks/peers/testinfra -n C --ssh-config=WORK/ssh_config \
        --hosts=ssh://name1,ssh://name2,...  (BENCH_READS=WORK/reads.json)

Choices, from testinfra's documentation (https://testinfra.readthedocs.io, "Connection backends" and
"Parallel execution", 2025):
- the `ssh` backend, with the same ssh_config as the OpenSSH floor: host keys are checked against the
  lab's known_hosts and system VMs are reached with ProxyJump. The documented default with a hosts
  list is paramiko, but testinfra's paramiko backend (testinfra/backend/paramiko.py, 10.2) reads only a
  few ssh_config keys (ProxyCommand, not ProxyJump) and never loads known_hosts: it accepts any host
  key with a warning, which no audit may do. Its connection is cached per host per process.
- testinfra's ssh backend passes `ControlMaster=auto -o ControlPersist=60s` itself; ControlPath is
  set in ssh_config, so every worker's `ssh` reuses one master connection per target.
- `host.run` per reading: StackAudit's reads are shell lines (pipelines, loops), which `host.run`
  runs as they are; a test per reading (rather than per check ID) is the fewer, favourable count.
WRITTEN FOR THE BENCHMARK: it asserts only that each read ran (its exit code), not the rules.
"""
import json
import os
from pathlib import Path

import pytest

BENCH = json.loads(Path(os.environ["BENCH_READS"]).read_text())
SECTIONS = sorted({section for reads in BENCH["reads"].values() for section in reads})


@pytest.mark.parametrize("section", SECTIONS)
def test_read(host, section):
    kind = BENCH["targets"][host.backend.hostname]
    read = BENCH["reads"][kind].get(section)
    if read is None:
        pytest.skip(f"{section} is not read on a {kind}")
    result = host.run(read["line"])
    absent = read["absent_ok"] and "No such file" in result.stderr
    assert result.rc in read["ok"] or absent, f"{section}: exit {result.rc}: {result.stderr[:200]}"
