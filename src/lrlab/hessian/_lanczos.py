"""The top eigenvalues of a symmetric operator by the Lanczos method (with full reorthogonalisation).

``m`` steps build an orthonormal basis ``Q`` of the Krylov space ``span{q, Aq, ..., A^{m-1} q}``
and the tridiagonal ``T = Q^T A Q`` (diagonal ``alpha``, off-diagonal ``beta``); the top-k
eigenvalues of ``T`` (the Ritz values) approach those of ``A`` from below, the largest fastest.
A Ritz pair ``(theta, y = Q s)`` has residual ``||A y - theta y|| = beta_m |s_m|``: the run stops
once the top-k residuals are all ``<= tol * |theta_1|``, and is exact after ``n`` steps (the
whole space). Every new vector is orthogonalised twice against all previous ones, which keeps
the Ritz values free of the spurious copies plain Lanczos produces, at the cost of ``m`` stored
vectors. A breakdown (``beta = 0``: an invariant subspace, as with repeated eigenvalues) restarts
from a fresh random vector orthogonal to the basis.

Compared with power iteration, Lanczos finds the top *algebraic* eigenvalues (power iteration
finds the largest in magnitude, which can be a negative one) and converges much faster for the
same number of products.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch

__all__ = ["Eigen", "lanczos"]


class Eigen(NamedTuple):
    """Top-k Ritz values (descending), their vectors (``(k, n)``) or ``None``, steps run, convergence."""

    values: np.ndarray
    vectors: torch.Tensor | None
    iterations: int
    converged: bool


def _random(
    n: int, like: torch.Tensor | None, dtype: torch.dtype, device: torch.device, seed: int, noise: float = 0.0
) -> torch.Tensor:
    # A private generator: the global RNG streams are not consumed.
    gen = torch.Generator(device=device).manual_seed(seed)
    r = torch.randn(n, generator=gen, dtype=dtype, device=device)
    if like is None:
        return r
    v = like.to(dtype=dtype, device=device)
    return v / v.norm() + noise * r / r.norm() if noise > 0 else v.clone()


def lanczos(
    matvec: Callable[[torch.Tensor], torch.Tensor],
    n: int,
    *,
    k: int = 1,
    iters: int = 20,
    tol: float = 1e-3,
    start: torch.Tensor | None = None,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str = "cpu",
    seed: int = 0,
    vectors: bool = False,
    noise: float = 0.0,
) -> Eigen:
    """The ``k`` largest eigenvalues of the symmetric ``n x n`` operator ``matvec``.

    Args:
        matvec: ``v -> A v`` for flat vectors of ``n`` entries.
        n: The dimension.
        k: How many eigenvalues (``1 <= k <= min(n, iters)``).
        iters: The most Lanczos steps (products with ``A``); at most ``n`` are ever run.
        tol: Stop when every top-k Ritz residual is ``<= tol * |theta_1|`` (0: run all ``iters``).
        start: The first vector (a warm start: the previous top eigenvector); default random.
        dtype, device: Of the basis vectors.
        seed: Seed of the random start (a private generator).
        vectors: Also return the Ritz vectors.
        noise: With ``start``, add a random unit vector times ``noise`` to it: a warm start that
            is an eigenvector of a no-longer-top eigenvalue would otherwise converge to it at once
            and hide a new top direction.

    Examples:
        >>> import torch
        >>> a = torch.diag(torch.tensor([3.0, 1.0, -5.0], dtype=torch.float64))
        >>> lanczos(lambda v: a @ v, 3, k=2, dtype=torch.float64).values.round(6).tolist()
        [3.0, 1.0]
    """
    device = torch.device(device)
    m = min(int(iters), int(n))
    basis = torch.zeros(m + 1, n, dtype=dtype, device=device)
    alphas: list[float] = []
    betas: list[float] = []  # betas[j] couples basis[j] and basis[j + 1] (0 after a restart)
    q = _random(n, start, dtype, device, seed, noise)
    q = q / q.norm()
    basis[0] = q
    theta = np.zeros(0)
    s = np.zeros((0, 0))
    converged = False
    steps = 0
    for j in range(m):
        w = matvec(basis[j]).to(dtype)
        alpha = float(torch.dot(w, basis[j]))
        for _ in range(2):  # twice is enough (Kahan, Parlett)
            w = w - basis[: j + 1].T @ (basis[: j + 1] @ w)
        beta = float(w.norm())
        alphas.append(alpha)
        steps = j + 1
        t = np.diag(alphas) + np.diag(betas, 1) + np.diag(betas, -1)
        theta, s = np.linalg.eigh(t)
        theta, s = theta[::-1], s[:, ::-1]
        scale = max(abs(float(theta[0])), np.finfo(np.float64).tiny)
        tiny = beta <= 1e3 * float(np.finfo(np.float64 if dtype == torch.float64 else np.float32).eps) * scale
        if steps >= k:
            residual = beta * np.abs(s[-1, :k])
            if tiny or bool(np.all(residual <= tol * scale)):
                # A breakdown with the Krylov space exhausted is exact; otherwise the residuals say so.
                converged = True
                if not tiny or steps == n:
                    break
        if j == m - 1:
            break
        if tiny:
            # An invariant subspace: continue from a random vector orthogonal to it.
            w = _random(n, None, dtype, device, seed + j + 1)
            for _ in range(2):
                w = w - basis[: j + 1].T @ (basis[: j + 1] @ w)
            betas.append(0.0)
            basis[j + 1] = w / w.norm()
            converged = False
        else:
            betas.append(beta)
            basis[j + 1] = w / beta
    if steps == n:
        converged = True
    count = min(k, theta.size)
    vecs = None
    if vectors:
        coeffs = torch.tensor(s[:, :count].T.copy(), dtype=dtype, device=device)
        vecs = coeffs @ basis[:steps]
    return Eigen(np.array(theta[:count], dtype=np.float64), vecs, steps, converged)
