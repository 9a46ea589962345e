"""CloudMonkey's config read as gopkg.in/ini.v1 reads it with cmk's options (stackaudit/config/go_ini.py).

The expected values follow ini.v1 v1.67.0's parser.go, section.go and key.go as vendored by
apache/cloudstack-cloudmonkey 6.4 (each row says which rule it shows).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from stackaudit.config.go_ini import DEFAULT, GoIniError, parse_go_ini

FIRST_RUN = (Path(__file__).resolve().parent.parent / "data" / "credentials" / "cmk-first-run.config").read_text()


@pytest.mark.parametrize("text, section, key, expected", [
    # the file cmk writes: the top keys are the DEFAULT section's, `=` aligned, empty values
    (FIRST_RUN, DEFAULT, "verifycert", "true"),
    (FIRST_RUN, DEFAULT, "prompt", "🐱"),
    (FIRST_RUN, "localcloud", "url", "http://localhost:8080/client/api"),
    (FIRST_RUN, "localcloud", "apikey", ""),
    (FIRST_RUN, "localcloud", "verifycert", None),            # no fallback to DEFAULT for a key
    ("[DEFAULT]\nverifycert = false\n", DEFAULT, "verifycert", "false"),   # the header names the same section
    ("[p]\nurl = https://a # not a comment\n", "p", "url", "https://a # not a comment"),   # IgnoreInlineComment
    ("[p]\n# url = https://commented\n; apikey = x\n", "p", "url", None),
    ("[p]\napikey: K1\n", "p", "apikey", "K1"),                 # ':' separates too
    ("[p]\n  apikey   =    K1   \n", "p", "apikey", "K1"),
    ("[p]\napikey = \"K1\"\n", "p", "apikey", "K1"),           # one pair of quotes is taken off
    ("[p]\napikey = 'K1'\n", "p", "apikey", "K1"),
    ("[p]\napikey = \"K\"1\"\n", "p", "apikey", "\"K\"1\""),   # unless the quote is inside too
    ("[p]\napikey = `K1`\n", "p", "apikey", "K1"),
    ("[p]\napikey = \"\"\"K1\nK2\"\"\"\n", "p", "apikey", "K1\nK2"),   # triple quotes span lines
    ("[p]\napikey = K1\\\n   K2\n", "p", "apikey", "K1K2"),    # a backslash continues the value
    ("[p]\napikey = K1\napikey = K2\n", "p", "apikey", "K2"),  # the last of a key written twice
    ("[p]\napikey = K1\n[q]\n[p]\nsecretkey = S1\n", "p", "apikey", "K1"),   # a section written twice is one
    ("[p]\nAPIKEY = K1\n", "p", "apikey", None),                # names are case-sensitive
    ("[prod]\nurl = https://a\n[prod.eu]\napikey = K\n", "prod.eu", "url", "https://a"),   # a child reads its parent
    ("[p]\nsecretkey = S1\napikey = %(secretkey)s-K\n", "p", "apikey", "S1-K"),    # %(name)s from the section
    ("host = a\n[p]\nurl = https://%(host)s/client/api\n", "p", "url", "https://a/client/api"),   # ... or DEFAULT
    ("[p]\napikey = %(nothing)s\n", "p", "apikey", "%(nothing)s"),
    ("[p]\r\napikey = K1\r\n", "p", "apikey", "K1"),            # CRLF line ends
    ("[p] trailing\napikey = K1\n", "p", "apikey", "K1"),      # text after the ] is a comment
    ("[p]\n\"api key\" = K1\n", "p", "api key", "K1"),         # a quoted key name
])
def test_values_as_ini_v1_gives_them(text, section, key, expected):
    assert parse_go_ini(text).value(section, key) == expected


@pytest.mark.parametrize("text, message", [
    ("[p\napikey = Planted-Secret\n", "line 1: a [section] without its closing ]"),
    ("[]\n", "line 1: an empty section name []"),
    ("[p]\nPlanted-Secret\n", "line 2: neither `key = value`, a [section] nor a comment"),
    ("[p]\n= Planted-Secret\n", "line 2: a value without a key name"),
    ("[p]\napikey = \"\"\"Planted-Secret\nmore\n", "line 2: a \"\"\"-quoted value without its closing \"\"\""),
    ("[p]\n\"apikey = Planted-Secret\n", "line 2: a quoted key name without its closing quote"),
])
def test_what_ini_v1_refuses_is_named_by_line_never_quoted(text, message):
    with pytest.raises(GoIniError) as raised:
        parse_go_ini(text)
    assert str(raised.value) == message


def test_sections_in_order_with_default_first():
    assert list(parse_go_ini(FIRST_RUN + "[prod]\nurl = x\n").sections) == [DEFAULT, "localcloud", "prod"]
