"""docs/accounts.md and docs/checks.md are what the code makes of them (`make docs`), and say what they must."""
from __future__ import annotations

import json
import re

import pytest

from stackaudit.access_needs import api_commands
from stackaudit.catalog import catalog
from stackaudit.checks_document import anchor
from stackaudit.cli import main
from stackaudit.generated_docs import GENERATED, REGENERATE, ROOT


@pytest.mark.parametrize("path", sorted(GENERATED))
def test_each_generated_document_is_current(path):
    written = (ROOT / path).read_text() if (ROOT / path).exists() else ""
    assert written == GENERATED[path](), f"{path} is out of date: run `{REGENERATE}`"


def test_the_checks_document_has_every_check_once_with_its_severity_profiles_rule_and_fix():
    text = GENERATED["docs/checks.md"]()
    for record in catalog().values():
        assert text.count(f"\n### {record.id}\n") == 1, record.id
        section = text.split(f"\n### {record.id}\n", 1)[1].split("\n### ", 1)[0]
        assert f"Severity {record.severity}; profiles {', '.join(record.profiles)};" in section
        assert " ".join(record.title.split()) in section
        assert f"- Fix (disruption: {record.disruption}): " + " ".join(record.remediation.split()) in section
    headings = set(re.findall(r"^#{2,3} (.+)$", text, re.M))
    links = set(re.findall(r"\]\(#([a-z0-9-]+)\)", text))
    assert links == {anchor(h) for h in headings}     # every link lands on a heading, every heading is linked


def test_the_accounts_document_names_every_command_grant_and_root_reason():
    text = GENERATED["docs/accounts.md"]()
    assert all(f"rule={command} permission=allow" in text for command in api_commands())
    assert "rule='*' permission=deny" in text and "GRANT SLAVE MONITOR ON *.*" in text
    assert "| iptables_save |" in text and "CAP_NET_ADMIN" in text


def test_no_user_facing_file_points_at_a_checks_md_users_do_not_have():
    for path in [ROOT / "stackaudit" / "catalog.yml", *(ROOT / "docs").glob("*.md"), ROOT / "inventories" / "example.yml"]:
        assert "CHECKS.md" not in path.read_text(), path


def test_the_example_inventory_points_at_the_generated_grants():
    text = (ROOT / "inventories" / "example.yml").read_text()
    assert "docs/accounts.md" in text and "REPLICATION CLIENT" not in text


def test_stackaudit_access_prints_each_part(capsys):
    assert main(["access", "--api"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == "cmk create rolepermission roleid=$ROLE rule='*' permission=deny"
    assert main(["access", "--database", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert list(document) == ["database"] and document["database"]["by_server"][0]["servers"].startswith("MariaDB")
    assert main(["access", "--ssh"]) == 0
    assert "iptables_save\tkvm-host,xs-host,mgmt\tiptables-save\troot: " in capsys.readouterr().out


def test_stackaudit_access_refuses_two_parts_and_stray_arguments(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["access", "--api", "--ssh"])
    assert exit_info.value.code == 2
    capsys.readouterr()
    assert main(["access", "extra"]) == 4
    assert capsys.readouterr().err.strip() == ("stackaudit: access: unrecognized arguments 'extra'; access takes --api, "
                                               "--database, --ssh and --format")
