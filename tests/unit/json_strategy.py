"""Hypothesis strategies for what a JSON API may answer: any JSON value, and lists of rows whose keys
are drawn mostly from the fields a parser reads (so the parser's own paths are reached)."""
from __future__ import annotations

from hypothesis import strategies as st

JSON = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=12)),
                    lambda inner: st.one_of(st.lists(inner, max_size=3),
                                            st.dictionaries(st.text(max_size=10), inner, max_size=4)),
                    max_leaves=12)


def answers(fields: list[str], max_fields: int = 6):
    """Any JSON value, or a list of up to three rows keyed by `fields`."""
    return st.one_of(JSON, st.lists(st.dictionaries(st.sampled_from(fields), JSON, max_size=max_fields), max_size=3))
