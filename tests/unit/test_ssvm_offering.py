"""SVM-SSVM-OFFERING: the system offerings listServiceOfferings gives (parsers/api_rows.py), the rule
(rules/system_vms.py) on `secstorage.service.offering` and the policy's floors, and what the lab's
API simulator answers for them (lab/records_cloudstack.py).

Input: a ServiceOfferingResponse recorded by the Go SDK's maintainers (tests/data/recorded/SOURCES.md,
cloudstack-go-serviceoffering.json).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.records_cloudstack import cloudstack_model
from lab.scenario import resolve_scenario
from lab.topology import build_topology
from stackaudit.config.policy import SsvmPolicy, policy_from_data
from stackaudit.config.schema import SchemaError
from stackaudit.errors import ConfigError, NotCheckable, UnparsableOutput
from stackaudit.parsers.api_rows import ServiceOfferingRow, SystemVmRow, parse_service_offerings
from stackaudit.rules.system_vms import ssvm_offering_findings
from tests.unit.hypothesis_budget import examples
from tests.unit.numbers_strategy import number_texts

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
RECORDED_ROW = json.loads((RECORDED / "cloudstack-go-serviceoffering.json").read_text())[
    "createServiceOffering"]["createserviceofferingresponse"]["serviceoffering"]
BUILT_IN = ServiceOfferingRow("b1", "System Offering For Secondary Storage VM", "secondarystoragevm", 1, 500, 512)
LARGE = ServiceOfferingRow("l2", "ssvm-large", "secondarystoragevm", 2, 1000, 2048)
NO_FLOOR = SsvmPolicy()


def ssvm(offering: str | None = "b1", name: str | None = None) -> SystemVmRow:
    return SystemVmRow("s-1-VM", "Running", "secondarystoragevm", "vm1", offering, name)


def test_the_recorded_offering_reads_with_its_sizes():
    assert parse_service_offerings([RECORDED_ROW]) == [
        ServiceOfferingRow("efaeeab0-4b09-4729-8b6f-62645db41b37", "testServiceOffering", None, 2, 1000, 2048)]


@pytest.mark.parametrize("value", [1.5, -1, True, "x", 2 ** 31, [1]])
def test_a_size_that_is_no_java_integer_names_the_offering_and_the_field(value):
    with pytest.raises(UnparsableOutput) as error:
        parse_service_offerings([{**RECORDED_ROW, "memory": value}])
    assert "offering 'testServiceOffering' field memory" in str(error.value)


def test_an_offering_without_an_id_is_unparsable():
    with pytest.raises(UnparsableOutput, match="has no field id"):
        parse_service_offerings([{k: v for k, v in RECORDED_ROW.items() if k != "id"}])


@settings(max_examples=examples(200))
@given(st.one_of(st.integers(-2 ** 40, 2 ** 40), st.floats(allow_nan=True), number_texts(), st.booleans(),
                 st.none()))
def test_any_size_reads_as_a_java_integer_or_is_refused(value):
    try:
        (row,) = parse_service_offerings([{"id": "o", "cpuspeed": value}])
    except UnparsableOutput:
        return
    assert value is None and row.cpuspeed is None or (
        not isinstance(value, bool) and 0 <= float(value) < 2 ** 31 and row.cpuspeed == float(value))


def test_no_setting_and_no_floor_passes_whatever_the_offering():
    assert ssvm_offering_findings(None, [], ssvm(None), NO_FLOOR) == []
    assert ssvm_offering_findings("", [BUILT_IN], ssvm(), NO_FLOOR) == []


def test_a_setting_no_system_offering_has_fails():
    findings = ssvm_offering_findings("6f1c-dead", [BUILT_IN, LARGE], ssvm("l2"), NO_FLOOR)
    assert findings == ["secstorage.service.offering 6f1c-dead is no system offering for secondary storage VMs "
                        "(listServiceOfferings issystem=true): CloudStack ignores it and uses its default"]


def test_an_ssvm_on_another_offering_than_the_setting_fails():
    findings = ssvm_offering_findings("l2", [BUILT_IN, LARGE], ssvm("b1", BUILT_IN.name), NO_FLOOR)
    assert findings == ["runs on offering System Offering For Secondary Storage VM, not ssvm-large that "
                        "secstorage.service.offering names: recreate it after the management servers have restarted"]


def test_the_offering_the_setting_names_passes_at_the_floor_from_two_vcpus():
    assert ssvm_offering_findings("l2", [BUILT_IN, LARGE], ssvm("l2"), SsvmPolicy(2000, 2048)) == []


def test_an_offering_under_the_floors_fails_with_both_figures():
    assert ssvm_offering_findings(None, [BUILT_IN], ssvm("b1"), SsvmPolicy(1000, 1024)) == [
        "offering System Offering For Secondary Storage VM gives 1 x 500 MHz = 500 MHz, below the policy's "
        "ssvm.min_cpu_mhz 1000",
        "offering System Offering For Secondary Storage VM gives 512 MiB of memory, below the policy's "
        "ssvm.min_memory_mb 1024"]


@pytest.mark.parametrize("setting", ["17", "+17", "\u0661\u0667"])   # Long.parseLong takes all three
def test_a_numeric_database_id_cannot_be_judged_over_the_api(setting):
    with pytest.raises(NotCheckable, match="a database id; the API names offerings by uuid only"):
        ssvm_offering_findings(setting, [BUILT_IN], ssvm(), NO_FLOOR)


def test_a_row_without_serviceofferingid_cannot_be_judged_when_something_is_asked():
    with pytest.raises(NotCheckable, match="listSystemVms gives no serviceofferingid"):
        ssvm_offering_findings("l2", [LARGE], ssvm(None), NO_FLOOR)
    with pytest.raises(NotCheckable, match="listSystemVms gives no serviceofferingid"):
        ssvm_offering_findings(None, [LARGE], ssvm(None), SsvmPolicy(min_memory_mb=256))


def test_an_unlisted_or_custom_offering_has_no_size_to_judge():
    with pytest.raises(NotCheckable, match="its size is unknown"):
        ssvm_offering_findings(None, [BUILT_IN], ssvm("gone"), SsvmPolicy(min_cpu_mhz=500))
    custom = ServiceOfferingRow("c", "custom", "secondarystoragevm")
    with pytest.raises(NotCheckable, match="a custom offering"):
        ssvm_offering_findings(None, [custom], ssvm("c"), SsvmPolicy(min_memory_mb=256))


def test_a_failure_is_kept_when_the_size_cannot_be_judged_as_well():
    findings = ssvm_offering_findings("l2", [LARGE], ssvm("gone"), SsvmPolicy(min_cpu_mhz=500))
    assert findings[-1] == "its offering gone is not listed, so its size was not judged"


def test_the_policy_floors_default_to_none_and_refuse_a_bad_value_in_one_line():
    assert policy_from_data({}, "p.yml").ssvm == SsvmPolicy(None, None)
    assert policy_from_data({"ssvm": {"min_cpu_mhz": 1000}}, "p.yml").ssvm == SsvmPolicy(1000, None)
    with pytest.raises(ConfigError) as error:
        policy_from_data({"ssvm": {"min_memory_mb": "lots"}}, "p.yml")
    assert "\n" not in str(error.value) and "ssvm.min_memory_mb" in str(error.value)


def lab_model(version: str, **scenario) -> dict:
    raw = {"name": "t", "cloudstack_version": version, "zones": [{"name": "z1", "pods": [{"name": "p1", "clusters": [
        {"name": "c1", "hypervisor": "KVM", "hosts": [{"name": "kvm01"}]}]}],
        "system_vms": [{"name": "s-1-VM", "type": "secondarystoragevm", "host": "kvm01",
                        "service_offering": scenario.pop("offering", None)}]}], **scenario}
    return cloudstack_model(build_topology(resolve_scenario(raw, "t.yml")), [], [], "")


def test_the_simulator_lists_system_offerings_and_the_ssvm_s_own():
    model = lab_model("4.19.1.0", offering="big", system_offerings=[{"name": "big", "id": "u-big", "cpunumber": 4}])
    offerings = parse_service_offerings(model["lists"]["listServiceOfferings"]["rows"])
    assert {(o.name, o.cpunumber) for o in offerings} >= {("big", 4), ("System Offering For Secondary Storage VM", 1)}
    (row,) = model["lists"]["listSystemVms"]["rows"]
    assert (row["serviceofferingid"], row["serviceofferingname"]) == ("u-big", "big")


def test_the_simulator_leaves_the_offering_out_of_system_vm_rows_before_4_19():
    (row,) = lab_model("4.18.1.0")["lists"]["listSystemVms"]["rows"]
    assert "serviceofferingid" not in row


def test_a_scenario_naming_an_unknown_offering_is_refused():
    with pytest.raises(SchemaError, match="service_offering: 'nope' is not one of system_offerings' names"):
        lab_model("4.19.1.0", offering="nope")
