"""Erlang C as the slot finder predicts service level (W4): published examples, and agreement
with an independent, straightforward implementation on random inputs up to 800 agents."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.solver.erlang import erlang_b, erlang_b_recursive, erlang_b_table, erlang_c


def reference_wait_probability(agents: int, load: float) -> float:
    """Erlang C straight from its definition, in log space (``math.lgamma``) so that 800 agents
    do not overflow: C = (a^n/n! * n/(n-a)) / (sum_{k<n} a^k/k! + a^n/n! * n/(n-a))."""
    if load == 0:
        return 0.0
    logs = [k * math.log(load) - math.lgamma(k + 1) for k in range(agents)]
    last = agents * math.log(load) - math.lgamma(agents + 1) + math.log(agents / (agents - load))
    top = max([*logs, last])
    total = math.fsum(math.exp(x - top) for x in [*logs, last])
    return math.exp(last - top) / total


def reference_service_level(agents: int, contacts: float, aht: float, threshold: float) -> float:
    load = contacts * aht / 900
    if load == 0:
        return 1.0
    if agents <= load:
        return 0.0
    wait = reference_wait_probability(agents, load)
    return 1 - wait * math.exp(-(agents - load) * threshold / aht)


def one(agents: float, contacts: float, aht: float, threshold: float) -> tuple[float, float]:
    queue = erlang_c(np.array([agents]), np.array([contacts]), np.array([aht]), threshold)
    return float(queue.service_level[0]), float(queue.asa[0])


def test_w4_erlang_b_and_c_match_exact_textbook_values() -> None:
    # Three servers offered two Erlangs: B = (8/6) / (1 + 2 + 2 + 8/6) = 4/19, C = 4/9 exactly.
    b = float(erlang_b(np.array([3]), np.array([2.0]))[0])
    assert math.isclose(b, float(Fraction(4, 19)), rel_tol=1e-12)
    # 2 Erlangs in 15 minutes at 180 s AHT is 10 contacts; with T -> 0, SL -> 1 - C.
    sl, _ = one(3, 10, 180, 1e-9)
    assert math.isclose(1 - sl, 4 / 9, rel_tol=1e-9)


def test_w4_classic_call_centre_example_100_calls_per_half_hour() -> None:
    """The textbook example (callcentrehelper's "Erlang C formula made simple"): 100 calls per
    30 minutes, 3-minute handle time, 80 % in 20 s: 10 Erlangs; 14 agents wait 17.4 % of the
    time, answer 88.8 % within 20 s, ASA 7.8 s; 13 agents fall just short (79.6 %). Checked
    against the exact rational formula: C(14, 10) = 0.174132, C(13, 10) = 0.285270."""
    # 100 calls per 30 minutes is 50 per 15-minute interval.
    sl14, asa14 = one(14, 50, 180, 20)
    sl13, _ = one(13, 50, 180, 20)
    assert round(sl14 * 100, 1) == 88.8 and round(asa14, 1) == 7.8
    assert round(sl13 * 100, 1) == 79.6
    assert math.isclose(1 - (1 - sl14) / math.exp(-4 * 20 / 180), 1 - 0.1741319336, abs_tol=1e-9)


def test_w4_large_centres_do_not_overflow() -> None:
    # a^n / n! overflows a float beyond 170 agents; the recursion does not care.
    sl, asa = one(1000, 950 * 900 / 300, 300, 20)
    assert 0 < sl < 1 and math.isfinite(asa)
    assert math.isclose(sl, reference_service_level(1000, 950 * 3, 300, 20), abs_tol=1e-9)


def test_w4_edge_cases_no_contacts_no_agents_and_overload() -> None:
    assert one(0, 0, 300, 20) == (1.0, 0.0)  # nobody calls: nobody waits
    sl, asa = one(0, 12, 300, 20)  # contacts but nobody on queue
    assert sl == 0.0 and asa == math.inf
    sl, asa = one(4, 12, 300, 20)  # 4 Erlangs on 4 agents never clears
    assert sl == 0.0 and asa == math.inf
    assert one(5, 12, 0, 20) == (1.0, 0.0)  # zero handle time: no load


def test_w4_fractional_agents_lie_between_the_whole_counts() -> None:
    low, _ = one(12, 50, 180, 20)
    high, _ = one(13, 50, 180, 20)
    third, _ = one(12 + 1 / 3, 50, 180, 20)
    assert math.isclose(third, low + (high - low) / 3)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 800),  # agents
            st.floats(0, 1.3),  # load as a fraction of the agents
            st.floats(1, 1200),  # aht seconds
        ),
        min_size=1,
        max_size=30,
    ),
    st.floats(1, 120),
)
def test_w4_property_vectorised_erlang_c_matches_the_definition(
    rows: list[tuple[int, float, float]], threshold: float
) -> None:
    agents = np.array([n for n, _, _ in rows], dtype=float)
    aht = np.array([h for _, _, h in rows])
    contacts = np.array([n * f * 900 / h for n, f, h in rows])
    queue = erlang_c(agents, contacts, aht, threshold)
    for i, (n, _, h) in enumerate(rows):
        expected = reference_service_level(n, float(contacts[i]), h, threshold)
        assert math.isclose(float(queue.service_level[i]), expected, abs_tol=1e-7), rows[i]
        load = contacts[i] * h / 900
        if 0 < load < n:
            asa = reference_wait_probability(n, load) * h / (n - load)
            assert math.isclose(float(queue.asa[i]), asa, rel_tol=1e-6, abs_tol=1e-9)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1500), st.floats(0, 1.5)), min_size=1, max_size=40))
def test_w4_property_both_erlang_b_forms_agree(rows: list[tuple[int, float]]) -> None:
    """The log-space table (small inputs) and the recursion (large ones) are the same formula."""
    n = np.array([agents for agents, _ in rows], dtype=np.int64)
    a = np.array([agents * f for agents, f in rows])
    assert np.allclose(erlang_b_table(n, a), erlang_b_recursive(n, a), rtol=1e-9, atol=1e-12)
