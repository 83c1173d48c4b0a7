"""The raw header list the data path sends says exactly what the header dict says, whatever
the decision: it is built from cached pairs, so a drift between the two would go unseen."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gateway.ratelimit import Decision, Policy, Rate, rate_limit_header_list, rate_limit_headers

POLICIES = [
    Policy.compile("gold.read", "read", Rate.model_validate("6/min burst 6"), "rl:read:t=gold:"),
    Policy.compile("bench.write", "write", Rate.model_validate("1000000/s burst 1000000"), "rl:w:"),
    Policy.compile("slow.read", "read", Rate.model_validate("1/h"), "rl:read:t=slow:"),
]


@given(
    policy=st.sampled_from(POLICIES),
    allowed=st.booleans(),
    remaining=st.integers(min_value=0, max_value=10**9),
    reset=st.floats(min_value=0, max_value=10**6, allow_nan=False),
    retry_after=st.floats(min_value=0, max_value=10**6, allow_nan=False),
    degraded=st.booleans(),
)
def test_the_raw_list_matches_the_headers(
    policy: Policy,
    allowed: bool,
    remaining: int,
    reset: float,
    retry_after: float,
    degraded: bool,
) -> None:
    decision = Decision(allowed, policy.burst, remaining, reset, retry_after, policy, degraded)

    expected = [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in rate_limit_headers(decision).items()
    ]
    assert rate_limit_header_list(decision) == expected


def test_a_cached_list_is_never_shared_between_requests() -> None:
    policy = POLICIES[0]
    first = rate_limit_header_list(Decision(True, 6, 5, 10.0, 0.0, policy))
    first.append((b"x-extra", b"1"))

    second = rate_limit_header_list(Decision(True, 6, 5, 10.0, 0.0, policy))

    assert (b"x-extra", b"1") not in second
    assert len(second) == 7
