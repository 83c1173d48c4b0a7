"""Time as the authorization server sees it: injectable, so expiry is testable without sleeping."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], float]  # seconds since the epoch, like time.time


def system_clock() -> float:
    return time.time()


def as_datetime(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def now(clock: Clock) -> datetime:
    return as_datetime(clock())


def later(clock: Clock, seconds: float) -> datetime:
    return now(clock) + timedelta(seconds=seconds)
