"""The stakeholder map: who is in each hub (coverage), where each actor sits on the power–interest grid, and
whom to act on first."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..domain import Helix, SizeClass, StakeholderType
from .brokerage import grouped
from .snapshot import Snapshot

__all__ = ["coverage", "StakeholderMap", "QUADRANTS", "TIERS", "AUTHORITY", "WEIGHTS", "SIZE_SCORES", "HIGH", "NO_HUB",
           "POWER_COLUMNS"]

NO_HUB = "(no hub)"

#: Mendelow's grid: (high power, high interest) first.
QUADRANTS = {
    (True, True): "manage closely",
    (True, False): "keep satisfied",
    (False, True): "keep informed",
    (False, False): "monitor",
}
#: Power and interest from this value up are high.
HIGH = 0.5
#: The order a manager acts in: the quadrant first, then power × interest within it.
TIERS = {"manage closely": 3, "keep satisfied": 2, "keep informed": 1, "monitor": 0}

#: Formal authority of each stakeholder type, 0–1: what the role lets an actor decide for an innovation on its way
#: to patients. The path the seed articles describe (clinicians refine, hospitals test, regulators approve,
#: investors scale; governments fund and set the rules) and the approval steps of the reference notes (a notified
#: body's certificate for CE marking; a regulator's decision that lets a payer list a product) order the roles.
#: The gatekeepers score 1, so with authority weighing half of power they are high power whatever their ties.
#: Public payers (health services, insurers run by the state) are typed ``government``.
AUTHORITY: dict[str, float] = {
    "regulator": 1.0,             # approves market access
    "notified_body": 1.0,         # certifies conformity: no CE mark without it
    "government": 1.0,            # funds, pays for care in public systems, sets policy
    "hospital": 0.7,              # tests (clinical validation sites) and buys (the first customers)
    "investor": 0.7,              # funds the scaling
    "hub_operator": 0.6,          # convenes: programmes, introductions, events
    "corporate": 0.5,             # buys, distributes, acquires
    "clinic": 0.4,                # tests and adopts on a smaller scale
    "university": 0.4,            # trains clinicians, runs trials, licenses research
    "research_center": 0.35,
    "industry_association": 0.35,  # speaks for its members, sits on standards bodies
    "accelerator": 0.3,           # selects and funds startups in cohorts
    "incubator": 0.3,
    "patient_organization": 0.3,  # the patients' voice in approval and reimbursement
    "sme": 0.15,
    "startup": 0.1,
    "other": 0.1,
}
#: The parts of power and their weights (they sum to 1).
WEIGHTS: dict[str, float] = {"authority": 0.5, "resources": 0.25, "position": 0.25}
#: Size classes as a share of resources: micro 0.25 … large 1.
SIZE_SCORES = {s.value: (i + 1) / len(SizeClass) for i, s in enumerate(SizeClass)}
#: The columns of the grid that explain an actor's power and interest, in the order tables show them.
POWER_COLUMNS = ("power", "power_authority", "power_resources", "power_position", "interest", "quadrant", "priority")


def coverage(snapshot: Snapshot, by: str = "type", *, group: str = "hub") -> pd.DataFrame:
    """Actors per group (rows: hubs unless ``group`` names another column, such as ``country``) and stakeholder
    type or helix sector (columns, every one of the vocabulary).

    >>> nodes = pd.DataFrame({"name": ["a", "b", "c"], "type": ["startup", "startup", "hospital"],
    ...                       "hub": ["BCN", "BCN", "PL"]})
    >>> coverage(Snapshot.from_frames(nodes, pd.DataFrame({"source": [], "target": []})), by="helix").to_dict("index")
    {'BCN': {'academia': 0, 'industry': 2, 'government': 0, 'civil_society': 0}, 'PL': {'academia': 0, 'industry': 0, 'government': 1, 'civil_society': 0}}
    """
    if by not in ("type", "helix"):
        raise ValueError(f"coverage is by 'type' or 'helix', not {by!r}")
    if group not in snapshot.nodes:
        raise ValueError(f"no node attribute {group!r} to group the coverage by")
    vocabulary = [t.value for t in (StakeholderType if by == "type" else Helix)]
    column = snapshot.nodes[group]
    rows = column.astype(object).where(column.notna(), NO_HUB if group == "hub" else f"(no {group})")
    table = pd.crosstab(rows.astype(str).rename(group), snapshot.nodes[by].rename(by))
    return table.reindex(columns=vocabulary, fill_value=0).astype(int)


def _share(values) -> np.ndarray:
    """0 for nothing (zero, negative or missing); otherwise the actor's rank among the m actors with something,
    over m: the least of them gets 1/m, the most 1, and equals share their mean rank.

    >>> _share([0, 5, 5, 20, np.nan]).tolist()
    [0.0, 0.5, 0.5, 1.0, 0.0]
    """
    x = np.nan_to_num(np.asarray(values, dtype=float), nan=0.0)
    out = np.zeros(len(x))
    some = x > 0
    if some.any():
        out[some] = pd.Series(x[some]).rank(method="average").to_numpy() / some.sum()
    return out


class StakeholderMap:
    """Place every actor on a power–interest grid and rank whom to act on first.

    **Power** (0–1) is the weighted sum of three parts, each 0–1 (weights in :data:`WEIGHTS`, by default
    authority ½, resources ¼, position ¼):

    * ``power_authority``: the formal authority of the actor's role (:data:`AUTHORITY`): regulators, notified
      bodies and governments approve, certify, fund or pay; hospitals test and buy; investors fund; hub operators
      convene; startups decide little for others.
    * ``power_resources``: funding (raised — deals and contributions from grants and research projects such as
      CORDIS's EC contributions — plus invested) as the share of funded actors with at most as much (0 without
      funding), averaged with the size class (:data:`SIZE_SCORES`) when it is known.
    * ``power_position``: the mean of three shares of the same kind, over the network: partners (degree), actors
      within two steps (reach) and pairs of partners with no tie of their own that the actor joins (the
      structural holes it spans, Burt 1992). Each never falls when an actor gains a partner, so a member of a
      small isolated group (a triangle: 2 partners, reach 2, no hole) never outranks an actor with more
      partners, as PageRank, which shares rank out within each component, can make it.

    **Interest** (0–1) is the actor's engagement: partners plus programmes joined, as a share of the same kind.
    From 0.5 up is high (:data:`HIGH`), which splits the grid into Mendelow's quadrants. ``overrides`` maps an organisation id or
    name to the ``power`` and/or ``interest`` a user knows better (the parts stay as computed; ``overridden``
    says which rows a user changed).

    **Priority** ranks what a manager must act on: the quadrant first (manage closely, keep satisfied, keep
    informed, monitor: :data:`TIERS` 3 to 0), then power × interest: ``(tier + power × interest) / 4``, 0–1.

    Shares are over the actors of the snapshot, so an atlas filtered to one hub ranks its actors among
    themselves. Each actor's ``group`` is its hub, or, on an atlas whose hubs group nobody, its country or
    Leiden community (:func:`~ecotone.analysis.brokerage.group_by`); ``grouping_`` and ``note_`` say which.

    Parameters
    ----------
    overrides : power and interest per actor (id or name), each 0–1.
    weights : the weights of authority, resources and position (default :data:`WEIGHTS`); they must sum to 1.
    group : the column to group actors by; default: the first with data of hub, country and community.

    Attributes
    ----------
    grid_ : per actor: group, hub, type, power and its three parts, interest, quadrant, priority, funding, size,
        ties, reach, holes, programmes, needs and offers, in priority order (the ranked priority list).
    weights_ : the weights used.
    grouping_, note_ : the grouping and the sentence that explains it (``None`` when it is ``hub``).

    Examples
    --------
    A regulator with one partner has more power than a startup with three; the hospital between them comes first:

    >>> nodes = pd.DataFrame({"name": ["AEMPS", "Kardio", "Clínic", "Ysios", "Sant Pau"],
    ...                       "type": ["regulator", "startup", "hospital", "investor", "hospital"],
    ...                       "hub": ["BCN"] * 5, "funding_invested": [0.0, 0.0, 0.0, 2e6, 0.0]})
    >>> ties = pd.DataFrame({"source": [0, 1, 1, 1], "target": [2, 2, 3, 4]})
    >>> m = StakeholderMap().run(Snapshot.from_frames(nodes, ties))
    >>> m.grid_[["name", "power", "interest", "quadrant"]].round(2).to_dict("records")[:4]
    [{'name': 'Clínic', 'power': 0.53, 'interest': 0.8, 'quadrant': 'manage closely'}, {'name': 'Ysios', 'power': 0.68, 'interest': 0.4, 'quadrant': 'keep satisfied'}, {'name': 'AEMPS', 'power': 0.55, 'interest': 0.4, 'quadrant': 'keep satisfied'}, {'name': 'Kardio', 'power': 0.29, 'interest': 1.0, 'quadrant': 'keep informed'}]
    >>> m.priorities(2)["name"].tolist(), m.weights_
    (['Clínic', 'Ysios'], {'authority': 0.5, 'resources': 0.25, 'position': 0.25})
    """

    def __init__(self, *, overrides: Mapping[int | str, Mapping[str, float]] | None = None,
                 weights: Mapping[str, float] | None = None, group: str | None = None) -> None:
        self.overrides = dict(overrides or {})
        self.weights = dict(WEIGHTS if weights is None else weights)
        if set(self.weights) != set(WEIGHTS):
            raise ValueError(f"weights are for {', '.join(WEIGHTS)}, not {', '.join(sorted(self.weights))}")
        if any(not 0 <= w <= 1 for w in self.weights.values()) or not np.isclose(sum(self.weights.values()), 1):
            raise ValueError(f"weights must be between 0 and 1 and sum to 1, not {self.weights}")
        self.group = group

    def run(self, snapshot: Snapshot) -> StakeholderMap:
        snapshot, self.grouping_, self.note_ = grouped(snapshot, self.group)
        nodes = snapshot.nodes
        g = snapshot.graph
        frame = nodes[["id", "name", "type", "helix"]].copy()
        column = nodes[self.grouping_]
        frame["group"] = column.astype(object).where(column.notna(), NO_HUB if self.grouping_ == "hub"
                                                     else f"(no {self.grouping_})").astype(str).to_numpy()
        frame["hub"] = nodes["hub"].astype(object).where(nodes["hub"].notna(), NO_HUB)
        frame["funding"] = nodes["funding_raised"].to_numpy(float) + nodes["funding_invested"].to_numpy(float)
        frame["size"] = nodes["size"].to_numpy()
        degree = np.asarray(g.degree(), dtype=float)
        frame["ties"] = degree.astype(int)
        frame["reach"] = (np.asarray(g.neighborhood_size(order=2), dtype=int) - 1) if len(nodes) else []
        clustering = np.asarray(g.transitivity_local_undirected(mode="zero"), dtype=float)
        frame["holes"] = np.rint(degree * (degree - 1) / 2 * (1 - clustering)).astype(int)
        frame["programmes"] = nodes["programmes"].to_numpy(int)

        frame["power_authority"] = nodes["type"].map(AUTHORITY).fillna(AUTHORITY["other"]).to_numpy(float)
        funding = _share(frame["funding"])
        size = nodes["size"].map(SIZE_SCORES).to_numpy(float)
        frame["power_resources"] = np.where(np.isnan(size), funding, (funding + np.nan_to_num(size)) / 2)
        frame["power_position"] = (_share(frame["ties"]) + _share(frame["reach"]) + _share(frame["holes"])) / 3
        w = self.weights
        frame["power"] = (w["authority"] * frame["power_authority"] + w["resources"] * frame["power_resources"]
                          + w["position"] * frame["power_position"])
        frame["interest"] = _share(frame["ties"] + frame["programmes"])
        frame["overridden"] = False
        self._apply_overrides(frame)
        frame["quadrant"] = [QUADRANTS[(p >= HIGH, i >= HIGH)] for p, i in zip(frame["power"], frame["interest"])]
        frame["priority"] = (frame["quadrant"].map(TIERS) + frame["power"] * frame["interest"]) / 4
        frame["needs"] = nodes["needs"].to_numpy()
        frame["offers"] = nodes["offers"].to_numpy()
        order = ["id", "name", "type", "helix", "group", "hub", *POWER_COLUMNS, "overridden", "funding", "size",
                 "ties", "reach", "holes", "programmes", "needs", "offers"]
        self.grid_ = frame[order].sort_values(["priority", "power", "id"], ascending=[False, False, True]
                                              ).reset_index(drop=True)
        self.weights_ = dict(w)
        return self

    def _apply_overrides(self, frame: pd.DataFrame) -> None:
        for key, values in self.overrides.items():
            hit = frame["id"] == key if isinstance(key, int | np.integer) else frame["name"].str.lower() == str(key).lower()
            if not hit.any():
                raise ValueError(f"override for {key!r}: no such actor in this snapshot")
            unknown = set(values) - {"power", "interest"}
            if unknown:
                raise ValueError(f"override for {key!r}: unknown field(s) {', '.join(sorted(unknown))}; "
                                 "use power and interest")
            for field in ("power", "interest"):
                if field in values:
                    value = float(values[field])
                    if not 0 <= value <= 1:
                        raise ValueError(f"override for {key!r}: {field} must be between 0 and 1, not {value}")
                    frame.loc[hit, field] = value
                    frame.loc[hit, "overridden"] = True

    def priorities(self, n: int | None = None, *, hub: str | None = None, group: str | None = None
                   ) -> pd.DataFrame:
        """The first ``n`` actors (all with ``None``) a manager must act on, of one hub or group or of all: the
        priority list, manage closely first, then keep satisfied, keep informed and monitor, each by power ×
        interest. The report's priority list and central players read it."""
        out = self.grid_
        if hub is not None:
            out = self.hub(hub)
        if group is not None:
            out = out[out["group"] == str(group)]
            if out.empty:
                raise ValueError(f"no group {group!r} in this snapshot; groups: "
                                 f"{', '.join(self.grid_['group'].unique()[:12])}")
        return out if n is None else out.head(n)

    def hub(self, name: str) -> pd.DataFrame:
        """The grid of one hub, its priority list in order."""
        out = self.grid_[self.grid_["hub"] == name]
        if out.empty:
            raise ValueError(f"no hub {name!r} in this snapshot; hubs: {', '.join(self.grid_['hub'].unique()[:12])}")
        return out
