"""Turns the topology into machine specs: one builder per machine kind, in lab/parts/."""
from __future__ import annotations

from lab.parts.db import db_spec
from lab.parts.kvm_host import kvm_host_spec
from lab.parts.mgmt import mgmt_spec
from lab.parts.system_vm import system_vm_spec
from lab.parts.tls_frontend import tls_frontend_spec
from lab.parts.xs_host import xs_host_spec

SPEC_BUILDERS = {"kvm-host": kvm_host_spec, "xs-host": xs_host_spec, "systemvm": system_vm_spec, "mgmt": mgmt_spec,
                 "db": db_spec, "tls-frontend": tls_frontend_spec}
