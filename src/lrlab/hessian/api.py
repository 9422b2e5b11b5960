"""``sharpness``: the top Hessian eigenvalues of a model's loss on one batch, the model untouched."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from lrlab._checks import check_bool, check_choice, check_int, check_real, check_seed, show
from lrlab.hessian._lanczos import lanczos
from lrlab.hessian._operator import HessianOperator, trainable
from lrlab.hessian.edge import adam_scale, edge_constant, is_adam
from lrlab.hessian.result import SharpnessResult
from lrlab.train.batches import to_device
from lrlab.train.contract import Criterion, StepFn, make_step
from lrlab.train.guard import StateGuard, TrainModes

__all__ = ["sharpness", "measure", "resolve_precondition"]

PRECONDITION = ("auto",)


def resolve_precondition(precondition: bool | str, optimizer: torch.optim.Optimizer | None) -> bool:
    """``"auto"`` -> whether ``optimizer`` is Adam/AdamW; ``True`` requires one.

    Raises:
        ValueError, TypeError: For another value, or ``True`` with an optimizer lrlab cannot read.
    """
    if isinstance(precondition, str):
        check_choice("precondition", precondition, PRECONDITION)
        return is_adam(optimizer)
    pre = check_bool("precondition", precondition)
    if pre and not is_adam(optimizer):
        raise ValueError(
            "precondition=True needs optimizer to be a torch.optim.Adam or AdamW (whose state holds the "
            f"preconditioner), got {type(optimizer).__name__ if optimizer is not None else 'None'}"
        )
    return pre


def measure(
    model: nn.Module,
    step_fn: StepFn,
    batch: Any,
    params: Sequence[tuple[str, torch.Tensor]],
    *,
    optimizer: torch.optim.Optimizer | None,
    preconditioned: bool,
    k: int,
    iters: int,
    tol: float,
    train: bool,
    seed: int = 0,
    start: torch.Tensor | None = None,
    vectors: bool = False,
    scale: torch.Tensor | None = None,
    others: dict[str, torch.Tensor] | None = None,
    noise: float = 0.0,
) -> SharpnessResult:
    """The measurement itself, for a batch on the model's device. It changes no parameter, grad or
    buffer; it sets the model's mode and puts every module's flag back; the caller keeps the RNGs
    (a train-mode Hessian runs dropout). ``scale`` (``P^{-1/2}``) and ``others`` (buffers) are a sweep
    copy's, where there is no optimizer object to read them from.

    Raises:
        NonFiniteLoss: If the batch's loss is not finite.
    """
    modes = TrainModes(model)
    try:
        modes.train() if train else modes.eval()
        if scale is None and preconditioned and optimizer is not None:
            scale = adam_scale(optimizer, params)
        op = HessianOperator(model, step_fn, batch, params, scale, others)
    finally:
        modes.restore()
    with torch.no_grad():
        modes.train() if train else modes.eval()
        try:
            eig = lanczos(
                op,
                op.size,
                k=k,
                iters=iters,
                tol=tol,
                start=start,
                dtype=op.dtype,
                device=op.device,
                seed=seed,
                vectors=vectors,
                noise=noise,
            )
        finally:
            modes.restore()
    lr = None if optimizer is None else float(optimizer.param_groups[0]["lr"])
    return SharpnessResult(
        eigenvalues=eig.values,
        iterations=eig.iterations,
        converged=eig.converged,
        preconditioned=preconditioned,
        edge_constant=edge_constant(optimizer, preconditioned),
        lr=lr,
        loss=op.loss,
        vectors=eig.vectors,
    )


def sharpness(
    model: nn.Module,
    criterion: Criterion | None,
    batch: Any,
    *,
    step_fn: StepFn | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    k: int = 1,
    iters: int = 20,
    tol: float = 1e-3,
    precondition: bool | str = "auto",
    train: bool = False,
    vectors: bool = False,
    seed: int = 0,
) -> SharpnessResult:
    """The top-``k`` eigenvalues of the Hessian of the loss on ``batch`` (the *sharpness* ``lambda_max``).

    Hessian-vector products ``H v = d/dθ (∇L(θ) · v)`` (double backward through
    ``torch.func.functional_call`` of the step function, :mod:`lrlab.train.contract`) feed the
    Lanczos method (:func:`lrlab.hessian._lanczos.lanczos`): ``iters`` products at most, fewer once
    the top-k Ritz residuals are below ``tol * |lambda_max|``.

    **Mode**: by default the Hessian is taken in *eval* mode (dropout off, BatchNorm on its running
    statistics), so it is a deterministic function of the weights; ``train=True`` takes it in train
    mode (batch statistics, dropout: one fixed dropout mask per call).

    **Nothing changes**: the model's parameters, grads, buffers (BatchNorm's running stats), every
    module's train/eval flag, the optimizer and the Python/NumPy/torch RNG states come back as they
    were (under :class:`lrlab.train.guard.StateGuard`); the random start vector comes from a private
    generator seeded by ``seed``.

    **Adam**: with ``optimizer`` an Adam/AdamW that has taken a step, ``precondition="auto"`` gives
    the *preconditioned* sharpness, the top eigenvalue of ``P^{-1/2} H P^{-1/2}`` with
    ``P = (1 - b1^t) diag(sqrt(v_hat) + eps)`` (Cohen et al. 2022), to compare with ``38 / lr``
    at ``b1 = 0.9``; see :mod:`lrlab.hessian.edge` for the thresholds of GD (``2 / lr``) and SGD with
    momentum (``(2 + 2b) / lr``).

    Args:
        model: The model (never modified).
        criterion: ``criterion(model(x), y)`` for ``(x, y)`` batches; ``None`` with ``step_fn``.
        batch: One batch (moved to the model's device).
        step_fn: ``step_fn(model, batch) -> loss`` for other batches.
        optimizer: Its optimizer: the Hessian is then over the parameters it trains, the result
            carries its LR and threshold, and Adam's state gives the preconditioner.
        k: How many top eigenvalues, ``1 <= k <= `` the number of trainable parameters.
        iters: The most Hessian-vector products, ``>= k`` (at most ``n`` are run, which is exact).
        tol: Relative residual at which Lanczos stops early, ``>= 0`` (0: always run ``iters``).
        precondition: ``"auto"`` (Adam/AdamW: yes), ``True`` or ``False``.
        train: Take the Hessian in train mode instead of eval mode.
        vectors: Also return the eigenvectors.
        seed: Seed of the random start vector.

    Returns:
        A :class:`~lrlab.hessian.result.SharpnessResult`.

    Raises:
        TypeError, ValueError: For bad arguments (named), a model without trainable parameters, or
            a batch whose loss is not finite; the model and optimizer untouched.

    Examples:
        >>> import torch
        >>> model = torch.nn.Linear(2, 1, bias=False)
        >>> x = torch.tensor([[1.0, 0.0], [0.0, 2.0]]); y = torch.zeros(2, 1)
        >>> r = sharpness(model, torch.nn.MSELoss(), (x, y), k=2)
        >>> r.eigenvalues.round(4).tolist(), round(r.edge_lr, 6)  # H = 2/N X^T X = diag(1, 4)
        ([4.0, 1.0], 0.5)
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__} {show(model)}")
    step = make_step(criterion, step_fn)
    k = check_int("k", k, 1)
    iters = check_int("iters", iters, 1)
    tol = check_real("tol", tol, 0.0)
    train = check_bool("train", train)
    vectors = check_bool("vectors", vectors)
    seed = int(check_seed("seed", seed) or 0)
    if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer or None, got {type(optimizer).__name__}")
    pre = resolve_precondition(precondition, optimizer)
    params = trainable(model, optimizer)
    if not params:
        where = " that the optimizer trains" if optimizer is not None else ""
        raise ValueError(f"model must have parameters that require grad{where}, got none")
    n = sum(p.numel() for _, p in params)
    k = check_int("k", k, 1, n, hint="k is at most the number of trainable parameters")
    if iters < k:
        raise ValueError(f"iters must be >= k ({k}), got {iters}")
    batch = to_device(batch, params[0][1].device)
    with StateGuard(model, optimizer):
        return measure(
            model,
            step,
            batch,
            params,
            optimizer=optimizer,
            preconditioned=pre,
            k=k,
            iters=iters,
            tol=tol,
            train=train,
            seed=seed,
            vectors=vectors,
        )
