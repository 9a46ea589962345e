"""The lab cloud's global settings by default: compliant with the catalog's MS-GLOBAL-SETTINGS."""
from __future__ import annotations

# [CSC-WIKI]'s global settings whose names and values survived in the page's text.
DEFAULT_GLOBAL_SETTINGS = {
    "allow.user.expunge.recover.vm": "true",
    "allow.user.view.destroyed.vm": "true",
    "expunge.delay": "1",
    "expunge.interval": "1",
    "network.securitygroups.defaultadding": "false",
    "allow.public.user.templates": "false",
    "network.throttling.rate": "0",
    "cpu.overprovisioning.factor": "4.0",
    "allow.user.create.projects": "false",
    "max.project.cpus": "8",
    "max.project.memory": "8192",
    "max.account.cpus": "8",
    "max.account.memory": "8192",
    "ca.plugin.root.auth.strictness": "true",
    "default.page.size": "500",
}
