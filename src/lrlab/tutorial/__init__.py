"""The tutorial's MNIST pieces: the data, the models, one task builder and the demo parts.

* :mod:`~lrlab.tutorial.data`: 5,000 embedded MNIST digits or full MNIST from IDX files
  (NumPy arrays; ``DataLoader`` objects on request).
* :mod:`~lrlab.tutorial.models`: the tutorial's SimpleNet and a small CNN.
* :mod:`~lrlab.tutorial.task`: :func:`build_task`, plain keywords in, a ready
  model/optimizer/loss/loaders :class:`Task` out — what ``lrlab find``, ``lrlab sweep``,
  the demo and the benchmarks all train.
* :mod:`~lrlab.tutorial.demo`: the tutorial's four parts, figures and a summary.

Names resolve on first use: importing this package imports neither torch nor the data.

Examples:
    >>> from lrlab import tutorial
    >>> tutorial.mnist_size("embedded", "train"), tutorial.OPTIMIZERS
    (4000, ('sgd', 'momentum', 'adam'))
"""

from __future__ import annotations

from lrlab._lazy import lazy

# Public name -> the module that defines it.
_LAZY: dict[str, str] = {
    "Task": "lrlab.tutorial.task",
    "build_task": "lrlab.tutorial.task",
    "make_optimizer": "lrlab.tutorial.task",
    "resolve_device": "lrlab.tutorial.task",
    "OPTIMIZERS": "lrlab.tutorial.task",
    "MODELS": "lrlab.tutorial.task",
    "load_mnist": "lrlab.tutorial.data",
    "mnist_size": "lrlab.tutorial.data",
    "mnist_loaders": "lrlab.tutorial.data",
    "tensor_loader": "lrlab.tutorial.data",
    "build_model": "lrlab.tutorial.models",
    "SimpleNet": "lrlab.tutorial.models",
    "SmallCNN": "lrlab.tutorial.models",
}

_SUBMODULES = ("data", "models", "task", "demo")

__all__ = [*_SUBMODULES, *_LAZY]


__getattr__, __dir__ = lazy(__name__, _LAZY, _SUBMODULES)
