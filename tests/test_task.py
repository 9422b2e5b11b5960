"""lrlab.tutorial.build_task: plain keywords in, the tutorial's ready task out; every argument checked."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from lrlab.tutorial import build_task, mnist_size
from lrlab.tutorial.data import write_idx


def test_defaults_are_the_tutorials_set_up():
    task = build_task(lr=0.01, device="cpu")
    assert type(task.model).__name__ == "SimpleNet" and type(task.optimizer) is torch.optim.SGD
    assert task.optimizer.param_groups[0]["lr"] == 0.01 and task.optimizer.param_groups[0]["momentum"] == 0
    assert isinstance(task.criterion, torch.nn.CrossEntropyLoss) and task.val_loader is None
    assert task.train_loader.batch_size == 128 and len(task.train_loader.dataset) == 4000
    assert task.device == torch.device("cpu")
    assert repr(task) == "Task(mlp + sgd, batch 128, embedded MNIST (4,000 train digits), cpu)"


def test_seed_fixes_weights_and_batches_and_leaves_the_global_rng():
    before = torch.get_rng_state()
    a, b = build_task(lr=0.1, seed=3, device="cpu"), build_task(lr=0.1, seed=3, device="cpu")
    c = build_task(lr=0.1, seed=4, device="cpu")
    assert torch.equal(torch.get_rng_state(), before)
    for pa, pb in zip(a.model.parameters(), b.model.parameters()):
        assert torch.equal(pa, pb)
    assert torch.equal(next(iter(a.train_loader))[1], next(iter(b.train_loader))[1])
    assert not torch.equal(next(a.model.parameters()), next(c.model.parameters()))


def test_choices_validation_split_and_a_folder(tmp_path):
    task = build_task(
        model="cnn", optimizer="momentum", lr=0.05, batch_size=500, device=torch.device("cpu"), with_val=True
    )
    assert type(task.model).__name__ == "SmallCNN" and task.optimizer.param_groups[0]["momentum"] == 0.9
    assert len(task.val_loader.dataset) == 1000 and len(task.val_loader) == 2
    rng = np.random.default_rng(0)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (30, 28, 28), dtype=np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", rng.integers(0, 10, 30, dtype=np.uint8))
    assert mnist_size(tmp_path, "train") == 30 and mnist_size("embedded", "all") == 5000
    folder = build_task(data=tmp_path, optimizer="adam", lr=1e-3, batch_size=30, device="cpu")
    assert len(folder.train_loader) == 1 and f"MNIST from {tmp_path}" in folder.description
    with pytest.raises(ValueError, match="has no 'test' split files"):
        build_task(data=str(tmp_path), lr=1e-3, batch_size=8, device="cpu", with_val=True)


def _two_ranks() -> SimpleNamespace:
    return SimpleNamespace(distributed=True, world_size=2, backend="gloo", local_rank=0)


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"model": "resnet"}, ValueError, r"model must be one of 'mlp', 'cnn', got 'resnet'"),
        ({"optimizer": "rmsprop"}, ValueError, r"optimizer must be one of 'sgd', 'momentum', 'adam', got 'rmsprop'"),
        ({"lr": -1.0}, ValueError, r"lr must be .*>= 0, got -1"),
        ({"lr": float("nan")}, ValueError, r"lr must be .*finite.*, got nan"),
        ({"lr": "0.1"}, TypeError, r"lr must be a real number"),
        ({"batch_size": 0}, ValueError, r"batch_size must be .*>= 1, got 0"),
        ({"batch_size": 64.0}, TypeError, r"batch_size must be an int"),
        ({"batch_size": 4001}, ValueError, r"batch_size must be <= 4,000 \(the 4,000 training digits\), got 4,001"),
        (
            {"batch_size": 2001, "ddp": _two_ranks()},
            ValueError,
            r"batch_size must be <= 2,000 \(the 4,000 training digits over 2 ranks\), got 2,001",
        ),
        ({"seed": -1}, ValueError, r"seed must be .*, got -1"),
        ({"seed": 2**64}, ValueError, r"seed must be .*9,223,372,036,854,775,807.*, got 18,?446"),
        ({"device": "meta"}, ValueError, r"device must be a device that holds data, got 'meta'"),
        ({"device": "nonsense"}, ValueError, r"device must name a torch device .*, got 'nonsense'"),
        ({"device": 0}, TypeError, r"device must be 'auto', a device name or a torch.device, got 0"),
        ({"data": 5}, TypeError, r"data must be 'mnist' or a folder of MNIST IDX files, got 5"),
        ({"data": "NOPE"}, FileNotFoundError, r"MNIST folder 'NOPE' does not exist"),
        ({"with_val": "yes"}, TypeError, r"with_val must be True or False"),
    ],
)
def test_bad_arguments(kwargs, exc, match):
    args = {"lr": 0.1, "device": "cpu"} | kwargs
    with pytest.raises(exc, match=match):
        build_task(**args)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_where_there_is_none():
    with pytest.raises(ValueError, match=r"device must be a device this machine has, got 'cuda:1': CUDA is not"):
        build_task(lr=0.1, device="cuda:1")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_a_cuda_device_this_machine_lacks():
    n = torch.cuda.device_count()
    with pytest.raises(ValueError, match=rf"device must be a device this machine has, got 'cuda:{n}': it has {n} "):
        build_task(lr=0.1, device=f"cuda:{n}")


@pytest.mark.skipif(torch.backends.mps.is_available(), reason="this machine has MPS")
def test_a_device_this_torch_build_cannot_use():
    with pytest.raises(ValueError, match=r"device must be a device this machine has, got 'mps': this torch build"):
        build_task(lr=0.1, device="mps")


def test_arguments_are_checked_before_torch_is_imported():
    code = (
        "import sys\nfrom lrlab.tutorial import build_task\n"
        "try:\n    build_task(lr=0.1, batch_size=0)\nexcept ValueError as e:\n    print(e)\n"
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    assert "batch_size must be" in out[0] and out[1] == "False"
