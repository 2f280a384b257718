"""Windows under the API's 100-day limit, and the state that only moves forward."""

from __future__ import annotations

import itertools
import json
import stat

import pytest

from pipeline.errors import StateError
from pipeline.extract.state import StateStore
from pipeline.extract.windows import DAY, split


def test_windows_cover_the_range_with_overlap_and_stay_under_the_limit() -> None:
    start, end = 1_700_000_000, 1_700_000_000 + 250 * DAY
    windows = split(start, end, 99)
    assert len(windows) == 3
    assert windows[0].start == start and windows[-1].end == end
    for w in windows:
        assert 0 < w.end - w.start < 100 * DAY
    for a, b in itertools.pairwise(windows):
        assert b.start == a.end - 1  # bounds' inclusivity is undocumented: overlap a second


def test_window_width_is_capped_even_if_configured_wider() -> None:
    assert all(w.end - w.start <= 99 * DAY for w in split(0, 400 * DAY, 150))


def test_empty_range_has_no_windows() -> None:
    assert split(10, 10, 30) == []


def test_state_moves_forward_only(tmp_path) -> None:
    store = StateStore(tmp_path)
    store.advance("audit_logs@enterprise", 100, ["a"], "run1", 5)
    store.advance("audit_logs@enterprise", 90, ["z"], "run2", 1)  # stale proposal: ignored
    st = store.get("audit_logs@enterprise")
    assert st.high_water == 100 and st.ids_at_high_water == ["a"]
    store.advance("audit_logs@enterprise", 100, ["b"], "run3", 1)  # same second: ids merge
    assert store.get("audit_logs@enterprise").ids_at_high_water == ["a", "b"]
    store.advance("audit_logs@enterprise", 120, ["c"], "run4", 2)
    st = store.get("audit_logs@enterprise")
    assert (st.high_water, st.ids_at_high_water, st.total_landed) == (120, ["c"], 8)


def test_state_file_is_private_and_atomic(tmp_path) -> None:
    store = StateStore(tmp_path)
    store.advance("k", 1, [], "r", 0)
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert [p.name for p in store.path.parent.iterdir()] == ["state.json"]  # no temp left
    assert json.loads(store.path.read_text())["version"] == 1


def test_corrupt_state_is_a_clear_error(tmp_path) -> None:
    store = StateStore(tmp_path)
    store.path.parent.mkdir(parents=True)
    store.path.write_text("{not json")
    with pytest.raises(StateError, match="cannot read the state file"):
        store.load()


def test_reset(tmp_path) -> None:
    store = StateStore(tmp_path)
    store.advance("k", 1, [], "r", 0)
    assert store.reset("k") is True
    assert store.reset("k") is False
    assert store.get("k").high_water is None
