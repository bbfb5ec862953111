"""Cursor arithmetic: inclusive restart with overlap for time tokens, none for versions."""

from __future__ import annotations

import pytest

from syncwright.daemon.flows.cursor import format_time, later, parse_time, start_of_pass


def test_a_new_pass_starts_overlap_seconds_before_the_high_water() -> None:
    assert start_of_pass("time", "2026-11-22T12:00:00Z", 120) == "2026-11-22T11:58:00Z"


def test_a_first_pass_has_no_lower_bound() -> None:
    assert start_of_pass("time", None, 120) is None
    assert start_of_pass("version", None, 0) is None


def test_version_tokens_restart_inclusively_without_overlap() -> None:
    assert start_of_pass("version", "4711", 120) == "4711"


def test_time_tokens_with_offsets_and_fractions_normalise_to_utc() -> None:
    assert start_of_pass("time", "2026-11-22T13:00:00.250000+01:00", 0.25) == "2026-11-22T12:00:00Z"
    assert format_time(parse_time("2026-11-22T12:00:00")) == "2026-11-22T12:00:00Z"


@pytest.mark.parametrize(
    ("kind", "a", "b", "expected"),
    [
        ("time", "2026-11-22T12:00:00Z", "2026-11-22T12:00:01Z", "2026-11-22T12:00:01Z"),
        ("time", "2026-11-22T13:00:05+01:00", "2026-11-22T12:00:01Z", "2026-11-22T13:00:05+01:00"),
        ("time", None, "2026-11-22T12:00:01Z", "2026-11-22T12:00:01Z"),
        ("version", "9", "10", "10"),  # numerically, not as text
        ("version", "10", None, "10"),
    ],
)
def test_later_compares_tokens_by_their_kind(
    kind: str, a: str | None, b: str | None, expected: str
) -> None:
    assert later(kind, a, b) == expected  # type: ignore[arg-type]


# -- where a pass goes on (issue 13 item 1) -------------------------------------------------


def test_only_the_source_ends_a_pass() -> None:
    from syncwright.connectors.base import Page
    from syncwright.daemon.flows.cursor import continuation

    key = ("2026-11-22T12:00:05Z", "40")
    # An empty page that says more exists goes on where the source says, not at the end.
    assert continuation(Page([], None, complete=False, next_key=key), None, "x") == key
    # A short page goes on after its last item when the source names no other place.
    assert continuation(Page([1], key, complete=False), None, "x") == key
    # The source's own place wins over the last item's.
    later_key = ("2026-11-22T12:00:09Z", "77")
    assert continuation(Page([1], key, complete=False, next_key=later_key), None, "x") == later_key
    assert continuation(Page([1], key, complete=True), None, "x") is None
    assert continuation(Page([], None, complete=True), key, "x") is None


def test_a_page_that_says_more_but_not_where_is_unreadable() -> None:
    from syncwright.connectors.base import Page
    from syncwright.connectors.errors import PayloadError
    from syncwright.daemon.flows.cursor import continuation

    with pytest.raises(PayloadError, match="does not say where it goes on"):
        continuation(Page([], None, complete=False), None, "product changes")
    same = ("2026-11-22T12:00:05Z", "40")
    with pytest.raises(PayloadError):  # the same place again: it would never end
        continuation(Page([], None, complete=False, next_key=same), same, "product changes")
    with pytest.raises(PayloadError):  # a listing: the same id is the same place
        continuation(Page([], None, complete=False, next_key=same), ("", "40"), "listing")


# -- a pass slower than the overlap (issue 13 item 2) ---------------------------------------


def test_the_next_pass_resumes_as_far_back_as_the_last_one_took() -> None:
    from syncwright.daemon.flows.cursor import resume_point

    high = "2026-11-22T12:03:05Z"
    # A pass of 185 s (74 slow pages): the next resumes no later than when this one began.
    assert resume_point("time", high, 185.0) == "2026-11-22T12:00:00Z"
    # Whole seconds, rounded down: a source comparing text tokens sees no fractions.
    assert resume_point("time", high, 0.2) == "2026-11-22T12:03:04Z"
    assert resume_point("time", high, 0.0) == high
    assert resume_point("version", "4711", 185.0) == "4711"
    assert resume_point("time", None, 185.0) is None
