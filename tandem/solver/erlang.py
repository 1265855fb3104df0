"""Erlang C queueing formulas, vectorised over 15-minute intervals (W4).

Per interval: ``contacts`` offered in the 15 minutes, ``aht`` average handle time (seconds) and
``agents`` on queue. The offered load is ``a = contacts * aht / 900`` Erlangs. Then

    B(n, a)   Erlang B, by the recursion B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1))
    C(n, a)   probability of waiting = n B / (n - a (1 - B))            (n > a)
    SL        P(wait <= T) = 1 - C exp(-(n - a) T / aht)                 (n > a; else 0)
    ASA       C aht / (n - a)                                            (n > a; else infinite)

Stability: ``a**n / n!`` overflows a float from n = 171 (and loses everything well before).
Two exact, overflow-free forms, chosen by size (:data:`TABLE_LANES`): the Erlang B recursion,
whose every B(k) lies in [0, 1], so 500 or 5,000 agents are as exact as 5 (one pass over k serves
every interval: intervals are visited in order of their agent count, and each keeps B at its own
n as the pass goes by); or, for small inputs, the defining sum in log space, a few whole-array
numpy steps where the recursion would pay per-step overhead n times.

Fractional agents (a WFM schedule with an agent on queue for 5 of 15 minutes, or an attendee
taken off for part of an interval) are priced by linear interpolation between the whole
counts either side: exact at whole counts, monotone in between.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

INTERVAL_SECONDS = 15 * 60


TABLE_LANES = 256
TABLE_CELLS = 1 << 18
"""Up to this many intervals (and table cells: intervals x agent counts), :func:`erlang_b` sums a
log-space table in a few whole-array steps; beyond, the recursion costs less. Measured: the
recursion pays ~10-20 us of numpy overhead per agent count whatever the width, the table ~0.1 us
per cell, so the table wins up to a couple of hundred intervals (a slot query's few hundred
cells at 20-40 agents: 2-3x faster), the recursion for wide inputs (a team plan's week)."""


def erlang_b(agents: np.ndarray, load: np.ndarray) -> np.ndarray:
    """Erlang B blocking probability for whole ``agents`` (>= 0) and ``load`` (Erlangs, >= 0)."""
    n = np.asarray(agents, dtype=np.int64)
    a = np.asarray(load, dtype=float)
    if n.size == 0 or n.max() <= 0:
        return np.ones(n.shape)
    if n.size <= TABLE_LANES and n.size * (int(n.max()) + 1) <= TABLE_CELLS:
        return erlang_b_table(n, a)
    return erlang_b_recursive(n, a)


def erlang_b_table(n: np.ndarray, a: np.ndarray) -> np.ndarray:
    """B = (a^n / n!) / sum_{k<=n} a^k / k!, every term in log space and scaled by the row's
    largest before exponentiating, so nothing overflows. Few numpy calls for small inputs (a
    slot query's few hundred intervals), where the recursion's per-step overhead dominates."""
    k = np.arange(int(n.max()) + 1)
    log_factorial = np.concatenate(([0.0], np.cumsum(np.log(k[1:]))))
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = k[None, :] * np.log(a)[:, None] - log_factorial[None, :]
    terms[:, 0] = 0.0  # a^0 / 0! = 1, also for a = 0 (where 0 * log 0 is nan)
    terms[k[None, :] > n[:, None]] = -np.inf
    scaled = np.exp(terms - terms.max(axis=1, keepdims=True))
    return np.take_along_axis(scaled, n[:, None], axis=1)[:, 0] / scaled.sum(axis=1)


def erlang_b_recursive(n: np.ndarray, a: np.ndarray) -> np.ndarray:
    """B by the recursion, every B(k) in [0, 1]; intervals visited in order of agent count."""
    out = np.ones(n.shape)
    order = np.argsort(n, kind="stable")
    n_sorted, a_sorted = n[order], a[order]
    # first[k]: the first sorted position with n >= k, so positions first[k]:first[k+1] have n == k.
    first = np.searchsorted(n_sorted, np.arange(int(n_sorted[-1]) + 2))
    b = np.ones(n.size)
    kept = np.ones(n.size)
    t, u = np.empty(n.size), np.empty(n.size)
    for k in range(1, int(n_sorted[-1]) + 1):
        lo = first[k]  # intervals with fewer than k agents are done: work on the rest only
        # b = a b / (k + a b), in place: allocating per step cost more than the arithmetic.
        np.multiply(a_sorted[lo:], b[lo:], out=t[lo:])
        np.add(t[lo:], k, out=u[lo:])
        np.divide(t[lo:], u[lo:], out=b[lo:])
        kept[lo : first[k + 1]] = b[lo : first[k + 1]]
    out[order] = kept
    return out


@dataclass(frozen=True, slots=True)
class Queue:
    """Predicted service per interval: ``service_level`` in [0, 1], ``asa`` in seconds (inf when
    the agents cannot keep up with the load)."""

    service_level: np.ndarray
    asa: np.ndarray


def _whole(agents: np.ndarray, load: np.ndarray, aht: np.ndarray, threshold: float) -> Queue:
    n = agents.astype(float)
    b = erlang_b(agents, load)
    stable = n > load
    spare = np.where(stable, n - load, 1.0)  # 1.0 only keeps the unstable lanes finite
    wait = np.where(stable, n * b / np.where(stable, n - load * (1.0 - b), 1.0), 1.0)
    # aht 0 (or no load) means nobody waits: the exponent's limit is -inf, SL 1.
    safe_aht = np.where(aht > 0, aht, 1.0)
    decay = np.where(aht > 0, np.exp(-spare * threshold / safe_aht), 0.0)
    sl = np.where(stable, 1.0 - wait * decay, 0.0)
    asa = np.where(stable, wait * aht / spare, np.inf)
    idle = load <= 0
    return Queue(np.where(idle, 1.0, sl), np.where(idle, 0.0, asa))


def erlang_c(
    agents: np.ndarray, contacts: np.ndarray, aht: np.ndarray, threshold_seconds: float
) -> Queue:
    """Service level within ``threshold_seconds`` and ASA per interval, by Erlang C.

    ``agents`` may be fractional (interpolated, see the module docstring) and negative (taken as
    none); no contacts means SL 1 and ASA 0; contacts with no agents mean SL 0 and ASA inf.
    """
    return interpolated(
        lambda n, c, h: _whole(n, c * h / INTERVAL_SECONDS, h, threshold_seconds),
        agents,
        contacts,
        aht,
    )


def interpolated(
    whole: Callable[[np.ndarray, np.ndarray, np.ndarray], Queue],
    agents: np.ndarray,
    contacts: np.ndarray,
    aht: np.ndarray,
) -> Queue:
    """``whole(agents, contacts, aht)`` for whole agent counts, interpolated linearly for
    fractional ones; one call for the counts below and, where fractional, above."""
    agents = np.maximum(np.asarray(agents, dtype=float), 0.0)
    contacts = np.asarray(contacts, dtype=float)
    aht = np.asarray(aht, dtype=float)
    low = np.floor(agents)
    weight = agents - low
    m = agents.size
    part = np.flatnonzero(weight > 0)
    both = whole(
        np.concatenate((low, low[part] + 1)).astype(np.int64),
        np.concatenate((contacts, contacts[part])),
        np.concatenate((aht, aht[part])),
    )
    sl, asa = both.service_level[:m].copy(), both.asa[:m].copy()
    w = weight[part]
    sl[part] += w * (both.service_level[m:] - sl[part])
    with np.errstate(invalid="ignore"):
        asa[part] = (1 - w) * asa[part] + w * both.asa[m:]
    return Queue(sl, asa)
