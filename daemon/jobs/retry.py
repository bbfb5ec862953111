"""Error kinds and the retry policy: what happens to a job that failed, as pure functions.

Connectors raise typed errors (connectors.errors); :func:`classify` names the kind, and
:func:`decide` turns kind + job + time into a :class:`RetryDecision` that the queue applies:

    transient, crash  retry with exponential backoff and jitter, until the class's give-up time
                      (an unreadable answer, PayloadError, is transient too)
    fixable           the same, and the flow's failure hook tells a person what to fix meanwhile
    rate_limited      snooze until Retry-After without using an attempt; dead after max_snoozes
    permanent         dead at once: retrying the same request fails the same way
    auth              pause: the job waits without using an attempt, the connection is paused

Give-up is measured in elapsed time since the first failure, per class (Temporal's
schedule-to-close, Sidekiq's ``retry_for``), not in attempts.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Literal

from syncwright.connectors.errors import (
    AuthError,
    ConnectorError,
    FixableError,
    PayloadError,
    PermanentError,
    RateLimitedError,
)
from syncwright.daemon.clock import iso
from syncwright.daemon.durations import format_duration
from syncwright.daemon.jobs.job import Job, JobClass


class ErrorKind(StrEnum):
    TRANSIENT = "transient"
    RATE_LIMITED = "rate_limited"
    PERMANENT = "permanent"
    AUTH = "auth"
    #: An unexpected exception in our own code: logged as a bug, retried like a transient error.
    CRASH = "crash"
    #: A state a person may fix (connectors.errors.FixableError): retried like a transient error.
    FIXABLE = "fixable"


def classify(exc: BaseException) -> ErrorKind:
    """The kind of a failure. A ConnectorError of no more specific class is transient: the
    connector could not say what went wrong, and trying again is safe. So is a PayloadError
    (a successful answer whose body is truncated, not JSON or not the documented shape): a
    proxy or a cut-off body is the usual cause, so it is retried with backoff and the job dies
    only after its class's give-up time, like any transient error."""
    if isinstance(exc, RateLimitedError):
        return ErrorKind.RATE_LIMITED
    if isinstance(exc, AuthError):
        return ErrorKind.AUTH
    if isinstance(exc, PayloadError):
        return ErrorKind.TRANSIENT
    if isinstance(exc, FixableError):
        return ErrorKind.FIXABLE
    if isinstance(exc, PermanentError):
        return ErrorKind.PERMANENT
    if isinstance(exc, ConnectorError):
        return ErrorKind.TRANSIENT
    return ErrorKind.CRASH


HOUR = 3600.0
DAY = 24 * HOUR
DEFAULT_CAP: Mapping[int, float] = MappingProxyType(
    {
        JobClass.SALE: 3 * HOUR,
        JobClass.MANUAL: 120.0,
        JobClass.RECENT: 30 * 60.0,
        JobClass.GHOST: HOUR,
        JobClass.FULL: HOUR,
    }
)
DEFAULT_GIVE_UP: Mapping[int, float] = MappingProxyType(
    {
        JobClass.SALE: 2 * DAY,
        JobClass.MANUAL: 2 * HOUR,
        JobClass.RECENT: 2 * DAY,
        JobClass.GHOST: DAY,
        JobClass.FULL: DAY,
    }
)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Backoff and give-up settings. ``cap`` and ``give_up`` map a job class to seconds; a class
    left out keeps its default."""

    base: float = 15.0
    cap: Mapping[int, float] = field(default_factory=lambda: DEFAULT_CAP)
    give_up: Mapping[int, float] = field(default_factory=lambda: DEFAULT_GIVE_UP)
    max_snoozes: int = 200
    rate_limit_default: float = 60.0
    #: The shortest wait after a rate limit, also when the server's Retry-After has passed.
    rate_limit_min: float = 1.0

    def __post_init__(self) -> None:
        # Frozen copies, so a caller's dict changed later cannot change the policy.
        object.__setattr__(self, "cap", MappingProxyType({**DEFAULT_CAP, **self.cap}))
        object.__setattr__(self, "give_up", MappingProxyType({**DEFAULT_GIVE_UP, **self.give_up}))
        numbers = {
            "base": self.base,
            "rate_limit_default": self.rate_limit_default,
            "rate_limit_min": self.rate_limit_min,
        }
        numbers |= {f"cap[{c}]": v for c, v in self.cap.items()}
        numbers |= {f"give_up[{c}]": v for c, v in self.give_up.items()}
        for name, value in numbers.items():
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"retry policy {name} must be a non-negative number of seconds")
        if self.max_snoozes < 0:
            raise ValueError("retry policy max_snoozes must not be negative")


@dataclass(frozen=True, slots=True)
class RetryDecision:
    """What to do with a failed job. ``run_at`` is when it runs again (None: never); ``reason``
    is written for an operator."""

    action: Literal["retry", "snooze", "dead", "pause"]
    run_at: float | None
    reason: str


PERMANENT_REASON = "permanent: not retried until the item changes or an operator retries it"
PAUSE_REASON = (
    "credentials rejected: the connection is paused until an operator fixes its credentials "
    "and resumes it; this job waits without using an attempt"
)


def backoff(policy: RetryPolicy, cls: int, attempt: int, rng: random.Random) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1 = the first run):
    ``min(cap, base * 2^(attempt-1)) * (1 + U(0, 0.1)) + U(0, base)``. The multiplicative
    jitter spreads retries out; the additive one keeps those at the cap from lining up."""
    exponent = min(max(attempt, 1) - 1, 64)  # 2^64 x 15 s is past any cap; avoids overflow
    delay = min(policy.cap[cls], policy.base * 2.0**exponent)
    return delay * (1 + rng.uniform(0, 0.1)) + rng.uniform(0, policy.base)


def decide(
    kind: ErrorKind,
    job: Job,
    now: float,
    policy: RetryPolicy,
    rng: random.Random,
    retry_after: float | None = None,
    *,
    local: bool = False,
) -> RetryDecision:
    """Decide what happens to ``job`` after its current attempt failed with ``kind``.

    ``job.attempts`` is the attempt that just failed (the queue counts attempts at lease).
    ``retry_after`` is the server's hint for rate limits in seconds from now; None means "not
    given" (the default wait), 0 or less than ``rate_limit_min`` "now" (the minimum wait).
    ``local``: it was our own budget that said wait, not the server.
    """
    if kind is ErrorKind.PERMANENT:
        return RetryDecision("dead", None, PERMANENT_REASON)
    if kind is ErrorKind.AUTH:
        return RetryDecision("pause", now, PAUSE_REASON)
    if kind is ErrorKind.RATE_LIMITED:
        return _rate_limited(job, now, policy, retry_after, local)

    what = "transient error"
    if kind is ErrorKind.CRASH:
        what = "unexpected error (a bug: see the log)"
    elif kind is ErrorKind.FIXABLE:
        what = "a state a person may fix"
    first = job.first_failed_at if job.first_failed_at is not None else now
    elapsed, limit = now - first, policy.give_up[job.cls]
    if elapsed > limit:
        return RetryDecision(
            "dead",
            None,
            f"gave up: {what} on attempt {job.attempts}; it has kept failing for "
            f"{_span(elapsed)} since {iso(first)}, longer than the {_span(limit)} allowed for "
            f"{_class_name(job.cls)} jobs. Retry it once the cause is fixed",
        )
    delay = backoff(policy, job.cls, job.attempts, rng)
    return RetryDecision(
        "retry",
        now + delay,
        f"{what} on attempt {job.attempts}: retrying in {_span(delay)} at {iso(now + delay)}; "
        f"gives up if still failing after {iso(first + limit)}",
    )


def _rate_limited(
    job: Job, now: float, policy: RetryPolicy, retry_after: float | None, local: bool = False
) -> RetryDecision:
    if job.snoozes >= policy.max_snoozes:
        return RetryDecision(
            "dead",
            None,
            f"gave up: rate limited {job.snoozes + 1} times (at most "
            f"{policy.max_snoozes} waits allowed). Check the account's API budget and quota, "
            f"then retry it",
        )
    if retry_after is None or not retry_after >= 0:  # also NaN
        wait, source = policy.rate_limit_default, "the default: no Retry-After given"
        if local:
            source = "the local budget's default"
    elif retry_after < policy.rate_limit_min:
        # A Retry-After already past (or "0") means now: the shortest wait, not the default.
        wait, source = policy.rate_limit_min, "the minimum: the server's Retry-After has passed"
        if local:
            source = "the minimum: the local budget frees now"
    else:
        wait, source = retry_after, "for the local budget" if local else "as asked"
    why = "waiting" if local else "rate limited: waiting"
    return RetryDecision(
        "snooze",
        now + wait,
        f"{why} {_span(wait)} ({source}) until {iso(now + wait)}, without "
        f"using an attempt (wait {job.snoozes + 1} of at most {policy.max_snoozes})",
    )


def _span(seconds: float) -> str:
    return format_duration(round(seconds)) if seconds >= 1 else format_duration(seconds)


def _class_name(cls: int) -> str:
    try:
        return f"class {cls} ({JobClass(cls).name.lower()})"
    except ValueError:
        return f"class {cls}"
