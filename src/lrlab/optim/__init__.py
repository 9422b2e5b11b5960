"""NumPy optimizers exact to ``torch.optim``, vectorised over a leading batch axis.

Each factory returns an :class:`Optimizer`, a pure ``(init, update)`` pair::

    opt = optim.adam(lr=np.logspace(-4, 0, 200))   # one learning rate per row
    state = opt.init(params)                       # params: (200, ...) float array
    params, state = opt.update(grads, state, params)

``lr`` is a number, one number per row, or a schedule ``step -> lr``. Names and
defaults follow ``torch.optim``; the parity tests run every optimizer beside its
torch twin in float64. The tutorial's object style wraps the same pairs:
``Adam(lr=0.1).step(params, grads)``. :mod:`lrlab.optim.spec` parses CLI specs such
as ``"adam:lr=0.1,beta1=0.9"``.

Examples:
    >>> import numpy as np
    >>> from lrlab import optim
    >>> opt = optim.sgd(lr=np.array([0.1, 0.5]))
    >>> p = np.ones((2, 3))
    >>> p, state = opt.update(2 * p, opt.init(p), p)   # gradient of sum(p**2)
    >>> p[:, 0].tolist()
    [0.8, 0.0]
"""

from __future__ import annotations

from lrlab.optim._base import LearningRate, Optimizer, OptState, Params, Schedule
from lrlab.optim.adagrad import AdagradState, adagrad
from lrlab.optim.adam import AdamState, adam, adamw
from lrlab.optim.nadam import NAdamState, nadam
from lrlab.optim.objects import SGD, Adagrad, Adam, AdamW, Momentum, NAdam, Nesterov, RAdam, RMSprop, Stateful
from lrlab.optim.radam import RAdamState, radam
from lrlab.optim.rmsprop import RMSpropState, rmsprop
from lrlab.optim.sgd import SGDState, momentum, nesterov, sgd
from lrlab.optim.spec import OptimizerSpec, parse_spec

__all__ = [
    "Optimizer",
    "LearningRate",
    "Schedule",
    "Params",
    "OptState",
    "sgd",
    "momentum",
    "nesterov",
    "rmsprop",
    "adam",
    "adamw",
    "adagrad",
    "nadam",
    "radam",
    "SGDState",
    "RMSpropState",
    "AdamState",
    "AdagradState",
    "NAdamState",
    "RAdamState",
    "Stateful",
    "SGD",
    "Momentum",
    "Nesterov",
    "RMSprop",
    "Adam",
    "AdamW",
    "Adagrad",
    "NAdam",
    "RAdam",
    "OptimizerSpec",
    "parse_spec",
]
