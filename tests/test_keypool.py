"""The key pool's bookkeeping: turns, bad keys, resting keys, backoff, the summary."""

from __future__ import annotations

from cherry_tui.core.keypool import BAD, READY, RESTING, WORKS, KeyPool

K1, K2, K3 = "sk-one-1111111111", "sk-two-2222222222", "sk-three-333333333"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_keys_are_used_in_turn():
    pool = KeyPool([K1, K2, K3, K1, ""])  # duplicates and blanks dropped
    assert len(pool) == 3
    assert [pool.next_usable() for _ in range(5)] == [K1, K2, K3, K1, K2]
    assert KeyPool([]).next_usable() is None and not KeyPool([])


def test_a_bad_key_is_skipped_for_the_rest_of_the_run():
    clock = Clock()
    pool = KeyPool([K1, K2], clock)
    pool.mark_bad(K1, "rejected (HTTP 401)")
    clock.now += 10_000
    assert [pool.next_usable() for _ in range(3)] == [K2, K2, K2]
    assert pool.state(K1).state == BAD and pool.state(K1).reason == "rejected (HTTP 401)"
    pool.mark_bad(K2, "forbidden (HTTP 403)")
    assert pool.next_usable() is None and pool.soonest() is None


def test_a_rate_limited_key_rests_for_retry_after_then_comes_back():
    clock = Clock()
    pool = KeyPool([K1, K2], clock)
    assert pool.mark_limited(K1, "rate limited (HTTP 429)", retry_after=30) == 30
    assert [pool.next_usable() for _ in range(3)] == [K2, K2, K2]
    state = pool.state(K1)
    assert state.state == RESTING and state.rest_left == 30
    assert pool.soonest() == 0  # K2 is usable now
    clock.now += 29.5
    assert pool.next_usable(skip={K2}) is None
    clock.now += 0.5
    assert pool.state(K1).state == READY
    assert pool.next_usable(skip={K2}) == K1


def test_without_retry_after_the_rest_doubles_and_resets_when_the_key_works():
    clock = Clock()
    pool = KeyPool([K1], clock)
    rests = []
    for _ in range(4):
        rests.append(pool.mark_limited(K1, "rate limited (HTTP 429)"))
        clock.now += rests[-1]
    assert rests == [1, 2, 4, 8]
    for _ in range(20):
        pool.mark_limited(K1, "rate limited (HTTP 429)")
    assert pool.mark_limited(K1, "x") == 300  # capped
    pool.mark_ok(K1)
    assert pool.state(K1).state == WORKS
    assert pool.mark_limited(K1, "rate limited (HTTP 429)") == 1


def test_skip_leaves_the_keys_a_request_already_tried():
    pool = KeyPool([K1, K2, K3])
    assert pool.next_usable(skip={K1}) == K2
    assert pool.next_usable(skip={K1, K2, K3}) is None
    assert pool.next_usable() == K3  # the turn went on from K2


def test_the_summary_lists_each_masked_key_and_its_reason():
    clock = Clock()
    pool = KeyPool([K1, K2, K3], clock)
    pool.mark_bad(K1, "rejected (HTTP 401)")
    pool.mark_limited(K2, "quota used up (HTTP 429)", retry_after=90)
    pool.mark_ok(K3)
    text = pool.summary()
    assert text == ("sk-o****1111: rejected (HTTP 401); sk-t****2222: quota used up (HTTP 429), "
                    "resting 90 s; sk-t****3333: works")
    assert pool.summary({K1, K2}) == text.rsplit("; ", 1)[0]
    for key in (K1, K2, K3):
        assert key not in text
    assert KeyPool([K1]).summary() == "sk-o****1111: not used yet"


def test_which_answers_are_a_keys_fault():
    import httpx

    from cherry_tui.core.providers.base import ErrorBody
    from cherry_tui.core.providers.failover import key_failed

    clock = Clock()
    pool = KeyPool([K1, K2, K3], clock)
    skipped = key_failed(pool, K1, 400, ErrorBody("API key not valid", key_rejected=True),
                         httpx.Headers())
    assert skipped is not None and skipped.reason == "rejected (HTTP 400)"
    skipped = key_failed(pool, K2, 429, ErrorBody("You exceeded your current quota "
                                                  "(insufficient_quota)"), httpx.Headers())
    assert skipped is not None and skipped.reason == "quota used up (HTTP 429), resting 1 s"
    skipped = key_failed(pool, K3, 429, ErrorBody("slow down", retry_after=7.0),
                         httpx.Headers({"retry-after-ms": "2500"}))
    assert skipped is not None and skipped.reason == "rate limited (HTTP 429), resting 2.5 s"
    pool.mark_ok(K3)
    assert key_failed(pool, K3, 404, ErrorBody("model not found"), httpx.Headers()) is None
    assert key_failed(pool, K3, 500, ErrorBody("boom"), httpx.Headers()) is None
    assert pool.state(K3).state == WORKS
