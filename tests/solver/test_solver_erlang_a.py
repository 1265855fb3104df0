"""Erlang A (callers abandon, W4 with patience): against an independent implementation in
high-precision decimals, and Erlang C as patience grows without bound."""

from __future__ import annotations

import math
from decimal import Decimal, getcontext

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.solver.erlang import erlang_c
from tandem.solver.erlang_a import erlang_a


def reference_sl(agents: int, contacts: float, aht: float, threshold: float, patience: float):
    """Straight from the M/M/n+M model with 100-digit decimals: stationary probabilities by
    products, each queued caller's answer-in-time probability by the closed-form CDF of a sum of
    exponentials with distinct rates (alternating partial fractions, fine at this precision)."""
    getcontext().prec = 100
    lam, mu, theta = Decimal(contacts) / 900, 1 / Decimal(aht), 1 / Decimal(patience)
    n, t = agents, Decimal(threshold)
    weights = [Decimal(1)]
    for j in range(1, n + 1):
        weights.append(weights[-1] * lam / (j * mu))
    queued = [weights[n]]
    # The queue's probabilities fall geometrically once it outruns arrivals: stop at 1e-30.
    while queued[-1] > Decimal("1e-30") * sum(weights) and len(queued) < 400:
        queued.append(queued[-1] * lam / (n * mu + len(queued) * theta))
    total = sum(weights[:n]) + sum(queued)
    sl = sum(weights[:n]) / total
    for q, p in enumerate(queued):
        rates = [n * mu + (m + 1) * theta for m in range(q + 1)]
        tail = Decimal(0)
        for j, r in enumerate(rates):
            product = Decimal(1)
            for k, other in enumerate(rates):
                if k != j:
                    product *= other / (other - r)
            tail += (-r * t).exp() * product
        sl += p / total * (n * mu / rates[-1]) * (1 - tail)
    return float(sl)


def one(agents, contacts, aht, threshold, patience) -> float:
    queue = erlang_a(
        np.array([agents], float), np.array([contacts]), np.array([aht]), threshold, patience
    )
    return float(queue.service_level[0])


def test_w4_erlang_a_tends_to_erlang_c_as_patience_grows() -> None:
    agents, contacts, aht = np.array([14.0, 13, 12, 40]), np.array([50.0, 50, 50, 150]), 180.0
    c = erlang_c(agents, contacts, np.full(4, aht), 20).service_level
    a = erlang_a(agents, contacts, np.full(4, aht), 20, 1e8).service_level
    assert np.allclose(a, c, atol=1e-4)


def test_w4_erlang_a_abandonment_relieves_an_overloaded_interval() -> None:
    # 10 Erlangs on 10 agents: Erlang C says nobody is answered in time; with callers who hang
    # up after a minute on average, the queue stays finite.
    overloaded = one(10, 50, 180, 20, 60)
    assert 0.5 < overloaded < 1
    assert math.isclose(overloaded, reference_sl(10, 50, 180, 20, 60), abs_tol=1e-9)


@settings(max_examples=25, deadline=None)
@given(
    st.integers(1, 25),
    st.floats(0.3, 1.25),  # load / agents
    st.floats(60, 600),  # aht
    st.floats(5, 60),  # threshold
    st.floats(30, 300),  # patience
)
def test_w4_property_erlang_a_matches_the_reference(agents, ratio, aht, threshold, patience):
    contacts = agents * ratio * 900 / aht
    got = one(agents, contacts, aht, threshold, patience)
    assert math.isclose(got, reference_sl(agents, contacts, aht, threshold, patience), abs_tol=1e-7)
