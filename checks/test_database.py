"""Database servers: facts from the running server, as the read-only audit user (seeds 003, 004)."""
from stackaudit.catalog import check


@check("DB-BINLOG-ROW")
def test_binlog_row(database, policy):
    """The running server has log_bin ON and binlog_format equal to the policy's (ROW)."""
    variables = database.facts.variables
    found = (variables.get("log_bin"), variables.get("binlog_format"))
    wanted = ("ON", policy.database.binlog_format)
    assert found == wanted, f"log_bin {found[0]}, binlog_format {found[1]}; the rule wants log_bin ON, {wanted[1]}"
