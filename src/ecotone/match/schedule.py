"""Brokerage-event scheduling (b2match-style): place requested one-to-one meetings into slots and tables so that
nobody is double-booked, everybody is available, and the weighted number of meetings is as large as it can be."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass

import pandas as pd

__all__ = ["Meeting", "EventScheduler", "meetings_from_requests", "clashes"]

@dataclass(frozen=True)
class Meeting:
    """A meeting to place: two participants, its weight (priority, doubled when both asked) and whether both
    asked for it."""

    a: str
    b: str
    priority: int
    mutual: bool

    @property
    def weight(self) -> int:
        return self.priority * (2 if self.mutual else 1)


def meetings_from_requests(requests: pd.DataFrame) -> list[Meeting]:
    """One meeting per pair of participants: requests both ways make it mutual, the higher priority counts.

    >>> reqs = pd.DataFrame({"requester": ["Ana", "Ben", "Ana"], "requested": ["Ben", "Ana", "Cleo"],
    ...                      "priority": [2, 3, 1]})
    >>> [(m.a, m.b, m.priority, m.mutual, m.weight) for m in meetings_from_requests(reqs)]
    [('Ana', 'Ben', 3, True, 6), ('Ana', 'Cleo', 1, False, 1)]
    """
    pairs: dict[tuple[str, str], dict] = {}
    for req, wanted, priority in requests[["requester", "requested", "priority"]].itertuples(index=False):
        key = (req, wanted) if (wanted, req) not in pairs else (wanted, req)
        entry = pairs.setdefault(key, {"priority": 0, "askers": set()})
        entry["priority"] = max(entry["priority"], int(priority))
        entry["askers"].add(req)
    return [Meeting(a, b, e["priority"], len(e["askers"]) == 2) for (a, b), e in pairs.items()]


def clashes(slots: list, times: dict | None) -> dict[object, frozenset]:
    """Each slot's clash set: the slots whose times overlap it (itself included), so that parallel tracks or a
    long slot spanning two short ones never put one person in two meetings at once. Without times, slots are
    taken as disjoint. Touching slots (one ends when the next starts) do not clash.

    Examples
    --------
    >>> import datetime as dt
    >>> t = lambda h, m: dt.datetime(2026, 3, 12, h, m)
    >>> times = {"A": (t(9, 0), t(9, 30)), "B": (t(9, 30), t(10, 0)), "Track 2": (t(9, 15), t(9, 45))}
    >>> {k: sorted(v) for k, v in clashes(["A", "B", "Track 2"], times).items()}
    {'A': ['A', 'Track 2'], 'B': ['B', 'Track 2'], 'Track 2': ['A', 'B', 'Track 2']}
    """
    if not times:
        return {s: frozenset([s]) for s in slots}
    return {s: frozenset(o for o in slots if times[o][0] < times[s][1] and times[s][0] < times[o][1])
            for s in slots}


def _instants(slots: list, times: dict | None) -> list[frozenset]:
    """Groups of slots that all run at one instant (each slot's start): at most one meeting per person in each.
    Intervals that pairwise overlap share a point, and some slot's start is such a point, so these groups cover
    every clash."""
    if not times:
        return [frozenset([s]) for s in slots]
    groups = {frozenset(o for o in slots if times[o][0] <= times[s][0] < times[o][1]) for s in slots}
    return [g for g in groups if not any(g < h for h in groups)]


class EventScheduler:
    """Place meetings into slots and tables.

    ``method``: ``cp-sat`` (OR-Tools; optimal or within its proven bound when ``time_limit`` stops it), ``greedy``
    (mutual and high-priority meetings first, each into the earliest slot that fits; for very large events), or
    ``auto`` (CP-SAT up to ``cp_sat_limit`` candidate placements, else greedy). CP-SAT starts from the greedy
    agenda, so it never does worse.

    Slots may overlap (parallel tracks, a long slot beside short ones): given their ``times``, a participant is
    never placed in two slots that overlap, as if they were one.

    After :meth:`run`: ``agenda_`` (a, b, slot, table, priority, mutual), ``unscheduled_`` (a, b, priority,
    reason), ``objective_`` (weighted meetings), ``bound_`` (no agenda can weigh more), ``status_``, ``seconds_``.

    Examples
    --------
    >>> meetings = [Meeting("Ana", "Ben", 3, True), Meeting("Ana", "Cleo", 1, False), Meeting("Ben", "Cleo", 2, False)]
    >>> available = {"Ana": {1, 2}, "Ben": {1, 2}, "Cleo": {2}}
    >>> s = EventScheduler(method="cp-sat").run(meetings, [1, 2], available, tables=5)
    >>> s.agenda_[["a", "b", "slot"]].values.tolist(), s.unscheduled_["reason"].tolist()
    ([['Ana', 'Ben', 1], ['Ben', 'Cleo', 2]], ['Ana and Cleo are both free only in slot 2, which was taken'])

    Two tracks at the same hour are one conflict: Ana meets one of Ben and Cleo, not both.

    >>> import datetime as dt
    >>> hour = (dt.datetime(2026, 3, 12, 9), dt.datetime(2026, 3, 12, 10))
    >>> both = {p: {"hall", "lab"} for p in ("Ana", "Ben", "Cleo")}
    >>> s = EventScheduler(method="cp-sat").run(meetings[:2], ["hall", "lab"], both, tables=5,
    ...     times={"hall": hour, "lab": hour})
    >>> len(s.agenda_), s.unscheduled_["reason"].tolist()
    (1, ['Ana and Cleo are both free in slots hall, lab, all taken by heavier meetings, full tables or clashing slots'])
    """

    def __init__(self, *, method: str = "auto", time_limit: float = 60.0, seed: int = 0, workers: int = 2,
                 cp_sat_limit: int = 500_000) -> None:
        if method not in ("auto", "cp-sat", "greedy"):
            raise ValueError(f"method {method!r} is not one of: auto, cp-sat, greedy")
        self.method, self.time_limit, self.seed, self.workers = method, time_limit, seed, workers
        self.cp_sat_limit = cp_sat_limit

    def run(self, meetings: list[Meeting], slots: list, available: dict[str, set], *, tables: int,
            times: dict | None = None) -> EventScheduler:
        """Schedule ``meetings`` into ``slots`` (ordered); ``available`` maps each participant to the slots it can
        attend; at most ``tables`` meetings share a slot;
        ``times`` (slot → (start, end)) makes overlapping slots clash."""
        start = time.perf_counter()
        order = {s: i for i, s in enumerate(slots)}
        options = [sorted(available.get(m.a, set()) & available.get(m.b, set()) & set(slots), key=order.__getitem__)
                   for m in meetings]
        self._clash = clashes(slots, times)
        self._instants = _instants(slots, times)
        placement = self._greedy(meetings, options, tables, self._clash)
        self.status_ = "greedy"
        self.bound_ = float(sum(m.weight for m, o in zip(meetings, options) if o))
        placements = sum(len(o) for o in options)
        if self.method == "cp-sat" or (self.method == "auto" and placements <= self.cp_sat_limit):
            placement = self._cp_sat(meetings, options, tables, placement)
        self.seconds_ = time.perf_counter() - start
        self._report(meetings, options, placement, order)
        return self

    @staticmethod
    def _greedy(meetings: list[Meeting], options: list[list], tables: int, clash: dict[object, frozenset]
                ) -> dict[int, object]:
        busy: set[tuple[str, object]] = set()
        used: dict[object, int] = defaultdict(int)
        placement: dict[int, object] = {}
        # Heaviest first; among equals, the hardest to place (fewest common slots) first.
        for i in sorted(range(len(meetings)), key=lambda i: (-meetings[i].weight, len(options[i]), i)):
            m = meetings[i]
            for s in options[i]:
                if used[s] < tables and (m.a, s) not in busy and (m.b, s) not in busy:
                    placement[i] = s
                    busy.update((who, c) for who in (m.a, m.b) for c in clash[s])
                    used[s] += 1
                    break
        return placement

    def _cp_sat(self, meetings: list[Meeting], options: list[list], tables: int,
                hint: dict[int, object]) -> dict[int, object]:
        from ortools.sat.python import cp_model

        model = cp_model.CpModel()
        x: dict[tuple[int, object], object] = {}
        by_person: dict[tuple[str, object], list] = defaultdict(list)
        by_slot: dict[object, list] = defaultdict(list)
        for i, (m, opts) in enumerate(zip(meetings, options)):
            for s in opts:
                var = model.new_bool_var(f"m{i}s{s}")
                x[i, s] = var
                by_person[m.a, s].append(var)
                by_person[m.b, s].append(var)
                by_slot[s].append(var)
                model.add_hint(var, hint.get(i) == s)
            if len(opts) > 1:
                model.add_at_most_one(x[i, s] for s in opts)
        people = {who for who, _ in by_person}
        for who in people:
            for instant in self._instants:
                group = [v for s in instant for v in by_person.get((who, s), [])]
                if len(group) > 1:
                    model.add_at_most_one(group)
        for s, group in by_slot.items():
            if len(group) > tables:
                model.add(sum(group) <= tables)
        model.maximize(sum(meetings[i].weight * v for (i, _), v in x.items()))
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = self.time_limit
        solver.parameters.num_workers = self.workers
        solver.parameters.random_seed = self.seed
        status = solver.solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return hint
        self.status_ = "optimal" if status == cp_model.OPTIMAL else "feasible"
        self.bound_ = min(self.bound_, float(solver.best_objective_bound))
        return {i: s for (i, s), v in x.items() if solver.boolean_value(v)}

    def _report(self, meetings: list[Meeting], options: list[list], placement: dict[int, object], order: dict
                ) -> None:
        per_slot: dict[object, int] = defaultdict(int)
        rows = []
        for i in sorted(placement, key=lambda i: (order[placement[i]], i)):
            m, s = meetings[i], placement[i]
            per_slot[s] += 1
            rows.append({"a": m.a, "b": m.b, "slot": s, "table": per_slot[s], "priority": m.priority,
                         "mutual": m.mutual})
        self.agenda_ = pd.DataFrame(rows, columns=["a", "b", "slot", "table", "priority", "mutual"])
        self.objective_ = float(sum(meetings[i].weight for i in placement))
        missing = []
        for i, m in enumerate(meetings):
            if i in placement:
                continue
            opts = options[i]
            if not opts:
                reason = f"{m.a} and {m.b} have no slot in common"
            else:
                names = ", ".join(map(str, opts))
                reason = (f"{m.a} and {m.b} are both free only in slot {names}, which was taken" if len(opts) == 1
                          else f"{m.a} and {m.b} are both free in slots {names}, all taken by heavier meetings"
                               + (", full tables or clashing slots" if any(len(c) > 1 for c in self._clash.values())
                                  else " or full tables"))
            missing.append({"a": m.a, "b": m.b, "priority": m.priority, "mutual": m.mutual, "reason": reason})
        self.unscheduled_ = pd.DataFrame(missing, columns=["a", "b", "priority", "mutual", "reason"])
        self.tables_used_ = max(per_slot.values(), default=0)
