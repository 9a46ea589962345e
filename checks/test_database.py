"""Database servers: the running server as the read-only audit user, its files over SSH ([BERGSMA-OPS],
[SHAPEBLUE-HOWTO], [CSC-WIKI], [CS-DOCS-DB] in docs/sources.md)."""
from stackaudit import groups
from stackaudit.catalog import check
from stackaudit.rules import database as rules
from stackaudit.rules import db_accounts
from stackaudit.rules import db_vip


@check("DB-BINLOG-ROW", reads=("variables",))
def test_binlog_row(database, policy):
    """The running server has log_bin ON and binlog_format equal to the policy's (ROW)."""
    variables = database.facts.variables
    found = (variables.get("log_bin"), variables.get("binlog_format"))
    wanted = ("ON", policy.database.binlog_format)
    assert found == wanted, f"log_bin {found[0]}, binlog_format {found[1]}; the rule wants log_bin ON, {wanted[1]}"


@check("DB-CNF-PERSISTED", reads=("mysqld_options", "variables"))
def test_cnf_persisted(database, policy):
    """The configuration files (following !includedir) set every line of CloudStack's block, and each
    holds at run time, so a restart changes nothing."""
    findings = rules.cnf_findings(database.facts.mysqld_options, database.facts.variables, policy)
    assert not findings, "; ".join(findings)


@check("DB-REPLICATION-HEALTHY", members={"db": ("variables", "replica_channels", "source_addresses")})
def test_replication_healthy(cloud, policy):
    """Replication in the policy's topology is healthy: on every replica connection (MariaDB's named
    connections, MySQL's channels, read in the statement of the server's version) both threads run
    and lag is under the limit; each source is a server of the inventory (by name, alias or address,
    or a host name the replica's own host resolves to a server's address);
    server ids differ, and master-master pairs use distinct auto-increment offsets."""
    gathered = groups.database_servers(cloud.facts)
    if len(gathered.values) < 2 and gathered.unreadable:
        raise groups.not_checked(gathered)  # fewer than two read is a gap in the reading, not a finding: broken
    findings = groups.findings_or_not_checked(rules.replication_findings(gathered.values, policy), gathered)
    assert not findings, "; ".join(findings)


@check("DB-VIP-SINGLE-HOLDER", members={"db": ("unit_states", "own_names", "sessions"),
                                        "mgmt": ("db_properties", "own_names")})
def test_vip_single_holder(cloud, policy):
    """Where the database pair is reached through a VIP (the policy's database.address, else the host
    db.properties names): keepalived is enabled and running on every server, exactly one holds the VIP
    (`ip -o addr show`), and the other has no session of the users db.properties names."""
    pair, views = groups.database_pair(cloud.facts)
    gathered = groups.Gathered(unreadable=pair.unreadable + views.unreadable)
    findings, evidence = db_vip.pair_findings(policy.database.address, list(pair.values.values()), views.values,
                                              complete=not gathered.unreadable)
    cloud.facts.attach("VIP and its holders", evidence, as_json=True)
    findings = groups.findings_or_not_checked(findings, gathered)
    assert not findings, "; ".join(findings)


@check("DB-BIND-ADDRESS", reads=("listeners",))
def test_bind_address(database):
    """Where the database is replicated or behind an address of its own (its record's scope), the
    server listens on more than loopback."""
    findings = rules.bind_findings(database.facts.listeners, database.target.attrs.port)
    assert not findings, "; ".join(findings)


@check("DB-SCHEMA-VERSION", reads=("schema_versions",))
def test_schema_version(database):
    """The schema version (highest-id Complete row of cloud.version) equals the management servers'
    version as that CloudStack compares them; no newer row is left incomplete."""
    servers = database.facts.api_rows("listManagementServers")
    findings = rules.schema_findings(database.facts.schema_versions,
                                     {s.name: s.version for s in servers if s.version})
    assert not findings, "; ".join(findings)


@check("DB-NO-KNOWN-PASSWORD", reads=("accounts",))
def test_no_known_password(database, policy):
    """No account that can log in (not locked, not a role) has an empty password or one of the
    policy's published passwords; hashes are compared in the suite, no login is tried."""
    accounts = database.facts.accounts
    findings = db_accounts.account_findings(accounts, policy.database.published_passwords)
    salted = db_accounts.unchecked_plugins(accounts)
    note = f" (not compared with the published passwords: {', '.join(salted)})" if salted else ""
    assert not findings, "; ".join(findings) + note
