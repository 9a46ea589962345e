"""The fixtures a check asks for: its target (by the name of its kind), the policy and the inventory.

A check names its target by a fixture (`pool`, `firewalled_host`, `system_vm`, ...; plugin.py's
TARGET_FIXTURES), and pytest_generate_tests parametrizes it (indirectly) over the ids of the targets
its catalog record applies to (stackaudit/applicability.py). Each fixture turns the id into a TargetHandle.
"""
from __future__ import annotations

from dataclasses import dataclass

import allure
import pytest

from stackaudit.collect.facts import Facts
from stackaudit.errors import NotCheckable
from stackaudit.targets import Target
from stackaudit.session import STATE


@dataclass
class TargetHandle:
    """What a check gets for its target: the target and its facts."""
    target: Target
    facts: Facts

    @property
    def id(self) -> str:
        return self.target.id


def target_handle(request) -> TargetHandle:
    """The target whose id the check was parametrized with, labelled in Allure, with the facts it reads.
    A result whose scope could not be decided at collection is broken, with the reason."""
    state = request.config.stash[STATE]
    target = state.snapshot.by_id(request.param)
    allure.dynamic.label("target", target.id)
    undecided = state.scope.undecided.get((getattr(request.function, "stackaudit_check_id", None), target.id))
    if undecided is not None:
        raise NotCheckable(undecided)
    declared = getattr(request.function, "stackaudit_reads", None)
    return TargetHandle(target, Facts(target, state.store, state.snapshot, declared=declared))


@pytest.fixture
def pool(request) -> TargetHandle:
    return target_handle(request)


@pytest.fixture
def hypervisor_host(request) -> TargetHandle:
    return target_handle(request)


@pytest.fixture
def kvm_host(request) -> TargetHandle:
    return target_handle(request)


@pytest.fixture
def xen_host(request) -> TargetHandle:
    return target_handle(request)


@pytest.fixture
def firewalled_host(request) -> TargetHandle:
    return target_handle(request)


@pytest.fixture
def system_vm(request) -> TargetHandle:
    return target_handle(request)


@pytest.fixture
def database(request) -> TargetHandle:
    return target_handle(request)


@pytest.fixture
def management_server(request) -> TargetHandle:
    return target_handle(request)


@pytest.fixture
def tls_frontend(request) -> TargetHandle:
    return target_handle(request)


@pytest.fixture
def backed_up_machine(request) -> TargetHandle:
    return target_handle(request)


@pytest.fixture
def machine(request) -> TargetHandle:
    """A server or host reached over SSH, whatever its role (TIME-SYNC)."""
    return target_handle(request)


@pytest.fixture
def zone(request) -> TargetHandle:
    return target_handle(request)


@pytest.fixture
def cluster(request) -> TargetHandle:
    return target_handle(request)


@pytest.fixture
def routed_network(request) -> TargetHandle:
    """A guest network or VPC (SVM-ROUTER-RUNNING)."""
    return target_handle(request)


@pytest.fixture
def stopped_vm(request) -> TargetHandle:
    """A user VM discovery listed as Stopped (CLOUD-VMS-RESTARTED)."""
    return target_handle(request)


@pytest.fixture
def cloud(request) -> TargetHandle:
    return target_handle(request)


@pytest.fixture(scope="session")
def policy(request):
    return request.config.stash[STATE].policy


@pytest.fixture(scope="session")
def inventory(request):
    return request.config.stash[STATE].inventory
