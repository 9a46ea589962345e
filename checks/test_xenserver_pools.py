"""XenServer pools: facts from each pool's master, over XAPI (seed 001)."""
from stackaudit.catalog import check


@check("XS-POOL-HA-TIMEOUT")
def test_pool_ha_timeout(pool, policy):
    """Pool HA's timeout is set explicitly (ha_configuration key `timeout`) and equals the policy value."""
    ha = pool.facts.ha
    wanted = policy.xenserver.ha_timeout
    assert ha.timeout == wanted, f"HA timeout: {ha.timeout_text}; the policy wants {wanted} s"
