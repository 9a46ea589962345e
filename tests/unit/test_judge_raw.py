"""Judge raw, mask on the way out (issue 18): rules read facts as the target sent them; secrets are
learnt only from the inventory and from known secret keys of known files; only what leaves the run
is masked, and never a target's own id, name or address."""
from __future__ import annotations

import json
import stat

from stackaudit.collect.factstore import FactStore, learn_secrets, publish_facts, raw_dir
from stackaudit.collect.target_secrets import option_file_secrets, properties_secrets, secrets_in
from stackaudit.config.redact import MASK, KnownSecrets, mask, redact_text
from stackaudit.targets import Snapshot, Target

DB_PROPERTIES = ("db.cloud.host=198.18.0.100\ndb.cloud.password=ENC(Qm9oHq7d0V3u)\n"
                 "db.usage.password=usage-pw-77\ndb.cloud.encrypt.secret=enc-secret-12\nother.key=plain\n")
OPTION_FILES = ("==> /etc/mysql/my.cnf <==\n[client]\nuser = backup\npassword = \"cl1ent-pw-44\"\n\n"
                "==> /etc/mysql/conf.d/x.cnf <==\n[mysqld]\nbind-address = 0.0.0.0\n# password = commented-99\n")


def section(stdout: str) -> dict:
    return {"exit_code": 0, "stdout": stdout, "stderr": ""}


def test_known_files_give_the_values_of_their_secret_keys_only():
    assert properties_secrets(DB_PROPERTIES) == ["ENC(Qm9oHq7d0V3u)", "usage-pw-77", "enc-secret-12"]
    assert option_file_secrets(OPTION_FILES) == ["cl1ent-pw-44"]


def test_only_declared_sections_teach_and_a_garbled_one_teaches_nothing():
    facts = {"ssh": {"sections": {"db_properties": section(DB_PROPERTIES),
                                  "server_pids": section("password=from-a-process-9\n"),
                                  "cnf_files": section("no tail header here\n")}}}
    readers = {("ssh", "db_properties"): properties_secrets, ("ssh", "cnf_files"): option_file_secrets}
    assert secrets_in(facts, readers) == ["ENC(Qm9oHq7d0V3u)", "usage-pw-77", "enc-secret-12"]
    assert secrets_in({"ssh": {"error": {"type": "Unreachable", "message": "x"}}}, readers) == []


def test_a_tenants_words_never_become_secrets():
    registry = KnownSecrets()
    learn_secrets({"target": "cloud://c", "facts": {"api": {"accounts": [{"name": "token=CLOUDSTACK-SERVICES"}]},
                                                   "xapi": {"records": {"VM": {"r": {"name_label": "password=x1y2z3"}}}}}},
                  registry)
    assert len(registry) == 0
    assert redact_text("-A INPUT -j CLOUDSTACK-SERVICES", registry) == "-A INPUT -j CLOUDSTACK-SERVICES"


def test_targets_json_masks_rows_but_never_a_targets_own_names(tmp_path):
    host = Target("kvm-host", "token=hv01", "zone1", "198.18.1.1", attrs={"id": "h1", "cluster": "password=c1"})
    snapshot = Snapshot("lab", [host], api={"listAccounts": [{"name": "password=localhost", "apikey": "AK-1234567"}]})
    snapshot.save(tmp_path / "targets.json")
    snapshot.save(tmp_path / "raw.json", raw=True)
    shown = json.loads((tmp_path / "targets.json").read_text())
    assert shown["targets"][0]["name"] == "token=hv01" and shown["targets"][0]["address"] == "198.18.1.1"
    assert shown["targets"][0]["attrs"]["cluster"] == f"password={MASK}"
    assert shown["api"]["listAccounts"] == [{"name": f"password={MASK}", "apikey": MASK}]
    assert Snapshot.load(tmp_path / "raw.json").api == snapshot.api      # the workers' copy is as discovered
    assert "token=hv01" in snapshot.identities() and "198.18.1.1" in snapshot.identities()


class StoredCollector:
    """Stands in for the collector: the store only asks it for a target's unit."""


def test_facts_are_stored_raw_privately_and_published_masked(tmp_path):
    run_dir = tmp_path / "run"
    store = FactStore(run_dir, StoredCollector())
    target = Target("mgmt", "ms1", address="198.18.0.10")
    raw = {"ssh": {"sections": {"db_properties": section(DB_PROPERTIES),
                                "program_processes": section("cloud 12 java usage-pw-77\n")}}}
    store._write(store.path(target), {"target": target.id, "seconds": 0.1, "facts": raw})
    assert stat.S_IMODE(raw_dir(run_dir).stat().st_mode) == 0o700
    assert stat.S_IMODE(store.path(target).stat().st_mode) == 0o600
    registry = KnownSecrets()
    assert json.loads(store.path(target).read_text())["facts"] == raw         # what the rules read
    publish_facts(run_dir, registry)
    assert not (run_dir / ".raw").exists()
    published = json.loads((run_dir / "facts" / store.path(target).name).read_text())
    assert published["target"] == "mgmt://ms1"
    sections = published["facts"]["ssh"]["sections"]
    assert "usage-pw-77" not in json.dumps(published)
    assert sections["program_processes"]["stdout"] == f"cloud 12 java {MASK}\n"    # learnt from db.properties
    assert "db.cloud.host=198.18.0.100" in sections["db_properties"]["stdout"]


def test_common_or_short_values_are_masked_where_they_were_read_not_everywhere():
    registry = KnownSecrets()
    learn_secrets({"facts": {"ssh": {"sections": {"db_properties": section("db.cloud.password=cloud\n")}}}},
                  registry)
    from stackaudit.collect.declarations import SECRET_READERS
    assert ("ssh", "db_properties") in SECRET_READERS and len(registry) == 0
    assert mask("db.cloud.password=cloud\nuser cloud runs java", registry) == \
        f"db.cloud.password={MASK}\nuser cloud runs java"
