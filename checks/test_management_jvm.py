"""Management servers' JVMs, read over SSH from the running process ([BERGSMA-OPS] in docs/sources.md)."""
from stackaudit.catalog import check
from stackaudit.rules import jvm_heap as rules


@check("MS-JVM-HEAP", reads=("management_heap",))
def test_jvm_heap(management_server, policy):
    """The management server's running JVM may grow its heap to at least the policy's size: the last
    -Xmx (or -XX:MaxHeapSize=) on the command line of cloudstack-management's main process."""
    findings = rules.heap_findings(management_server.facts.management_heap, policy.ms.min_heap_mb)
    assert not findings, "; ".join(findings)
