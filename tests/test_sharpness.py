"""``lrlab.sharpness``: exact against the dense Hessian and a quadratic, Adam's preconditioned sharpness,
the stability constants, and the model left untouched (also on every error path)."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
import torch
from torch import nn
from torch.func import functional_call

import lrlab
from lrlab.hessian import edge_constant, lanczos
from lrlab.hessian.edge import adam_scale

CE = nn.CrossEntropyLoss()


def _mlp(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3)).double()


def _batch(seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(16, 4, generator=g, dtype=torch.float64), torch.randint(0, 3, (16,), generator=g)


def _dense_hessian(model: nn.Module, batch) -> torch.Tensor:
    names = [n for n, _ in model.named_parameters()]
    shapes = [p.shape for p in model.parameters()]
    sizes = [p.numel() for p in model.parameters()]
    flat = torch.cat([p.detach().reshape(-1) for p in model.parameters()])

    def f(v: torch.Tensor) -> torch.Tensor:
        params = dict(zip(names, [c.view(s) for c, s in zip(torch.split(v, sizes), shapes)]))
        return CE(functional_call(model, params, (batch[0],)), batch[1])

    return torch.autograd.functional.hessian(f, flat)


def _n(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("k", [1, 3])
def test_top_k_eigenvalues_match_the_dense_hessian(k):
    model, batch = _mlp(), _batch()
    want = torch.linalg.eigvalsh(_dense_hessian(model, batch)).flip(0)[:k].numpy()
    got = lrlab.sharpness(model, CE, batch, k=k, iters=_n(model), tol=0.0)
    np.testing.assert_allclose(got.eigenvalues, want, rtol=1e-6)
    assert got.converged and got.iterations == _n(model)
    # The default early stop (tol=1e-3 on the residual) still gives lambda_max to 1e-6.
    quick = lrlab.sharpness(model, CE, batch, iters=40)
    assert quick.converged and quick.iterations < _n(model)
    np.testing.assert_allclose(quick.lambda_max, want[0], rtol=1e-6)


def test_eigenvectors_satisfy_h_v_equals_lambda_v():
    model, batch = _mlp(), _batch()
    h = _dense_hessian(model, batch)
    r = lrlab.sharpness(model, CE, batch, k=2, iters=_n(model), tol=0.0, vectors=True)
    assert r.vectors.shape == (2, _n(model))
    for lam, v in zip(r.eigenvalues, r.vectors):
        torch.testing.assert_close(h @ v, lam * v, rtol=0, atol=1e-8)


class _Quadratic(nn.Module):
    def __init__(self, n: int) -> None:
        super().__init__()
        self.theta = nn.Parameter(torch.linspace(-1, 1, n, dtype=torch.float64))


def _quadratic_step(a: torch.Tensor):
    def step(model, batch):
        return 0.5 * model.theta @ a @ model.theta + batch.sum() * 0

    return step


@pytest.mark.parametrize(
    "spectrum",
    [[9.0, 4.0, 1.0, -3.0, 0.5, 0.0], [2.0, 2.0, 2.0, 1.0, 1.0, -20.0]],
    ids=["distinct-with-a-larger-negative", "repeated"],
)
def test_quadratic_gives_the_top_algebraic_eigenvalues(spectrum):
    q, _ = torch.linalg.qr(torch.randn(6, 6, generator=torch.Generator().manual_seed(3), dtype=torch.float64))
    a = q @ torch.diag(torch.tensor(spectrum, dtype=torch.float64)) @ q.T
    r = lrlab.sharpness(_Quadratic(6), None, torch.zeros(1), step_fn=_quadratic_step(a), k=3, iters=6, tol=0.0)
    np.testing.assert_allclose(r.eigenvalues, sorted(spectrum, reverse=True)[:3], rtol=1e-10, atol=1e-10)
    assert r.edge_lr == pytest.approx(2.0 / max(spectrum))


def test_lanczos_on_a_diagonal_operator_stops_early_and_needs_no_global_rng():
    d = torch.linspace(0.0, 1.0, 200, dtype=torch.float64)
    d[-1] = 10.0
    state = torch.get_rng_state()
    eig = lanczos(lambda v: d * v, 200, k=1, iters=50, tol=1e-6, dtype=torch.float64)
    assert torch.equal(state, torch.get_rng_state())
    assert eig.converged and eig.iterations < 50 and eig.values[0] == pytest.approx(10.0, rel=1e-10)


def _adam_model():
    model, batch = _mlp(), _batch()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2, betas=(0.8, 0.99), eps=1e-6)
    for _ in range(3):
        opt.zero_grad()
        CE(model(batch[0]), batch[1]).backward()
        opt.step()
    return model, opt, batch


def test_adam_preconditioned_sharpness_matches_the_dense_computation():
    model, opt, batch = _adam_model()
    h = _dense_hessian(model, batch)
    # P = (1 - b1^t) diag(sqrt(v / (1 - b2^t)) + eps), from the state, independently of lrlab.
    diag = []
    for p in model.parameters():
        st = opt.state[p]
        t = float(st["step"])
        diag.append((1 - 0.8**t) * ((st["exp_avg_sq"] / (1 - 0.99**t)).sqrt() + 1e-6).reshape(-1))
    pinv = 1.0 / torch.cat(diag)
    want = torch.linalg.eigvals(pinv[:, None] * h).real.max().item()  # top eigenvalue of P^-1 H
    sym = torch.linalg.eigvalsh(pinv.sqrt()[:, None] * h * pinv.sqrt()[None, :]).max().item()
    assert want == pytest.approx(sym, rel=1e-8)
    r = lrlab.sharpness(model, CE, batch, optimizer=opt, iters=_n(model), tol=0.0)
    assert r.preconditioned and r.lambda_max == pytest.approx(want, rel=1e-6)
    assert r.edge_constant == pytest.approx((2 + 2 * 0.8) / (1 - 0.8)) and r.lr == 1e-2
    assert r.threshold == pytest.approx(r.edge_constant / 1e-2)
    plain = lrlab.sharpness(model, CE, batch, optimizer=opt, precondition=False, iters=_n(model), tol=0.0)
    assert not plain.preconditioned and plain.edge_constant is None
    assert plain.lambda_max == pytest.approx(torch.linalg.eigvalsh(h).max().item(), rel=1e-6)
    torch.testing.assert_close(adam_scale(opt, list(model.named_parameters())), pinv.sqrt(), rtol=1e-12, atol=0)


def test_edge_constants():
    p = [nn.Parameter(torch.zeros(1))]
    assert edge_constant(None, False) == 2.0
    assert edge_constant(torch.optim.SGD(p, lr=0.1), False) == 2.0
    assert edge_constant(torch.optim.SGD(p, lr=0.1, momentum=0.9), False) == pytest.approx(3.8)
    assert edge_constant(torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True), False) == pytest.approx(3.8 / 2.8)
    assert edge_constant(torch.optim.Adam(p, lr=0.1), True) == pytest.approx(38.0)
    assert edge_constant(torch.optim.AdamW(p, lr=0.1, betas=(0.95, 0.999)), True) == pytest.approx(3.9 / 0.05)
    assert edge_constant(torch.optim.RMSprop(p, lr=0.1), False) is None


class _Noisy(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.Dropout(0.3), nn.Tanh(), nn.Linear(6, 3))

    def forward(self, x):
        return self.net(x)


def _snapshot(model, opt):
    return (
        [t.detach().clone() for t in [*model.parameters(), *model.buffers()]],
        [None if p.grad is None else p.grad.clone() for p in model.parameters()],
        [m.training for m in model.modules()],
        {id(p): {k: (v.clone() if torch.is_tensor(v) else v) for k, v in s.items()} for p, s in opt.state.items()},
        torch.get_rng_state(),
        random.getstate(),
        np.random.get_state()[1].copy(),
    )


def _assert_same(a, b):
    for x, y in zip(a[0] + [g for g in a[1] if g is not None], b[0] + [g for g in b[1] if g is not None]):
        assert torch.equal(x, y)
    assert [g is None for g in a[1]] == [g is None for g in b[1]]
    assert a[2] == b[2] and torch.equal(a[4], b[4]) and a[5] == b[5] and np.array_equal(a[6], b[6])
    for pid, st in a[3].items():
        for key, v in st.items():
            assert torch.equal(v, b[3][pid][key]) if torch.is_tensor(v) else v == b[3][pid][key]


@pytest.mark.parametrize("train", [False, True], ids=["eval-mode", "train-mode"])
def test_the_model_optimizer_and_rng_come_back_untouched(train):
    torch.manual_seed(0)
    model = _Noisy()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = torch.randn(8, 4), torch.randint(0, 3, (8,))
    CE(model(x), y).backward()
    opt.step()
    CE(model(x), y).backward()  # grads present, as between steps
    model.net[1].eval()  # a mixed-mode model
    before = _snapshot(model, opt)
    r = lrlab.sharpness(model, CE, (x, y), optimizer=opt, train=train)
    assert math.isfinite(r.lambda_max)
    _assert_same(before, _snapshot(model, opt))
    again = lrlab.sharpness(model, CE, (x, y), optimizer=opt, train=train)
    assert again.lambda_max == r.lambda_max  # deterministic: a private start vector, a forked RNG


def test_repr_and_to_dict():
    r = lrlab.sharpness(_mlp(), CE, _batch(), k=2)
    text = repr(r)
    assert text.startswith("SharpnessResult(lambda_max=") and "HVPs" in text and "edge lr" in text
    doc = r.to_dict()
    assert doc["eigenvalues"] == r.eigenvalues.tolist() and doc["edge_constant"] == 2.0
    assert not r.eigenvalues.flags.writeable


class _Frozen(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(2, 1)
        self.lin.requires_grad_(False)

    def forward(self, x):
        return self.lin(x)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"k": 0}, ValueError, "k must be >= 1, got 0"),
        (
            {"k": 1000},
            ValueError,
            r"k must be in \[1, 43\], got 1,000; k is at most the number of trainable parameters",
        ),
        ({"k": 1.5}, TypeError, "k must be an int"),
        ({"iters": 0}, ValueError, "iters must be >= 1, got 0"),
        ({"k": 3, "iters": 2}, ValueError, r"iters must be >= k \(3\), got 2"),
        ({"tol": -1.0}, ValueError, "tol must be"),
        ({"precondition": True}, ValueError, "precondition=True needs optimizer to be a torch.optim.Adam"),
        ({"precondition": "yes"}, ValueError, "precondition must be"),
        ({"optimizer": "adam"}, TypeError, "optimizer must be a torch.optim.Optimizer"),
        (
            {"batch": (torch.full((16, 4), math.inf, dtype=torch.float64), _batch()[1])},
            ValueError,
            "batch must give a finite loss",
        ),
    ],
    ids=[
        "k0",
        "k-too-big",
        "k-float",
        "iters0",
        "iters-below-k",
        "tol",
        "precondition-sgd",
        "precondition-str",
        "opt-type",
        "non-finite",
    ],
)
def test_bad_input_raises_and_changes_nothing(kwargs, error, message):
    model = _mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    before = _snapshot(model, opt)
    batch = kwargs.pop("batch", _batch())
    with pytest.raises(error, match=message):
        lrlab.sharpness(model, CE, batch, **kwargs)
    _assert_same(before, _snapshot(model, opt))


def test_models_without_trainable_parameters_and_adam_without_state():
    with pytest.raises(ValueError, match="model must have parameters that require grad, got none"):
        lrlab.sharpness(_Frozen(), nn.MSELoss(), (torch.ones(2, 2), torch.ones(2, 1)))
    with pytest.raises(TypeError, match=r"model must be a torch\.nn\.Module"):
        lrlab.sharpness("model", CE, _batch())
    model = _mlp()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    with pytest.raises(ValueError, match="optimizer must hold Adam state"):
        lrlab.sharpness(model, CE, _batch(), optimizer=opt)
    assert opt.state == {} or all(not s for s in opt.state.values())


class _Attention(nn.Module):
    """One self-attention layer through ``scaled_dot_product_attention`` (what transformers call)."""

    def __init__(self) -> None:
        super().__init__()
        self.qkv = nn.Linear(8, 24)
        self.out = nn.Linear(8, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = self.qkv(x).unsqueeze(1).chunk(3, dim=-1)  # (batch, 1 head, tokens, 8)
        return self.out(nn.functional.scaled_dot_product_attention(q, k, v).squeeze(1)).mean(dim=1)


def test_attention_with_fused_kernels_has_a_sharpness():
    # In float32 on the CPU the default attention kernel is the fused one, whose backward has no
    # derivative; the Hessian is taken through the math kernel instead (same values).
    torch.manual_seed(0)
    model = _Attention()
    x, y = torch.randn(4, 6, 8), torch.randn(4, 1)
    loss = nn.MSELoss()
    with pytest.raises(RuntimeError, match="not implemented"):
        g = torch.autograd.grad(loss(model(x), y), list(model.parameters()), create_graph=True)
        torch.autograd.grad(sum(t.sum() for t in g), list(model.parameters()))
    r = lrlab.sharpness(model, loss, (x, y), k=1, iters=40)
    m64 = _Attention().double()
    m64.load_state_dict({k: v.double() for k, v in model.state_dict().items()})
    params = dict(m64.named_parameters())
    names = list(params)
    flat = torch.cat([p.detach().reshape(-1) for p in params.values()])

    def f(theta: torch.Tensor) -> torch.Tensor:
        parts, i = {}, 0
        for n in names:
            parts[n] = theta[i : i + params[n].numel()].view_as(params[n])
            i += params[n].numel()
        return loss(functional_call(m64, parts, (x.double(),)), y.double())

    from torch.nn.attention import SDPBackend, sdpa_kernel

    with sdpa_kernel(SDPBackend.MATH):
        dense = torch.linalg.eigvalsh(torch.autograd.functional.hessian(f, flat))
    assert math.isclose(float(r.eigenvalues[0]), float(dense[-1]), rel_tol=1e-4)
