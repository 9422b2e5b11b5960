"""lrlab for a Hugging Face ``transformers.Trainer``: the range test and the peak LR of its run.

:func:`find_lr` and :func:`suggest_lr` take a ``Trainer`` and read everything off it: the model;
the optimizer ``trainer.create_optimizer()`` builds (``args.optim``, ``learning_rate``,
``weight_decay`` with its decay / no-decay split), or the one the Trainer already holds; the
batches of ``trainer.get_train_dataloader()`` (its sampler and collator); the Trainer's loss
(``trainer.compute_loss``: the model's ``outputs.loss``, label smoothing, a ``compute_loss_func``);
``args.gradient_accumulation_steps``; ``args.max_grad_norm``; and, for :func:`suggest_lr`, the
schedule ``trainer.create_scheduler`` would build (``args.lr_scheduler_type``, its warmup,
``args.lr_scheduler_kwargs``) over the run's ``max_steps`` (or ``num_train_epochs`` epochs).
Both are thin: they call :func:`lrlab.finder.find_lr` and :func:`lrlab.confirm.suggest_lr`.

**The Trainer comes back as it was**: the model's weights, buffers, grads and train/eval flags and
the Python, NumPy and torch RNG states bitwise (lrlab's state guard), ``trainer.optimizer`` and
``trainer.lr_scheduler`` as they were (``None`` on a fresh Trainer), so a ``trainer.train()``
afterwards runs exactly as it would have. ``suggest_lr(trainer, apply=True)`` changes one thing:
``trainer.args.learning_rate``.

**Gradient clipping**: the range test and every copy ``suggest_lr`` trains under the schedule clip
the gradient norm to ``args.max_grad_norm`` before each optimizer step, as the Trainer does
(lrlab's ``max_grad_norm``: ``torch.nn.utils.clip_grad_norm_`` after accumulation and unscaling,
each sweep copy by its own gradients' norm); ``max_grad_norm=0`` or ``None``: no clipping.

**A callback too**: :class:`LRFinderCallback` does the same inside ``trainer.train()``. The
Trainer creates its optimizer and scheduler *before* ``on_train_begin`` (in
``_prepare_for_training``) and hands them to callbacks; the callback runs
:func:`lrlab.confirm.suggest_lr` there on the real optimizer, with the exact shape of the
scheduler the Trainer built (its ``lr_lambdas`` over ``state.max_steps``), and writes the
suggested peak into the optimizer's param groups and the scheduler's ``base_lrs``. It uses the
model's own ``outputs.loss`` (callbacks do not see the Trainer's ``compute_loss``). Prefer
:func:`suggest_lr` before ``train()`` where you can: it shows the evidence before you commit.

Examples:
    Before training (``trainer`` a ``transformers.Trainer`` with a train dataset)::

        from lrlab.integrations.transformers import find_lr, suggest_lr

        find_lr(trainer).plot()                     # the range test's curve
        conf = suggest_lr(trainer, apply=True)      # trainer.args.learning_rate = conf.lr
        trainer.train()
"""

from __future__ import annotations

import inspect
from typing import Any

try:
    import transformers
except ImportError as exc:  # pragma: no cover - exercised only without transformers installed
    raise ImportError("lrlab.integrations.transformers needs transformers: pip install lrlab[transformers]") from exc

from lrlab import confirm, finder
from lrlab._checks import check_bool, check_real, show
from lrlab.confirm.result import Confirmation
from lrlab.finder.result import LRFinderResult
from lrlab.integrations._hf_callback import LRFinderCallback
from lrlab.integrations._hf_trainer import (
    scheduler_factory,
    set_learning_rate,
    trainer_loader,
    trainer_optimizer,
    trainer_step,
)
from lrlab.integrations._hf_trainer import total_steps as run_length

__all__ = ["find_lr", "suggest_lr", "LRFinderCallback"]

# The arguments of lrlab's range test the Trainer provides; the rest may be passed through.
_FROM_TRAINER = ("model", "optimizer", "criterion", "train_loader", "device")
_FINDER_OPTIONS = tuple(n for n in inspect.signature(finder.find_lr).parameters if n not in _FROM_TRAINER)


class _Default:
    def __repr__(self) -> str:
        return "<the Trainer's>"


_TRAINERS = _Default()


def _check_trainer(trainer: Any) -> None:
    if not isinstance(trainer, transformers.Trainer):
        raise TypeError(f"trainer must be a transformers.Trainer, got {type(trainer).__name__} {show(trainer)}")


def _clip_norm(trainer: Any, max_grad_norm: Any) -> float | None:
    """The clipping threshold for lrlab: ``None`` for none (the Trainer's ``0`` included)."""
    value = getattr(trainer.args, "max_grad_norm", None) if max_grad_norm is _TRAINERS else max_grad_norm
    if value is None:
        return None
    norm = check_real("max_grad_norm", value, 0.0)
    return norm if norm > 0 else None


def find_lr(trainer: Any, *, max_grad_norm: Any = _TRAINERS, **options: Any) -> LRFinderResult:
    """The LR range test (:func:`lrlab.finder.find_lr`) on a Trainer's model, optimizer, batches and loss.

    Args:
        trainer: A ``transformers.Trainer`` with a ``train_dataset``.
        max_grad_norm: Clip the gradient norm to this before each step (default
            ``args.max_grad_norm``; ``None`` or 0: no clipping).
        **options: Any keyword of :func:`lrlab.finder.find_lr` but the ones the Trainer gives
            (``model``, ``optimizer``, ``criterion``, ``train_loader``, ``device``):
            ``start_lr``, ``end_lr``, ``num_iter``, ``mode``, ``val_loader``, ``progress`` ...
            ``accumulation_steps`` defaults to ``args.gradient_accumulation_steps`` and
            ``step_fn`` to the Trainer's ``compute_loss``.

    Returns:
        The :class:`~lrlab.finder.result.LRFinderResult`.

    Raises:
        TypeError: For a trainer that is not a ``transformers.Trainer``.
        ValueError: For an option lrlab's range test does not take (or one the Trainer gives),
            and as :func:`lrlab.finder.find_lr` does, before anything trains.
    """
    _check_trainer(trainer)
    _check_options("options", options, _FINDER_OPTIONS)
    clip = _clip_norm(trainer, max_grad_norm)
    options.setdefault("accumulation_steps", trainer.args.gradient_accumulation_steps)
    if options.get("step_fn") is None:
        options["step_fn"] = trainer_step(trainer)
    with trainer_optimizer(trainer) as optimizer, trainer_loader(trainer) as loader:
        return finder.find_lr(trainer.model, optimizer, None, loader, max_grad_norm=clip, **options)


def suggest_lr(
    trainer: Any,
    *,
    apply: bool = False,
    schedule: Any = _TRAINERS,
    total_steps: int | None = None,
    max_grad_norm: Any = _TRAINERS,
    seed: Any = _TRAINERS,
    **options: Any,
) -> Confirmation:
    """The peak LR for the Trainer's run (:func:`lrlab.confirm.suggest_lr`): its schedule, its length.

    Args:
        trainer: A ``transformers.Trainer`` with a ``train_dataset``.
        apply: Write the suggestion into ``trainer.args.learning_rate`` (the LR ``train()`` uses
            for the optimizer it creates). Not allowed when the Trainer already holds an
            optimizer (given as ``optimizers=`` or left by an earlier ``train()``): it would
            ignore the argument.
        schedule: The run's shape (peak 1, any form of :mod:`lrlab.schedules.shape`; ``None``:
            constant). Default: ``transformers.get_scheduler(args.lr_scheduler_type, ...)`` with
            the warmup of ``args.warmup_steps`` / ``warmup_ratio`` and ``args.lr_scheduler_kwargs``,
            sampled on a private optimizer at LR 1 (a ``polynomial`` schedule's ``lr_end`` is then
            read relative to the peak).
        total_steps: The run's optimizer steps (default: ``args.max_steps`` when > 0, else
            ``num_train_epochs`` times the steps per epoch).
        max_grad_norm: Clip the gradient norm to this before each step, in the range test and in
            every copy of the sweeps (default ``args.max_grad_norm``; ``None`` or 0: no clipping).
        seed: Seed of the copies' per-step randomness (default ``args.seed``; ``None`` draws one).
        **options: Any other keyword of :func:`lrlab.confirm.suggest_lr` (``budget_steps``,
            ``start_lr``, ``end_lr``, ``num_iter``, ``step_fn``, ``range_test_options``, ``progress``).

    Returns:
        The :class:`~lrlab.confirm.result.Confirmation` (``.lr``, ``.band``, the evidence).

    Raises:
        TypeError, ValueError: For a bad trainer or option, ``apply=True`` with an optimizer the
            Trainer already holds, a Trainer scheduler lrlab cannot read (one passed in, or
            ``reduce_lr_on_plateau``) without ``schedule=``; all before anything trains.
    """
    _check_trainer(trainer)
    allowed = tuple(n for n in inspect.signature(confirm.suggest_lr).parameters if n not in _FROM_TRAINER)
    _check_options("options", options, allowed)
    apply = check_bool("apply", apply)
    args = trainer.args
    if apply and trainer.optimizer is not None:
        raise ValueError(
            "apply must be False for a Trainer that already holds an optimizer (it ignores "
            f"args.learning_rate then), got True with {type(trainer.optimizer).__name__}; set its LR yourself"
        )
    own_scheduler = trainer.lr_scheduler is not None and not getattr(trainer, "_created_lr_scheduler", False)
    if schedule is _TRAINERS and own_scheduler:
        raise ValueError(
            "schedule must be given for a Trainer holding a scheduler of its own, got none; "
            f"pass the shape of {type(trainer.lr_scheduler).__name__} (e.g. a factory optimizer -> scheduler)"
        )
    clip = _clip_norm(trainer, max_grad_norm)
    seed = args.seed if seed is _TRAINERS else seed
    if options.get("step_fn") is None:
        options["step_fn"] = trainer_step(trainer)
    test_options = dict(options.pop("range_test_options", None) or {})
    test_options.setdefault("accumulation_steps", args.gradient_accumulation_steps)
    with trainer_optimizer(trainer) as optimizer, trainer_loader(trainer) as loader:
        steps = total_steps if total_steps is not None else run_length(trainer, loader)
        shape = scheduler_factory(trainer, steps) if schedule is _TRAINERS else schedule
        conf = confirm.suggest_lr(
            trainer.model,
            optimizer,
            None,
            loader,
            schedule=shape,
            total_steps=steps,
            seed=seed,
            range_test_options=test_options,
            max_grad_norm=clip,
            **options,
        )
    if apply:
        set_learning_rate(args, conf.lr)
    return conf


def _check_options(name: str, options: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        given = [k for k in unknown if k in _FROM_TRAINER]
        why = f"; {given} come from the Trainer" if given else ""
        raise ValueError(f"{name} must be among {sorted(allowed)}, got {unknown}{why}")
