"""Reciprocal-rank fusion of ranked lists, with an optional multiplicative boost per item.

RRF (Cormack et al., 2009): score(d) = sum over lists of 1 / (k + rank(d)), rank 1-based. It needs no score
calibration between BM25 and cosine, which is why it is used here. The boost hook lets a caller lift items it
has other evidence for (the repo map's most referenced definitions, say): ``score *= 1 + boost(item)``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

RRF_K = 60
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Fused(Generic[K]):
    key: K
    score: float
    ranks: dict[str, int] = field(default_factory=dict)  # list name -> 1-based rank in that list


def reciprocal_rank_fusion(
    rankings: Mapping[str, Sequence[K]],
    *,
    k: int = RRF_K,
    boost: Callable[[K], float] | None = None,
) -> list[Fused[K]]:
    """Fuse named rankings (best first). Ties keep the order of first appearance."""
    scores: dict[K, float] = {}
    ranks: dict[K, dict[str, int]] = {}
    for name, ranking in rankings.items():
        for rank, key in enumerate(ranking, start=1):
            if name in ranks.setdefault(key, {}):
                continue  # a duplicate inside one list counts once, at its best rank
            ranks[key][name] = rank
            scores[key] = scores.get(key, 0.0) + 1.0 / (k + rank)
    if boost is not None:
        for key in scores:
            factor = boost(key)
            if factor:
                scores[key] *= 1.0 + factor
    order = sorted(scores, key=lambda key: -scores[key])
    return [Fused(key, scores[key], ranks[key]) for key in order]
