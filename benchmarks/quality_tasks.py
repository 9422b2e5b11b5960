"""The tasks of the suggestion-quality suite, the oracle's trainer and the committed oracle numbers.

A :class:`Task` is a model, its optimizer, its loss, its data and its training plan: a
budget of optimizer steps and a schedule *shape* whose peak is 1 (``None`` for a constant
LR, an lrlab spec such as ``"warmup_cosine(1.0, warmup=40, total=400, min_lr=0)"``, or a
factory ``optimizer -> LRScheduler`` that peaks at the optimizer's LR, such as
:class:`OneCycle`). The question the suite asks of a suggestion is: what **peak** LR should
this schedule run at for this many steps?

:func:`train_full` is the oracle's trainer: a plain torch loop that trains one fresh model
for the whole budget at one peak LR under the task's shape and returns the mean validation
loss (``math.inf`` when anything turned NaN/Inf). :func:`oracle` runs it over the task's
grid (>= 20 log-spaced peak LRs) for 3 training seeds and caches the result in
``benchmarks/oracle/<task>.json``, which is committed: the suite reads those numbers
instead of recomputing them (a key mismatch -- another budget, shape, grid, seeds, torch
version or corpus -- recomputes).

Nine tasks: the four of the first suite (constant LR) and five whose shape matters::

    mnist-mlp-sgd        SimpleNet, SGD, constant                                     96 steps
    mnist-cnn-adam       SmallCNN, Adam, label smoothing, constant                   126 steps
    synth-mlp-adamw      GELU MLP on a teacher net, AdamW, MSE, constant             192 steps
    moons-mlp-nesterov   tanh MLP, SGD Nesterov, BCE, constant                       192 steps
    char-lm-adamw        pre-LN causal transformer on Python's docs, AdamW, warmup+cosine   400 steps
    mnist-mixer-adamw    MLP-Mixer on 7x7 patches, AdamW, warmup+cosine (held out)   300 steps
    mnist-resnet-sgd     BatchNorm ResNet on 14x14 digits, SGD Nesterov + wd, cosine to 0   300 steps
    smnist-gru-adam      GRU over the rows of 14x14 digits, Adam, linear to 0 (held out)    400 steps
    mnist-mlp-onecycle   dropout MLP, SGD momentum, OneCycleLR defaults (held out)   300 steps

All data are offline and fixed: the 5,000 MNIST digits embedded in lrlab, generated points,
and the help text that ships with Python (``pydoc_data.topics``).

Held-out tasks were committed with their oracle before the rule that ``suggest_lr`` uses
was fixed, and were never used to choose it. Run::

    python benchmarks/quality_tasks.py                        # the task table (builds each task)
    python benchmarks/quality_tasks.py --time                 # one full run per task at its oracle best
    python benchmarks/quality_tasks.py --oracle [--tasks a,b] # compute (or load) and write the oracles
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR, LRScheduler, OneCycleLR

ORACLE_DIR = Path(__file__).with_name("oracle")
SEEDS = (0, 1, 2)
# The shape of a task's schedule, peak 1: None (constant), an lrlab spec, or optimizer -> scheduler.
Shape = str | Callable[[Optimizer], LRScheduler] | None

__all__ = [
    "OneCycle",
    "Setup",
    "Task",
    "char_corpus",
    "evaluate",
    "get_task",
    "log_grid",
    "make_scheduler",
    "oracle",
    "oracle_key",
    "tasks",
    "train_full",
]


@dataclass
class Setup:
    """What one training seed of a task starts from.

    ``criterion(model(x), y)`` is the scalar loss of an ``(x, y)`` batch of either loader.
    """

    model: nn.Module
    optimizer: Optimizer
    criterion: nn.Module
    train_loader: Any
    val_loader: Any


@dataclass(frozen=True)
class Task:
    """One task of the suite.

    Attributes:
        name: Its name in tables and in ``benchmarks/oracle/<name>.json``.
        budget: Total optimizer steps of one full training run.
        shape: The schedule shape, peak 1: ``None`` (constant LR), an lrlab spec string, or a
            factory ``optimizer -> LRScheduler`` whose peak is the optimizer's LR.
        grid: The oracle's peak LRs, log-spaced, ascending.
        make: ``seed -> Setup``: a fresh model (initialised from ``seed``), its optimizer (at any
            LR: the runner sets the peak), the loss and loaders shuffled from ``seed``.
        family: ``"sgd"`` or ``"adam"``: which learning-rate-free anchors replace its optimizer.
        warmup: Steps the shape rises for (0 when none; OneCycle's ``pct_start`` share); schedule-free
            anchors warm up this long, and Prodigy guards its estimate when it is > 0.
        held_out: Committed with its oracle before the suggestion rule was fixed; never used to choose it.
        description: One line: model, optimizer, loss, data.
        corpus_sha256: The sha256 of the task's text corpus, where it has one (part of the oracle key).
    """

    name: str
    budget: int
    shape: Shape
    grid: tuple[float, ...]
    make: Callable[[int], Setup] = field(repr=False, compare=False)
    family: str
    warmup: int = 0
    held_out: bool = False
    description: str = ""
    corpus_sha256: str | None = None

    def __post_init__(self) -> None:
        if self.family not in ("sgd", "adam"):
            raise ValueError(f"family must be one of 'sgd', 'adam', got {self.family!r}")
        if len(self.grid) < 2 or any(b <= a for a, b in zip(self.grid, self.grid[1:])):
            raise ValueError(f"grid must be ascending with >= 2 LRs, got {self.grid!r}")

    def build(self, seed: int) -> Setup:
        """The model, optimizer, loss and loaders of one training seed."""
        return self.make(seed)


class OneCycle:
    """``optimizer -> OneCycleLR`` with torch's defaults, peaking at the optimizer's LR(s).

    torch's defaults: ``pct_start=0.3``, cosine annealing, ``div_factor=25``, ``final_div_factor=1e4``,
    momentum cycled between 0.85 and 0.95 (only the LR for an optimizer without momentum or betas).

    A named factory rather than a lambda so that its ``repr`` is stable (it is part of the oracle key).

    Examples:
        >>> OneCycle(300)
        OneCycleLR(total_steps=300)
    """

    def __init__(self, total_steps: int) -> None:
        self.total_steps = total_steps

    def __call__(self, optimizer: Optimizer) -> LRScheduler:
        max_lr = [group["lr"] for group in optimizer.param_groups]
        # torch cycles the momentum by default, and refuses an optimizer that has none (DoG): cycle only the LR there.
        cycle_momentum = any(k in optimizer.defaults for k in ("momentum", "betas"))
        return OneCycleLR(optimizer, max_lr=max_lr, total_steps=self.total_steps, cycle_momentum=cycle_momentum)

    def __repr__(self) -> str:
        return f"OneCycleLR(total_steps={self.total_steps})"


def log_grid(low: float, high: float, per_decade: int = 6) -> tuple[float, ...]:
    """Log-spaced LRs from ``low`` to ``high``, ``per_decade`` per decade (both ends included).

    Examples:
        >>> g = log_grid(1e-3, 1.0, per_decade=6)
        >>> len(g), g[0], g[-1]
        (19, 0.001, 1.0)
    """
    n = round(math.log10(high / low) * per_decade) + 1
    return tuple(float(f"{v:.6g}") for v in np.geomspace(low, high, n))


def _extend_down(grid: tuple[float, ...], n: int) -> tuple[float, ...]:
    """``grid`` with ``n`` more LRs below it at the same log spacing (the grid's own values kept exactly).

    Examples:
        >>> _extend_down((0.01, 0.1, 1.0), 2)
        (0.0001, 0.001, 0.01, 0.1, 1.0)
    """
    ratio = grid[1] / grid[0]
    return tuple(float(f"{grid[0] / ratio**k:.6g}") for k in range(n, 0, -1)) + grid


def _seeded(seed: int, build: Callable[[], nn.Module]) -> nn.Module:
    # Initial weights from the seed; the global RNG is left as it was.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


def _loader(x: np.ndarray, y: np.ndarray, batch: int, seed: int | None = None) -> Any:
    from lrlab.tutorial.data import tensor_loader

    # Shuffled from its own generator: a new permutation every epoch, the same ones for the same seed.
    return tensor_loader(x, y, batch, shuffle=seed is not None, seed=seed or 0)


def _mnist(size: int = 28) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from lrlab.tutorial.data import load_mnist

    (xtr, ytr), (xte, yte) = load_mnist("embedded", "train"), load_mnist("embedded", "test")
    if size != 28:
        factor = 28 // size
        xtr, xte = (x.reshape(len(x), 1, size, factor, size, factor).mean(axis=(3, 5)) for x in (xtr, xte))
    return xtr, ytr, xte, yte


# ---------------------------------------------------------------- the first suite's four tasks (constant LR)


def _mnist_task(
    model_name: str, opt: Callable[[Any], Optimizer], criterion: nn.Module, batch: int
) -> Callable[[int], Setup]:
    from lrlab.tutorial.models import build_model

    xtr, ytr, xte, yte = _mnist()

    def make(seed: int) -> Setup:
        model = build_model(model_name, seed=seed)
        return Setup(model, opt(model.parameters()), criterion, _loader(xtr, ytr, batch, seed), _loader(xte, yte, 500))

    return make


def _synthetic(batch: int) -> Callable[[int], Setup]:
    g = torch.Generator().manual_seed(1234)
    teacher = [torch.randn(16, 32, generator=g) / 4, torch.randn(32, 1, generator=g) / 32**0.5]
    x = torch.randn(4096 + 1024, 16, generator=g)
    y = torch.tanh(x @ teacher[0]) @ teacher[1] + 0.1 * torch.randn(len(x), 1, generator=g)
    xs, ys = x.numpy(), y.numpy()

    def make(seed: int) -> Setup:
        model = _seeded(
            seed, lambda: nn.Sequential(nn.Linear(16, 64), nn.GELU(), nn.Linear(64, 64), nn.GELU(), nn.Linear(64, 1))
        )
        return Setup(
            model,
            torch.optim.AdamW(model.parameters(), weight_decay=0.01),
            nn.MSELoss(),
            _loader(xs[:4096], ys[:4096], batch, seed),
            _loader(xs[4096:], ys[4096:], 512),
        )

    return make


def _moons(batch: int) -> Callable[[int], Setup]:
    g = torch.Generator().manual_seed(4321)
    n = 2048 + 512
    t = torch.rand(n, generator=g) * torch.pi
    label = torch.randint(0, 2, (n,), generator=g)
    x = torch.stack([torch.cos(t) + label * 1.0, torch.sin(t) * (1 - 2 * label) + label * 0.4], dim=1)
    x = x + 0.15 * torch.randn(n, 2, generator=g)
    xs, ys = x.numpy(), label.float()[:, None].numpy()

    def make(seed: int) -> Setup:
        model = _seeded(
            seed, lambda: nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))
        )
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True)
        return Setup(
            model,
            opt,
            nn.BCEWithLogitsLoss(),
            _loader(xs[:2048], ys[:2048], batch, seed),
            _loader(xs[2048:], ys[2048:], 512),
        )

    return make


# ---------------------------------------------------------------- a character-level causal transformer LM

CORPUS_CHARS = 400_000
CONTEXT = 64


def char_corpus(n_chars: int = CORPUS_CHARS) -> tuple[str, str]:
    """Python's own help topics (``pydoc_data.topics``), joined in sorted key order, first ``n_chars``.

    Returns:
        ``(text, sha256 of its UTF-8 bytes)``. The text ships with Python, so nothing is
        downloaded; another Python version may ship other text, which the hash tells apart.
    """
    from pydoc_data.topics import topics

    text = "".join(topics[key] for key in sorted(topics))[:n_chars]
    return text, hashlib.sha256(text.encode()).hexdigest()


class _SeqCrossEntropy(nn.Module):
    """Cross-entropy of ``(B, T, V)`` logits against ``(B, T)`` next-character targets."""

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))


class _Block(nn.Module):
    """Pre-LayerNorm transformer block: ``x + attn(ln(x))``, then ``x + mlp(ln(x))``."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(b, t, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        att = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(att.transpose(1, 2).reshape(b, t, d))
        return x + self.mlp(self.ln2(x))


class CharTransformer(nn.Module):
    """A small GPT: token + position embeddings, pre-LN blocks, a final LayerNorm, a tied head."""

    def __init__(self, vocab: int, context: int = CONTEXT, dim: int = 64, layers: int = 2, heads: int = 4) -> None:
        super().__init__()
        self.tok = nn.Embedding(vocab, dim)
        self.pos = nn.Parameter(torch.zeros(context, dim))
        self.blocks = nn.Sequential(*[_Block(dim, heads) for _ in range(layers)])
        self.ln = nn.LayerNorm(dim)
        nn.init.normal_(self.tok.weight, std=0.02)
        nn.init.normal_(self.pos, std=0.02)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        h = self.blocks(self.tok(idx) + self.pos[: idx.shape[1]])
        return self.ln(h) @ self.tok.weight.T


def _char_lm(batch: int) -> tuple[Callable[[int], Setup], str]:
    text, digest = char_corpus()
    vocab = sorted(set(text))
    table = {c: i for i, c in enumerate(vocab)}
    ids = np.fromiter((table[c] for c in text), dtype=np.int64, count=len(text))
    split = int(0.9 * len(ids))  # fixed: the first 90% trains, the last 10% validates

    def windows(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        starts = np.arange(0, len(a) - CONTEXT - 1, CONTEXT)
        x = a[starts[:, None] + np.arange(CONTEXT)]
        return x, a[starts[:, None] + np.arange(1, CONTEXT + 1)]

    xtr, ytr = windows(ids[:split])
    xva, yva = windows(ids[split:])

    def make(seed: int) -> Setup:
        model = _seeded(seed, lambda: CharTransformer(len(vocab)))
        opt = torch.optim.AdamW(model.parameters(), betas=(0.9, 0.95), weight_decay=0.1)
        return Setup(model, opt, _SeqCrossEntropy(), _loader(xtr, ytr, batch, seed), _loader(xva, yva, 256))

    return make, digest


# ---------------------------------------------------------------- an MLP-Mixer on MNIST


class _MixerBlock(nn.Module):
    def __init__(self, tokens: int, dim: int, token_hidden: int, channel_hidden: int) -> None:
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.token_mlp = nn.Sequential(nn.Linear(tokens, token_hidden), nn.GELU(), nn.Linear(token_hidden, tokens))
        self.channel_mlp = nn.Sequential(nn.Linear(dim, channel_hidden), nn.GELU(), nn.Linear(channel_hidden, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.token_mlp(self.ln1(x).transpose(1, 2)).transpose(1, 2)
        return x + self.channel_mlp(self.ln2(x))


class Mixer(nn.Module):
    """MLP-Mixer for 28x28 digits: 16 patches of 7x7, pre-LN mixer blocks, mean pooling, a linear head."""

    def __init__(self, dim: int = 64, depth: int = 2, patch: int = 7) -> None:
        super().__init__()
        self.patch = patch
        tokens = (28 // patch) ** 2
        self.embed = nn.Linear(patch * patch, dim)
        self.blocks = nn.Sequential(*[_MixerBlock(tokens, dim, 32, 4 * dim) for _ in range(depth)])
        self.ln = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p = self.patch
        patches = F.unfold(x, kernel_size=p, stride=p).transpose(1, 2)  # (B, 16, 49)
        return self.head(self.ln(self.blocks(self.embed(patches))).mean(dim=1))


def _mixer(batch: int) -> Callable[[int], Setup]:
    xtr, ytr, xte, yte = _mnist()

    def make(seed: int) -> Setup:
        model = _seeded(seed, Mixer)
        opt = torch.optim.AdamW(model.parameters(), weight_decay=0.05)
        return Setup(model, opt, nn.CrossEntropyLoss(), _loader(xtr, ytr, batch, seed), _loader(xte, yte, 500))

    return make


# ---------------------------------------------------------------- a residual CNN with BatchNorm


class _BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.short = (
            nn.Identity()
            if stride == 1 and cin == cout
            else nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.short(x))


class ResNet(nn.Module):
    """A ResNet for 14x14 digits: a conv-BN stem, two basic blocks (16 and 32 channels), pooling, a head."""

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU())
        self.layers = nn.Sequential(_BasicBlock(width, width, 1), _BasicBlock(width, 2 * width, 2))
        self.head = nn.Linear(2 * width, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.layers(self.stem(x)).mean(dim=(2, 3)))


def _resnet(batch: int) -> Callable[[int], Setup]:
    xtr, ytr, xte, yte = _mnist(14)

    def make(seed: int) -> Setup:
        model = _seeded(seed, ResNet)
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
        return Setup(model, opt, nn.CrossEntropyLoss(), _loader(xtr, ytr, batch, seed), _loader(xte, yte, 500))

    return make


# ---------------------------------------------------------------- a GRU over the rows of a digit


class RowGRU(nn.Module):
    """A GRU reading a 14x14 digit row by row (14 steps of 14 pixels); a linear head on the last state."""

    def __init__(self, hidden: int = 64) -> None:
        super().__init__()
        self.gru = nn.GRU(14, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, h = self.gru(x.reshape(x.shape[0], 14, 14))
        return self.head(h[-1])


def _gru(batch: int) -> Callable[[int], Setup]:
    xtr, ytr, xte, yte = _mnist(14)

    def make(seed: int) -> Setup:
        model = _seeded(seed, RowGRU)
        return Setup(
            model,
            torch.optim.Adam(model.parameters()),
            nn.CrossEntropyLoss(),
            _loader(xtr, ytr, batch, seed),
            _loader(xte, yte, 500),
        )

    return make


# ---------------------------------------------------------------- a dropout MLP under OneCycleLR


def _onecycle_mlp(batch: int) -> Callable[[int], Setup]:
    xtr, ytr, xte, yte = _mnist()

    def make(seed: int) -> Setup:
        model = _seeded(
            seed,
            lambda: nn.Sequential(
                nn.Flatten(),
                nn.Linear(784, 256),
                nn.ReLU(),
                nn.Dropout(0.2),
                nn.Linear(256, 256),
                nn.ReLU(),
                nn.Dropout(0.2),
                nn.Linear(256, 10),
            ),
        )
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
        return Setup(model, opt, nn.CrossEntropyLoss(), _loader(xtr, ytr, batch, seed), _loader(xte, yte, 500))

    return make


# ---------------------------------------------------------------- the suite


def _tasks() -> tuple[Task, ...]:
    lm, digest = _char_lm(16)
    return (
        Task(
            "mnist-mlp-sgd",
            96,
            None,
            log_grid(1e-3, 10),
            _mnist_task("mlp", lambda p: torch.optim.SGD(p, lr=0.1), nn.CrossEntropyLoss(), 128),
            "sgd",
            description="SimpleNet (784-128-10), SGD, cross-entropy, batch 128, 3 epochs of 4,000 digits",
        ),
        Task(
            "mnist-cnn-adam",
            126,
            None,
            log_grid(1e-5, 1.0),
            _mnist_task("cnn", lambda p: torch.optim.Adam(p), nn.CrossEntropyLoss(label_smoothing=0.1), 64),
            "adam",
            description="SmallCNN, Adam, cross-entropy with label smoothing 0.1, batch 64, 2 epochs",
        ),
        Task(
            "synth-mlp-adamw",
            192,
            None,
            log_grid(1e-5, 1.0),
            _synthetic(64),
            "adam",
            description="16-64-64-1 GELU MLP, AdamW (wd 0.01), MSE on a random teacher net, batch 64, 3 epochs",
        ),
        Task(
            "moons-mlp-nesterov",
            192,
            None,
            log_grid(1e-4, 10),
            _moons(32),
            "sgd",
            description="2-32-32-1 tanh MLP, SGD Nesterov 0.9, BCE on two moons, batch 32, 3 epochs",
        ),
        Task(
            "char-lm-adamw",
            400,
            "warmup_cosine(1.0, warmup=40, total=400, min_lr=0)",
            # First 1e-3..3; its best sat 4 LRs from the bottom within 7% of it, so 6 LRs went below (same step).
            _extend_down(log_grid(1e-3, 3.0), 6),
            lm,
            "adam",
            warmup=40,
            corpus_sha256=digest,
            description="2-layer pre-LN causal transformer (d 64, 4 heads, context 64) on Python's help topics, "
            "AdamW (0.9, 0.95; wd 0.1), batch 16",
        ),
        Task(
            "mnist-mixer-adamw",
            300,
            "warmup_cosine(1.0, warmup=30, total=300, min_lr=0)",
            log_grid(3e-4, 3.0),
            _mixer(128),
            "adam",
            warmup=30,
            held_out=True,
            description="MLP-Mixer (16 patches of 7x7, d 64, 2 blocks), AdamW (wd 0.05), batch 128, 10 epochs",
        ),
        Task(
            "mnist-resnet-sgd",
            300,
            "cosine(1.0, total=300, min_lr=0)",
            log_grid(1e-3, 10),
            _resnet(128),
            "sgd",
            description="BatchNorm ResNet (stem + 2 basic blocks, 16/32 ch) on 14x14 digits, SGD Nesterov 0.9, "
            "wd 5e-4, batch 128",
        ),
        Task(
            "smnist-gru-adam",
            400,
            "linear(1.0, end_lr=0, total_steps=400)",
            log_grid(3e-4, 1.0),
            _gru(128),
            "adam",
            held_out=True,
            description="GRU (hidden 64) over the 14 rows of 14x14 digits, Adam, linear decay to 0, batch 128",
        ),
        Task(
            "mnist-mlp-onecycle",
            300,
            OneCycle(300),
            log_grid(1e-3, 10),
            _onecycle_mlp(64),
            "sgd",
            warmup=90,
            held_out=True,
            description="784-256-256-10 MLP with dropout 0.2, SGD momentum 0.9 (wd 5e-4), OneCycleLR defaults, "
            "batch 64",
        ),
    )


_TASKS: tuple[Task, ...] | None = None


def tasks() -> tuple[Task, ...]:
    """Every task of the suite (built once: the data are loaded on first use)."""
    global _TASKS
    if _TASKS is None:
        _TASKS = _tasks()
    return _TASKS


def get_task(name: str) -> Task:
    """The task called ``name``.

    Raises:
        ValueError: If there is no such task.
    """
    for task in tasks():
        if task.name == name:
            return task
    raise ValueError(f"task must be one of {', '.join(repr(t.name) for t in tasks())}, got {name!r}")


def __getattr__(name: str) -> Any:
    if name == "TASKS":
        return tasks()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ---------------------------------------------------------------- the oracle's trainer


def _cycle(loader: Iterable[Any]) -> Iterator[Any]:
    while True:  # a new pass (a new shuffle) each time the loader runs out
        yield from loader


def make_scheduler(task: Task, optimizer: Optimizer) -> LRScheduler:
    """The task's shape on ``optimizer``: its LRs become the peaks (a constant shape is factor 1)."""
    if task.shape is None:
        return LambdaLR(optimizer, lambda step: 1.0)
    if isinstance(task.shape, str):
        from lrlab.schedules import parse

        shape = parse(task.shape)
        return LambdaLR(optimizer, lambda step: float(shape(step)))
    return task.shape(optimizer)


def evaluate(model: nn.Module, criterion: nn.Module, loader: Iterable[Any]) -> float:
    """Mean loss per example over the whole loader, in eval mode without gradients (``inf`` if not finite)."""
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for x, y in loader:
            total += float(criterion(model(x), y)) * len(x)
            count += len(x)
    mean = total / count
    return mean if math.isfinite(mean) else math.inf


def _has_batchnorm(model: nn.Module) -> bool:
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())


def train_full(
    task: Task,
    seed: int,
    lr: float,
    *,
    optimizer: Callable[[Any], Optimizer] | None = None,
    scheduler: bool = True,
    averager: Callable[[nn.Module], Any] | None = None,
) -> float:
    """Train a fresh model for the task's whole budget at peak ``lr``; return its mean validation loss.

    Every param group's LR is set to ``lr`` times its ratio to the first group's, the task's shape
    wraps the optimizer (``LambdaLR`` of the parsed spec, or the factory), and ``budget`` steps of
    ``zero_grad, loss, backward, step, scheduler.step()`` run over the cycled train loader, with
    dropout drawn from ``seed``. Schedule-free optimizers (those with ``train()``/``eval()``) are
    switched as their README asks, and BatchNorm statistics are recomputed at the evaluation point
    on 50 training batches before validation (the README's recipe).

    Args:
        task: The task.
        seed: Training seed: initial weights, batch order, dropout.
        lr: Peak learning rate (the first param group's).
        optimizer: ``params -> Optimizer`` to train with in place of the task's (an anchor); it gets
            the task's param groups (``[{"params": [...]}, ...]``).
        scheduler: ``False`` trains at a constant ``lr`` without the task's shape (schedule-free).
        averager: ``model -> averager`` with ``step()`` after each optimizer step and an
            ``averaged_model`` that is validated instead (DoG's ``PolynomialDecayAverager``).

    Returns:
        The mean validation loss; ``math.inf`` if a training loss or the result is NaN/Inf.
    """
    setup = task.build(seed)
    model, criterion = setup.model, setup.criterion
    opt = setup.optimizer
    if optimizer is not None:
        opt = optimizer([{"params": group["params"]} for group in setup.optimizer.param_groups])
    first = opt.param_groups[0]["lr"]
    for group in opt.param_groups:
        group["lr"] = lr * (group["lr"] / first if first > 0 else 1.0)
    sched = make_scheduler(task, opt) if scheduler else None
    schedule_free = callable(getattr(opt, "train", None)) and callable(getattr(opt, "eval", None))
    avg = averager(model) if averager is not None else None
    batches = _cycle(setup.train_loader)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model.train()
        if schedule_free:
            cast(Any, opt).train()
        for _ in range(task.budget):
            x, y = next(batches)
            opt.zero_grad(set_to_none=True)
            loss = criterion(model(x), y)
            if not torch.isfinite(loss):
                return math.inf
            loss.backward()
            opt.step()
            if sched is not None:
                sched.step()
            if avg is not None:
                avg.step()
        if schedule_free:
            cast(Any, opt).eval()
            if _has_batchnorm(model):
                model.train()
                with torch.no_grad():
                    for _, (x, _y) in zip(range(50), _cycle(setup.train_loader)):
                        model(x)
        if not all(torch.isfinite(p).all() for p in model.parameters()):
            return math.inf
        # Inside the forked RNG too: a DataLoader draws its base seed from the global RNG.
        return evaluate(avg.averaged_model if avg is not None else model, criterion, setup.val_loader)


# ---------------------------------------------------------------- the oracle


def _shape_key(shape: Shape) -> str | None:
    return shape if shape is None or isinstance(shape, str) else repr(shape)


def oracle_key(task: Task, seeds: Sequence[int] = SEEDS) -> dict[str, Any]:
    """What an oracle's numbers depend on; a stored oracle with another key is recomputed."""
    return {
        "task": task.name,
        "budget": task.budget,
        "shape": _shape_key(task.shape),
        "grid": list(task.grid),
        "seeds": list(seeds),
        "torch": torch.__version__,
        "corpus_sha256": task.corpus_sha256,
    }


def _to_json(values: Sequence[float]) -> list[float | None]:
    return [v if math.isfinite(v) else None for v in values]


def _from_json(values: Sequence[float | None]) -> list[float]:
    return [math.inf if v is None else float(v) for v in values]


def _summary(task: Task, val: dict[str, list[float]]) -> dict[str, Any]:
    per_seed = np.asarray(list(val.values()), dtype=float)
    mean = per_seed.mean(axis=0)  # a seed that diverged makes the mean inf
    best = int(np.argmin(mean))
    return {"mean": mean.tolist(), "best_lr": task.grid[best], "best_val": float(mean[best]), "best_index": best}


def oracle(
    task: Task,
    seeds: Sequence[int] = SEEDS,
    *,
    directory: Path = ORACLE_DIR,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """The task's oracle: the validation loss of a full training run at each grid LR, for each seed.

    Loaded from ``directory/<task>.json`` when its key matches :func:`oracle_key`; otherwise
    computed with :func:`train_full` and written there.

    Args:
        task: The task.
        seeds: Training seeds.
        directory: Where oracle files live (default ``benchmarks/oracle``).
        progress: Called with one line per finished seed (the command line prints it).

    Returns:
        ``{"key", "grid", "val": {seed: [loss per LR]}, "mean": [seed-mean per LR], "best_lr",
        "best_val", "best_index", "wall_s": {seed: seconds}, "threads"}``; losses of runs that
        diverged are ``math.inf`` (``null`` in the file).
    """
    key = oracle_key(task, seeds)
    path = directory / f"{task.name}.json"
    if path.exists():
        doc = json.loads(path.read_text())
        if doc.get("key") == key:
            doc["val"] = {s: _from_json(v) for s, v in doc["val"].items()}
            doc["mean"] = _from_json(doc["mean"])
            return doc
    val: dict[str, list[float]] = {}
    wall: dict[str, float] = {}
    for seed in seeds:
        start = time.perf_counter()
        val[str(seed)] = [train_full(task, seed, lr) for lr in task.grid]
        wall[str(seed)] = round(time.perf_counter() - start, 2)
        if progress is not None:
            progress(
                f"[{task.name}] seed {seed}: {wall[str(seed)]:.1f} s, best "
                f"{task.grid[int(np.argmin(val[str(seed)]))]:.3g}"
            )
    doc = {
        "key": key,
        "grid": list(task.grid),
        "val": val,
        **_summary(task, val),
        "wall_s": wall,
        "threads": torch.get_num_threads(),
    }
    directory.mkdir(parents=True, exist_ok=True)
    stored = dict(doc, val={s: _to_json(v) for s, v in val.items()}, mean=_to_json(doc["mean"]))
    path.write_text(json.dumps(stored, indent=1) + "\n")
    return doc


# ---------------------------------------------------------------- command line


def _params(task: Task) -> int:
    return sum(p.numel() for p in task.build(0).model.parameters())


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tasks", default=None, help="comma list of task names (default: all)")
    p.add_argument("--oracle", action="store_true", help="compute (or load) each task's oracle and write its JSON")
    p.add_argument("--time", action="store_true", help="time one full run per task at the middle of its grid")
    p.add_argument(
        "--scan",
        metavar="SEED",
        type=int,
        default=None,
        help="one seed over every other grid LR (a quick look at the curve; nothing written)",
    )
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1: reproducible numbers)")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    chosen = [get_task(n) for n in args.tasks.split(",")] if args.tasks else list(tasks())
    if args.scan is not None:
        for task in chosen:
            for lr in task.grid[::2]:
                start = time.perf_counter()
                val = train_full(task, args.scan, lr)
                print(f"{task.name} lr {lr:.3g}: val {val:.4f} ({time.perf_counter() - start:.1f} s)", flush=True)
        return 0
    if args.oracle:
        for task in chosen:
            doc = oracle(task, progress=lambda line: print(line, flush=True))
            print(
                f"{task.name}: best LR {doc['best_lr']:.3g} (mean val {doc['best_val']:.4f}), "
                f"{sum(doc['wall_s'].values()):.0f} s",
                flush=True,
            )
        return 0
    print("| task | held out | family | budget | shape | params | grid | description |")
    print("|---|---|---|---:|---|---:|---|---|")
    for task in chosen:
        line = (
            f"| {task.name} | {'yes' if task.held_out else 'no'} | {task.family} | {task.budget} | "
            f"{_shape_key(task.shape) or 'constant'} | {_params(task):,} | {task.grid[0]:.3g}..{task.grid[-1]:.3g} "
            f"({len(task.grid)}) | {task.description} |"
        )
        if args.time:
            lr = task.grid[len(task.grid) // 2]
            start = time.perf_counter()
            val = train_full(task, 0, lr)
            line += f" {time.perf_counter() - start:.1f} s at {lr:.3g} (val {val:.4f}) |"
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
