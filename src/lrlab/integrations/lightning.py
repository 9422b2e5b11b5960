"""lrlab's range test (and ``suggest_lr``) inside a Lightning ``Trainer``: a callback and a function.

``LRFinder()`` is a ``Callback`` that, at ``on_fit_start`` (as Lightning's own ``LearningRateFinder``),
runs :func:`lrlab.find_lr` on the trainer's model, optimizer and train dataloader, with the trainer's
gradient accumulation, precision, gradient clipping and batch transfer hooks; the loss is the module's
``training_step`` output. Everything is then put back bitwise, in memory (no checkpoint file): weights,
buffers (BatchNorm's running statistics), grads, optimizer and scheduler state, every module's
train/eval flag and the Python, NumPy and torch RNGs, so training starts exactly where it would have
without the callback. The suggested LR is then applied as the **peak** of the configured schedule:
every LR the optimizer's groups and the schedulers hold is multiplied by one factor (groups keep their
ratios, the schedule its shape), and the module's ``lr`` / ``learning_rate`` (or ``hparams``) is set,
as Lightning's tuner does. With ``mode="confirm"`` the LR is :func:`lrlab.suggest_lr`'s, for the shape
of the configured scheduler over the trainer's run (``max_steps``, or ``max_epochs`` times the batches
per epoch). Under DDP every rank records the ranks' mean loss and sets the same LR.

:func:`find_lr` does the same outside ``fit`` (Lightning's ``Tuner.lr_find``): it runs ``trainer.fit``
up to ``on_fit_start``, sets the module's LR attribute and returns the :class:`LightningLR`.

Works with ``lightning`` (``lightning.pytorch``) or, without it, ``pytorch_lightning`` (with both
installed, the callback is a ``lightning.pytorch`` one).

What the range test does not do: it calls ``training_step`` and the batch transfer hooks, not the other
training hooks (``on_train_batch_start``, ``on_before_backward``, a custom ``optimizer_step``...); a
``"step"`` scheduler is read as stepping every ``frequency`` optimizer steps; ``mode="confirm"``'s
sweep copies clip by norm as the trainer does (``gradient_clip_val`` with ``gradient_clip_algorithm``
``"norm"``, each copy by its own gradients' norm) but train without ``"value"`` clipping or a module's
own ``configure_gradient_clipping`` (the range test runs those); resuming with ``ckpt_path`` restores the
checkpoint's optimizer and scheduler after ``on_fit_start``, over the LR set here (the module's
attribute stays); a ``DataLoader`` with ``persistent_workers=True`` shares its worker iterator with
the range test, so its first epoch's order is not guaranteed to be the one without the callback.

Examples::

    trainer = Trainer(max_epochs=5, callbacks=[LRFinder()])
    trainer.fit(model, datamodule=dm)              # trains from the suggested LR
    trainer.callbacks[0].suggested_lr

    found = find_lr(Trainer(max_epochs=5), model, dm)   # model.lr is set; fit when you like
"""

from __future__ import annotations

import math
from typing import Any

from lrlab._checks import check_bool, check_choice, check_int, check_real, check_seed, show
from lrlab.finder._checks import check_range
from lrlab.finder.suggest import DEFAULT_METHOD, METHODS
from lrlab.integrations._lightning_run import LightningLR, import_lightning, lr_attr, run

pl, _exceptions = import_lightning()
_Callback: Any = pl.Callback  # the installed package's class (lightning.pytorch or pytorch_lightning)

MODES = ("exp", "linear", "confirm")

__all__ = ["LRFinder", "LightningLR", "find_lr", "MODES"]


class LRFinder(_Callback):
    """Run lrlab's range test at the start of ``fit`` and train from the suggested LR.

    Args:
        start_lr, end_lr, num_iter: The range test's sweep (``0 < start_lr < end_lr``, ``num_iter >= 2``).
        mode: ``"exp"`` or ``"linear"`` spacing of the range test, the LR read off it by ``method``;
            or ``"confirm"``: :func:`lrlab.suggest_lr` for the configured schedule and run length.
        method: The rule for ``exp`` / ``linear`` (one of :data:`lrlab.finder.METHODS`).
        smooth, diverge_th: The range test's EMA factor and divergence threshold.
        apply: Set the LR on the optimizer, the schedulers and the module; ``False``: only record it.
        attr_name: The module's LR attribute (also looked up in ``hparams``); ``None``: ``lr`` or
            ``learning_rate`` if the module has one.
        log_figure: Log the figure to every logger whose ``experiment`` has ``add_figure``
            (TensorBoard), and ``lr_finder/suggested_lr`` to every logger, on rank 0.
        total_steps: The run length in optimizer steps for reading the schedule; ``None``:
            ``trainer.estimated_stepping_batches`` (``max_steps``, or ``max_epochs`` x batches per epoch).
        budget_steps, seed: For ``mode="confirm"`` (see :func:`lrlab.suggest_lr`).

    Attributes:
        result: The :class:`LightningLR` of the last run (``None`` before).
        suggested_lr: ``result.lr`` (``None`` before).

    Raises:
        TypeError, ValueError: For bad options, when the callback is made.
    """

    def __init__(
        self,
        *,
        start_lr: float = 1e-7,
        end_lr: float = 10.0,
        num_iter: int = 100,
        mode: str = "exp",
        method: str = DEFAULT_METHOD,
        smooth: float = 0.98,
        diverge_th: float = 4.0,
        apply: bool = True,
        attr_name: str | None = None,
        log_figure: bool = True,
        total_steps: int | None = None,
        budget_steps: int | None = None,
        seed: int | None = None,
    ) -> None:
        check_choice("mode", mode, MODES)
        check_range(start_lr, end_lr, num_iter, "exp" if mode == "confirm" else mode, smooth, diverge_th)
        check_choice("method", method, METHODS)
        check_bool("apply", apply)
        check_bool("log_figure", log_figure)
        if attr_name is not None and not (isinstance(attr_name, str) and attr_name.isidentifier()):
            raise TypeError(f"attr_name must be None or an attribute name, got {show(attr_name)}")
        if total_steps is not None:
            check_int("total_steps", total_steps, 1)
        if budget_steps is not None:
            check_int("budget_steps", budget_steps, 1)
        check_seed("seed", seed)
        if mode != "confirm" and (budget_steps is not None or seed is not None):
            raise ValueError(f"budget_steps and seed must be None unless mode='confirm', got mode={mode!r}")
        self.options: dict[str, Any] = dict(
            start_lr=float(start_lr),
            end_lr=float(end_lr),
            num_iter=int(num_iter),
            mode=mode,
            method=method,
            smooth=float(smooth),
            diverge_th=float(check_real("diverge_th", diverge_th, finite=False)),
            apply=bool(apply),
            attr_name=attr_name,
            log_figure=bool(log_figure),
            total_steps=total_steps,
            budget_steps=budget_steps,
            seed=seed,
        )
        self.result: LightningLR | None = None
        self._exit = False

    @property
    def suggested_lr(self) -> float | None:
        """The last suggested LR (``None`` before the callback ran)."""
        return None if self.result is None else self.result.lr

    def on_fit_start(self, trainer: Any, pl_module: Any) -> None:
        """Run the range test, restore everything, apply and log the LR."""
        self.result = run(trainer, pl_module, self.options)
        if self.options["log_figure"] and trainer.is_global_zero:
            _log(trainer, self.result)
        if self._exit:
            raise _exceptions._TunerExitException()


def _log(trainer: Any, result: LightningLR) -> None:
    loggers = list(trainer.loggers)
    for logger in loggers:
        logger.log_metrics({"lr_finder/suggested_lr": result.lr}, step=trainer.global_step)
    experiments: list[Any] = [getattr(lg, "experiment", None) for lg in loggers]
    writers = [w for w in experiments if callable(getattr(w, "add_figure", None))]
    if not writers:
        return
    import matplotlib.pyplot as plt

    fig = result.plot()
    try:
        for writer in writers:
            writer.add_figure("lr_finder", fig, global_step=trainer.global_step)
    finally:
        plt.close(fig)


def find_lr(
    trainer: Any,
    module: Any,
    datamodule: Any = None,
    *,
    train_dataloaders: Any = None,
    **options: Any,
) -> LightningLR:
    """Run :class:`LRFinder` outside ``fit`` (Lightning's ``Tuner.lr_find``) and return what it found.

    ``trainer.fit`` runs up to ``on_fit_start`` (set-up, strategy, optimizers), the range test runs and
    the fit stops there. With ``apply=True`` (the default) the LR is set on the module's LR attribute,
    which ``configure_optimizers`` reads when you call ``trainer.fit`` next (the optimizer of this
    stopped fit is discarded, so a module without such an attribute is refused up front).

    Args:
        trainer: A ``Trainer`` (its strategy, precision, accumulation and run length are used).
        module: The ``LightningModule``.
        datamodule, train_dataloaders: The data, as for ``trainer.fit``.
        **options: :class:`LRFinder`'s options.

    Returns:
        The :class:`LightningLR`.

    Raises:
        TypeError, ValueError: For bad options or a module without an LR attribute, before anything runs.
    """
    callback = LRFinder(**options)
    if not isinstance(module, pl.LightningModule):
        raise TypeError(f"module must be a LightningModule, got {type(module).__name__}")
    if not isinstance(trainer, pl.Trainer):
        raise TypeError(f"trainer must be a Lightning Trainer, got {type(trainer).__name__}")
    if callback.options["apply"]:
        lr_attr(module, callback.options["attr_name"], required=True)
    callback._exit = True
    trainer.callbacks = [callback, *trainer.callbacks]
    try:
        trainer.fit(module, train_dataloaders=train_dataloaders, datamodule=datamodule)
    finally:
        trainer.callbacks = [c for c in trainer.callbacks if c is not callback]
    if callback.result is None:
        raise RuntimeError("the range test did not run: trainer.fit stopped before on_fit_start")
    if not math.isfinite(callback.result.lr):
        raise RuntimeError(f"the suggested LR is not finite: {callback.result.lr}")
    return callback.result
