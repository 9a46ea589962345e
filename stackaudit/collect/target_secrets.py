"""The secret values a target's own files hold: the values of known secret keys of known files.

A process learns them as it loads a target's facts (collect/factstore.py), so it masks them
wherever they appear in what leaves the run: the passphrase agent.properties holds is masked in
the same host's `ps` output too, in whichever worker attaches it. Only these files are read for
secrets; nothing is learnt from API or XAPI free text (config/redact.py says why).

- java.util.Properties files: agent.properties (`keystore.passphrase`) and db.properties
  (`db.cloud.password`, `db.usage.password`, `db.cloud.encrypt.secret`,
  `db.cloud.keyStorePassphrase`; Apache CloudStack, client/conf/db.properties.in,
  https://github.com/apache/cloudstack): every key named like a secret;
- MariaDB option files (`password` in a client group; MariaDB Knowledge Base, "Configuring
  MariaDB with Option Files", https://mariadb.com/kb/en/configuring-mariadb-with-option-files/);
- the accounts query's stored authentication strings (password hashes; parsers/mysql_accounts.py).
"""
from __future__ import annotations

from stackaudit.collect import collected
from stackaudit.config.redact import is_secret_name
from stackaudit.errors import UnparsableOutput
from stackaudit.parsers.mycnf import normalise_option_name, parse_option_line, parse_tail_files
from stackaudit.parsers.properties import parse_java_properties, parse_java_properties_file


def properties_secrets(text: str) -> list[str]:
    """The values of a Java properties file's secret-named keys: as its text shows them, and as
    CloudStack reads them (the bytes as ISO 8859-1, parse_java_properties_file), the form a rule's
    evidence may quote."""
    values = []
    for parse in (parse_java_properties, parse_java_properties_file):
        values += [value for key, value in parse(text, "properties").items() if is_secret_name(key)]
    return list(dict.fromkeys(values))


def option_file_secrets(text: str) -> list[str]:
    """The values of secret-named options (`password`) in MariaDB option files, as `tail -v` shows them."""
    values = []
    for content in parse_tail_files(text).values():
        for line in content.splitlines():
            stripped = line.strip()
            if not stripped or stripped[0] in "#;[!":
                continue
            name, value = parse_option_line(stripped)
            if value and is_secret_name(normalise_option_name(name)):
                values.append(value)
    return values


def secrets_in(raw_facts: dict, readers: dict) -> list[str]:
    """The secret values of a target's raw facts: each reading that `readers` ((channel, name) ->
    function of its output: an SSH section's text, an SQL query's rows) names, read by its function.
    An output that does not parse gives none: an SSH text is still masked by shape where it leaves."""
    found = []
    for (channel, name), read in readers.items():
        reading = collected.load_all(channel, raw_facts.get(channel)).get(name)
        if reading is None or reading.output is None or (channel == "ssh" and not isinstance(reading.output, str)):
            continue
        try:
            found += read(reading.output)
        except UnparsableOutput:
            continue
    return found
