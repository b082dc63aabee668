from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from couponali.ratelimit import RateLimited, limit_clear, limit_hit


def test_limit_allows_up_to_the_rate_then_refuses_with_retry_after():
    for _ in range(3):
        limit_hit(scope="t-basic", key="k", rate="3/minute")
    with pytest.raises(RateLimited) as info:
        limit_hit(scope="t-basic", key="k", rate="3/minute")
    assert 1 <= info.value.retry_after <= 60
    # another key is not affected
    limit_hit(scope="t-basic", key="other", rate="3/minute")


def test_clear_forgets_the_hits():
    for _ in range(2):
        limit_hit(scope="t-clear", key="k", rate="2/minute")
    limit_clear(scope="t-clear", key="k", rate="2/minute")
    limit_hit(scope="t-clear", key="k", rate="2/minute")


@pytest.mark.parametrize("strategy", ["moving", "sliding"])
def test_limit_holds_under_parallel_hits(strategy):
    def attempt(_):
        try:
            limit_hit(scope=f"t-par-{strategy}", key="k", rate="10/minute", strategy=strategy)
            return True
        except RateLimited:
            return False

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(attempt, range(60)))
    assert results.count(True) == 10
