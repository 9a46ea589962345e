"""Property tests of the configuration loaders: on random YAML-ish text, random bytes, random data
and mutations of the shipped files, the inventory, policy and waivers loaders return or raise
ConfigError (one line), nothing else, and each call is fast."""
from __future__ import annotations

import datetime
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stackaudit.catalog import check_kinds
from stackaudit.config.inventory import INVENTORY, load_inventory
from stackaudit.config.policy import POLICY, load_policy
from stackaudit.config.waivers import FIELDS, load_waivers
from stackaudit.errors import ConfigError
from tests.unit.config_site import ENV, write_site
from tests.unit.hypothesis_budget import examples
from tests.unit.test_parsers_hypothesis import TextParser, mutated

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "inventories"
TODAY = datetime.date(2026, 11, 25)
# Characters YAML gives a meaning to, and a few that break lines or encodings.
SPECIAL = list("{}[]:,-&*!|>'\"%@`#?~ \n\t\r\\") + ["\x00", "\x85", "\u2028", "\ufeff", "\u202e", "---", "...",
                                                      "<<", "!!", "&a", "*a", ": ", "- ", "\n  "]
PIECE = st.sampled_from(SPECIAL) | st.characters(codec="utf-8")


def yamlish(min_size: int = 0, max_size: int = 40):
    """Text made of YAML's meaningful pieces and any UTF-8 character."""
    return st.lists(PIECE, min_size=min_size, max_size=max_size).map("".join)
FAST = settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A valid site (its files are what mutated inventories name); the secrets' variables set."""
    directory = tmp_path_factory.mktemp("fuzz-site")
    write_site(directory)
    with pytest.MonkeyPatch.context() as patch:
        for name, value in ENV.items():
            patch.setenv(name, value)
        yield directory


def load_all(inventory: Path | None = None, policy: Path | None = None, waivers: Path | None = None) -> None:
    """Each loader given a file; only ConfigError may come out."""
    try:
        if inventory is not None:
            load_policy(load_inventory(inventory).policy_path)
        if policy is not None:
            load_policy(policy)
        if waivers is not None:
            load_waivers(waivers, check_kinds(), 180, TODAY)
    except ConfigError as err:
        assert "\n" not in str(err) and len(str(err)) < 1000, str(err)


def shipped_and_site(site: Path, which: str) -> TextParser:
    """The texts a loader's mutations start from: the shipped file and the valid site's."""
    names = {"inventory": ("example.yml", "inventory.yml"), "policy": ("policy.yml",), "waivers": ("waivers.yml",)}
    texts = [(directory / name).read_text() for directory in (SHIPPED, site) for name in names[which]
             if (directory / name).exists()]
    return TextParser(which, parse=lambda text: None, seeds=tuple(texts))


@FAST
@given(data=st.data())
@pytest.mark.parametrize("which", ["inventory", "policy", "waivers"])
def test_mutated_files_load_or_give_one_config_error(site, which, data):
    path = site / f"{which}-fuzz.yml"
    path.write_text(data.draw(mutated(shipped_and_site(site, which))))
    load_all(**{which: path})


@FAST
@given(text=yamlish(max_size=300), which=st.sampled_from(["inventory", "policy", "waivers"]))
def test_random_yaml_ish_text_gives_one_config_error_at_most(site, text, which):
    path = site / f"{which}-random.yml"
    path.write_text(text)
    load_all(**{which: path})


@FAST
@given(data=st.binary(max_size=400), which=st.sampled_from(["inventory", "policy", "waivers"]))
def test_random_bytes_give_one_config_error_at_most(site, data, which):
    path = site / f"{which}-bytes.yml"
    path.write_bytes(data)
    load_all(**{which: path})


def documents(keys: list[str]):
    """Mappings over the loaders' own keys (and a few others), holding values of every YAML type."""
    scalars = (st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70) | st.floats() | yamlish(max_size=12)
               | st.dates() | st.sampled_from(["keys/id_ed25519", "known_hosts", "keys/ca.pem", "SA_TEST_API_KEY",
                                               "http://198.18.0.1/client/api", "4.19.1.0", "3.0.15-1~deb12u1",
                                               "~nouser/key", "/dev/zero", "keys"]))
    key = st.sampled_from(keys) | yamlish(max_size=6) | st.integers(0, 20)
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(key, inner, max_size=6),
                        max_leaves=30)


def field_names(record) -> list[str]:
    names = []
    for name, spec in record.fields.items():
        names.append(name)
        inner = getattr(spec.kind, "inner", spec.kind)
        for nested in (inner, getattr(inner, "item", None)):
            if hasattr(nested, "fields"):
                names += field_names(nested)
    return names


@FAST
@given(data=st.data(), which=st.sampled_from(["inventory", "policy", "waivers"]))
def test_random_documents_over_the_loaders_keys_give_one_config_error_at_most(site, data, which):
    keys = {"inventory": field_names(INVENTORY), "policy": field_names(POLICY), "waivers": ["waivers", *FIELDS]}[which]
    path = site / f"{which}-document.yml"
    try:
        text = yaml.safe_dump(data.draw(documents(keys)), allow_unicode=True)
    except yaml.YAMLError:      # a value PyYAML cannot write (e.g. some surrogate text): nothing to load
        return
    path.write_text(text, errors="surrogatepass")
    load_all(**{which: path})
