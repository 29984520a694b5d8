"""The training pipeline, end to end on a slice of the real log, and its numeric parts.

    models/.venv/bin/python -m pytest models/test_pipeline.py

The end-to-end test runs ``vitrine-dataset`` through cargo (the dev profile unless
``VITRINE_DATASET_COMMAND`` says otherwise) on the first rows of the REES46 file
(``VITRINE_REES46``, or ``../shared/data/rees46/2019-10-01-sessions.csv`` beside the repo).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

import listwise
import train
from dataset import FEATURE_VERSION, FEATURES, Groups
from ranking import evaluate, target_ranks

SLICE_ROWS = 3000
REES46 = Path(os.environ.get("VITRINE_REES46", train.DEFAULT_REES46))
COMMAND = os.environ.get("VITRINE_DATASET_COMMAND", "cargo run --quiet --bin vitrine-dataset --")


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not REES46.exists():
        pytest.skip(f"the REES46 slice is not at {REES46} (set VITRINE_REES46)")
    root = tmp_path_factory.mktemp("pipeline")
    with open(REES46, encoding="utf-8") as source:
        head = [next(source) for _ in range(SLICE_ROWS + 1)]
    (root / "slice.csv").write_text("".join(head), encoding="utf-8")
    train.main(
        [
            "--rees46",
            str(root / "slice.csv"),
            "--build-dir",
            str(root / "build"),
            "--out-dir",
            str(root / "out"),
            "--dataset-command",
            COMMAND,
            "--epochs",
            "3",
            "--eval-command",
            "none",
        ]
    )
    return root


def test_the_export_loads_with_the_contract(trained: Path) -> None:
    session = ort.InferenceSession(str(trained / "out" / "ranker.onnx"))
    (inp,), (out,) = session.get_inputs(), session.get_outputs()
    assert (inp.name, inp.shape, inp.type) == ("features", ["N", 13], "tensor(float)")
    assert out.name == "score" and out.shape in (["N"], ["N", 1])
    meta = session.get_modelmeta().custom_metadata_map
    assert meta["vitrine.feature_version"] == str(FEATURE_VERSION)
    assert meta["vitrine.features"].split(",") == FEATURES
    assert (trained / "out" / "ranker.onnx").stat().st_size <= train.MAX_MODEL_BYTES


def test_golden_scores_are_what_onnxruntime_gives(trained: Path) -> None:
    golden = json.loads((trained / "out" / "golden.json").read_text())
    session = ort.InferenceSession(str(trained / "out" / "ranker.onnx"))
    sizes = [len(g["rows"]) for g in golden["groups"]]
    assert 1 in sizes and sum(sizes) > 20, sizes
    for group in golden["groups"]:
        rows = np.asarray(group["rows"], dtype=np.float32)
        scores = session.run(["score"], {"features": rows})[0].reshape(-1)
        np.testing.assert_allclose(scores, group["scores"], atol=1e-6)


def test_metrics_cover_three_scorers_and_six_numbers(trained: Path) -> None:
    metrics = json.loads((trained / "out" / "metrics.json").read_text())
    for scorer in ("server", "rule", "model"):
        for key in ("hr@10", "ndcg@10", "mrr", "hr@10_new", "ndcg@10_new", "mrr_new"):
            assert 0.0 <= metrics[scorer][key] <= 1.0, (scorer, key)


def test_retraining_gives_the_same_bytes(trained: Path) -> None:
    again = trained / "again"
    args = ["--data", str(trained / "build"), "--out-dir", str(again), "--epochs", "3"]
    args += ["--eval-command", "none"]
    train.main(args)
    for name in ("ranker.onnx", "golden.json", "metrics.json", "MODEL_CARD.md", "model_card.svg"):
        assert (again / name).read_bytes() == (trained / "out" / name).read_bytes(), name


def test_the_card_reports_the_metrics_it_was_trained_with(trained: Path) -> None:
    out = trained / "out"
    metrics = json.loads((out / "metrics.json").read_text())
    text = (out / "MODEL_CARD.md").read_text()
    for scorer in ("server", "rule", "model"):
        assert f"{metrics[scorer]['ndcg@10']:.3f}" in text, scorer
    assert "beats the hand rule" in text or "does not beat the hand rule" in text
    assert "![" in text and (out / "model_card.svg").read_text().startswith("<svg")
    for name in FEATURES:
        assert f"`{name}`" in text, name


def small_groups(rng: np.random.Generator, g: int = 5, length: int = 7) -> Groups:
    mask = np.ones((g, length), dtype=bool)
    mask[0, 4:] = False
    return Groups(
        group_ids=np.arange(g),
        features=rng.normal(size=(g, length, len(FEATURES))).astype(np.float32),
        mask=mask,
        target=np.array([1, 0, 6, 3, 2]),
        target_new=np.array([True, False, True, False, True]),
        target_known=np.ones(g, dtype=bool),
        rule=np.zeros((g, length), dtype=np.float32),
    )


def test_gradients_match_finite_differences() -> None:
    rng = np.random.default_rng(1)
    groups = small_groups(rng)
    x = groups.features.astype(np.float64) * groups.mask[..., None]
    layers = listwise.init_layers([len(FEATURES), 4, 1], rng)
    layers = [(w + rng.normal(0, 0.3, w.shape), b + rng.normal(0, 0.3, b.shape)) for w, b in layers]
    _, grads = listwise.loss_and_grads(layers, x, groups.mask, groups.target, 1e-3)
    eps = 1e-6
    for li, (weight, bias) in enumerate(layers):
        for param, grad in ((weight, grads[li][0]), (bias, grads[li][1])):
            for index in np.ndindex(param.shape):
                old = param[index]
                param[index] = old + eps
                up, _ = listwise.loss_and_grads(layers, x, groups.mask, groups.target, 1e-3)
                param[index] = old - eps
                down, _ = listwise.loss_and_grads(layers, x, groups.mask, groups.target, 1e-3)
                param[index] = old
                assert abs((up - down) / (2 * eps) - grad[index]) < 1e-6, (li, index)


def test_folding_the_standardization_keeps_the_scores() -> None:
    rng = np.random.default_rng(2)
    groups = small_groups(rng)
    mean, scale = listwise.fit_standardizer(groups)
    layers = listwise.init_layers([len(FEATURES), 16, 1], rng)
    x = (groups.features.astype(np.float64) - mean) / scale
    want = listwise.forward(layers, x.reshape(-1, len(FEATURES)))[0][-1].reshape(5, 7)
    got = listwise.score(listwise.fold(layers, mean, scale), groups)
    np.testing.assert_allclose(got, want, atol=1e-4)


def test_ranks_break_ties_in_server_order_as_rust_does() -> None:
    # The cases of src/offline/metrics.rs, one group each.
    cases = [
        ([0.1, 0.9, 0.5], 1, 1),
        ([0.1, 0.9, 0.5], 0, 3),
        ([1.0, 1.0, 1.0], 2, 3),
        ([1.0, 1.0, 1.0], 0, 1),
        ([np.nan, 0.0, -1.0], 0, 3),
        ([np.nan, -np.inf, 0.0], 1, 3),
    ]
    for scores, target, rank in cases:
        groups = Groups(
            np.zeros(1),
            np.zeros((1, 3, len(FEATURES)), dtype=np.float32),
            np.ones((1, 3), dtype=bool),
            np.array([target]),
            np.array([True]),
            np.array([True]),
            np.zeros((1, 3), dtype=np.float32),
        )
        assert target_ranks(np.array([scores]), groups)[0] == rank, (scores, target)

    # Padding never counts, and the metrics follow from the ranks.
    groups.mask[0, 2] = False
    groups.target[0] = 1
    assert target_ranks(np.array([[0.0, 0.0, 5.0]]), groups)[0] == 2
    metrics = evaluate(np.array([[0.0, 0.0, 5.0]]), groups)
    assert metrics["mrr"] == 0.5 and metrics["hr@10_new"] == 1.0
    assert abs(metrics["ndcg@10"] - 1 / np.log2(3)) < 1e-12


def test_operator_fixtures_score_what_their_formulas_say() -> None:
    """``tests/model_contract.rs`` checks tract against these formulas; onnxruntime, the
    reference implementation, checks the formulas against the ONNX semantics here."""
    import make_bad_models

    rows = np.random.default_rng(3).normal(size=(9, len(FEATURES))).astype(np.float32)
    weighted = rows @ (np.arange(len(FEATURES)) / len(FEATURES))

    def every_operator() -> np.ndarray:
        hidden = np.stack([0.5 * weighted + 0.5, -0.5 * weighted - 1.0], axis=1)
        units = np.maximum(hidden, 0) + np.where(hidden > 0, hidden, 0.1 * hidden)
        logit = units[:, 0] + 2 * units[:, 1] + 0.5
        return 2 / (1 + np.exp(-logit)) - np.tanh(logit) / 4

    formulas = {
        "every_operator.onnx": every_operator,
        "gemm_transposed.onnx": lambda: 2 * weighted + 0.5,
    }
    for name, formula in formulas.items():
        model = make_bad_models.BAD_MODELS[name]()
        session = ort.InferenceSession(model.SerializeToString())
        (scores,) = session.run(None, {"features": rows})
        np.testing.assert_allclose(scores, formula(), atol=1e-5, err_msg=name)
        committed = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / name
        assert committed.read_bytes() == model.SerializeToString(), f"{name} is stale"
