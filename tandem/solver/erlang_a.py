"""Erlang A (M/M/n+M): Erlang C with callers who hang up, per 15-minute interval (W4).

Where a business unit gives its callers' average ``patience`` (exponential, rate ``th = 1 /
patience``), waiting callers abandon, so an overloaded interval no longer predicts SL 0 % and an
agent taken off costs what it really does. With arrival rate ``l``, service rate ``mu = 1 / aht``:

* stationary state probabilities (seen by arrivals, PASTA), in log space: ``p_j ~ (l/mu)^j / j!``
  up to ``j = n``, then each queued state multiplies by ``l / (n mu + q th)``; the queue is cut
  where its mass is negligible;
* a caller finding ``q`` others queued is answered with probability ``n mu / (n mu + (q+1) th)``
  (the stage products telescope), after ``S_q``, a sum of exponentials with rates
  ``n mu + (m+1) th``, ``m = q .. 0``, independent of whether it is answered;
* ``P(S_q <= T)`` in closed form, a negative-binomial tail (see :func:`_within`), for all ``q``
  and all intervals at once.

SL = P(answered within T) over contacts offered (an abandoned contact is not answered in time);
ASA is the mean wait of answered contacts. No contacts: SL 1, ASA 0.
"""

import math

import numpy as np

from tandem.solver.erlang import INTERVAL_SECONDS, Queue, interpolated

MAX_QUEUE = 2_000
"""Queued states kept at most: beyond, even a 99 % loaded interval has no probability left."""
_TAIL_SIGMAS = 8.0
"""How far past its mean the queue length is considered before trimming."""
_NEGLIGIBLE = math.log(1e-16)
"""Queued states less likely than this (relative to the likeliest state) are dropped."""


def erlang_a(
    agents: np.ndarray,
    contacts: np.ndarray,
    aht: np.ndarray,
    threshold_seconds: float,
    patience_seconds: float,
) -> Queue:
    """SL within ``threshold_seconds`` and ASA per interval; agents as in :func:`erlang_c`."""
    return interpolated(
        lambda n, c, h: _whole(n, c, h, threshold_seconds, 1.0 / patience_seconds),
        agents,
        contacts,
        aht,
    )


def _whole(
    n: np.ndarray, contacts: np.ndarray, aht: np.ndarray, threshold: float, theta: float
) -> Queue:
    idle = (contacts <= 0) | (aht <= 0)
    sl, asa = np.ones(n.size), np.zeros(n.size)
    busy = np.flatnonzero(~idle)
    if busy.size:
        sl[busy], asa[busy] = _busy(n[busy], contacts[busy], aht[busy], threshold, theta)
    return Queue(sl, asa)


def _busy(
    n: np.ndarray, contacts: np.ndarray, aht: np.ndarray, threshold: float, theta: float
) -> tuple[np.ndarray, np.ndarray]:
    lam = contacts / INTERVAL_SECONDS
    mu = 1.0 / aht
    nmu = n * mu
    excess = float(np.max((lam - nmu) / theta))
    spread = math.sqrt(float(np.max(lam / theta)))
    queue = int(min(MAX_QUEUE, max(excess, 0.0) + _TAIL_SIGMAS * spread + 20))
    q = np.arange(queue)

    # log p_j for j = 0..n (masked above n), then the queued states n + q.
    k = np.arange(int(n.max()) + 1)
    log_factorial = np.concatenate(([0.0], np.cumsum(np.log(k[1:]))))
    log_ratio = np.log(lam / mu)
    below = k[None, :] * log_ratio[:, None] - log_factorial[None, :]
    log_pn = np.take_along_axis(below, n[:, None], axis=1)[:, 0]
    below[k[None, :] >= n[:, None]] = -np.inf  # j < n: answered at once
    rates = nmu[:, None] + (q[None, :] + 1) * theta  # stage rates n mu + (m+1) th
    # p_{n+q} = p_n prod_{i=1..q} l / (n mu + i th); rates[:, i-1] = n mu + i th.
    steps = np.log(lam)[:, None] - np.log(rates[:, :-1])
    queued = log_pn[:, None] + np.concatenate((np.zeros((n.size, 1)), np.cumsum(steps, 1)), 1)
    top = np.maximum(below.max(axis=1), queued.max(axis=1))
    # Keep the queue only as long as some interval still has mass there: every array below is
    # (intervals x queue length).
    alive = (queued - top[:, None] > _NEGLIGIBLE).any(axis=0)
    keep = int(np.flatnonzero(alive)[-1]) + 1 if alive.any() else 1
    queued, rates = queued[:, :keep], rates[:, :keep]
    at_once = np.exp(below - top[:, None]).sum(axis=1)
    seen = np.exp(queued - top[:, None])
    total = at_once + seen.sum(axis=1)
    at_once, seen = at_once / total, seen / total[:, None]

    answered = nmu[:, None] / rates  # a caller finding q queued is answered with this
    in_time = _within(rates, theta, threshold)
    mean_wait = np.cumsum(1.0 / rates, axis=1)
    served = at_once + (seen * answered).sum(axis=1)
    sl = at_once + (seen * answered * in_time).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        asa = np.where(served > 0, (seen * answered * mean_wait).sum(axis=1) / served, np.inf)
    return sl, asa


def _within(rates: np.ndarray, theta: float, horizon: float) -> np.ndarray:
    """``[i, q]``: P(exponential stages with rates ``rates[i, 0..q]`` all end within
    ``horizon``), where ``rates[i, m] = c_i + (m + 1) theta``.

    Closed form: the Laplace transform of such a sum, prod_j (c + j th) / (c + j th + s), is
    that of ``-log(W) / th`` with W ~ Beta(c/th + 1, q + 1), so P(S <= T) = P(W >= x) with
    ``x = exp(-th T)``, and for a whole second parameter 1 - I_x(a, K) is a negative-binomial
    tail: P(NB(a, x) > q), NB(j) = x^a (a)_j / j! (1 - x)^j. Every NB term is a probability,
    summed in log space: no overflow, no alternating sums, one cumulative sum for every q.
    """
    a = rates[:, :1] / theta  # c / th + 1
    x = math.exp(-theta * horizon)
    j = np.arange(rates.shape[1])
    steps = np.log(a + j[None, 1:] - 1) - np.log(j[None, 1:]) + math.log1p(-x)
    log_terms = a * math.log(x) + np.concatenate((np.zeros((a.size, 1)), np.cumsum(steps, 1)), 1)
    return np.clip(1.0 - np.cumsum(np.exp(log_terms), axis=1), 0.0, 1.0)
