"""Lightning modules and data for the Lightning integration's tests (importable by the DDP ranks' script)."""

from __future__ import annotations

import math
import random
from typing import Any

import lightning.pytorch as pl
import numpy as np
import torch
from torch import nn

N_SAMPLES, N_FEATURES, N_CLASSES = 96, 5, 3


def make_loader(batch_size: int = 16, shuffle: bool = True) -> torch.utils.data.DataLoader:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(N_SAMPLES, N_FEATURES, generator=g)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle)


class Net(pl.LightningModule):
    """BatchNorm (one trained, one that the tests freeze), dropout, two param groups (the head at a tenth of
    the body's LR), a warmup+cosine LambdaLR (or OneCycleLR) stepped every optimizer step;
    ``training_step`` logs (``self.log``) and draws from every RNG."""

    def __init__(self, lr: float = 0.05, total_steps: int = 12, schedule: str = "lambda") -> None:
        super().__init__()
        self.save_hyperparameters()
        self.body = nn.Sequential(nn.Linear(N_FEATURES, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.2))
        self.head = nn.Linear(16, N_CLASSES)
        self.out_norm = nn.BatchNorm1d(N_CLASSES)  # the tests freeze it (eval mode): its flag must survive
        self.lr = lr
        self.seen_dtypes: list[torch.dtype] = []
        self.clip_calls: list[float | None] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out_norm(self.head(self.body(x)))

    def training_step(self, batch: Any, batch_idx: int) -> dict[str, torch.Tensor]:
        x, y = batch
        # Python and NumPy draws too: a callback that does not restore them shifts the real run.
        x = x + 1e-3 * random.random() + 1e-3 * float(np.random.rand())
        logits = self(x)
        self.seen_dtypes.append(logits.dtype)
        loss = nn.functional.cross_entropy(logits.float(), y)
        self.log("train_loss", loss)
        return {"loss": loss}

    def configure_gradient_clipping(self, optimizer: Any, gradient_clip_val: Any = None, **kw: Any) -> None:
        self.clip_calls.append(gradient_clip_val)
        super().configure_gradient_clipping(optimizer, gradient_clip_val, **kw)

    def configure_optimizers(self) -> Any:
        opt = torch.optim.AdamW(
            [
                {"params": self.body.parameters(), "lr": self.lr},
                {"params": [*self.head.parameters(), *self.out_norm.parameters()], "lr": self.lr / 10},
            ],
            weight_decay=0.01,
        )
        total = self.hparams.total_steps
        if self.hparams.schedule == "none":
            return opt
        if self.hparams.schedule == "onecycle":
            # The run's length from the trainer: it sets up the train loader before on_fit_start.
            total = int(self.trainer.estimated_stepping_batches)
            sched: Any = torch.optim.lr_scheduler.OneCycleLR(
                opt, max_lr=[self.lr, self.lr / 10], total_steps=total, pct_start=0.5
            )
        else:
            warmup = max(1, total // 4)

            def factor(t: int) -> float:
                if t < warmup:
                    return (t + 1) / warmup
                return 0.5 * (1 + math.cos(math.pi * min(1.0, (t - warmup) / max(1, total - warmup))))

            sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}


def trainer(tmp: Any, callbacks: list[Any], **kw: Any) -> pl.Trainer:
    opts: dict[str, Any] = dict(
        accelerator="cpu",
        devices=1,
        max_steps=4,
        logger=False,
        enable_progress_bar=False,
        enable_checkpointing=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        default_root_dir=str(tmp),
    )
    opts.update(kw)
    return pl.Trainer(callbacks=callbacks, **opts)


def ddp_main(out_dir: str) -> None:
    """One rank of a 2-process ``ddp`` fit with the callback (Lightning launches rank 1 by re-running this
    script); each rank writes what it found and set to ``out_dir/rank<r>.json``."""
    import gc
    import json
    import os

    from lrlab.integrations.lightning import LRFinder

    torch.set_num_threads(1)
    torch.manual_seed(0)
    np.random.seed(0)
    random.seed(0)
    seen: dict[str, Any] = {}

    class FirstLR(pl.Callback):
        def on_train_batch_start(self, trainer: Any, module: Any, batch: Any, batch_idx: int) -> None:
            seen.setdefault("lrs", [float(g["lr"]) for g in trainer.optimizers[0].param_groups])

    finder = LRFinder(start_lr=1e-4, end_lr=10.0, num_iter=15)
    model = Net(schedule="lambda")
    fit = trainer(out_dir, [finder, FirstLR()], devices=2, strategy="ddp", max_steps=2)
    fit.fit(model, make_loader())
    assert finder.result is not None
    doc = {
        "rank": fit.global_rank,
        "world": fit.world_size,
        "lr": finder.suggested_lr,
        "module_lr": model.lr,
        "first_lrs": seen["lrs"],
        "losses": finder.result.range_test.losses.tolist(),
    }
    with open(os.path.join(out_dir, f"rank{fit.global_rank}.json"), "w") as f:
        json.dump(doc, f)
    # A DDP model still alive in a reference cycle at interpreter exit makes gloo abort the process.
    del fit
    gc.collect()
    if torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


if __name__ == "__main__":
    import sys
    import warnings

    warnings.simplefilter("ignore")  # Lightning's advice on a tiny CPU run; the test reads the results
    ddp_main(sys.argv[1])
