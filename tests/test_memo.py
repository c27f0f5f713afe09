"""The bounded memo the judges keep their verdicts on repeated bytes in (``conformance.memo``)."""

from __future__ import annotations

import pytest

from conformance.memo import BoundedMemo


def test_a_kept_value_is_not_computed_again_even_when_it_is_none() -> None:
    memo: BoundedMemo[str, str | None] = BoundedMemo(4)
    calls: list[str] = []

    def compute(key: str) -> str | None:
        calls.append(key)
        return None if key == "clean" else f"problem of {key}"

    assert memo.remember("clean", lambda: compute("clean")) is None
    assert memo.remember("clean", lambda: compute("clean")) is None
    assert memo.remember("bad", lambda: compute("bad")) == "problem of bad"
    assert memo.remember("bad", lambda: compute("bad")) == "problem of bad"
    assert calls == ["clean", "bad"]


def test_the_oldest_value_goes_first_once_full() -> None:
    memo: BoundedMemo[int, int] = BoundedMemo(2)
    for key in (1, 2, 3):
        memo.remember(key, lambda key=key: key * 10)
    assert len(memo) == 2
    assert 1 not in memo and 2 in memo and 3 in memo
    assert memo.remember(1, lambda: -1) == -1  # computed again: it was dropped
    memo.clear()
    assert len(memo) == 0


def test_a_memo_holds_at_least_one_value() -> None:
    with pytest.raises(ValueError):
        BoundedMemo(0)
