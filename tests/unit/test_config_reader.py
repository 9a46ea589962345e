"""The one reader of configuration files and the strict YAML loader: what they refuse, without
blocking, without expanding an alias and without formatting a huge value. How long they take on the
biggest files they accept: `make bench-config` (benchmarks/config_loading.py) prints it."""
from __future__ import annotations

import os
import threading

import pytest

from stackaudit.config.files import UnreadableFile, read_text, shown
from stackaudit.config.schema import MapOf, SchemaError, Str, child
from stackaudit.config.secrets import SecretSource
from stackaudit.config.yamltext import MAX_DEPTH, YamlRefused, load_yaml_text
from stackaudit.errors import ConfigError
from tests.unit.config_breakage import alias_bomb


def test_a_fifo_is_refused_at_once_even_with_no_writer(tmp_path):
    fifo = tmp_path / "inventory.yml"
    os.mkfifo(fifo)
    done = []
    reader = threading.Thread(target=lambda: done.append(pytest.raises(UnreadableFile, read_text, fifo)), daemon=True)
    reader.start()
    reader.join(2)
    assert done, "reading a FIFO blocked"
    assert str(done[0].value) == "is a FIFO (named pipe), not a regular file; point it at a file"


def test_a_utf8_byte_order_mark_is_dropped(tmp_path):
    path = tmp_path / "p.yml"
    path.write_bytes(b"\xef\xbb\xbfa: 1\n")
    assert load_yaml_text(read_text(path)) == {"a": 1}


def test_exactly_the_limit_is_read_and_one_byte_more_is_refused(tmp_path):
    path = tmp_path / "p.yml"
    path.write_bytes(b"#" * (1024 * 1024))
    assert len(read_text(path)) == 1024 * 1024
    path.write_bytes(b"#" * (1024 * 1024 + 1))
    with pytest.raises(UnreadableFile, match=r"^1048577 bytes, over the 1 MiB limit; point it at the right file$"):
        read_text(path)


def test_a_long_valid_file_loads_whole():
    text = "values:\n" + "  - 1234567890\n" * 6000       # about 90 KiB; the benchmark loads 0.9 MiB
    assert load_yaml_text(text)["values"] == [1234567890] * 6000


def test_an_alias_bomb_is_refused_before_anything_expands_it():
    """Expanded, its 9**30 leaves would never end: the refusal names the first alias, before any."""
    with pytest.raises(YamlRefused, match=r"^line 2: YAML alias \*l0 refused; write the value out where it is used$"):
        load_yaml_text(alias_bomb(levels=30))


def test_nesting_is_allowed_up_to_the_limit_and_refused_beyond():
    assert load_yaml_text("a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1))
    with pytest.raises(YamlRefused, match=f"nested more than {MAX_DEPTH} levels deep"):
        load_yaml_text("a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH)


def test_a_key_written_twice_is_refused_at_any_depth():
    with pytest.raises(YamlRefused, match=r"^line 4: key 'b' written twice; keep one of them$"):
        load_yaml_text("a:\n  - x\n  - {b: 1,\n     b: 2}\n")


def test_values_and_keys_in_messages_are_bounded():
    assert len(shown("x" * 10 ** 6)) <= 62
    assert len(shown([[["y" * 1000] * 1000] * 1000])) <= 100
    assert len(child("f.yml:", "k" * 10 ** 6)) < 80
    with pytest.raises(SchemaError) as err:
        Str().check(["z" * 10 ** 6] * 10, "f.yml: key")
    assert len(str(err.value)) < 200


def test_an_int_and_a_text_key_naming_the_same_thing_are_refused():
    with pytest.raises(SchemaError, match=r"^p: 7: written twice \(as '7' and as text\); keep one$"):
        MapOf(Str()).check({7: "a", "7": "b"}, "p:")


@pytest.mark.parametrize("name, shown_as", [("STACKAUDIT_API_KEY", "STACKAUDIT_API_KEY"),
                                            ("xK9fQ2mZ7pL4vB8nR1tY6wE3", "the variable it names")])
def test_an_unset_variable_is_named_only_when_it_cannot_be_a_pasted_secret(monkeypatch, name, shown_as):
    monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError) as err:
        SecretSource("i.yml: cloud.api.key_env", env=name).check()
    assert str(err.value) == f"i.yml: cloud.api.key_env: environment variable {shown_as} is not set or empty; " \
                             "export it before the run"


def test_long_lists_and_maps_in_a_policy_are_read_whole_and_a_repeat_is_named(tmp_path):
    """A tenth of the documents benchmarks/config_loading.py loads near the 1 MiB limit."""
    from stackaudit.config.policy import load_policy
    path = tmp_path / "policy.yml"
    path.write_text("firewall: {reject_ports: [" + ", ".join(str(1 + i) for i in range(15000)) + "]}\n")
    assert load_policy(path).firewall.reject_ports == tuple(range(1, 15001))
    path.write_text("management: {global_settings: {" + ", ".join(f"s{i}: v" for i in range(6000)) + "}}\n")
    assert load_policy(path).management.global_settings == {f"s{i}": "v" for i in range(6000)}
    path.write_text("firewall: {reject_ports: [" + ", ".join(str(1 + i % 6000) for i in range(7000)) + "]}\n")
    with pytest.raises(ConfigError, match=r"firewall\.reject_ports\[6000\]: 1 is listed twice; keep one$"):
        load_policy(path)
