"""StackAudit: the engine is a pytest plugin (stackaudit/plugin.py)."""
pytest_plugins = ["stackaudit.plugin"]
