"""The partnership scorecard: evaluators' ratings on the four criteria, where they agree and conflict, a weighted
total with a verdict and its reasons, and the score's history."""

from __future__ import annotations

import pandas as pd

from ..domain import QUESTIONS, Criterion, Verdict

__all__ = ["Scorecard", "RATING_COLUMNS"]

#: The columns of the ratings a scorecard reads (one row per evaluator, date and question).
RATING_COLUMNS = ["evaluator", "date", "question", "score", "evidence", "comment"]
_CRITERION = {q.code: q.criterion.value for q in QUESTIONS}
_TEXT = {q.code: q.text for q in QUESTIONS}
_TITLE = {c.value: c.value.replace("_", " ") for c in Criterion}


class Scorecard:
    """Score a partnership from its evaluators' ratings (1–5) and, where nobody rated a criterion, from the data
    indicators' suggestions.

    Each evaluator's latest assessment counts. A criterion's score is the mean over evaluators of their mean
    rating on its questions; the total is the weighted mean of the criteria. Evaluators *conflict* on a question
    when their ratings are ``conflict`` or more apart (the Nuffield tool's point: show where partners disagree).
    Verdict: *decline* below ``decline``; *pursue* at ``pursue`` or above with no criterion below ``decline``
    and no conflict; otherwise *pursue with conditions* — the reasons say which.

    Examples
    --------
    >>> ratings = pd.DataFrame({"evaluator": ["Ana", "Ana", "Marek", "Marek"], "date": ["2026-01-10"] * 4,
    ...                         "question": ["A1", "F2", "A1", "F2"], "score": [5, 2, 4, 5]})
    >>> card = Scorecard().run(ratings)
    >>> card.agreement_[["question", "spread", "status"]].values.tolist()
    [['A1', 1, 'agree'], ['F2', 3, 'conflict']]
    >>> card.verdict_.value
    'pursue_with_conditions'
    """

    def __init__(self, *, weights: dict[str, float] | None = None, conflict: int = 2, pursue: float = 3.5,
                 decline: float = 2.5) -> None:
        weights = {Criterion(k).value: float(v) for k, v in (weights or {}).items()}
        if any(v < 0 for v in weights.values()) or (weights and not sum(weights.values()) > 0):
            raise ValueError("criterion weights must be ≥ 0 and not all 0")
        self.weights = {c.value: weights.get(c.value, 0.0 if weights else 1.0) for c in Criterion}
        self.conflict, self.pursue, self.decline = conflict, pursue, decline

    def run(self, ratings: pd.DataFrame, indicators: pd.DataFrame | None = None) -> Scorecard:
        """Read ``ratings`` (:data:`RATING_COLUMNS`) and optional ``indicators`` (criterion, suggested)."""
        ratings = ratings.copy()
        ratings["date"] = pd.to_datetime(ratings["date"])
        ratings["criterion"] = ratings["question"].map(_CRITERION)
        suggested = (indicators.groupby("criterion")["suggested"].mean() if indicators is not None and len(indicators)
                     else pd.Series(dtype=float))
        latest = self._latest(ratings, ratings["date"].max() if len(ratings) else None)
        self.criteria_, self.total_ = self._criteria(latest, suggested)
        self.agreement_ = self._agreement(latest)
        self.verdict_, self.reasons_ = self._verdict()
        self.history_ = pd.DataFrame(
            [{"date": day.date(), "evaluators": self._latest(ratings, day)["evaluator"].nunique(),
              "total": self._criteria(self._latest(ratings, day), suggested)[1]}
             for day in sorted(ratings["date"].unique())], columns=["date", "evaluators", "total"])
        return self

    @staticmethod
    def _latest(ratings: pd.DataFrame, day) -> pd.DataFrame:
        if day is None:
            return ratings
        upto = ratings[ratings["date"] <= day]
        last = upto.groupby("evaluator")["date"].transform("max")
        return upto[upto["date"] == last]

    def _criteria(self, latest: pd.DataFrame, suggested: pd.Series) -> tuple[pd.DataFrame, float | None]:
        per_evaluator = latest.groupby(["criterion", "evaluator"])["score"].mean().unstack("evaluator")
        rows = []
        for c in Criterion:
            c = c.value
            scores = per_evaluator.loc[c].dropna() if c in per_evaluator.index else pd.Series(dtype=float)
            rated = float(scores.mean()) if len(scores) else None
            hint = float(suggested[c]) if c in suggested.index else None
            rows.append({"criterion": c, "weight": self.weights[c], "rated": rated,
                         **{f"by {e}": float(v) for e, v in scores.items()}, "suggested": hint,
                         "score": rated if rated is not None else hint,
                         "source": "ratings" if rated is not None else "indicators" if hint is not None else "none"})
        table = pd.DataFrame(rows)
        used = table[table["score"].notna() & (table["weight"] > 0)]
        total = float((used["score"] * used["weight"]).sum() / used["weight"].sum()) if len(used) else None
        return table, total

    def _agreement(self, latest: pd.DataFrame) -> pd.DataFrame:
        wide = latest.pivot_table(index="question", columns="evaluator", values="score", aggfunc="last")
        out = pd.DataFrame({"question": wide.index, "criterion": wide.index.map(_CRITERION),
                            "text": wide.index.map(_TEXT)})
        for e in wide.columns:
            out[e] = wide[e].to_numpy()
        spread = (wide.max(axis=1) - wide.min(axis=1)).astype(int).to_numpy() if len(wide) else []
        out["spread"] = spread
        out["status"] = ["conflict" if s >= self.conflict else "agree" for s in spread]
        return out.reset_index(drop=True)

    def _verdict(self) -> tuple[Verdict | None, list[str]]:
        if self.total_ is None:
            return None, ["nothing rated and no indicator: rate the scorecard or declare KPIs"]
        reasons = [f"weighted total {self.total_:.2f} of 5"]
        scored = self.criteria_[self.criteria_["score"].notna()]
        best = scored.loc[scored["score"].idxmax()]
        worst = scored.loc[scored["score"].idxmin()]
        reasons.append(f"strongest: {_TITLE[best['criterion']]} ({best['score']:.1f})")
        weak = scored[scored["score"] < self.decline]
        for _, row in weak.iterrows():
            reasons.append(f"weak: {_TITLE[row['criterion']]} ({row['score']:.1f}, below {self.decline})")
        if worst["score"] >= self.decline:
            reasons.append(f"weakest: {_TITLE[worst['criterion']]} ({worst['score']:.1f})")
        for c in self.criteria_.loc[self.criteria_["source"] == "indicators", "criterion"]:
            reasons.append(f"{_TITLE[c]} not rated yet: the data indicators stand in")
        conflicts = self.agreement_[self.agreement_["status"] == "conflict"]
        for _, row in conflicts.iterrows():
            scores = {k: row[k] for k in self.agreement_.columns
                      if k not in ("question", "criterion", "text", "spread", "status") and pd.notna(row[k])}
            reasons.append(f"evaluators conflict on {row['question']} ({row['text']}): "
                           + ", ".join(f"{k} {int(v)}" for k, v in scores.items()))
        if self.total_ < self.decline:
            return Verdict.decline, reasons
        if self.total_ >= self.pursue and weak.empty and conflicts.empty:
            return Verdict.pursue, reasons
        return Verdict.pursue_with_conditions, reasons
