"""CLOUD-K8S-RUNNING: the listKubernetesClusters parser (a recorded answer), the rule and its scope."""
from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stackaudit.errors import NotCheckable, UnparsableOutput
from stackaudit.parsers.kubernetes import STATES, KubernetesClusterRow, parse_kubernetes_clusters
from stackaudit.rules.kubernetes import kubernetes_findings
from stackaudit.rules.scope import Undecided, _kubernetes_service
from tests.unit.hypothesis_budget import examples
from tests.unit.json_strategy import answers

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"


def cluster(name: str = "web", state: str = "Running", **changes) -> KubernetesClusterRow:
    return KubernetesClusterRow(**{"id": f"id-{name}", "name": name, "state": state, "zonename": "zone1",
                                   "account": "admin", "domain": "ROOT", **changes})


def test_recorded_answer_parses_to_its_one_starting_cluster():
    rows = json.loads((RECORDED / "cloudstack-go-listkubernetesclusters.json").read_text())
    [parsed] = parse_kubernetes_clusters(rows["listkubernetesclustersresponse"]["kubernetescluster"])
    assert parsed == KubernetesClusterRow(id="177d0eeb-8db7-455b-9085-33dcc591c8a3", name="cks-cluster",
                                          state="Starting", zonename="ref-trl-2845-k-M7-david-jumani",
                                          account="admin", domain="ROOT")
    assert kubernetes_findings([parsed], require_running=True) == []


@pytest.mark.parametrize("rows, message", [
    ({"kubernetescluster": []}, "expected a list of rows"),
    (["web"], "row 1 is not an object"),
    ([{"id": "1", "name": "web"}], "has no field state"),
    ([{"id": "1", "name": "web", "state": 3}], "field state is int, not text"),
    ([{"id": "1", "name": "web", "state": "Running", "zonename": ["z"]}], "field zonename is list"),
])
def test_bad_rows_are_unparsable_with_the_place(rows, message):
    with pytest.raises(UnparsableOutput, match=message):
        parse_kubernetes_clusters(rows)


FIELDS = ["id", "name", "state", "zonename", "account", "domain", "virtualmachines"]


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=answers(FIELDS, 7))
def test_any_answer_parses_or_is_unparsable_and_judges_or_is_not_checkable(rows):
    try:
        clusters = parse_kubernetes_clusters(rows)
    except UnparsableOutput:
        return
    try:
        findings = kubernetes_findings(clusters, require_running=False)
    except NotCheckable:
        assert any(c.state not in STATES for c in clusters)
        return
    assert len(findings) == sum(c.state in ("Alert", "Error") for c in clusters)


@pytest.mark.parametrize("state", sorted(STATES - {"Alert", "Error"}))
def test_every_other_state_passes(state):
    assert kubernetes_findings([cluster(state=state)], require_running=False) == []


def test_alert_and_error_fail_naming_each_cluster_by_id_and_owner():
    findings = kubernetes_findings([cluster("web", "Alert", id="a1", account="tenant-b"),
                                    cluster("web", "Running", id="a2"), cluster("old", "Error")], False)
    assert findings == [
        "Kubernetes cluster web (a1, zone zone1, ROOT/tenant-b) is in state Alert: its VMs are not in the "
        "desired state (stop and start it)",
        "Kubernetes cluster old (id-old, zone zone1, ROOT/admin) is in state Error: its creation failed "
        "(delete it, or create it again)"]


def test_stopped_fails_only_when_the_policy_requires_running():
    stopped = [cluster("parked", "Stopped", zonename=None, account=None, domain=None)]
    assert kubernetes_findings(stopped, require_running=False) == []
    assert kubernetes_findings(stopped, require_running=True) == [
        "Kubernetes cluster parked (id-parked) is Stopped, and the policy's cks.require_running is true"]


def test_a_state_the_service_does_not_define_is_not_checked():
    with pytest.raises(NotCheckable, match="state 'Hibernating', which CloudStack's Kubernetes service does not"):
        kubernetes_findings([cluster(state="Hibernating"), cluster("b", "Alert")], require_running=False)


def cloud(value=None, error=None):
    return SimpleNamespace(attrs=SimpleNamespace(kubernetes_service=value, kubernetes_service_error=error))


@pytest.mark.parametrize("value, reason", [
    ("true", None), ("TRUE", None),
    (" true", "cloud.kubernetes.service.enabled is ' true'"),   # Boolean.valueOf does not trim
    ("false", "cloud.kubernetes.service.enabled is 'false'"),
    (None, "cloud.kubernetes.service.enabled is not among the cloud's settings (no Kubernetes service)"),
])
def test_the_service_setting_decides_scope(value, reason):
    assert _kubernetes_service(cloud(value), None, None, None) == reason


def test_an_unread_setting_leaves_scope_undecided_with_the_reason():
    with pytest.raises(Undecided, match="CloudStack API: listConfigurations: HTTP 503"):
        _kubernetes_service(cloud(error="CloudStack API: listConfigurations: HTTP 503 Service Unavailable"),
                            None, None, None)
