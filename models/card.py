"""Write ``MODEL_CARD.md`` and its figure from what ``train.py`` measured.

The card is generated, never edited by hand: every number in it comes from the training run
that wrote ``ranker.onnx``, so the two cannot drift apart. The figure is a plain SVG drawn
here (no plotting library, so the bytes are reproducible and the dependency list stays
short): held-out NDCG@10 and HR@10 of the three rankers, then validation NDCG@10 by epoch.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

RANKERS = ("server", "rule", "model")
COLOURS = {"server": "#9aa5b1", "rule": "#e0a040", "model": "#2f6fb0"}
PANELS = (("ndcg@10", "NDCG@10"), ("ndcg@10_new", "NDCG@10, new"), ("hr@10", "HR@10"))


def _bars(metrics: dict, left: float, top: float, width: float, height: float) -> list[str]:
    """Grouped bars, one group per metric of ``PANELS``, one bar per ranker; scale 0..1."""
    out = [f'<text x="{left}" y="{top - 8}" class="title">Held-out test split</text>']
    base = top + height
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = base - tick * height
        out.append(
            f'<line x1="{left}" x2="{left + width}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
        )
        out.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" class="tick" text-anchor="end">{tick:.2f}</text>'
        )
    group_width = width / len(PANELS)
    bar = group_width / (len(RANKERS) + 1.5)
    for g, (key, label) in enumerate(PANELS):
        x0 = left + g * group_width + bar * 0.75
        for r, ranker in enumerate(RANKERS):
            value = metrics[ranker][key]
            x, h = x0 + r * bar, value * height
            out.append(
                f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar * 0.9:.1f}" '
                f'height="{h:.1f}" fill="{COLOURS[ranker]}"/>'
            )
            out.append(
                f'<text x="{x + bar * 0.45:.1f}" y="{base - h - 4:.1f}" class="value" '
                f'text-anchor="middle">{value:.3f}</text>'
            )
        out.append(
            f'<text x="{x0 + bar * 1.5:.1f}" y="{base + 16}" class="tick" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    for r, ranker in enumerate(RANKERS):
        x = left + r * 90
        out.append(
            f'<rect x="{x}" y="{base + 28}" width="12" height="12" fill="{COLOURS[ranker]}"/>'
        )
        out.append(f'<text x="{x + 16}" y="{base + 38}" class="tick">{ranker}</text>')
    return out


def _curves(histories: dict, left: float, top: float, width: float, height: float) -> list[str]:
    """Validation NDCG@10 per epoch, one line per trained architecture."""
    out = [f'<text x="{left}" y="{top - 8}" class="title">Validation NDCG@10 by epoch</text>']
    values = [h["ndcg@10"] for history in histories.values() for h in history]
    low, high = min(values), max(values)
    span = max(high - low, 1e-6)
    low, high = low - 0.1 * span, high + 0.1 * span
    epochs = max(len(history) for history in histories.values())
    base = top + height

    def point(epoch: int, value: float) -> str:
        x = left + (epoch - 1) / max(epochs - 1, 1) * width
        y = base - (value - low) / (high - low) * height
        return f"{x:.1f},{y:.1f}"

    for frac in (0.0, 0.5, 1.0):
        value = low + frac * (high - low)
        y = base - frac * height
        out.append(
            f'<line x1="{left}" x2="{left + width}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
        )
        out.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" class="tick" '
            f'text-anchor="end">{value:.3f}</text>'
        )
    out.append(
        f'<text x="{left + width / 2}" y="{base + 16}" class="tick" '
        f'text-anchor="middle">epoch (1 to {epochs})</text>'
    )
    dashes = ["", ' stroke-dasharray="5 3"']
    for i, (name, history) in enumerate(histories.items()):
        points = " ".join(point(h["epoch"], h["ndcg@10"]) for h in history)
        out.append(
            f'<polyline points="{points}" fill="none" stroke="#333" '
            f'stroke-width="1.5"{dashes[i % 2]}/>'
        )
        last = history[-1]
        x, y = point(last["epoch"], last["ndcg@10"]).split(",")
        out.append(f'<text x="{float(x) + 4}" y="{y}" class="tick">{escape(name)}</text>')
    return out


def figure(metrics: dict, histories: dict) -> str:
    """The card's SVG: bars on the left, training curves on the right."""
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="860" height="300" '
        'viewBox="0 0 860 300" font-family="sans-serif">',
        "<style>.title{font-size:13px;font-weight:bold}.tick{font-size:11px;fill:#333}"
        ".value{font-size:9px;fill:#333}.grid{stroke:#ddd;stroke-width:1}</style>",
        '<rect width="860" height="300" fill="white"/>',
        *_bars(metrics, left=50, top=30, width=380, height=200),
        *_curves(histories, left=520, top=30, width=280, height=200),
        "</svg>",
    ]
    return "\n".join(parts) + "\n"


def _metrics_table(metrics: dict) -> str:
    keys = ["hr@10", "ndcg@10", "mrr", "hr@10_new", "ndcg@10_new", "mrr_new"]
    lines = ["| ranker | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
    for ranker in RANKERS:
        lines.append(
            f"| {ranker} | " + " | ".join(f"{metrics[ranker][k]:.3f}" for k in keys) + " |"
        )
    return "\n".join(lines)


def _importance_table(importance: dict) -> str:
    lines = ["| feature | NDCG@10 lost when shuffled |", "|---|---|"]
    for name, drop in sorted(importance.items(), key=lambda kv: -kv[1]):
        lines.append(f"| `{name}` | {drop:+.4f} |")
    return "\n".join(lines)


def _others_table(others: dict) -> str:
    if not others:
        return "Not measured in this run (`train.py --eval-command none`)."
    lines = [
        "| log | ranker | HR@10 | NDCG@10 | MRR | NDCG@10 new | lists |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, result in others.items():
        for ranker in ("server", "copurchase", "rule", "model"):
            if ranker not in result:
                continue
            m = result[ranker]
            lines.append(
                f"| {name} | {ranker} | {m['hr10']:.3f} | {m['ndcg10']:.3f} | {m['mrr']:.3f} "
                f"| {m['ndcg10_new']:.3f} | {m['groups']} |"
            )
    lines.append("")
    for name, result in others.items():
        gap = result["model"]["ndcg10"] - result["rule"]["ndcg10"]
        verdict = "beats" if gap > 0.01 else "loses to" if gap < -0.01 else "ties"
        lines.append(f"- {name}: the model {verdict} the rule (NDCG@10 {gap:+.3f}).")
    return "\n".join(lines)


def card(metrics: dict, importance: dict, figure_name: str, others: dict) -> str:
    """The text of ``MODEL_CARD.md``."""
    info, test, ci = metrics["model_info"], metrics["test"], metrics["model_minus_rule_95ci"]
    rule, model = metrics["rule"], metrics["model"]
    beats = ci["ndcg@10"]["low"] > 0
    verdict = (
        f"**The model beats the hand rule**: NDCG@10 {model['ndcg@10']:.3f} against "
        f"{rule['ndcg@10']:.3f}, a paired difference of {ci['ndcg@10']['mean']:+.3f} (95% "
        f"bootstrap interval {ci['ndcg@10']['low']:+.3f} to {ci['ndcg@10']['high']:+.3f}); "
        f"on targets new to the session {model['ndcg@10_new']:.3f} against "
        f"{rule['ndcg@10_new']:.3f}."
        if beats
        else f"**The model does not beat the hand rule** with confidence: the paired NDCG@10 "
        f"difference is {ci['ndcg@10']['mean']:+.3f} (95% bootstrap interval "
        f"{ci['ndcg@10']['low']:+.3f} to {ci['ndcg@10']['high']:+.3f}). Ship the rule."
    )
    protocol = metrics["protocol"]
    return f"""# Model card: `ranker.onnx`

*Generated by `models/train.py` (`make model`); do not edit by hand.*

## What it is
- Architecture `{info["architecture"]}` (ReLU), trained in numpy with a
  {info["objective"]} objective; {info["bytes"]:,} bytes of ONNX (budget 50 KB), sha256
  `{info["sha256"][:16]}…`.
- Input `features` `[N, {len(importance)}]` float32 in the order of feature contract
  version {protocol["feature_version"]} (`feature_contract.json`); output `score` `[N, 1]`.
  Any N from 1 up; the SDK checks the contract at load.
- Chosen by validation NDCG@10 over a linear model and the MLP; best epoch
  {info["best_epoch"]}, seed {info["seed"]}.

## Intended use
Re-ranking, in the shopper's browser, the items a store's page already shows (search
results, recommendations, cart suggestions), from that shopper's own on-device profile. The
score is blended with the server's order (`personalWeight`), pinned items never move and a
brand cap can apply. It is not meant to rank a whole catalogue or to run on a server over
many shoppers' data.

## Data
{metrics["data"]}.

Sessions are split by time: the last 20% are the test split, and the last 15% of training
groups (in time) choose the epoch and architecture. Features are computed
only by the SDK's Rust code (`vitrine-dataset`), so training and the browser cannot differ.

## Evaluation protocol
For each event t ≥ 1 of a test session the target is the product of event t; the history
is the session before t plus the shopper's earlier sessions; the {protocol["candidates"]}
candidates are the target, up to {protocol["from_category"]} products of its category and
popularity-weighted draws from the training catalogue (fixed seed); the server order is
training popularity. {test["groups"]:,} test lists, {test["groups_new"]:,} of them with a
target new to the session. `cargo run --release --bin vitrine-eval` computes the same
metrics on any REES46-format file.

## Results (held out)
{_metrics_table(metrics)}

{verdict}

![Held-out metrics and validation curves]({figure_name})

## On other stores
The same model and rule, unchanged, on two other public logs, by `vitrine-eval` (same
protocol; each log split by time, last 20% of sessions as test). Diginetica has no brands or
prices, so those features are zero there; Online Retail has no categories, and its task is
completing a basket (one hidden line per list), where the server order is popularity and a
co-purchase table (`copurchase.json`, from the training invoices) is a fourth ranker.

{_others_table(others)}

## Which features matter
Permutation importance on the test split: each feature is shuffled across the candidates
of every list (fixed seed) and the model re-scored.

{_importance_table(importance)}

## Limitations
- Three hours of one store's traffic (REES46, 2019-10-01): the model has not seen seasonal
  or other stores' behaviour; retrain on the store's own logs before trusting it there.
- No co-view or co-purchase feature yet: the contract carries only what one shopper's
  profile knows. Global item-item statistics would have to ship to every browser; the
  basket-completion evaluation of `vitrine-eval --format online-retail` measures what a
  co-purchase table buys before it enters the contract.
- `server_rank_log` and `server_rank_frac` depend on list length; training lists have 100
  candidates, real widgets 20 to 60.
- `in_cart` is almost never 1 in this data (carts are about 1% of events).
"""


def write(
    out_dir: Path, metrics: dict, histories: dict, importance: dict, others: dict
) -> list[Path]:
    """Writes ``MODEL_CARD.md`` and ``model_card.svg`` into ``out_dir``."""
    svg = out_dir / "model_card.svg"
    svg.write_text(figure(metrics, histories))
    md = out_dir / "MODEL_CARD.md"
    md.write_text(card(metrics, importance, svg.name, others))
    return [md, svg]
