"""HR@10, NDCG@10 and MRR over padded groups, defined as ``src/offline/metrics.rs`` does.

``train.py`` checks that the server-order and rule numbers computed here equal the ones
``vitrine-dataset`` computed in Rust, so the model's numbers are comparable with them.
"""

from __future__ import annotations

import numpy as np

from dataset import Groups

CUTOFF = 10


def target_ranks(scores: np.ndarray, groups: Groups) -> np.ndarray:
    """1-based rank of each target: by descending score, ties in server order, non-finite
    scores below every finite one. ``scores`` is ``[G, L]``; padding is ignored."""
    s = np.where(np.isfinite(scores), scores, -np.inf)
    rows = np.arange(len(groups))
    own = s[rows, groups.target][:, None]
    positions = np.arange(s.shape[1])[None, :]
    ahead = (s > own) | ((s == own) & (positions < groups.target[:, None]))
    return 1 + (ahead & groups.mask).sum(axis=1)


def summarize(ranks: np.ndarray, new: np.ndarray) -> dict[str, float | int]:
    """The six metrics (all targets, and ``_new`` for those new to their session)."""

    def three(r: np.ndarray) -> tuple[float, float, float]:
        if len(r) == 0:
            return 0.0, 0.0, 0.0
        hit = r <= CUTOFF
        gain = np.where(hit, 1.0 / np.log2(1.0 + r), 0.0)
        return float(hit.mean()), float(gain.mean()), float((1.0 / r).mean())

    hr, ndcg, mrr = three(ranks)
    hr_new, ndcg_new, mrr_new = three(ranks[new])
    return {
        "hr@10": hr,
        "ndcg@10": ndcg,
        "mrr": mrr,
        "hr@10_new": hr_new,
        "ndcg@10_new": ndcg_new,
        "mrr_new": mrr_new,
        "groups": int(len(ranks)),
        "groups_new": int(new.sum()),
    }


def evaluate(scores: np.ndarray, groups: Groups) -> dict[str, float | int]:
    """The six metrics of ``scores`` ([G, L]) on ``groups``."""
    return summarize(target_ranks(scores, groups), groups.target_new)


def server_scores(groups: Groups) -> np.ndarray:
    """Scores that reproduce the server order: higher for earlier positions."""
    return np.broadcast_to(-np.arange(groups.mask.shape[1], dtype=np.float64), groups.mask.shape)
