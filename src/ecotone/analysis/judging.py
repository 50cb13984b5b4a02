"""Judging a challenge: judges' rubric scores normalised per judge, conflicts recused, ranks with open tie-breaks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..domain.problems import InputRejected, Problem

__all__ = ["NORMALISATIONS", "TIE_BREAKS", "Judging", "ScoresRejected"]

#: How a judge's totals are put on a common scale: z-scores, robust z-scores (median/MAD), or left as given.
NORMALISATIONS = ("z", "robust", "raw")

#: The tie-break rules, in the order they are tried after the score itself.
TIE_BREAKS = ("more judges", "higher raw mean", "higher score on the heaviest criterion", "earlier submission",
              "lower id")

#: A MAD of a normal sample is 0.6745 σ; 1.4826 = 1/0.6745 makes the robust z comparable with the z-score.
MAD_TO_SD = 1.4826
#: When half or more of a judge's totals are equal the MAD is 0; the mean absolute deviation about the median,
#: times √(π/2), is then the spread (IBM's modified z-score does the same).
MEAN_AD_TO_SD = float(np.sqrt(np.pi / 2))
#: Spreads below this are no spread: scores are 0–10, so this is far below any real difference.
_FLAT = 1e-9
#: Places kept when totals and scores are compared, so that sums like 0.3·8 + … that are equal on paper tie.
_PLACES = 9
_LOWEST, _HIGHEST = 0.0, 10.0

RESULT_COLUMNS = ["submission_id", "rank", "score", "raw", "judges", "conflicted", "tie_break", "shortlisted",
                  "winner"]
JUDGE_COLUMNS = ["judge_id", "name", "scored", "mean", "sd", "excluded"]
EXCLUDED_COLUMNS = ["submission_id", "judge_id", "reason"]


class ScoresRejected(InputRejected, ValueError):
    """Raised when the submissions, judges or scores handed to :class:`Judging` have problems (each one named)."""


class Judging:
    """Rank a challenge's submissions from judges' rubric scores, fairly and openly.

    Each judge's weighted total for a submission (weights normalised to 1 over the criteria they scored) is put
    on a common scale across the submissions that judge scored — z-scores by default, so a harsh judge and a
    lenient one count alike — and a submission's score is the mean over the judges without a conflict with its
    organisation. Ties are broken in the order of :data:`TIE_BREAKS`, and each place says which rule decided it.

    Parameters
    ----------
    rubric : criterion → weight (> 0); the weights need not sum to 1.
    normalisation : "z" ((x − mean)/sd of the judge's totals, population sd), "robust"
        ((x − median)/(1.4826·MAD)), or "raw" (totals as given).
    shortlist : how many submissions make the shortlist; None for a challenge without one.
    winners : how many win (taken from the shortlist when there is one).

    Attributes
    ----------
    results_ : one row per submission, best first: submission_id, rank (1..n, no ties), score (mean normalised
        weighted total; NaN when no judge could score it), raw (mean raw weighted total), judges (judges whose
        scores were used), conflicted (judges recused), tie_break (the rule that put the submission above it
        there, in words, or ""), shortlisted, winner.
    judges_ : per judge: judge_id, name, scored (submissions whose scores were used), mean and sd (population)
        of their weighted totals, excluded (submissions they were recused from).
    excluded_ : every recusal: submission_id, judge_id, reason ("works for <org>", "declared a conflict with
        <org>").
    notes_ : sentences a results page shows next to the table.

    Notes
    -----
    ``submissions`` needs columns id, organization_id and submitted_on (a date or None) and may add title and
    organization (the organisation's name) for the notes and reasons; ``judges`` needs id, name,
    organization_id (their employer, or None) and conflict_ids (organisations they declared a conflict with);
    ``scores`` needs submission_id, judge_id, criterion and value (0–10). Pass only the submissions that compete
    (not withdrawn or ineligible ones).

    Examples
    --------
    Two judges, one harsh and one lenient; the lenient one works for the organisation behind submission 3.

    >>> subs = pd.DataFrame({"id": [1, 2, 3], "organization_id": [10, 20, 30], "submitted_on": [None] * 3})
    >>> judges = pd.DataFrame({"id": [7, 8], "name": ["Ada", "Ben"], "organization_id": [None, 30],
    ...                        "conflict_ids": [[], []]})
    >>> scores = pd.DataFrame({"submission_id": [1, 2, 3, 1, 2, 3], "judge_id": [7, 7, 7, 8, 8, 8],
    ...                        "criterion": "overall", "value": [3, 5, 4, 9, 10, 10]})
    >>> j = Judging({"overall": 1.0}, shortlist=2).run(subs, judges, scores)
    >>> j.results_[["submission_id", "rank", "score", "judges", "conflicted", "shortlisted", "winner"]]
       submission_id  rank     score  judges  conflicted  shortlisted  winner
    0              2     1  1.112372       2           0         True    True
    1              3     2  0.000000       1           1         True   False
    2              1     3 -1.112372       2           0        False   False
    >>> j.excluded_.to_dict("records")
    [{'submission_id': 3, 'judge_id': 8, 'reason': 'works for organisation 30'}]
    """

    def __init__(self, rubric: Mapping[str, float], *, normalisation: str = "z", shortlist: int | None = None,
                 winners: int = 1) -> None:
        if not rubric:
            raise ValueError("the rubric has no criteria: give at least one, e.g. {'overall': 1}")
        for name, weight in rubric.items():
            if not isinstance(name, str) or not name.strip():
                raise ValueError(f"a rubric criterion must be a name, not {name!r}")
            if isinstance(weight, bool) or not isinstance(weight, int | float | np.number) \
                    or not np.isfinite(weight) or weight <= 0:
                raise ValueError(f"criterion {name!r}: the weight must be a number more than 0, not {weight!r}")
        if normalisation not in NORMALISATIONS:
            raise ValueError(f"normalisation {normalisation!r} is not one of {', '.join(NORMALISATIONS)}")
        if shortlist is not None and (isinstance(shortlist, bool) or not isinstance(shortlist, int | np.integer)
                                      or shortlist < 1):
            raise ValueError(f"the shortlist must be a whole number of at least 1 (or none), not {shortlist!r}")
        if isinstance(winners, bool) or not isinstance(winners, int | np.integer) or winners < 0:
            raise ValueError(f"winners must be a whole number of at least 0, not {winners!r}")
        if shortlist is not None and winners > shortlist:
            raise ValueError(f"{winners} winners cannot come from a shortlist of {shortlist}")
        self.rubric = {str(k): float(v) for k, v in rubric.items()}
        self.normalisation = normalisation
        self.shortlist = None if shortlist is None else int(shortlist)
        self.winners = int(winners)

    @property
    def heaviest(self) -> str:
        """The criterion with the largest weight (the first one listed when several share it)."""
        return max(self.rubric, key=self.rubric.__getitem__)

    # ------------------------------------------------------------------ run
    def run(self, submissions: pd.DataFrame, judges: pd.DataFrame, scores: pd.DataFrame) -> Judging:
        """Judge: recuse conflicts, total and normalise each judge's scores, rank, shortlist and pick winners.

        Parameters
        ----------
        submissions : columns id, organization_id, submitted_on (optional: title, organization).
        judges : columns id, name, organization_id, conflict_ids.
        scores : columns submission_id, judge_id, criterion, value.

        Returns
        -------
        Judging
            self, with ``results_``, ``judges_``, ``excluded_`` and ``notes_`` set.

        Raises
        ------
        ScoresRejected
            (a ValueError) naming every bad row: an unknown criterion, submission or judge, a value outside
            0–10, a second score for the same submission, judge and criterion, a repeated id.
        """
        subs = _table(submissions, "submissions", ("id", "organization_id", "submitted_on"))
        jury = _table(judges, "judges", ("id", "name", "organization_id", "conflict_ids"))
        marks = _table(scores, "scores", ("submission_id", "judge_id", "criterion", "value"))
        marks = self._checked(subs, jury, marks)
        self.notes_: list[str] = []
        self._jury_size = len(jury)
        if subs.empty:
            self.notes_.append("There are no submissions to judge.")

        labels = {_key(i): _submission_label(r) for i, r in zip(subs["id"], subs.to_dict("records"))}
        names = {_key(i): str(n) for i, n in zip(jury["id"], jury["name"])}
        self.excluded_ = self._recusals(subs, jury)
        recused = set(zip(self.excluded_["judge_id"].map(_key), self.excluded_["submission_id"].map(_key)))

        marks["_judge"] = marks["judge_id"].map(_key)
        marks["_sub"] = marks["submission_id"].map(_key)
        conflicted = np.fromiter((p in recused for p in zip(marks["_judge"], marks["_sub"])), bool, len(marks))
        if conflicted.any():
            pairs = marks.loc[conflicted, ["_judge", "_sub"]].drop_duplicates()
            self.notes_.append(f"{int(conflicted.sum())} {_plural(int(conflicted.sum()), 'score')} by judges with "
                               f"a conflict ({len(pairs)} {_plural(len(pairs), 'submission')}) "
                               f"{'was' if conflicted.sum() == 1 else 'were'} not used.")
        used = marks.loc[~conflicted].copy()
        used["value"] = used["value"].astype(float)
        used["weight"] = used["criterion"].map(self.rubric)

        totals = self._totals(used)
        totals["normalised"] = self._normalise(totals, "total", names, speak=True)
        heaviest = used.loc[used["criterion"] == self.heaviest, ["_judge", "_sub", "value"]]
        heaviest = heaviest.assign(normalised=self._normalise(heaviest, "value", names, speak=False))

        self.results_ = self._ranked(subs, totals, heaviest, labels)
        self.judges_ = self._per_judge(jury, totals)
        return self

    # ------------------------------------------------------------------ steps
    def _checked(self, subs: pd.DataFrame, jury: pd.DataFrame, marks: pd.DataFrame) -> pd.DataFrame:
        """The scores, or ScoresRejected listing every problem with the three tables (rows counted from 1)."""
        problems: list[Problem] = []
        for frame, name in ((subs, "submissions"), (jury, "judges")):
            keys = frame["id"].map(_key)
            if keys.isna().any():
                problems += [Problem(name, row=int(i) + 1, column="id", reason="has no id")
                             for i in np.flatnonzero(keys.isna().to_numpy())]
            for i in np.flatnonzero(keys.duplicated().to_numpy() & keys.notna().to_numpy()):
                problems.append(Problem(name, row=int(i) + 1, column="id",
                                        reason=f"id {frame['id'].iloc[i]} appears twice"))
        known_subs = set(subs["id"].map(_key))
        known_judges = set(jury["id"].map(_key))
        criteria = ", ".join(self.rubric)
        seen: set[tuple[Any, Any, str]] = set()
        for row, rec in enumerate(marks.to_dict("records"), start=1):
            sub, judge, criterion, value = (_key(rec["submission_id"]), _key(rec["judge_id"]), rec["criterion"],
                                            rec["value"])
            where = f"(submission {sub}, judge {judge})"
            if sub not in known_subs:
                problems.append(Problem("scores", row=row, column="submission_id",
                                        reason=f"submission {sub!r} is not one of this challenge's submissions"))
            if judge not in known_judges:
                problems.append(Problem("scores", row=row, column="judge_id",
                                        reason=f"judge {judge!r} is not one of this challenge's judges"))
            if criterion not in self.rubric:
                problems.append(Problem("scores", row=row, column="criterion",
                                        reason=f"{where} criterion {criterion!r} is not in the rubric ({criteria})"))
            number = _number(value)
            if _missing(value):
                problems.append(Problem("scores", row=row, column="value",
                                        reason=f"{where} has no value: give a score from 0 to 10"))
            elif number is None or not _LOWEST <= number <= _HIGHEST:
                problems.append(Problem("scores", row=row, column="value",
                                        reason=f"{where} {value!r} is not a score from 0 to 10"))
            if (sub, judge, criterion) in seen:
                problems.append(Problem("scores", row=row, column="criterion",
                                        reason=f"{where} a second score for {criterion!r}: one per criterion"))
            seen.add((sub, judge, criterion))
        if problems:
            raise ScoresRejected(problems)
        return marks.reset_index(drop=True)

    def _recusals(self, subs: pd.DataFrame, jury: pd.DataFrame) -> pd.DataFrame:
        """Every (submission, judge) pair where the judge works for, or declared a conflict with, its organisation."""
        orgs = [_key(o) for o in subs["organization_id"]]
        org_names = subs["organization"] if "organization" in subs else pd.Series([None] * len(subs))
        said = {o: (f"organisation {o}" if n is None or _missing(n) else str(n)) for o, n in zip(orgs, org_names)}
        rows = []
        for judge, employer, declared in zip(jury["id"], jury["organization_id"], jury["conflict_ids"]):
            employer, declared = _key(employer), {_key(c) for c in _ids(declared)}
            for sub, org in zip(subs["id"], orgs):
                if org is None:
                    continue
                if org == employer:
                    rows.append((sub, judge, f"works for {said[org]}"))
                elif org in declared:
                    rows.append((sub, judge, f"declared a conflict with {said[org]}"))
        return pd.DataFrame(rows, columns=EXCLUDED_COLUMNS).astype(
            {"submission_id": subs["id"].dtype, "judge_id": jury["id"].dtype} if rows else {})

    def _totals(self, used: pd.DataFrame) -> pd.DataFrame:
        """Each judge's weighted total per submission, weights normalised over the criteria they scored."""
        if used.empty:
            return pd.DataFrame({"_judge": [], "_sub": [], "total": []}).astype({"total": float})
        weighted = used.assign(points=used["weight"] * used["value"])
        sums = weighted.groupby(["_judge", "_sub"], sort=True)[["points", "weight"]].sum()
        # rounding lets totals that are equal on paper (0.5·10 + 0.3·8 + 0.2·8 = 9) compare equal
        return (sums["points"] / sums["weight"]).round(_PLACES + 3).rename("total").reset_index()

    def _normalise(self, frame: pd.DataFrame, column: str, names: dict, *, speak: bool) -> np.ndarray:
        """``column`` put on each judge's own scale (across the submissions they scored); notes when it cannot be."""
        out = np.zeros(len(frame))
        if frame.empty:
            return out
        for judge, at in frame.groupby("_judge", sort=True).indices.items():
            x = frame[column].to_numpy(float)[at]
            if self.normalisation == "raw":
                out[at] = x
                continue
            who = f"Judge {names.get(judge, judge)}"
            if len(x) == 1:
                if speak:
                    self.notes_.append(f"{who} scored one submission only, so their score cannot be set against "
                                       "others of theirs: it counts as 0 (their average).")
                continue
            if self.normalisation == "z":
                centre, spread = x.mean(), x.std()
            else:
                centre = float(np.median(x))
                spread = MAD_TO_SD * float(np.median(np.abs(x - centre)))
                if spread < _FLAT and np.abs(x - centre).mean() >= _FLAT:
                    spread = MEAN_AD_TO_SD * float(np.abs(x - centre).mean())
                    if speak:
                        self.notes_.append(f"{who} gave half or more of their submissions the same total, so their "
                                           "spread is the mean absolute deviation from the median (× 1.2533) "
                                           "instead of the MAD.")
            if spread < _FLAT:
                if speak:
                    self.notes_.append(f"{who} gave every submission they scored the same total "
                                       f"({_num(x[0])}), so their scores do not separate submissions: each counts "
                                       "as 0.")
                continue
            out[at] = (x - centre) / spread
        return out

    def _ranked(self, subs: pd.DataFrame, totals: pd.DataFrame, heaviest: pd.DataFrame,
                labels: dict) -> pd.DataFrame:
        """One row per submission, best first, with the tie-break that decided each place, shortlist and winners."""
        per = totals.groupby("_sub").agg(score=("normalised", "mean"), raw=("total", "mean"),
                                         judges=("_judge", "nunique"))
        heavy = heaviest.groupby("_sub")["normalised"].mean()
        recused = self.excluded_["submission_id"].map(_key).value_counts()
        table = pd.DataFrame({"submission_id": subs["id"].to_numpy(), "_sub": subs["id"].map(_key).to_numpy(),
                              "submitted_on": pd.to_datetime(subs["submitted_on"], errors="coerce").to_numpy()})
        table["score"] = table["_sub"].map(per["score"]).astype(float)
        table["raw"] = table["_sub"].map(per["raw"]).astype(float)
        table["judges"] = table["_sub"].map(per["judges"]).fillna(0).astype(int)
        table["conflicted"] = table["_sub"].map(recused).fillna(0).astype(int)
        table["_heavy"] = table["_sub"].map(heavy).astype(float)
        for name in ("score", "raw", "_heavy"):
            table["_k" + name] = table[name].round(_PLACES)
        table = table.sort_values(["_kscore", "judges", "_kraw", "_k_heavy", "submitted_on", "_sub"],
                                  ascending=[False, False, False, False, True, True], na_position="last",
                                  kind="mergesort").reset_index(drop=True)
        table["rank"] = np.arange(1, len(table) + 1)
        rows = table.to_dict("records")
        table["tie_break"] = pd.Series([""] + [self._tie_break(rows[i - 1], rows[i], labels)
                                               for i in range(1, len(rows))], dtype=object)[:len(table)]

        judged = table["score"].notna().to_numpy()
        for sub, n_conflicted in zip(table.loc[~judged, "_sub"], table.loc[~judged, "conflicted"]):
            everyone = n_conflicted and n_conflicted >= self._jury_size
            why = ("every judge has a conflict with its organisation" if everyone
                   else "no judge without a conflict has scored it")
            self.notes_.append(f"{_capital(labels[sub])} could not be judged ({why}): it is ranked last, "
                               "with no score.")
        place = np.cumsum(judged)
        if self.shortlist is None:
            table["shortlisted"] = False
            table["winner"] = judged & (place <= self.winners)
        else:
            table["shortlisted"] = judged & (place <= self.shortlist)
            table["winner"] = table["shortlisted"].to_numpy() & (place <= self.winners)
            if judged.sum() < self.shortlist and len(table):
                self.notes_.append(f"Only {int(judged.sum())} {_plural(int(judged.sum()), 'submission')} could be "
                                   f"judged, fewer than the shortlist of {self.shortlist}.")
        return table[RESULT_COLUMNS].astype({"rank": int, "judges": int, "conflicted": int, "shortlisted": bool,
                                            "winner": bool, "score": float, "raw": float})

    def _tie_break(self, above: dict, row: dict, labels: dict) -> str:
        """The rule that put ``above`` before ``row``, in words; "" when their scores differ."""
        if not _same(above["_kscore"], row["_kscore"]):
            return ""
        other = labels[above["_sub"]]
        if above["judges"] != row["judges"]:
            return f"more judges: {other} had {above['judges']}, this one {row['judges']}"
        if not _same(above["_kraw"], row["_kraw"]):
            return f"higher raw mean: {other} had {_num(above['raw'])}, this one {_num(row['raw'])}"
        if not _same(above["_k_heavy"], row["_k_heavy"]):
            return (f"higher score on the heaviest criterion ({self.heaviest}): {other} had "
                    f"{_num(above['_heavy'])}, this one {_num(row['_heavy'])}")
        a, b = above["submitted_on"], row["submitted_on"]
        if not (pd.isna(a) and pd.isna(b)) and (pd.isna(a) or pd.isna(b) or a != b):
            when = "an unknown date" if pd.isna(b) else f"{b:%Y-%m-%d}"
            return f"earlier submission: {other} came in on {a:%Y-%m-%d}, this one on {when}"
        return f"lower id: {other} has the lower id"

    def _per_judge(self, jury: pd.DataFrame, totals: pd.DataFrame) -> pd.DataFrame:
        stats = totals.groupby("_judge")["total"].agg(scored="count", mean="mean", sd=lambda x: x.std(ddof=0))
        recused = self.excluded_["judge_id"].map(_key).value_counts()
        keys = jury["id"].map(_key)
        return pd.DataFrame({
            "judge_id": jury["id"].to_numpy(), "name": jury["name"].astype(str).to_numpy(),
            "scored": keys.map(stats["scored"]).fillna(0).astype(int).to_numpy(),
            "mean": keys.map(stats["mean"]).astype(float).to_numpy(),
            "sd": keys.map(stats["sd"]).astype(float).to_numpy(),
            "excluded": keys.map(recused).fillna(0).astype(int).to_numpy()}, columns=JUDGE_COLUMNS)

    def __repr__(self) -> str:
        return (f"Judging({self.rubric!r}, normalisation={self.normalisation!r}, shortlist={self.shortlist!r}, "
                f"winners={self.winners!r})")


# ---------------------------------------------------------------------- helpers
def _table(frame: pd.DataFrame | None, name: str, columns: tuple[str, ...]) -> pd.DataFrame:
    """``frame`` with ``columns`` present (an empty frame may lack them), or ScoresRejected naming those missing."""
    frame = pd.DataFrame() if frame is None else pd.DataFrame(frame)
    missing = [c for c in columns if c not in frame.columns]
    if missing and len(frame):
        raise ScoresRejected([Problem(name, column=c, reason="is missing") for c in missing])
    for c in missing:
        frame[c] = pd.Series(dtype=object)
    return frame.reset_index(drop=True)


def _missing(x: Any) -> bool:
    if x is None:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def _key(x: Any) -> Any:
    """An id as one comparable value: None when missing, an int when it is a whole number (1, 1.0, np.int64(1))."""
    if _missing(x):
        return None
    if isinstance(x, bool):
        return x
    if isinstance(x, int | np.integer):
        return int(x)
    if isinstance(x, float | np.floating) and float(x).is_integer():
        return int(x)
    return x


def _ids(x: Any) -> Iterable[Any]:
    """A judge's declared conflicts as a list, whatever the frame holds (list, tuple, set, array, None, NaN)."""
    if x is None or isinstance(x, str | bytes):
        return [x] if isinstance(x, str | bytes) and x else []
    if isinstance(x, Iterable):
        return [c for c in x if not _missing(c)]
    return [] if _missing(x) else [x]


def _number(x: Any) -> float | None:
    if isinstance(x, bool) or _missing(x):
        return None
    try:
        value = float(x)
    except (TypeError, ValueError):
        return None
    return value if np.isfinite(value) else None


def _same(a: float, b: float) -> bool:
    return (pd.isna(a) and pd.isna(b)) or a == b


def _num(x: float) -> str:
    return "no score" if pd.isna(x) else f"{x:.3g}"


def _plural(n: int, word: str) -> str:
    return word if n == 1 else word + "s"


def _submission_label(rec: dict) -> str:
    title = rec.get("title")
    return f"submission {_key(rec['id'])}" + ("" if title is None or _missing(title) else f" ({title})")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
