"""The benchmark's interleaved rounds of short parts: numbers become medians, rounds are kept."""

from benchmarks.common import merge_rounds


def _hop(slope: float, p50: float, note: str) -> dict:
    return {"bare": {"system": {"K=1": {"p50": p50}, "per_hop_us_p50_slope": slope}}, "n": note}


def test_numbers_become_medians_and_every_round_is_kept() -> None:
    rounds = [_hop(5.0, 1.0, "a"), _hop(9.0, 2.0, "b"), _hop(6.0, 3.0, "c")]
    merged = merge_rounds(rounds)
    system = merged["bare"]["system"]
    assert system["per_hop_us_p50_slope"] == 6.0
    assert system["K=1"] == {"p50": 2.0}
    assert merged["n"] == "a"  # not a number: the first round's
    assert merged["rounds"] == rounds


def test_failed_rounds_are_left_out() -> None:
    merged = merge_rounds([{"error": "timeout"}, _hop(7.0, 1.0, "x"), None])
    assert merged["bare"]["system"]["per_hop_us_p50_slope"] == 7.0
    assert len(merged["rounds"]) == 1
    assert merge_rounds([{"error": "rc=1"}]) == {"error": "rc=1"}
