"""The retry policy: error kinds, backoff with jitter, per-class caps and give-up times."""

from __future__ import annotations

import random
from typing import Any

import pytest

from syncwright.connectors.errors import (
    AuthError,
    ConnectorError,
    FixableError,
    PayloadError,
    PermanentError,
    RateLimitedError,
    TransientError,
)
from syncwright.daemon.jobs.job import Job
from syncwright.daemon.jobs.retry import (
    DEFAULT_CAP,
    DEFAULT_GIVE_UP,
    PERMANENT_REASON,
    ErrorKind,
    RetryPolicy,
    backoff,
    classify,
    decide,
)

NOW = 1_767_225_600.0
POLICY = RetryPolicy()


class EdgeRandom(random.Random):
    """uniform(a, b) always answers a (low) or b (high): the jitter's bounds, exactly."""

    def __init__(self, high: bool) -> None:
        super().__init__(0)
        self.high = high

    def uniform(self, a: float, b: float) -> float:
        return b if self.high else a


def job(cls: int = 2, attempts: int = 1, **changes: Any) -> Job:
    fields: dict[str, Any] = dict(
        id=1,
        connection="shop",
        kind="push",
        cls=cls,
        state="leased",
        payload={},
        dedup_key=None,
        run_at=NOW,
        enqueued_at=NOW,
        attempts=attempts,
        snoozes=0,
        orphaned=0,
        first_failed_at=None,
        lease_expires_at=NOW + 300,
        progress=None,
        last_error=None,
        errors=(),
    )
    fields.update(changes)
    return Job(**fields)


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (TransientError("timeout"), ErrorKind.TRANSIENT),
        (ConnectorError("something broke"), ErrorKind.TRANSIENT),
        (RateLimitedError("429", retry_after=5), ErrorKind.RATE_LIMITED),
        (RateLimitedError("budget", local=True), ErrorKind.RATE_LIMITED),
        (AuthError("401", status=401), ErrorKind.AUTH),
        (PermanentError("422 invalid sku", status=422), ErrorKind.PERMANENT),
        # A 200 whose body is cut off or not the documented shape: retried (issue 13 item 4).
        (PayloadError("not JSON"), ErrorKind.TRANSIENT),
        (FixableError("product 7 is inactive"), ErrorKind.FIXABLE),
        (KeyError("price"), ErrorKind.CRASH),
        (ZeroDivisionError(), ErrorKind.CRASH),
    ],
)
def test_classify(exc: BaseException, kind: ErrorKind) -> None:
    assert classify(exc) is kind


@pytest.mark.parametrize("kind", [ErrorKind.TRANSIENT, ErrorKind.CRASH, ErrorKind.FIXABLE])
def test_transient_and_crash_retry_with_backoff(kind: ErrorKind) -> None:
    decision = decide(kind, job(attempts=1), NOW, POLICY, EdgeRandom(high=False))
    assert decision.action == "retry"
    assert decision.run_at == NOW + 15.0
    assert "attempt 1" in decision.reason and "retrying in 15s" in decision.reason


def test_backoff_doubles_from_base_then_stops_at_the_class_cap() -> None:
    low = EdgeRandom(high=False)
    delays = [backoff(POLICY, 0, attempt, low) for attempt in range(1, 14)]
    assert delays[:5] == [15.0, 30.0, 60.0, 120.0, 240.0]
    assert delays == sorted(delays)
    assert delays[-1] == DEFAULT_CAP[0] == 3 * 3600.0
    assert backoff(POLICY, 1, 10, low) == 120.0  # manual: a user is waiting
    assert backoff(POLICY, 2, 10, low) == 1800.0
    assert backoff(POLICY, 3, 10, low) == backoff(POLICY, 4, 10, low) == 3600.0
    assert backoff(POLICY, 0, 10_000, low) == 3 * 3600.0  # no overflow on absurd attempts


def test_jitter_is_bounded_and_has_an_additive_part() -> None:
    for attempt, cls in [(1, 2), (4, 0), (30, 1)]:
        plain = backoff(POLICY, cls, attempt, EdgeRandom(high=False))
        top = backoff(POLICY, cls, attempt, EdgeRandom(high=True))
        # Up to +10 % of the delay plus up to one base: even jobs at the cap spread out.
        assert top == pytest.approx(plain * 1.1 + POLICY.base)
        rng = random.Random(7)
        samples = [backoff(POLICY, cls, attempt, rng) for _ in range(500)]
        assert all(plain <= s <= top for s in samples)
        assert max(samples) - min(samples) > POLICY.base / 2


@pytest.mark.parametrize("cls", range(5))
def test_give_up_by_elapsed_time_per_class(cls: int) -> None:
    limit = DEFAULT_GIVE_UP[cls]
    rng = random.Random(1)
    still = decide(ErrorKind.TRANSIENT, job(cls, 9, first_failed_at=NOW - limit), NOW, POLICY, rng)
    assert still.action == "retry"
    late = job(cls, 9, first_failed_at=NOW - limit - 1)
    over = decide(ErrorKind.TRANSIENT, late, NOW, POLICY, rng)
    assert (over.action, over.run_at) == ("dead", None)
    assert over.reason.startswith("gave up:") and "Retry it once the cause is fixed" in over.reason


def test_give_up_times_differ_by_class() -> None:
    assert DEFAULT_GIVE_UP[1] == 2 * 3600  # manual: 2 h
    assert DEFAULT_GIVE_UP[0] == DEFAULT_GIVE_UP[2] == 2 * 86400
    assert DEFAULT_GIVE_UP[3] == DEFAULT_GIVE_UP[4] == 86400
    three_hours = job(1, 5, first_failed_at=NOW - 3 * 3600)
    assert decide(ErrorKind.TRANSIENT, three_hours, NOW, POLICY, random.Random()).action == "dead"
    sale = job(0, 5, first_failed_at=NOW - 3 * 3600)
    assert decide(ErrorKind.TRANSIENT, sale, NOW, POLICY, random.Random()).action == "retry"


def test_first_failure_counts_from_now() -> None:
    policy = RetryPolicy(give_up={2: 0.0})
    decision = decide(ErrorKind.CRASH, job(2, first_failed_at=None), NOW, policy, random.Random())
    assert decision.action == "retry"


def test_rate_limited_snoozes_until_retry_after() -> None:
    decision = decide(ErrorKind.RATE_LIMITED, job(), NOW, POLICY, random.Random(), 42.0)
    assert (decision.action, decision.run_at) == ("snooze", NOW + 42.0)
    assert "without using an attempt" in decision.reason
    default = decide(ErrorKind.RATE_LIMITED, job(), NOW, POLICY, random.Random(), None)
    assert default.run_at == NOW + POLICY.rate_limit_default


def test_a_retry_after_already_past_means_now_with_the_minimum_wait() -> None:
    # parse_retry_after gives 0 for a Retry-After date already past: that is "now", not "not
    # given" (issue 13 item 5), so the job waits the minimum, not the default minute.
    zero = decide(ErrorKind.RATE_LIMITED, job(), NOW, POLICY, random.Random(), 0.0)
    assert zero.run_at == NOW + POLICY.rate_limit_min
    assert POLICY.rate_limit_min < POLICY.rate_limit_default
    assert "has passed" in zero.reason
    tiny = decide(ErrorKind.RATE_LIMITED, job(), NOW, POLICY, random.Random(), 0.2)
    assert tiny.run_at == NOW + POLICY.rate_limit_min


def test_rate_limited_ignores_attempts_and_give_up_but_dies_after_max_snoozes() -> None:
    worn = job(1, attempts=50, first_failed_at=NOW - 30 * 86400, snoozes=POLICY.max_snoozes - 1)
    assert decide(ErrorKind.RATE_LIMITED, worn, NOW, POLICY, random.Random()).action == "snooze"
    spent = job(1, snoozes=POLICY.max_snoozes)
    decision = decide(ErrorKind.RATE_LIMITED, spent, NOW, POLICY, random.Random())
    assert (decision.action, decision.run_at) == ("dead", None)
    assert "rate limited 201 times" in decision.reason


def test_permanent_is_dead_at_once() -> None:
    decision = decide(ErrorKind.PERMANENT, job(0, attempts=1), NOW, POLICY, random.Random())
    assert (decision.action, decision.run_at) == ("dead", None)
    assert decision.reason == PERMANENT_REASON
    assert "not retried until the item changes or an operator retries it" in decision.reason


def test_auth_pauses() -> None:
    decision = decide(ErrorKind.AUTH, job(), NOW, POLICY, random.Random())
    assert (decision.action, decision.run_at) == ("pause", NOW)
    assert "paused" in decision.reason and "credentials" in decision.reason


def test_policy_fills_missing_classes_and_rejects_nonsense() -> None:
    policy = RetryPolicy(cap={1: 60.0})
    assert policy.cap[1] == 60.0 and policy.cap[0] == DEFAULT_CAP[0]
    source = {2: 5.0}
    frozen = RetryPolicy(give_up=source)
    source[2] = 1e9
    assert frozen.give_up[2] == 5.0
    with pytest.raises(ValueError, match="cap"):
        RetryPolicy(cap={0: -1.0})
    with pytest.raises(ValueError, match="base"):
        RetryPolicy(base=float("nan"))


def test_a_state_a_person_may_fix_is_retried_within_the_sale_give_up_window() -> None:
    sale = job(cls=0, attempts=9, first_failed_at=NOW - DEFAULT_GIVE_UP[0] + 60)
    decision = decide(ErrorKind.FIXABLE, sale, NOW, POLICY, EdgeRandom(high=False))
    assert decision.action == "retry" and "a state a person may fix" in decision.reason
    late = decide(ErrorKind.FIXABLE, sale, NOW + 120, POLICY, EdgeRandom(high=False))
    assert late.action == "dead"
