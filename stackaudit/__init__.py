"""StackAudit: compliance checks for Apache CloudStack clouds, as a pytest plugin (stackaudit/plugin.py).

PYTEST_DONT_REWRITE: the `stackaudit` command imports this package before it starts pytest, which
marks the plugin's package for assertion rewriting and would warn that it came too late. This file
holds no assertion; the checks' modules are rewritten when pytest collects them.
"""
