"""System VMs (secondary storage, console proxy, virtual routers): reached through their host (seed 003)."""
from stackaudit import rules
from stackaudit.catalog import check


@check("SVM-LIBSSL-PATCHED")
def test_libssl_patched(system_vm, policy):
    """openssl and the release's libssl package are at or above the policy's fixed version for the
    VM's Debian release, compared by Debian version rules."""
    findings = rules.libssl_findings(system_vm.facts.debian_release, system_vm.facts.packages, policy.system_vms)
    assert not findings, "; ".join(findings)
