"""The fault tests' expectations come from the catalog and the declarations (tests/checks/check_reads.py)."""
from tests.checks.check_reads import checks_reading


def test_a_check_is_listed_for_the_channels_it_reads_on_its_own_target():
    assert "KVM-PACKAGES" in checks_reading("kvm-host", "ssh")
    assert "DB-CNF-PERSISTED" in checks_reading("db", "ssh") and "DB-CNF-PERSISTED" in checks_reading("db", "sql")
    assert "HOST-CS-STATE" not in checks_reading("kvm-host", "ssh")     # from discovery only


def test_a_check_is_listed_for_what_it_reads_on_its_members():
    assert {"KVM-AGENT-MGMT-HOSTS", "KVM-PACKAGES"} <= set(checks_reading("kvm-host", "api", on="cloud"))
    assert "KVM-PACKAGES" not in checks_reading("kvm-host", "api")      # the cloud's settings are not the host's
    assert "XS-HOST-NAME-LABEL" in checks_reading("xs-host", "xapi", on="xs-pool")


def test_a_kind_a_check_does_not_run_on_lists_nothing_of_it():
    assert "KVM-PACKAGES" not in checks_reading("xs-host", "ssh")
    assert checks_reading("cloud", "ssh") == ()
