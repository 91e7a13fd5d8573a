"""PLACEHOLDER scorer: keyword rules standing behind the scoring seam.

It exists so that the foundation runs end to end before the fine-tuned
classifier (issue 4) lands. Keywords are exactly what LABELS.md warns against
("retaliation" appears at every level), so do not read much into its scores.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..models import LABELS, Score
from . import escalation

_CUES: tuple[tuple[int, re.Pattern[str]], ...] = (
    (
        3,
        re.compile(
            r"\b(countermeasures?|retaliat\w*|will impose|ready to (use|sell)|card we hold|sanction\w*|ban)\b", re.I
        ),
    ),
    (
        2,
        re.compile(r"\b(unacceptable|must|demand\w*|warn\w*|will not accept|red line|on the table|concern\w*)\b", re.I),
    ),
    (0, re.compile(r"\b(agree\w*|constructive|progress|no intention|truce|welcome\w*|deal|friend\w*|calm)\b", re.I)),
)
_INSTRUMENTS: dict[str, re.Pattern[str]] = {
    "treasury_holdings": re.compile(
        r"\b(treasur(y|ies) holdings|holdings of (us )?treasur|bond holdings|treasuries)\b", re.I
    ),
    "tariffs": re.compile(r"\b(tariffs?|duties|levies|levy)\b", re.I),
    "currency": re.compile(r"\b(yen|yuan|currenc\w+|exchange rates?|intervention|fx)\b", re.I),
    "export_controls": re.compile(r"\b(export (controls?|bans?|licen[cs]\w*)|entity list|chips?)\b", re.I),
    "sanctions": re.compile(r"\b(sanctions?|asset freezes?|blacklist\w*)\b", re.I),
    "critical_minerals": re.compile(r"\b(rare earths?|critical minerals?|gallium|germanium|lithium)\b", re.I),
    "market_access": re.compile(r"\b(market access|procurement|agricultur\w+|rice|autos?|market opening)\b", re.I),
    "energy": re.compile(r"\b(lng|oil|gas|energy)\b", re.I),
    "investment": re.compile(r"\b(invest\w*)\b", re.I),
}


class PlaceholderScorer:
    name = "placeholder-keywords"
    version = "0"

    def score(self, texts: Sequence[str]) -> list[Score]:
        return [self._one(text) for text in texts]

    def _one(self, text: str) -> Score:
        level = next((lvl for lvl, cue in _CUES if cue.search(text)), 1)
        probs = {label: (0.7 if i == level else 0.1) for i, label in enumerate(LABELS)}
        return Score(
            level=level,
            label=LABELS[level],
            escalation=round(escalation(probs), 4),
            probs=probs,
            instruments=[tag for tag, cue in _INSTRUMENTS.items() if cue.search(text)],
            model=self.name,
            model_version=self.version,
        )
