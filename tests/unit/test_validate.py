"""`stackaudit validate` lists every mistake of the inventory, its policy and the waivers at once
(issue 24), each in the line `run` gives for it; the loaders keep raising the first one."""
from __future__ import annotations

import datetime
import shutil

import pytest
import yaml

from stackaudit import cli
from stackaudit.cli.run_command import validate as first_problem
from stackaudit.config.problems import Problems
from stackaudit.config.schema import Int, Record, Reported, Str, f
from stackaudit.configuration import check_configuration
from stackaudit.errors import ConfigError, SchemaError
from tests.unit.test_config_bad_input import CASES, broken_site_in_env
from tests.unit.test_config_shipped import SHIPPED, filled_in_example


def validate(capsys, *argv: str) -> tuple[int, list[str]]:
    code = cli.main(["validate", *argv])
    out = capsys.readouterr()
    assert out.err == ""
    return code, out.out.splitlines()


def test_five_mistakes_in_a_copy_of_the_example_come_from_one_validate(tmp_path, monkeypatch, capsys):
    inventory = filled_in_example(tmp_path, monkeypatch)
    key = tmp_path / "home" / ".ssh" / "stackaudit_ed25519"
    key.chmod(0o644)                                                      # 1. the key's mode
    (tmp_path / "known_hosts.prod-eu1").unlink()                          # 2. known_hosts missing
    (tmp_path / "secrets" / "xapi-ca.pem").unlink()                       # 3. XenServer's CA missing
    monkeypatch.delenv("STACKAUDIT_API_SECRET")                           # 4. an API variable unset
    (tmp_path / "policy.yml").write_text("time: {max_offset_ms: soon}\n")  # 5. a policy value of the wrong type
    waivers = tmp_path / "waivers.yml"                                    # 6. a waiver for an unknown check
    waivers.write_text(yaml.safe_dump({"waivers": [{
        "check": "NO-SUCH-CHECK", "target": "cloud://x", "reason": "r", "approver": "a", "ticket": "T-1",
        "expires": (datetime.date.today() + datetime.timedelta(days=30)).isoformat()}]}))
    code, lines = validate(capsys, f"--inventory={inventory}", f"--waivers={waivers}")
    assert code == 4
    assert lines == [
        f"{inventory}: ssh.private_key: {key} is open to group or others (mode 0644); run chmod 600 {key}",
        f"{inventory}: ssh.known_hosts: {tmp_path}/known_hosts.prod-eu1: cannot read: No such file or directory; "
        "fix the path",
        f"{inventory}: xenserver.ca_file: {tmp_path}/secrets/xapi-ca.pem: cannot read: No such file or directory; "
        "fix the path",
        f"{inventory}: cloud.api.secret_env: environment variable STACKAUDIT_API_SECRET is not set or empty; export "
        "it before the run",
        f"{tmp_path}/policy.yml: time.max_offset_ms: found str 'soon'; expected a whole number of milliseconds "
        "from 1 to 3600000",
        f"{waivers}: waivers[0] (NO-SUCH-CHECK): check 'NO-SUCH-CHECK' is not a check ID of the catalog; use the ID "
        "the run's table shows, e.g. MS-CA-STRICT",
        f"6 problems in {inventory}, {tmp_path}/policy.yml, {waivers}"]
    # and `run` gives the first of them, then where to get the rest
    assert first_problem(str(inventory), str(waivers)) == lines[0]


def test_a_valid_configuration_is_one_line_and_exit_0(tmp_path, monkeypatch, capsys):
    inventory = filled_in_example(tmp_path, monkeypatch)
    assert validate(capsys, f"--inventory={inventory}") == (0, [f"configuration valid: {inventory}, {tmp_path}/policy.yml"])


def test_one_mistake_is_one_problem(tmp_path, monkeypatch, capsys):
    inventory = filled_in_example(tmp_path, monkeypatch)
    monkeypatch.delenv("STACKAUDIT_API_KEY")
    code, lines = validate(capsys, f"--inventory={inventory}")
    assert code == 4 and len(lines) == 2 and lines[1] == f"1 problem in {inventory}, {tmp_path}/policy.yml"


def test_extra_arguments_are_refused(tmp_path, capsys):
    assert cli.main(["validate", f"--inventory={tmp_path / 'i.yml'}", "-k", "x"]) == 4
    assert "validate: unrecognized arguments '-k x'" in capsys.readouterr().err


def test_an_unreadable_inventory_is_one_problem_and_the_waivers_are_still_read(tmp_path, capsys):
    waivers = tmp_path / "waivers.yml"
    waivers.write_text("waivers: {}\n")
    code, lines = validate(capsys, f"--inventory={tmp_path / 'none.yml'}", f"--waivers={waivers}")
    assert code == 4
    assert lines == [f"{tmp_path}/none.yml: cannot read: No such file or directory; check the --inventory path",
                     f"{waivers}: expected one key, waivers, holding a list of waivers; see inventories/waivers.yml "
                     "for the format",
                     f"2 problems in {tmp_path}/none.yml, {waivers}"]


def test_a_section_that_failed_the_schema_is_not_checked_further(tmp_path, monkeypatch):
    inventory = filled_in_example(tmp_path, monkeypatch)
    document = yaml.safe_load(inventory.read_text())
    document["xenserver"]["port"] = "https"         # the section fails the schema ...
    (tmp_path / "secrets" / "xapi-ca.pem").unlink()  # ... so its missing CA file is not reported on top
    document["ssh"]["max_connections"] = 0
    document["databases"]["servers"][0]["port"] = -1
    inventory.write_text(yaml.safe_dump(document))
    checked = check_configuration(inventory, None)
    assert checked.configuration is None
    assert [line.split(": ")[1] for line in checked.problems] == [
        "ssh.max_connections", "xenserver.port", "databases.servers[0].port"]


@pytest.mark.parametrize("case", [c for c in CASES if not c.fragment.startswith("--")], ids=lambda c: c.name)
def test_every_bad_input_row_is_the_first_problem_validate_lists(tmp_path, monkeypatch, case):
    """The table of issue 12: each row's line, which `run` gives, is what validate lists first."""
    site = broken_site_in_env(tmp_path, monkeypatch, case)
    checked = check_configuration(site.inventory, site.waivers)
    assert checked.configuration is None
    assert checked.problems[0] == first_problem(str(site.inventory), str(site.waivers))


RECORD = Record({"name": f(Str(), "x"), "size": f(Int(1)), "inner": f(Record({"port": f(Int(1), 1)}), dict)})


def test_a_record_collects_each_fields_mistake_in_the_order_check_raises_the_first():
    value = {"typo": 1, "size": 0, "inner": {"port": "p", "other": 2}}
    with pytest.raises(SchemaError) as raised:
        RECORD.check(value, "f.yml:")
    problems = Problems(collect=True)
    with pytest.raises(Reported):
        RECORD.check_all(value, "f.yml:", problems)
    assert problems.lines == [
        "f.yml: typo: unknown key; expected one of name, size, inner",
        "f.yml: size: found int 0; expected an integer >= 1",
        "f.yml: inner.other: unknown key; expected one of port",
        "f.yml: inner.port: found str 'p'; expected an integer >= 1"]
    assert str(raised.value) == problems.lines[0]


def test_check_sections_keeps_the_fields_that_passed():
    problems = Problems(collect=True)
    assert RECORD.check_sections({"size": 0, "name": "n"}, "f.yml:", problems) == {"name": "n", "inner": {"port": 1}}
    assert problems.lines == ["f.yml: size: found int 0; expected an integer >= 1"]
    assert RECORD.check_sections([1], "g.yml:", problems) == {}
    assert problems.lines[-1].startswith("g.yml: found list [1]; expected a mapping with keys name, size, inner")


def test_problems_raise_at_once_unless_collecting():
    with pytest.raises(ConfigError, match="^f: bad$"):
        Problems(error=ConfigError).add(SchemaError("f: bad"))
    problems = Problems(collect=True)
    for step in range(3):
        with problems.step():
            raise ConfigError(f"f: mistake {step % 2}")
    assert problems.lines == ["f: mistake 0", "f: mistake 1"]    # the same line twice is listed once


def test_the_nine_tries_of_the_shipped_example_are_one_validate(tmp_path, monkeypatch, capsys):
    """Issue 24's path: inventories/example.yml copied as a new user would, nothing it names made yet."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("STACKAUDIT_API_KEY", "STACKAUDIT_API_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    shutil.copy(SHIPPED / "example.yml", "mycloud.yml")
    code, lines = validate(capsys, "--inventory=mycloud.yml")
    assert code == 4
    missing = "cannot read: No such file or directory; fix the path"
    assert lines == [
        f"mycloud.yml: ssh.private_key: {tmp_path}/home/.ssh/stackaudit_ed25519: {missing}",
        f"mycloud.yml: ssh.known_hosts: known_hosts.prod-eu1: {missing}",
        f"mycloud.yml: xenserver.ca_file: secrets/xapi-ca.pem: {missing}",
        f"mycloud.yml: databases.ca_file: secrets/db-ca.pem: {missing}",
        "mycloud.yml: cloud.api.key_env: environment variable STACKAUDIT_API_KEY is not set or empty; export it before "
        "the run",
        "mycloud.yml: cloud.api.secret_env: environment variable STACKAUDIT_API_SECRET is not set or empty; export it "
        "before the run",
        f"mycloud.yml: xenserver.password_file: secrets/xapi.password: {missing}",
        f"mycloud.yml: databases.password_file: secrets/db-audit.password: {missing}",
        "mycloud.yml: policy: policy.yml does not exist; fix the path or remove the key to use the default policy",
        "9 problems in mycloud.yml"]


def test_connect_tries_nothing_while_the_files_have_mistakes(tmp_path, monkeypatch, capsys):
    inventory = filled_in_example(tmp_path, monkeypatch)
    monkeypatch.delenv("STACKAUDIT_API_KEY")
    monkeypatch.setattr("stackaudit.collect.probe.probe", lambda *args: pytest.fail("probed"))
    code, lines = validate(capsys, f"--inventory={inventory}", "--connect")
    assert code == 4 and lines[-1] == f"1 problem in {inventory}, {tmp_path}/policy.yml"
