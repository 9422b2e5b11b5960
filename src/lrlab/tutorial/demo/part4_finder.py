"""Demo Part 4: the tutorial's LR range test on real MNIST, every rule, and what each LR trains to.

The tutorial's run: SimpleNet, plain SGD, batch 128, LRs from 1e-7 to 10 over 100
iterations, here on the 4,000 embedded training digits. Then the suggested LR, the
tutorial rule's LR and two fixed LRs (1e-3 and 0.1) each train a fresh SimpleNet for
3 epochs, scored on the 1,000 held-out digits.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lrlab._checks import Progress
from lrlab.tutorial.demo import PartResult

KEY, TITLE = "finder", "Part 4: the LR range test"
FIXED_LRS = (1e-3, 0.1)
EPOCHS = 3

__all__ = ["KEY", "TITLE", "run", "train_and_evaluate"]


def train_and_evaluate(
    lr: float, *, epochs: int = 3, batch_size: int = 128, seed: int = 0, model: str = "mlp"
) -> dict[str, float]:
    """Train a fresh model with plain SGD at ``lr`` on the embedded training digits.

    The task is :func:`lrlab.tutorial.build_task`'s (on the CPU, so that the numbers
    repeat on any machine).

    Returns:
        ``{"lr", "train_loss", "val_loss", "val_accuracy"}``: the last epoch's mean
        training loss, and loss and accuracy on the 1,000 held-out digits (NaN where
        training diverged).
    """
    import math

    import torch

    from lrlab.tutorial import build_task

    task = build_task(
        model=model, optimizer="sgd", lr=lr, batch_size=batch_size, seed=seed, device="cpu", with_val=True
    )
    net, opt, crit = task.model, task.optimizer, task.criterion
    train_loss = math.nan
    for _ in range(epochs):
        net.train()
        total, count = torch.zeros(()), 0
        for x, y in task.train_loader:
            opt.zero_grad(set_to_none=True)
            loss = crit(net(x), y)
            loss.backward()
            opt.step()
            total += loss.detach() * len(y)
            count += len(y)
        train_loss = float(total) / count
    net.eval()
    loss_sum, correct, seen = torch.zeros((), dtype=torch.float64), 0, 0
    with torch.no_grad():
        for x, y in task.val_loader:
            logits = net(x)
            loss_sum += crit(logits, y).double() * len(y)
            correct += int((logits.argmax(1) == y).sum())
            seen += len(y)
    val_loss = float(loss_sum) / seen
    accuracy = correct / seen if math.isfinite(val_loss) else math.nan
    return {"lr": float(lr), "train_loss": train_loss, "val_loss": val_loss, "val_accuracy": accuracy}


def run(out: Path, progress: Progress | None = None) -> PartResult:
    """The tutorial's range test, its figure, every rule, and 3-epoch checks of the LRs."""
    from lrlab.finder import DEFAULT_METHOD, METHODS, find_lr, suggest
    from lrlab.plots._figure import save
    from lrlab.plots.finder import plot_finder
    from lrlab.tutorial import build_task

    task = build_task(lr=1e-7, device="cpu")  # SimpleNet, SGD, batch 128, seed 0
    result = find_lr(
        task.model,
        task.optimizer,
        task.criterion,
        task.train_loader,
        start_lr=1e-7,
        end_lr=10.0,
        num_iter=100,
        progress=progress,
    )
    suggestions: dict[str, Any] = {}
    rows: list[tuple[str, str]] = [("range test", f"{result.steps}/{result.num_iter} steps, {result.stop_reason}")]
    for method in METHODS:
        try:
            s = suggestions[method] = suggest(result, method)
        except ValueError as exc:
            rows.append((method, f"n/a: {exc}"))
            continue
        band = "" if s.lr_range is None else f" (range {s.lr_range[0]:.3g} .. {s.lr_range[1]:.3g})"
        rows.append((method + (" (default)" if method == DEFAULT_METHOD else ""), f"{s.lr:.4g}{band}"))
    figure = save(plot_finder(result, suggestions).figure, out / "part4_lr_finder.png")

    checks = []
    candidates = [
        (f"{m} {suggestions[m].lr:.3g}", suggestions[m].lr) for m in (DEFAULT_METHOD, "tutorial") if m in suggestions
    ]
    candidates += [(f"fixed {lr:g}", lr) for lr in FIXED_LRS]
    for label, lr in candidates:
        check = train_and_evaluate(lr, epochs=EPOCHS)
        checks.append({"label": label, "epochs": EPOCHS, **check})
        rows.append(
            (
                f"{EPOCHS} epochs at {label}",
                f"val acc {100 * check['val_accuracy']:.1f}%, val loss {check['val_loss']:.4f}",
            )
        )
    summary = {
        "steps": result.steps,
        "stop_reason": result.stop_reason,
        "suggestions": {m: s.to_dict() for m, s in suggestions.items()},
        "suggested_lr": suggestions[DEFAULT_METHOD].lr if DEFAULT_METHOD in suggestions else None,
        "three_epochs": checks,
    }
    return PartResult(KEY, TITLE, (figure,), tuple(rows), summary)
