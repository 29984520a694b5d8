"""Train Vitrine's ranking model on rows that ``vitrine-dataset`` computed, and export it.

    models/.venv/bin/python models/train.py [--rees46 CSV | --data DIR] [--out-dir models]

Steps: run ``vitrine-dataset`` (or read its output from ``--data``); check that the metrics
computed here for the server order and the rule equal those Rust computed; train a linear
and a 13-16-1 MLP scorer with a listwise softmax objective, choosing on a validation part of
train (the last sessions in time); export the chosen one to ONNX; check it in onnxruntime
against the numpy forward pass; and write ``ranker.onnx``, ``golden.json``,
``golden_inputs.json`` and ``metrics.json``. Fixed seeds: the same data gives the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

import card
import export
import listwise
from dataset import (
    FEATURE_VERSION,
    FEATURES,
    MODELS,
    RELEASE_COMMAND,
    REPO,
    Groups,
    load_groups,
    run_vitrine_dataset,
)
from ranking import CUTOFF, evaluate, server_scores, target_ranks

SHARED_DATA = REPO.parent / "shared" / "data"
DEFAULT_REES46 = SHARED_DATA / "rees46" / "2019-10-01-sessions.csv"
EVAL_COMMAND = "cargo run --release --quiet --bin vitrine-eval --"
# The other stores' logs the card reports on: format, log, extra vitrine-eval arguments.
OTHER_LOGS = {
    "Diginetica (views, search-driven shop)": (
        "diginetica",
        SHARED_DATA / "diginetica" / "train-item-views-sample.csv",
        ["--categories", str(SHARED_DATA / "diginetica" / "product-categories.csv")],
    ),
    "Online Retail (basket completion)": (
        "online-retail",
        SHARED_DATA / "online-retail" / "2010-12-01-to-07-baskets.csv",
        [],
    ),
}
VALIDATION_SHARE = 0.15
MAX_MODEL_BYTES = 50 * 1024
TOLERANCE = 1e-5
DATA_CREDIT = (
    "REES46 Marketing Platform / Open CDP, 'eCommerce behavior data from multi category "
    "store' (Kaggle), 2019-10-01 00:00-02:50 UTC slice"
)
CANDIDATES = {
    "linear": listwise.Config(hidden=()),
    "mlp-13-16-1": listwise.Config(hidden=(16,)),
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rees46", type=Path, default=DEFAULT_REES46, help="REES46 CSV to replay")
    p.add_argument("--data", type=Path, help="use this vitrine-dataset output instead")
    p.add_argument("--build-dir", type=Path, default=MODELS / "build")
    p.add_argument("--out-dir", type=Path, default=MODELS)
    p.add_argument("--dataset-command", default=RELEASE_COMMAND)
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--eval-command",
        default=EVAL_COMMAND,
        help="vitrine-eval, run on the other stores' logs for the model card; 'none' skips",
    )
    return p.parse_args(argv)


def check_against_rust(name: str, groups: Groups, rust: dict) -> dict:
    """The server and rule metrics computed here must equal Rust's (same definitions)."""
    ours = {
        "server": evaluate(server_scores(groups), groups),
        "rule": evaluate(groups.rule, groups),
    }
    for scorer, metrics in ours.items():
        for key, value in metrics.items():
            if abs(value - rust[scorer][key]) > 1e-9:
                raise SystemExit(
                    f"{name} {scorer} {key}: Python gives {value}, Rust gave {rust[scorer][key]}"
                )
    return ours


def split_validation(train: Groups) -> tuple[Groups, Groups]:
    """Groups are in session start order, so the last ones are the latest in time."""
    cut = int(round(len(train) * (1.0 - VALIDATION_SHARE)))
    return train.subset(slice(0, cut)), train.subset(slice(cut, None))


def choose_model(fit: Groups, valid: Groups, epochs: int, seed: int) -> tuple[str, dict]:
    results = {}
    for name, config in CANDIDATES.items():
        config.epochs, config.seed = epochs, seed
        log(f"training {name} on {len(fit)} groups, validating on {len(valid)}")
        results[name] = listwise.train(fit, valid, config, name)
    chosen = max(results, key=lambda n: results[n].validation["ndcg@10"])
    for name, result in results.items():
        log(
            f"{name}: best epoch {result.best_epoch}, validation NDCG@10 "
            f"{result.validation['ndcg@10']:.4f}{'  <- chosen' if name == chosen else ''}"
        )
    return chosen, results


def build_onnx(name: str, layers: listwise.Layers) -> onnx.ModelProto:
    metadata = {
        "vitrine.feature_version": str(FEATURE_VERSION),
        "vitrine.features": ",".join(FEATURES),
        "vitrine.model": f"{name}, listwise softmax, numpy",
        "vitrine.data": DATA_CREDIT,
    }
    return export.dense_graph_model(layers, metadata)


def check_onnx(path: Path, layers: listwise.Layers, rows: np.ndarray) -> ort.InferenceSession:
    """Loads the file in onnxruntime and compares it with the numpy forward pass."""
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (inp,), (out,) = session.get_inputs(), session.get_outputs()
    if (inp.name, out.name) != ("features", "score") or inp.shape != ["N", len(FEATURES)]:
        raise SystemExit(f"exported model has {inp.name}{inp.shape} -> {out.name}{out.shape}")
    meta = session.get_modelmeta().custom_metadata_map
    if meta.get("vitrine.feature_version") != str(FEATURE_VERSION):
        raise SystemExit(f"exported model metadata: {meta}")
    got = session.run(["score"], {"features": rows})[0]
    want = export.forward(layers, rows)
    worst = float(np.max(np.abs(got - want)))
    if worst > TOLERANCE:
        raise SystemExit(f"onnxruntime and numpy disagree by {worst}")
    log(f"onnxruntime matches numpy on {len(rows)} rows (max |diff| {worst:.2e})")
    return session


def ort_scores(session: ort.InferenceSession, groups: Groups) -> np.ndarray:
    g, length, width = groups.features.shape
    flat = groups.features.reshape(g * length, width)
    return session.run(["score"], {"features": flat})[0].reshape(g, length)


def write_golden(session: ort.InferenceSession, data_dir: Path, out_dir: Path, sha: str) -> None:
    inputs_path = data_dir / "golden_inputs.json"
    inputs = json.loads(inputs_path.read_text())
    if inputs["features"] != FEATURES or inputs["feature_version"] != FEATURE_VERSION:
        raise SystemExit(f"{inputs_path} was made for another feature contract")
    if inputs_path.resolve() != (out_dir / "golden_inputs.json").resolve():
        shutil.copyfile(inputs_path, out_dir / "golden_inputs.json")
    groups = []
    for group in inputs["groups"]:
        rows = np.asarray(group["rows"], dtype=np.float32).reshape(-1, len(FEATURES))
        scores = session.run(["score"], {"features": rows})[0].reshape(-1)
        groups.append({**group, "scores": [float(s) for s in scores]})
    golden = {
        "about": "Expected scores of models/ranker.onnx on real feature rows, from "
        "onnxruntime; tests/golden.rs checks tract against them.",
        "model": "ranker.onnx",
        "model_sha256": sha,
        "tolerance": TOLERANCE,
        "feature_version": FEATURE_VERSION,
        "features": FEATURES,
        "groups": groups,
    }
    (out_dir / "golden.json").write_text(json.dumps(golden, indent=2) + "\n")
    log(f"wrote golden.json: {sum(len(g['scores']) for g in groups)} scores")


def paired_bootstrap(model: np.ndarray, rule: np.ndarray, groups: Groups, seed: int) -> dict:
    """95% intervals of model minus rule, resampling test groups (1000 draws, fixed seed)."""
    per_group = {}
    for name, scores in (("model", model), ("rule", rule)):
        ranks = target_ranks(scores, groups).astype(np.float64)
        per_group[name] = {
            "ndcg@10": np.where(ranks <= CUTOFF, 1.0 / np.log2(1.0 + ranks), 0.0),
            "mrr": 1.0 / ranks,
        }
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(groups), size=(1000, len(groups)))
    out = {}
    for key in ("ndcg@10", "mrr"):
        diff = per_group["model"][key] - per_group["rule"][key]
        means = diff[draws].mean(axis=1)
        low, high = np.percentile(means, [2.5, 97.5])
        out[key] = {"mean": float(diff.mean()), "low": float(low), "high": float(high)}
    return out


def permutation_importance(layers: listwise.Layers, groups: Groups, seed: int) -> dict:
    """NDCG@10 lost when one feature is shuffled across the candidates of each list."""
    g, length, width = groups.features.shape

    def ndcg(features: np.ndarray) -> float:
        scores = export.forward(layers, features.reshape(g * length, width)).reshape(g, length)
        return evaluate(scores, groups)["ndcg@10"]

    base = ndcg(groups.features)
    rng = np.random.default_rng(seed)
    real = [np.flatnonzero(groups.mask[i]) for i in range(g)]
    importance = {}
    for f, name in enumerate(FEATURES):
        shuffled = groups.features.copy()
        for i, positions in enumerate(real):
            shuffled[i, positions, f] = groups.features[i, rng.permutation(positions), f]
        importance[name] = base - ndcg(shuffled)
    return importance


def other_logs(command: str, build_dir: Path) -> dict:
    """``vitrine-eval --json`` on each other store's log, split by time like REES46."""
    results = {}
    if command == "none":
        return results
    for name, (fmt, log_path, extra) in OTHER_LOGS.items():
        if not log_path.exists():
            log(f"{log_path} is missing: the card leaves out {name}")
            continue
        build_dir = build_dir.resolve()
        train_csv, test_csv = build_dir / f"{fmt}-train.csv", build_dir / f"{fmt}-test.csv"
        base = shlex.split(command) + ["--format", fmt]
        log(f"vitrine-eval on {name}")
        split = ["--split", str(log_path), "--write-train", str(train_csv)]
        subprocess.run(base + split + ["--write-test", str(test_csv)], cwd=REPO, check=True)
        evaluate_args = ["--train", str(train_csv), "--test", str(test_csv), "--json", *extra]
        run = subprocess.run(
            base + evaluate_args, cwd=REPO, check=True, capture_output=True, text=True
        )
        results[name] = json.loads(run.stdout)
    return results


def table(metrics: dict) -> str:
    keys = ["hr@10", "ndcg@10", "mrr", "hr@10_new", "ndcg@10_new", "mrr_new"]
    lines = [
        "| scorer | " + " | ".join(keys) + " |",
        "|---" * (len(keys) + 1) + "|",
    ]
    for scorer in ("server", "rule", "model"):
        values = " | ".join(f"{metrics[scorer][k]:.4f}" for k in keys)
        lines.append(f"| {scorer} | {values} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    started = time.monotonic()
    data_dir = args.data or args.build_dir
    if args.data is None:
        data_dir.mkdir(parents=True, exist_ok=True)
        run_vitrine_dataset(args.rees46.resolve(), data_dir.resolve(), args.dataset_command)
    args.out_dir.mkdir(parents=True, exist_ok=True)

    baseline = json.loads((data_dir / "baseline_metrics.json").read_text())
    train, test = load_groups(data_dir / "train.csv"), load_groups(data_dir / "test.csv")
    check_against_rust("train", train, baseline["train"])
    held_out = check_against_rust("test", test, baseline["test"])
    log("server-order and rule metrics agree with Rust's")

    fit, valid = split_validation(train)
    chosen, results = choose_model(fit, valid, args.epochs, args.seed)
    layers = results[chosen].layers

    path = args.out_dir / "ranker.onnx"
    onnx.save(build_onnx(chosen, layers), path)
    size = path.stat().st_size
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    if size > MAX_MODEL_BYTES:
        raise SystemExit(f"{path} is {size} bytes, over the {MAX_MODEL_BYTES} budget")
    log(f"wrote {path} ({size} bytes)")
    session = check_onnx(path, layers, test.features[test.mask])

    model_scores = ort_scores(session, test)
    held_out["model"] = evaluate(model_scores, test)
    known = test.subset(test.target_known)
    by_known = {
        "server": evaluate(server_scores(known), known),
        "rule": evaluate(known.rule, known),
        "model": evaluate(model_scores[test.target_known], known),
    }
    difference = paired_bootstrap(model_scores, test.rule, test, args.seed)
    write_golden(session, data_dir, args.out_dir, sha)

    metrics = {
        "about": "Held-out (test split) ranking metrics; see models/README.md.",
        "data": DATA_CREDIT,
        "protocol": baseline["protocol"],
        "test": {
            "groups": int(len(test)),
            "groups_new": int(test.target_new.sum()),
            "targets_seen_in_training": int(test.target_known.sum()),
        },
        **held_out,
        "targets_seen_in_training": by_known,
        "model_minus_rule_95ci": difference,
        "model_info": {
            "architecture": chosen,
            "objective": "listwise softmax cross-entropy",
            "bytes": size,
            "sha256": sha,
            "best_epoch": results[chosen].best_epoch,
            "seed": args.seed,
            "validation": {name: r.validation for name, r in results.items()},
        },
    }
    (args.out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    log("permutation importance on the test split")
    importance = permutation_importance(layers, test, args.seed)
    histories = {name: result.history for name, result in results.items()}
    others = other_logs(args.eval_command, data_dir)
    for path in card.write(args.out_dir, metrics, histories, importance, others):
        log(f"wrote {path}")
    log(f"held-out metrics ({len(test)} groups, {int(test.target_new.sum())} new):")
    log(table(held_out))
    for key, d in difference.items():
        log(f"model - rule {key}: {d['mean']:+.4f} (95% CI {d['low']:+.4f} .. {d['high']:+.4f})")
    log(f"done in {time.monotonic() - started:.0f} s")
    return metrics


if __name__ == "__main__":
    main()
