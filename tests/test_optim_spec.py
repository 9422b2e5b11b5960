"""Optimizer specs: ``"adam:lr=0.1,beta1=0.9"`` and their errors."""

from __future__ import annotations

import numpy as np
import pytest

from lrlab import optim
from lrlab.optim.spec import OptimizerSpec, as_spec, make_spec, names, parse_spec


def test_names_cover_every_optimizer() -> None:
    assert names() == ("sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw", "adagrad", "nadam", "radam")


def test_parse_fills_defaults_and_keeps_given_order() -> None:
    s = parse_spec(" Adam : beta2=0.99, lr=0.1 ")
    assert s.name == "adam"
    assert dict(s.params) == {
        "lr": 0.1,
        "beta1": 0.9,
        "beta2": 0.99,
        "eps": 1e-8,
        "weight_decay": 0.0,
        "amsgrad": False,
        "decoupled_weight_decay": False,
    }
    assert s.given == ("beta2", "lr")
    assert s.label == "adam(lr=0.1, beta2=0.99)"
    assert s.lr == 0.1


def test_bare_name_uses_torch_defaults() -> None:
    assert parse_spec("rmsprop").params["lr"] == 0.01
    assert parse_spec("nadam").params["lr"] == 0.002
    assert parse_spec("adamw").params["weight_decay"] == 0.01
    assert parse_spec("sgd").label == "sgd(lr=0.001)"


@pytest.mark.parametrize("text", ["true", "True", "1", "yes", "on"])
def test_booleans(text: str) -> None:
    assert parse_spec(f"sgd:momentum=0.9,nesterov={text}").params["nesterov"] is True
    assert parse_spec("adam:amsgrad=false").params["amsgrad"] is False


def test_build_matches_the_factory_and_accepts_per_row_lr() -> None:
    spec = parse_spec("adam:lr=0.1,beta1=0.5,amsgrad=true")
    p = np.array([[1.0, -2.0], [0.5, 0.5]])
    g = np.array([[0.3, -0.2], [1.0, 2.0]])
    a, _ = spec.build().update(g, spec.build().init(p), p)
    ref = optim.adam(0.1, betas=(0.5, 0.999), amsgrad=True)
    b, _ = ref.update(g, ref.init(p), p)
    np.testing.assert_array_equal(a, b)
    per_row = spec.build(lr=np.array([0.1, 0.2]))
    c, _ = per_row.update(g, per_row.init(p), p)
    np.testing.assert_array_equal(c[0], a[0])
    assert not np.array_equal(c[1], a[1])


def test_with_lr_and_make_spec_and_as_spec() -> None:
    s = make_spec("momentum", beta=0.8)
    assert s.label == "momentum(lr=0.001, beta=0.8)"
    t = s.with_lr(0.05)
    assert t.lr == 0.05 and t.label == "momentum(lr=0.05, beta=0.8)" and s.lr == 0.001
    assert as_spec(t) is t
    assert as_spec("sgd:lr=0.1") == parse_spec("sgd:lr=0.1")
    assert isinstance(t, OptimizerSpec)
    with pytest.raises(ValueError, match=r"lr must be finite and >= 0, got -1"):
        s.with_lr(-1)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", r"optimizer spec must look like NAME\[:key=value,...\], got ''"),
        (":lr=0.1", r"must look like NAME"),
        ("adma:lr=0.1", r"unknown optimizer 'adma' in 'adma:lr=0.1'; known: sgd, momentum"),
        ("adam:", r"optimizer spec 'adam:' has ':' but no key=value pairs"),
        ("adam:lr", r"each hyperparameter must be key=value, got 'lr' in 'adam:lr'"),
        ("adam:lr=", r"each hyperparameter must be key=value, got 'lr=' in 'adam:lr='"),
        ("adam:lr=0.1,,beta1=0.9", r"each hyperparameter must be key=value, got ''"),
        ("adam:betas=0.9", r"unknown hyperparameter 'betas' for adam in 'adam:betas=0.9'; allowed: lr, beta1, beta2"),
        ("momentum:momentum=0.9", r"unknown hyperparameter 'momentum' for momentum .*allowed: lr, beta"),
        ("adam:lr=fast", r"lr must be a number, got 'fast' in 'adam:lr=fast'"),
        ("adam:amsgrad=maybe", r"amsgrad must be true or false, got 'maybe'"),
        ("adam:lr=0.1,lr=0.2", r"hyperparameter 'lr' given twice in 'adam:lr=0.1,lr=0.2'"),
        ("adam:lr=-0.1", r"lr must be finite and >= 0, got -0.1 in 'adam:lr=-0.1'"),
        ("adam:beta1=1", r"beta1 must be in \[0, 1\), got 1.0 in 'adam:beta1=1'"),
        ("radam:beta2=-0.5", r"beta2 must be in \[0, 1\), got -0.5"),
        ("rmsprop:eps=0", r"eps must be > 0, got 0.0 in 'rmsprop:eps=0'"),
        ("sgd:nesterov=true", r"Nesterov momentum requires momentum > 0 and dampening = 0"),
        ("nesterov:momentum=0", r"Nesterov momentum requires momentum > 0"),
        ("sgd:lr=nan", r"lr must be finite and >= 0, got nan"),
    ],
)
def test_malformed_or_invalid_specs(text: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        parse_spec(text)


def test_make_spec_errors() -> None:
    with pytest.raises(ValueError, match=r"unknown optimizer 'foo'; known: sgd"):
        make_spec("foo")
    with pytest.raises(ValueError, match=r"unknown hyperparameter 'betas' for adam; allowed: lr, beta1"):
        make_spec("adam", betas=(0.9, 0.99))
    with pytest.raises(TypeError, match=r"optimizer spec must be a string, got int"):
        parse_spec(3)  # type: ignore[arg-type]
