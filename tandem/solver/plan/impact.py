"""Service-level cost of taking agents off queue for coaching, coupled per business unit.

Agents of one business unit coached at the same time reduce its staffing together, so the cost
is charged per (business unit, 15-minute interval) on the number of heads ``n`` taken off queue
there, not per session. Each successive head is priced by the staffing it leaves behind::

    price(after) = 2 ** clip(-floor(after), -3, 6)     after = scheduled - forecast - heads

so a head leaving +3 or more costs 1/8, +1 costs 1/2, 0 costs 1, -1 costs 2, doubling per head
below forecast up to 64. The cost of ``n`` heads is the sum of their prices (linear in between
for fractional heads, an agent on queue for part of an interval counting as that fraction).

Why a convex price rather than the "at most surplus - 1 agents per interval" caps of the research
notes: caps are hard, so a team whose forecast is tight everywhere would come back unplaced even
though the supervisor asked for every agent to be coached; prices always place everyone they can
and still spread sessions away from thin intervals. Prices rise with every extra head, so the
cost is convex in ``n``: a MIP models it exactly with one bounded continuous variable per head
(filled cheapest first), and greedy can price each session by its marginal cost. Intervals with
no forecast cost a neutral 1 per head.

With volume data and a service-level goal (W6+), :func:`sl_cost_table` prices the same heads by
the contacts predicted to miss the SL threshold because of them (Erlang C), with a steep charge
for pushing an interval below the floor: the planner then minimises total predicted SL loss.
"""

import numpy as np

from tandem.solver.staffing import ServiceGoal

NO_FORECAST_PRICE = 1.0
_CHEAPEST_EXPONENT = -3
_DEAREST_EXPONENT = 6


def head_price(after: np.ndarray) -> np.ndarray:
    """Price of one head taken off queue when ``after`` is the staffing difference it leaves."""
    exponent = np.clip(-np.floor(np.nan_to_num(after)), _CHEAPEST_EXPONENT, _DEAREST_EXPONENT)
    return np.where(np.isnan(after), NO_FORECAST_PRICE, 2.0**exponent)


def cost_table(surplus: np.ndarray, max_heads: int) -> np.ndarray:
    """``table[c, k]`` is the cost of ``k`` whole heads off queue in cell ``c``.

    ``surplus`` is scheduled minus forecast per cell (NaN without data).
    """
    heads = np.arange(1, max_heads + 1)
    prices = head_price(surplus[:, None] - heads[None, :])
    return np.concatenate((np.zeros((surplus.size, 1)), np.cumsum(prices, axis=1)), axis=1)


def cost_of(table: np.ndarray, heads: np.ndarray, cells: np.ndarray | slice) -> np.ndarray:
    """Cost of ``heads`` (fractional allowed) off queue in the given cells."""
    rows = table[cells]
    whole = np.minimum(np.floor(heads).astype(np.int64), rows.shape[1] - 2)
    at = np.arange(rows.shape[0])
    low = rows[at, whole]
    return low + (heads - whole) * (rows[at, whole + 1] - low)


FLOOR_PRICE = 1_000.0
"""Extra charge per head and interval that leaves a unit's predicted SL below its floor: above
any plausible service-level cost, below ``UNPLACED_PENALTY``, so the planner breaks the floor
only to place an agent who fits nowhere else (and reports the interval)."""


def sl_cost_table(
    scheduled: np.ndarray,
    contacts: np.ndarray,
    aht: np.ndarray,
    goal: ServiceGoal,
    surplus: np.ndarray,
    max_heads: int,
) -> np.ndarray:
    """:func:`cost_table` priced by service level (W6 with volume data): ``table[c, k]`` is the
    number of contacts predicted to miss the threshold because ``k`` heads are off queue in cell
    ``c`` (Erlang C, or A with patience), plus :data:`FLOOR_PRICE` per head below the floor.
    Cells without volume keep the headcount prices.

    The planner's MIP needs each head to cost at least as much as the one before (convexity).
    Predicted SL is concave in agents above the load, where centres operate, and there the
    table is exact; where it is not (SL already near 0) the marginal is raised to the largest
    one before it, which only overstates the cost of stripping an interval bare.
    """
    table = cost_table(surplus, max_heads)
    known = ~np.isnan(contacts) & ~np.isnan(aht) & ~np.isnan(scheduled)
    cells = np.flatnonzero(known)
    if cells.size == 0:
        return table
    heads = np.arange(max_heads + 1)
    width = heads.size
    agents = scheduled[cells, None] - heads[None, :]
    queue = goal.predict(
        agents.ravel(), np.repeat(contacts[cells], width), np.repeat(aht[cells], width)
    )
    sl = queue.service_level.reshape(cells.size, width)
    marginal = contacts[cells, None] * (sl[:, :-1] - sl[:, 1:])
    # SL falls with every head, so "breached" never turns off again as k grows: still convex.
    marginal = marginal + FLOOR_PRICE * goal.breached(sl[:, 1:], contacts[cells, None])
    marginal = np.maximum.accumulate(np.maximum(marginal, 0.0), axis=1)
    table[cells] = np.concatenate((np.zeros((cells.size, 1)), np.cumsum(marginal, axis=1)), axis=1)
    return table
