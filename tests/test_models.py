"""lrlab.tutorial.models: the tutorial's SimpleNet, the small CNN and build_model."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from lrlab.tutorial.models import SimpleNet, SmallCNN, build_model


def test_simplenet_is_the_tutorials_architecture():
    m = SimpleNet()
    layers = list(m.fc)
    assert [type(layer) for layer in layers] == [nn.Flatten, nn.Linear, nn.ReLU, nn.Linear]
    assert (layers[1].in_features, layers[1].out_features) == (784, 128)
    assert (layers[3].in_features, layers[3].out_features) == (128, 10)
    assert sorted(m.state_dict()) == ["fc.1.bias", "fc.1.weight", "fc.3.bias", "fc.3.weight"]


@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_models_map_digits_to_ten_logits(name):
    m = build_model(name, seed=0)
    assert m(torch.rand(3, 1, 28, 28)).shape == (3, 10)


def test_seeded_build_is_reproducible_and_leaves_global_rng():
    before = torch.get_rng_state()
    a, b = build_model("cnn", seed=5), build_model("cnn", seed=5)
    assert isinstance(a, SmallCNN)
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)
    assert torch.equal(torch.get_rng_state(), before)
    c = build_model("cnn", seed=6)
    assert not torch.equal(next(a.parameters()), next(c.parameters()))


def test_unknown_model():
    with pytest.raises(ValueError, match="model must be one of 'mlp', 'cnn', got 'resnet'"):
        build_model("resnet")
    with pytest.raises(ValueError, match=r"seed must be .*>= 0, got -1"):
        build_model("mlp", seed=-1)


def test_task_lists_the_registered_models():
    from lrlab.tutorial import models, task

    assert tuple(models.MODELS) == task.MODELS
