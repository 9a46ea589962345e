"""CloudStack's `cloud.user` and `cloud.account` in the lab database (MS-ADMIN-DEFAULT-PASSWORD): the
system user (id 1) and the install-default admin (id 2), each of an account of type 1 as
ConfigurationServerImpl.saveUser creates them, then the scenario's `cloud_users`, each the only user of an
account of its own (type 1, root admin, or 0); the columns the check reads under create-schema.sql's names
(apache/cloudstack, setup/db/create-schema.sql; `source` from setup/db/db/schema-450to451.sql).
The admin's stored password is given verbatim by the scenario (CloudStack's own encoder test vectors
for the seeded cases), or, by default, a PBKDF2 value of a random string encoded here as
PBKDF2UserAuthenticator encodes (64-byte salt, 100000 rounds, 512-bit key). Run by the database
setup as root over the socket, with sql_log_bin = 0 (each server gets its own rows).
"""
from __future__ import annotations

import base64
import hashlib
import secrets

USER_TABLE = """\
CREATE TABLE IF NOT EXISTS `cloud`.`user` (
  `id` bigint unsigned NOT NULL UNIQUE AUTO_INCREMENT,
  `uuid` varchar(40) UNIQUE,
  `username` varchar(255) NOT NULL,
  `password` varchar(255) NOT NULL,
  `account_id` bigint unsigned NOT NULL,
  `state` varchar(255) NOT NULL DEFAULT 'enabled',
  `removed` datetime COMMENT 'date removed',
  `source` varchar(40) NOT NULL DEFAULT 'UNKNOWN',
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8"""


ACCOUNT_TABLE = """\
CREATE TABLE IF NOT EXISTS `cloud`.`account` (
  `id` bigint unsigned NOT NULL UNIQUE AUTO_INCREMENT,
  `account_name` varchar(100) COMMENT 'an account name set by the creator of the account, defaults to username for single accounts',
  `uuid` varchar(40),
  `type` int(1) unsigned NOT NULL,
  `domain_id` bigint unsigned,
  `state` varchar(10) NOT NULL DEFAULT 'enabled',
  `removed` datetime COMMENT 'date removed',
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8"""
FIRST_SCENARIO_ID = 3      # ids 1 and 2: system and admin, users and accounts alike


def random_pbkdf2() -> str:
    salt = secrets.token_bytes(64)
    key = hashlib.pbkdf2_hmac("sha1", secrets.token_hex(16).encode("ascii"), salt, 100000, 64)
    return f"{base64.b64encode(salt).decode()}:{base64.b64encode(key).decode()}:100000"


def prepare_users(cur, setup: dict, audit_user: str) -> None:
    """`setup`: {"admin_password": stored value or None (random PBKDF2), "admin_state": str,
    "admin_removed": bool, "cloud_users": [{"name", "password", "root_admin", "removed"}],
    "audit_reads_users": bool} (lab/scenario.py)."""
    cur.execute(USER_TABLE)
    cur.execute(ACCOUNT_TABLE)
    cur.execute("DELETE FROM `cloud`.`user`")
    cur.execute("DELETE FROM `cloud`.`account`")
    cur.execute("INSERT INTO `cloud`.`account` (`id`, `uuid`, `account_name`, `type`, `domain_id`) "
                "VALUES (1, UUID(), 'system', 1, 1), (2, UUID(), 'admin', 1, 1)")
    cur.execute("INSERT INTO `cloud`.`user` (`id`, `uuid`, `username`, `password`, `account_id`, `state`) "
                "VALUES (1, UUID(), 'system', RAND(), 1, 'enabled')")
    stored = setup.get("admin_password") or random_pbkdf2()
    cur.execute("INSERT INTO `cloud`.`user` (`id`, `uuid`, `username`, `password`, `account_id`, `state`, `removed`) "
                "VALUES (2, UUID(), 'admin', %s, 2, %s, IF(%s, UTC_TIMESTAMP(), NULL))",
                (stored, setup.get("admin_state", "enabled"), bool(setup.get("admin_removed", False))))
    for number, user in enumerate(setup.get("cloud_users") or [], FIRST_SCENARIO_ID):
        cur.execute("INSERT INTO `cloud`.`account` (`id`, `uuid`, `account_name`, `type`, `domain_id`) "
                    "VALUES (%s, UUID(), %s, %s, 1)", (number, user["name"], 1 if user["root_admin"] else 0))
        cur.execute("INSERT INTO `cloud`.`user` (`id`, `uuid`, `username`, `password`, `account_id`, `removed`) "
                    "VALUES (%s, UUID(), %s, %s, %s, IF(%s, UTC_TIMESTAMP(), NULL))",
                    (number, user["name"], user["password"] or random_pbkdf2(), number, user["removed"]))
    if not setup.get("audit_reads_users", True):
        # Every other table of `cloud` stays readable, granted one by one (run after the other parts' tables).
        cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'cloud' "
                    "AND table_name <> 'user'")
        tables = [row[0] for row in cur.fetchall()]
        cur.execute("REVOKE SELECT ON `cloud`.* FROM %s@'%%'", (audit_user,))
        for table in tables:
            cur.execute(f"GRANT SELECT ON `cloud`.`{table}` TO %s@'%%'", (audit_user,))
