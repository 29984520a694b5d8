"""A tiny ranker trained with numpy: dense layers, ReLU, a listwise softmax objective.

Each group is one list with one item the shopper took. The loss is the cross-entropy of the
softmax over the list's scores at that item (ListNet with a one-hot target), which trains the
scores to rank and is blind to a constant shift, as ranking is. Features are standardized for
training, and the standardization is folded into the first layer at the end, so the exported
model takes the raw rows ``vitrine::features::extract`` produces.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

import numpy as np

from dataset import Groups
from ranking import evaluate

Layers = list[tuple[np.ndarray, np.ndarray]]


@dataclass
class Config:
    """Training settings. ``hidden=()`` is a linear (logistic-style) scorer."""

    hidden: tuple[int, ...] = (16,)
    seed: int = 0
    epochs: int = 60
    batch_groups: int = 256
    learning_rate: float = 1e-3
    l2: float = 1e-4
    patience: int = 8


@dataclass
class Result:
    """A trained model with standardization folded in, and how it got there."""

    layers: Layers
    best_epoch: int
    validation: dict
    history: list[dict] = field(default_factory=list)


def fit_standardizer(groups: Groups) -> tuple[np.ndarray, np.ndarray]:
    """Mean and scale of every feature over the real (unpadded) rows; scale 1 if constant."""
    rows = groups.features[groups.mask].astype(np.float64)
    mean = rows.mean(axis=0)
    scale = rows.std(axis=0)
    scale[scale < 1e-6] = 1.0
    return mean, scale


def init_layers(sizes: list[int], rng: np.random.Generator) -> Layers:
    """He-initialized hidden layers, a small output layer, zero biases."""
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        last = i == len(sizes) - 2
        std = 0.01 if last else np.sqrt(2.0 / n_in)
        layers.append((rng.normal(0.0, std, size=(n_in, n_out)), np.zeros(n_out)))
    return layers


def forward(layers: Layers, x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Activations (input first, scores last) and pre-activations of ``x`` ([M, F])."""
    activations, linear = [x], []
    for i, (weight, bias) in enumerate(layers):
        z = activations[-1] @ weight + bias
        linear.append(z)
        activations.append(z if i == len(layers) - 1 else np.maximum(z, 0.0))
    return activations, linear


def loss_and_grads(
    layers: Layers, x: np.ndarray, mask: np.ndarray, target: np.ndarray, l2: float
) -> tuple[float, Layers]:
    """Mean listwise loss of a batch ([B, L, F] standardized rows) and its gradients."""
    b, length, width = x.shape
    activations, linear = forward(layers, x.reshape(b * length, width))
    scores = activations[-1].reshape(b, length)

    masked = np.where(mask, scores, -np.inf)
    top = masked.max(axis=1, keepdims=True)
    exp = np.exp(masked - top)
    total = exp.sum(axis=1, keepdims=True)
    rows = np.arange(b)
    loss = float(np.mean(np.log(total[:, 0]) + top[:, 0] - scores[rows, target]))
    loss += 0.5 * l2 * sum(float((w**2).sum()) for w, _ in layers)

    d_scores = exp / total
    d_scores[rows, target] -= 1.0
    grad = (d_scores / b).reshape(b * length, 1)
    grads: Layers = []
    for i in range(len(layers) - 1, -1, -1):
        weight, _ = layers[i]
        grads.append((activations[i].T @ grad + l2 * weight, grad.sum(axis=0)))
        if i > 0:
            grad = (grad @ weight.T) * (linear[i - 1] > 0.0)
    grads.reverse()
    return loss, grads


def fold(layers: Layers, mean: np.ndarray, scale: np.ndarray) -> Layers:
    """Moves ``(x - mean) / scale`` into the first layer: same scores on raw rows."""
    weight, bias = layers[0]
    folded = weight / scale[:, None]
    return [(folded, bias - mean @ folded)] + [(w.copy(), b.copy()) for w, b in layers[1:]]


def score(layers: Layers, groups: Groups) -> np.ndarray:
    """Scores [G, L] of raw rows, in float32 as the exported model computes them."""
    g, length, width = groups.features.shape
    x = groups.features.reshape(g * length, width).astype(np.float32)
    for i, (weight, bias) in enumerate(layers):
        x = x @ weight.astype(np.float32) + bias.astype(np.float32)
        if i < len(layers) - 1:
            x = np.maximum(x, np.float32(0))
    return x.reshape(g, length)


def train(fit: Groups, valid: Groups, config: Config, name: str) -> Result:
    """Adam on shuffled batches of groups; keeps the epoch with the best validation NDCG@10
    and stops after ``patience`` epochs without improvement."""
    rng = np.random.default_rng(config.seed)
    mean, scale = fit_standardizer(fit)
    x = ((fit.features.astype(np.float64) - mean) / scale) * fit.mask[..., None]
    sizes = [x.shape[2], *config.hidden, 1]
    layers = init_layers(sizes, rng)
    moments = [(np.zeros_like(w), np.zeros_like(b)) for w, b in layers]
    squares = [(np.zeros_like(w), np.zeros_like(b)) for w, b in layers]
    beta1, beta2, eps, step = 0.9, 0.999, 1e-8, 0

    best = Result(fold(layers, mean, scale), 0, {"ndcg@10": -1.0})
    history, stale = [], 0
    for epoch in range(1, config.epochs + 1):
        started = time.monotonic()
        order = rng.permutation(len(fit))
        losses = []
        for start in range(0, len(order), config.batch_groups):
            batch = order[start : start + config.batch_groups]
            loss, grads = loss_and_grads(
                layers, x[batch], fit.mask[batch], fit.target[batch], config.l2
            )
            losses.append(loss)
            step += 1
            for i, ((w, b), (gw, gb)) in enumerate(zip(layers, grads, strict=True)):
                (mw, mb), (vw, vb) = moments[i], squares[i]
                for param, g, m, v in ((w, gw, mw, vw), (b, gb, mb, vb)):
                    m *= beta1
                    m += (1 - beta1) * g
                    v *= beta2
                    v += (1 - beta2) * g * g
                    m_hat = m / (1 - beta1**step)
                    v_hat = v / (1 - beta2**step)
                    param -= config.learning_rate * m_hat / (np.sqrt(v_hat) + eps)

        folded = fold(layers, mean, scale)
        metrics = evaluate(score(folded, valid), valid)
        history.append({"epoch": epoch, "loss": float(np.mean(losses)), **metrics})
        improved = metrics["ndcg@10"] > best.validation["ndcg@10"] + 1e-6
        if improved:
            best = Result(folded, epoch, metrics)
            stale = 0
        else:
            stale += 1
        print(
            f"  {name} epoch {epoch:2d}: train loss {np.mean(losses):.4f}, validation "
            f"NDCG@10 {metrics['ndcg@10']:.4f} MRR {metrics['mrr']:.4f}"
            f"{' (best)' if improved else ''} [{time.monotonic() - started:.1f} s]",
            file=sys.stderr,
            flush=True,
        )
        if stale >= config.patience:
            break
    best.history = history
    return best
