"""rpm's version comparison on rpm's own test vectors: every RPMVERCMP(a, b, result) line of
rpm-software-management/rpm tests/rpmvercmp.at (commit 7f3fdf6, with the caret cases), and the
Heartbleed erratum's EL6 release against the builds before it."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackaudit.parsers.rpmvercmp import compare_evr, rpmvercmp, split_evr
from tests.unit.hypothesis_budget import examples

# RPMVERCMP(a, b, expected), in the file's order
RPM_TEST_VECTORS = """
1.0 1.0 0|1.0 2.0 -1|2.0 1.0 1|2.0.1 2.0.1 0|2.0 2.0.1 -1|2.0.1 2.0 1|2.0.1a 2.0.1a 0|2.0.1a 2.0.1 1|2.0.1 2.0.1a -1
5.5p1 5.5p1 0|5.5p1 5.5p2 -1|5.5p2 5.5p1 1|5.5p10 5.5p10 0|5.5p1 5.5p10 -1|5.5p10 5.5p1 1|10xyz 10.1xyz -1
10.1xyz 10xyz 1|xyz10 xyz10 0|xyz10 xyz10.1 -1|xyz10.1 xyz10 1|xyz.4 xyz.4 0|xyz.4 8 -1|8 xyz.4 1|xyz.4 2 -1
2 xyz.4 1|5.5p2 5.6p1 -1|5.6p1 5.5p2 1|5.6p1 6.5p1 -1|6.5p1 5.6p1 1|6.0.rc1 6.0 1|6.0 6.0.rc1 -1|10b2 10a1 1
10a2 10b2 -1|1.0aa 1.0aa 0|1.0a 1.0aa -1|1.0aa 1.0a 1|10.0001 10.0001 0|10.0001 10.1 0|10.1 10.0001 0
10.0001 10.0039 -1|10.0039 10.0001 1|4.999.9 5.0 -1|5.0 4.999.9 1|20101121 20101121 0|20101121 20101122 -1
20101122 20101121 1|2_0 2_0 0|2.0 2_0 0|2_0 2.0 0|a a 0|a+ a+ 0|a+ a_ 0|a_ a+ 0|+a +a 0|+a _a 0|_a +a 0|+_ +_ 0
_+ +_ 0|_+ _+ 0|+ _ 0|_ + 0|1.0~rc1 1.0~rc1 0|1.0~rc1 1.0 -1|1.0 1.0~rc1 1|1.0~rc1 1.0~rc2 -1|1.0~rc2 1.0~rc1 1
1.0~rc1~git123 1.0~rc1~git123 0|1.0~rc1~git123 1.0~rc1 -1|1.0~rc1 1.0~rc1~git123 1|1.0^ 1.0^ 0|1.0^ 1.0 1
1.0 1.0^ -1|1.0^git1 1.0^git1 0|1.0^git1 1.0 1|1.0 1.0^git1 -1|1.0^git1 1.0^git2 -1|1.0^git2 1.0^git1 1
1.0^git1 1.01 -1|1.01 1.0^git1 1|1.0^20160101 1.0^20160101 0|1.0^20160101 1.0.1 -1|1.0.1 1.0^20160101 1
1.0^20160101^git1 1.0^20160101^git1 0|1.0^20160102 1.0^20160101^git1 1|1.0^20160101^git1 1.0^20160102 -1
1.0~rc1^git1 1.0~rc1^git1 0|1.0~rc1^git1 1.0~rc1 1|1.0~rc1 1.0~rc1^git1 -1|1.0^git1~pre 1.0^git1~pre 0
1.0^git1 1.0^git1~pre 1|1.0^git1~pre 1.0^git1 -1
"""
VECTORS = [(a, b, int(result)) for a, b, result in (case.split() for case in RPM_TEST_VECTORS.replace("\n", "|").split("|")
                                                   if case.strip())]


def test_every_vector_of_rpms_own_tests_is_read():
    assert len(VECTORS) == 91      # the non-dnl RPMVERCMP lines of the file


@pytest.mark.parametrize("a, b, expected", VECTORS)
def test_rpms_own_test_vectors(a, b, expected):
    assert rpmvercmp(a, b) == expected


@pytest.mark.parametrize("a, b, expected", [
    ("1.1.α", "1.1.β", 0), ("1.1.αα", "1.1.α", 0),          # rpm's documented oddity: non-ASCII only separates
])
def test_non_ascii_characters_separate_as_rpm_documents(a, b, expected):
    assert rpmvercmp(a, b) == expected


@pytest.mark.parametrize("evr, parts", [
    ("1.0.1e-16.el6_5.7", (0, "1.0.1e", "16.el6_5.7")), ("1:1.0.2k-25.el7_9", (1, "1.0.2k", "25.el7_9")),
    ("1.0.1e", (0, "1.0.1e", None)), (":2.0-1", (0, "2.0", "1")), ("a-b-c", (0, "a-b", "c")),
])
def test_epoch_version_and_release_split_as_rpms_parseevr(evr, parts):
    assert split_evr(evr) == parts


@pytest.mark.parametrize("installed, expected", [
    ("1.0.1e-16.el6_5.7", 0), ("1.0.1e-16.el6_5.14", 1), ("1.0.1e-57.el6", 1), ("1.0.1e-16.el6_5.4", -1),
    ("1.0.1e-16.el6_5", -1), ("1.0.1e-15.el6", -1), ("1.0.0-27.el6_4.2", -1), ("1:1.0.0-1.el6", 1),
])
def test_the_el6_heartbleed_erratum_against_builds_before_and_after_it(installed, expected):
    assert compare_evr(installed, "1.0.1e-16.el6_5.7") == expected


@settings(max_examples=examples(200), deadline=None)
@given(st.text(alphabet="0123456789az.~^_-+α", max_size=12), st.text(alphabet="0123456789az.~^_-+α", max_size=12))
def test_the_order_is_antisymmetric(a, b):
    assert rpmvercmp(a, b) == -rpmvercmp(b, a)
