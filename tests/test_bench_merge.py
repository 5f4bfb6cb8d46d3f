"""The benchmark's interleaved hop rounds: per-hop slopes become medians, rounds are kept."""

from benchmarks.common import merge_hop_rounds


def _hop(slope: float, p50: float) -> dict:
    return {"bare": {"system": {"K=1": {"p50": p50}, "per_hop_us_p50_slope": slope}}}


def test_the_median_of_the_rounds_is_reported_and_every_round_kept() -> None:
    merged = merge_hop_rounds([_hop(5.0, 1.0), _hop(9.0, 2.0), _hop(6.0, 3.0)])
    system = merged["bare"]["system"]
    assert system["per_hop_us_p50_slope"] == 6.0
    assert system["per_hop_rounds"] == [5.0, 9.0, 6.0]
    assert system["K=1"] == {"p50": 1.0}  # per-K figures: the first round's


def test_failed_rounds_are_left_out() -> None:
    merged = merge_hop_rounds([{"error": "timeout"}, _hop(7.0, 1.0), None])  # type: ignore[list-item]
    assert merged["bare"]["system"]["per_hop_rounds"] == [7.0]
    assert merge_hop_rounds([{"error": "rc=1"}]) == {"error": "rc=1"}
