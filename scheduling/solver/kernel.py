"""Compiled inner loops of the activity-list search (``improve``), on numpy arrays, compiled by
Numba: the serial schedule generation scheme, forward-backward justification, list crossover
and mutation, and the crossover of mode vectors with the repair of non-renewable budgets.

The genetic search spends nearly all its time here. In plain Python one decode of a J120
schedule (three SGS runs) took 2.7 ms, so ten seconds gave a few thousand schedules where
published list-scheduling searches count fifty thousand.

Arrays: ``dur[a]`` duration and ``dem[a, r]`` renewable demand of each activity in its chosen
mode, ``cap[r]`` capacities; precedences in compressed rows (``ptr``, ``idx``, ``lag``): the
neighbours of ``a`` are ``idx[ptr[a]:ptr[a + 1]]`` with their lags. For modes, ``count[a]``
modes per activity and ``use[a, k, i]`` of budget ``i`` in mode ``k``. There is no bounds
checking: lists must be precedence-feasible and every mode executable (``improve`` ensures both),
or a window search could run past ``horizon``.

Numba compiles each function at its first call (about 3 s for all of them) and caches the
machine code beside this file, or in ``NUMBA_CACHE_DIR``; ``warm_up`` compiles ahead of timed
work.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def sgs(order, ptr, idx, lag, dur, dem, cap, horizon):
    """Starts of a serial SGS over ``order``: each activity at the earliest tick after its
    neighbours in ``ptr``/``idx`` (predecessors forward, successors backward) where its
    demand fits for its whole duration."""
    n = dur.shape[0]
    res = dem.shape[1]
    free = np.empty((res, horizon), np.int64)
    for r in range(res):
        free[r, :] = cap[r]
    starts = np.zeros(n, np.int64)
    for i in range(order.shape[0]):
        a = order[i]
        t = 0
        for j in range(ptr[a], ptr[a + 1]):
            p = idx[j]
            e = starts[p] + dur[p] + lag[j]
            if e > t:
                t = e
        d = dur[a]
        if d > 0:
            t = _fit(free, dem[a], t, d)
            for r in range(res):
                q = dem[a, r]
                if q:
                    for u in range(t, t + d):
                        free[r, u] -= q
        starts[a] = t
    return starts


@njit(cache=True, nogil=True)
def _fit(free, need, t, d):
    """Earliest start from ``t`` where ``need`` fits into ``free`` for ``d`` ticks: test the
    window from its end and jump past the last clash."""
    end = t + d
    clash = True
    while clash:
        clash = False
        for r in range(need.shape[0]):
            q = need[r]
            if q == 0:
                continue
            u = end - 1
            while u >= t and free[r, u] >= q:
                u -= 1
            if u >= t:
                t = u + 1
                end = t + d
                clash = True
                break
    return t


@njit(cache=True, nogil=True)
def justify(starts, rank, pptr, pidx, plag, sptr, sidx, slag, dur, dem, cap, horizon):
    """One forward-backward pass: (order, starts, makespan) of the better of ``starts`` and
    its justified schedule; ``rank`` (a topological position per activity) breaks ties."""
    n = starts.shape[0]
    ends = starts + dur
    back = np.argsort(-(ends * n + rank))  # decreasing finish
    rev = sgs(back, sptr, sidx, slag, dur, dem, cap, horizon)
    rev_mk = np.max(rev + dur)
    right = rev_mk - rev - dur
    new = sgs(np.argsort(right * n + rank), pptr, pidx, plag, dur, dem, cap, horizon)
    best = starts
    mk = np.max(ends)
    new_mk = np.max(new + dur)
    if new_mk < mk:
        best = new
        mk = new_mk
    return np.argsort(best * n + rank), best, mk


@njit(cache=True, nogil=True)
def _uniform(state):
    """Next float in [0, 1) of a splitmix64 stream kept in ``state[0]`` (seeded by the caller,
    so a search stays deterministic for its seed)."""
    state[0] += np.uint64(0x9E3779B97F4A7C15)
    z = state[0]
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True, nogil=True)
def child(mother, father, related, rate, shifts, state):
    """Hartmann's two-point crossover of two precedence-feasible lists (it keeps feasibility),
    then mutation: neighbours swap with probability ``rate`` unless ``related`` (a direct
    precedence between them), and ``shifts`` activities move to a random place between their
    nearest related neighbours (``_shift``)."""
    n = mother.shape[0]
    q1 = int(_uniform(state) * (n + 1))
    q2 = int(_uniform(state) * (n + 1))
    if q1 > q2:
        q1, q2 = q2, q1
    out = np.empty(n, np.int64)
    taken = np.zeros(n, np.bool_)
    for i in range(q1):
        out[i] = mother[i]
        taken[mother[i]] = True
    k = q1
    for a in father:
        if k >= q2:
            break
        if not taken[a]:
            out[k] = a
            taken[a] = True
            k += 1
    for a in mother:
        if not taken[a]:
            out[k] = a
            k += 1
    for i in range(n - 1):
        if _uniform(state) < rate and not related[out[i], out[i + 1]]:
            out[i], out[i + 1] = out[i + 1], out[i]
    for _ in range(shifts):
        _shift(out, related, int(_uniform(state) * n), state)
    return out


@njit(cache=True, nogil=True)
def _shift(out, related, i, state):
    """Move the activity at ``i`` (in place) to a random position after its last related
    activity before it and before its first one after it: in a precedence-feasible list those
    are its nearest predecessor and successor, so the list stays feasible. Unlike a swap of
    neighbours it carries an activity past many others at once."""
    n = out.shape[0]
    a = out[i]
    lo, hi = 0, n - 1
    for j in range(i - 1, -1, -1):
        if related[a, out[j]]:
            lo = j + 1
            break
    for j in range(i + 1, n):
        if related[a, out[j]]:
            hi = j - 1
            break
    t = lo + int(_uniform(state) * (hi - lo + 1))
    if t < i:
        out[t + 1 : i + 1] = out[t:i].copy()
    elif t > i:
        out[i:t] = out[i + 1 : t + 1].copy()
    out[t] = a


@njit(cache=True, nogil=True)
def _over(modes, use, cap):
    """Indices of the non-renewable resources whose budget ``modes`` exceed."""
    total = np.zeros(cap.shape[0], np.int64)
    for a in range(modes.shape[0]):
        total += use[a, modes[a]]
    return np.flatnonzero(total > cap)


@njit(cache=True, nogil=True)
def repair(modes, keep, multi, count, use, cap, stream):
    """Bring ``modes`` (changed in place) under every budget (``use[a, k, r]`` against
    ``cap[r]``) by moving activities of ``multi`` other than ``keep`` to their cheapest mode
    for an exceeded resource; a few random tries, may fail."""
    for _ in range(multi.shape[0]):
        over = _over(modes, use, cap)
        if over.shape[0] == 0:
            return
        r = over[int(_uniform(stream) * over.shape[0])]
        movable = np.zeros(multi.shape[0], np.int64)
        m = 0
        for b in multi:
            if b != keep and np.min(use[b, : count[b], r]) < use[b, modes[b], r]:
                movable[m] = b
                m += 1
        if m == 0:
            return
        b = movable[int(_uniform(stream) * m)]
        modes[b] = np.argmin(use[b, : count[b], r])


@njit(cache=True, nogil=True)
def mode_child(mother, father, multi, count, use, cap, rate, stream):
    """One-point crossover of two mode vectors plus mode mutation (``rate`` per activity in
    ``multi``, ``count[a]`` modes each). A mutation that breaks a budget is repaired: MMLIB
    budgets are tight, and unrepaired most mutations were lost. Mother's modes when the
    child is still over budget."""
    n = mother.shape[0]
    q = int(_uniform(stream) * (n + 1))
    out = father.copy()
    out[:q] = mother[:q]
    for a in multi:
        if _uniform(stream) < rate:
            out[a] = int(_uniform(stream) * count[a])
            repair(out, a, multi, count, use, cap, stream)
    if _over(out, use, cap).shape[0] or np.array_equal(out, mother):
        return mother
    return out


def warm_up() -> None:
    """Compile (or load from the cache) every function here on a two-activity problem, so that
    the first timed search does not pay for it."""
    one, cap = np.ones(2, np.int64), np.ones(1, np.int64)
    order = np.arange(2, dtype=np.int64)
    rows = (np.array([0, 0, 1], np.int64), np.zeros(1, np.int64), np.zeros(1, np.int64))
    back = (np.array([0, 1, 1], np.int64), np.ones(1, np.int64), np.zeros(1, np.int64))
    dem = np.ones((2, 1), np.int64)
    justify(sgs(order, *rows, one, dem, cap, 5), order, *rows, *back, one, dem, cap, 5)
    stream = np.zeros(1, np.uint64)
    child(order, order[::-1].copy(), np.ones((2, 2), np.bool_), 0.5, 1, stream)
    use = np.ones((2, 2, 1), np.int64)
    two, nine = np.full(2, 2, np.int64), np.full(1, 9, np.int64)
    mode_child(order, order, order, two, use, nine, 1.0, stream)
