"""The TLS front ends of the UI/API that the inventory lists (nginx, haproxy or Apache in front of the
management servers; [CS-HEARTBLEED] in docs/sources.md)."""
from stackaudit.catalog import check
from stackaudit.rules.tls_frontend import tls_frontend_findings


@check("MS-TLS-LIBSSL-PATCHED", reads=("debian_release", "packages", "listening_processes", "stale_mappings"))
def test_tls_frontend_libssl_patched(tls_frontend, policy):
    """openssl and the release's libssl package are at or above the policy's fixed version for the front
    end's Debian release, and no process listening on its TLS port still maps a replaced libssl or libcrypto."""
    facts = tls_frontend.facts
    findings = tls_frontend_findings(facts.debian_release, facts.packages, facts.listening_processes,
                                     facts.stale_mappings, tls_frontend.target.attrs.port, policy.tls_frontends)
    assert not findings, "; ".join(findings)
