"""``--task FILE.py[:FN]`` / ``package.module:FN`` for ``lrlab find`` and ``lrlab sweep``, and ``lrlab init-task``."""

from __future__ import annotations

import json
import re
import sys
import textwrap
import uuid
from types import SimpleNamespace

import pytest
import torch

from lrlab.cli import main
from lrlab.cli.init_task import template_text
from lrlab.cli.user_task import load_task, run_shape

HEAD = """\
import torch
from torch import nn

x = torch.randn(64, 3)
y = x @ torch.tensor([[1.0], [-2.0], [0.5]])
BATCHES = [(x[i : i + 16], y[i : i + 16]) for i in range(0, 64, 16)]
"""

GOOD = (
    HEAD
    + """
def make_task():
    model = nn.Linear(3, 1)
    return {
        "model": model,
        "optimizer": torch.optim.SGD(model.parameters(), lr=0.1),
        "criterion": nn.MSELoss(),
        "train_loader": BATCHES,
    }
"""
)


def write(tmp_path, source, name="t.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return str(path)


def task_returning(body: str) -> str:
    """A task file whose make_task() builds ``model`` and returns ``body``."""
    return HEAD + "\n\ndef make_task():\n    model = nn.Linear(3, 1)\n    return " + body + "\n"


def one_line_error(capsys, prefix="lrlab find: error: --task "):
    cap = capsys.readouterr()
    assert cap.out == ""
    assert cap.err.endswith("\n") and cap.err.count("\n") == 1, cap.err
    assert cap.err.startswith(prefix), cap.err
    assert "Traceback" not in cap.err
    return cap.err.strip()


# -- running a task ----------------------------------------------------------------------------------


def test_find_with_a_task_file_json_table_and_files(tmp_path, capsys):
    task = write(tmp_path, GOOD)
    out = tmp_path / "out"
    args = ["find", "--task", task, "--num-iter", "20", "--end-lr", "1", "--out", str(out), "--seed", "1"]
    assert main([*args, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert list(doc)[:6] == ["lrs", "losses", "smoothed", "stop_reason", "suggestions", "suggested_lr"]
    assert len(doc["lrs"]) == len(doc["losses"]) == 20 and doc["lrs"][0] == pytest.approx(1e-7)
    assert doc["suggested_lr"] == doc["suggestions"]["steepest"]["lr"]
    assert (out / "lr_finder.png").stat().st_size > 10_000
    assert (out / "lr_finder.csv").read_text().count("\n") == 21
    assert main([*args, "--json"]) == 0  # --seed makes the task (its random data) repeat exactly
    assert json.loads(capsys.readouterr().out) == doc
    assert main(args) == 0
    table = capsys.readouterr().out
    assert f"Linear, SGD ({task})" in table and "Suggested learning rate (steepest)" in table


def test_find_confirm_reads_schedule_and_length_from_the_task(tmp_path, capsys):
    body = (
        '{"model": model, "optimizer": torch.optim.SGD(model.parameters(), lr=0.1), "criterion": nn.MSELoss(), '
        '"train_loader": BATCHES, "schedule": "cosine(1.0, total=300)", "total_steps": 300}'
    )
    task = write(tmp_path, task_returning(body))
    out = str(tmp_path / "out")
    rc = main(
        ["find", "--task", task, "--confirm", "--num-iter", "40", "--budget-steps", "200", "--out", out, "--json"]
    )
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schedule"] == "cosine(1.0, total=300)" and doc["total_steps"] == 300
    assert doc["cost_steps"] <= 200 and doc["band"][0] <= doc["suggested_lr"] <= doc["band"][1]
    assert (tmp_path / "out" / "suggest_lr.png").exists()


def test_run_shape_prefers_the_flags_and_checks_what_it_takes():
    task = SimpleNamespace(schedule="cosine(1.0, total=300)", total_steps=300)
    assert run_shape(task, None, None) == ("cosine(1.0, total=300)", 300)  # type: ignore[arg-type]
    assert run_shape(task, None, 500) == ("cosine(1.0, total=300)", 500)  # type: ignore[arg-type]
    assert run_shape(task, "constant(1.0)", None) == ("constant(1.0)", 300)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"the task's schedule needs the run's length: give --total-steps"):
        run_shape(SimpleNamespace(schedule="cosine(1.0, total=9)", total_steps=None), None, None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^the task's schedule.*peak"):
        run_shape(SimpleNamespace(schedule="constant(2.0)", total_steps=10), None, None)  # type: ignore[arg-type]


def test_sweep_with_a_step_fn_task_and_its_val_loader(tmp_path, capsys):
    body = (
        '{"model": model, "optimizer": torch.optim.Adam(model.parameters(), lr=1e-3), '
        '"step_fn": lambda m, b: ((m(b["x"]) - b["y"]) ** 2).mean(), '
        '"train_loader": [{"x": a, "y": b} for a, b in BATCHES], "val_loader": [{"x": x, "y": y}]}'
    )
    task = write(tmp_path, task_returning(body))
    rc = main(["sweep", "--task", task, "--lrs", "0.001,0.01,0.1", "--steps", "6", "--out", str(tmp_path), "--json"])
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["optimizer"] == "Adam" and doc["lrs"] == [0.001, 0.01, 0.1] and doc["steps"] == 6
    assert doc["val_losses"] is not None and len(doc["train_losses"][0]) == 6
    assert doc["task"] == f"Linear, Adam ({task})"
    assert (tmp_path / "sweep.png").exists() and (tmp_path / "sweep.csv").exists()
    assert main(["sweep", "--task", task, "--lrs", "0.01", "--steps", "3", "--val-batches", "0", "--out",
                 str(tmp_path), "--json"]) == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out)["val_losses"] is None


def test_module_function_form_and_the_users_objects_come_back_untouched(tmp_path, capsys, monkeypatch):
    name = f"lrlab_user_task_{uuid.uuid4().hex[:8]}"
    source = HEAD + textwrap.dedent(
        """
        import copy

        MADE = {}

        def build():
            model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
            opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
            nn.MSELoss()(model(x), y).backward()
            opt.step()  # a momentum buffer and grads for lrlab to leave alone
            MADE.update(model=model, opt=opt, before=(copy.deepcopy(model.state_dict()),
                        copy.deepcopy(opt.state_dict()), [p.grad.clone() for p in model.parameters()]))
            return {"model": model, "optimizer": opt, "criterion": nn.MSELoss(), "train_loader": BATCHES}
        """
    )
    (tmp_path / f"{name}.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, name, raising=False)
    assert main(["find", "--task", f"{name}:build", "--num-iter", "15", "--out", str(tmp_path), "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["lrs"]) <= 15
    made = sys.modules[name].MADE
    model_state, opt_state, grads = made["before"]
    for k, v in made["model"].state_dict().items():
        assert torch.equal(v, model_state[k]), k
    after = made["opt"].state_dict()
    assert after["param_groups"] == opt_state["param_groups"]
    for i, s in opt_state["state"].items():
        assert torch.equal(after["state"][i]["momentum_buffer"], s["momentum_buffer"])
    assert all(torch.equal(p.grad, g) for p, g in zip(made["model"].parameters(), grads))


def test_dataclass_and_namespace_results_and_an_optimizer_factory(tmp_path):
    dataclass_task = HEAD + textwrap.dedent(
        """
        import dataclasses, functools

        @dataclasses.dataclass
        class Task:
            model: nn.Module
            optimizer: object
            criterion: object
            train_loader: list
            total_steps: int = 50

        def make_task():
            return Task(nn.Linear(3, 1), functools.partial(torch.optim.AdamW, lr=1e-3), nn.MSELoss(), BATCHES)

        def other():
            import types
            model = nn.Linear(3, 1)
            return types.SimpleNamespace(model=model, optimizer=torch.optim.SGD, step_fn=print, train_loader=BATCHES)
        """
    )
    path = write(tmp_path, dataclass_task)
    task = load_task(path)
    assert isinstance(task.optimizer, torch.optim.AdamW) and task.optimizer.param_groups[0]["lr"] == 1e-3
    assert task.total_steps == 50 and task.step_fn is None and task.schedule is None
    held = {id(p) for g in task.optimizer.param_groups for p in g["params"]}
    assert held == {id(p) for p in task.model.parameters()}
    other = load_task(f"{path}:other")
    assert isinstance(other.optimizer, torch.optim.SGD) and other.step_fn is print and other.criterion is None


def test_a_file_imports_its_neighbours_and_leaves_sys_path_and_modules_as_they_were(tmp_path):
    (tmp_path / "neighbour_helpers_q7.py").write_text(GOOD)
    path = write(tmp_path, "from neighbour_helpers_q7 import make_task\n")
    path_before, modules_before = list(sys.path), set(sys.modules)
    task = load_task(path)
    assert isinstance(task.model, torch.nn.Linear)
    assert sys.path == path_before
    assert not {m for m in set(sys.modules) - modules_before if m.startswith(("_lrlab_task_", "neighbour_"))}


# -- init-task ---------------------------------------------------------------------------------------


def test_init_task_writes_a_template_that_runs_as_is(tmp_path, capsys):
    path = tmp_path / "task.py"
    assert main(["init-task", str(path)]) == 0
    assert f"Wrote {path}" in capsys.readouterr().out
    assert path.read_text() == template_text() and "def make_task()" in template_text()
    out = str(tmp_path / "out")
    assert main(["find", "--task", str(path), "--num-iter", "30", "--out", out, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["stop_reason"] in ("completed", "diverged") and doc["suggested_lr"] > 0
    assert main(["sweep", "--task", str(path), "--lrs", "0.01,0.1", "--steps", "5", "--out", out, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["score"] == "final validation loss" or doc["val_losses"] is not None
    task = load_task(str(path))
    assert (task.schedule, task.total_steps) == ("warmup_cosine(1.0, warmup=50, total=1000, min_lr=0)", 1000)
    assert run_shape(task, None, None)[1] == 1000


def test_init_task_keeps_an_existing_file_unless_forced(tmp_path, capsys):
    path = tmp_path / "task.py"
    path.write_text("# mine\n")
    assert main(["init-task", str(path)]) == 2
    assert one_line_error(capsys, "lrlab init-task: error: ").endswith("exists; pass --force to overwrite it")
    assert path.read_text() == "# mine\n"
    assert main(["init-task", str(path), "--force"]) == 0
    assert path.read_text() == template_text()
    assert main(["init-task", str(tmp_path / "task.txt")]) == 2
    assert "FILE must end in .py" in capsys.readouterr().err


def test_help_documents_the_protocol(capsys):
    assert main(["find", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "--task FILE.py[:FN]" in text and "make_task" in text and "train_loader" in text


# -- refusals: one line, exit 2, the problem named ----------------------------------------------------


@pytest.mark.parametrize(
    "flag",
    [["--data", "mnist"], ["--model", "mlp"], ["--optimizer", "sgd"], ["--batch-size", "8"], ["--device", "cpu"]],
    ids=lambda f: f[0],
)
def test_tutorial_flags_are_refused_with_a_task(tmp_path, capsys, flag):
    task = write(tmp_path, GOOD)
    assert main(["find", "--task", task, *flag, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err == f"lrlab find: error: {flag[0]} does not apply with --task (your task builds the model, " \
        "optimizer and data); drop it\n"  # fmt: skip


def test_torchrun_is_refused_with_a_task(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert main(["sweep", "--task", write(tmp_path, GOOD), "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err == "lrlab sweep: error: --task runs in one process; launch it without torchrun\n"


def _opt(extra: str = "") -> str:
    return '"optimizer": torch.optim.SGD(model.parameters(), lr=0.1), ' + extra


BASE = '"model": model, ' + _opt() + '"train_loader": BATCHES'

BAD_FILES = {
    "syntax error": ("def make_task(:\n    pass\n", r"syntax error at \S*t\.py:1: "),
    "raises on import": (
        "import os\n\nx = 1 / 0\n",
        r"importing it raised ZeroDivisionError: division by zero \(at \S*t\.py:3\)$",
    ),
    "exits on import": ("import sys\nsys.exit(3)\n", r"importing it raised SystemExit: 3 \(at \S*t\.py:2\)$"),
    "missing import": (
        "import no_such_module_zz\n",
        r"raised ModuleNotFoundError: No module named 'no_such_module_zz'",
    ),
    "function missing": ("def make_tsk():\n    pass\n", r"t\.py has no function make_task; did you mean make_tsk\?$"),
    "not a function": ("make_task = 3\n", r"make_task in \S*t\.py must be a function, got int 3$"),
    "needs arguments": (
        "def make_task(n, seed=0):\n    pass\n",
        r"make_task\(\) must take no arguments, but it needs: n$",
    ),
    "function raises": (
        "def make_task():\n    return {}['model']\n",
        r"make_task\(\) raised KeyError: 'model' \(at \S*t\.py:2\)$",
    ),
    "returns None": ("def make_task():\n    pass\n", r"got None \(is a return statement missing\?\)$"),
    "returns a list": ("def make_task():\n    return [1]\n", r"must return a dict \(or an object\) .* got list \[1\]$"),
    "missing keys": (task_returning('{"model": model, "criterion": 1}'), r"missing: optimizer, train_loader$"),
    "unknown keys": (
        task_returning('{"model": model, "optimiser": 1, "loader": 2, "criterion": 1}'),
        r"unknown keys: 'optimiser' \(did you mean 'optimizer'\?\), 'loader' \(did you mean 'train_loader'\?\); "
        r"the keys are model, optimizer, ",
    ),
    "both criterion and step_fn": (
        task_returning("{" + BASE + ', "criterion": nn.MSELoss(), "step_fn": print}'),
        r"exactly one of criterion and step_fn, got both$",
    ),
    "neither criterion nor step_fn": (task_returning("{" + BASE + "}"), r"got neither$"),
    "model not a module": (
        task_returning('{"model": "net", "optimizer": print, "criterion": print, "train_loader": BATCHES}'),
        r"make_task\(\): model must be a torch\.nn\.Module, got str 'net'$",
    ),
    "optimizer a number": (
        task_returning('{"model": model, "optimizer": 0.1, "criterion": print, "train_loader": BATCHES}'),
        r"optimizer must be a torch\.optim\.Optimizer or a factory params -> optimizer, got float 0\.1$",
    ),
    "factory returns None": (
        task_returning('{"model": model, "optimizer": lambda p: None, "criterion": print, "train_loader": BATCHES}'),
        r"optimizer factory must return a torch\.optim\.Optimizer, got NoneType$",
    ),
    "factory raises": (
        task_returning('{"model": model, "optimizer": lambda p: 1 / 0, "criterion": print, "train_loader": BATCHES}'),
        r"the optimizer factory raised ZeroDivisionError: division by zero \(at \S*t\.py:\d+\)$",
    ),
    "optimizer of another model": (
        task_returning(
            '{"model": model, "optimizer": torch.optim.SGD(nn.Linear(1, 1).parameters(), lr=0.1), '
            '"criterion": print, "train_loader": BATCHES}'
        ),
        r"make_task\(\): optimizer must hold the model's trainable parameters",
    ),
    "loader not iterable": (
        task_returning('{"model": model, ' + _opt() + '"criterion": print, "train_loader": 5}'),
        r"make_task\(\): train_loader must be an iterable of batches \(a DataLoader or a list\), got int$",
    ),
    "criterion not callable": (
        task_returning('{"model": model, ' + _opt() + '"criterion": "mse", "train_loader": BATCHES}'),
        r"make_task\(\): criterion must be callable, got str 'mse'$",
    ),
    "total_steps zero": (
        task_returning("{" + BASE + ', "criterion": print, "total_steps": 0}'),
        r"make_task\(\): total_steps must be >= 1, got 0$",
    ),
}


@pytest.mark.parametrize("source, message", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_task_file_is_one_line_naming_the_problem(tmp_path, capsys, source, message):
    task = write(tmp_path, source)
    assert main(["find", "--task", task, "--out", str(tmp_path / "out")]) == 2
    line = one_line_error(capsys)
    assert line.startswith(f"lrlab find: error: --task {task}: "), line
    assert re.search(message, line), line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "spec, message",
    [
        ("{tmp}/absent.py", r"--task \S+absent\.py: no such file '\S+absent\.py'$"),
        ("{tmp}/dir.py", r"is a folder, not a \.py file$"),
        ("{tmp}/notes.txt", r"--task must name a \.py file or an importable module, got '\S+notes\.txt'$"),
        ("{tmp}/t.py:1x", r"--task must be FILE\.py\[:FUNCTION\] or package\.module\[:FUNCTION\] with FUNCTION"),
        ("{tmp}/t.py:other", r"t\.py has no function other; define other\(\) or name yours with :FUNCTION$"),
        ("no_such_pkg_zz.tasks", r"--task no_such_pkg_zz\.tasks: no module named 'no_such_pkg_zz'"),
        ("not-a-module", r"--task must be FILE\.py\[:FUNCTION\] or package\.module\[:FUNCTION\], got 'not-a-module'$"),
    ],
    ids=["missing file", "a folder", "not .py", "bad function name", "named function missing", "no module", "bad name"],
)
def test_a_bad_task_target_is_one_line(tmp_path, capsys, spec, message):
    (tmp_path / "dir.py").mkdir()
    (tmp_path / "notes.txt").write_text("x = 1\n")
    write(tmp_path, "def make_tsk():\n    pass\n")
    assert main(["sweep", "--task", spec.format(tmp=tmp_path), "--out", str(tmp_path / "out")]) == 2
    line = one_line_error(capsys, "lrlab sweep: error: --task")
    assert re.search(message, line), line


def test_a_schedule_without_a_length_is_refused_before_training(tmp_path, capsys):
    body = "{" + BASE + ', "criterion": nn.MSELoss(), "schedule": "cosine(1.0, total=100)"}'
    task = write(tmp_path, task_returning(body))
    assert main(["find", "--task", task, "--confirm", "--out", str(tmp_path / "out")]) == 2
    assert one_line_error(capsys, "lrlab find: error: ").endswith(
        "the task's schedule needs the run's length: give --total-steps or total_steps in the task"
    )
    capsys.readouterr()
    assert main(["find", "--task", task, "--num-iter", "12", "--out", str(tmp_path / "o"), "--json"]) == 0


def test_an_error_in_the_users_model_while_training_is_one_line(tmp_path, capsys, monkeypatch):
    source = HEAD + textwrap.dedent(
        """
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.w = nn.Parameter(torch.zeros(4, 1))

            def forward(self, x):
                return x @ self.w

        def make_task():
            model = Net()
            return {"model": model, "optimizer": torch.optim.SGD(model.parameters(), lr=0.1),
                    "criterion": nn.MSELoss(), "train_loader": BATCHES}
        """
    )
    task = write(tmp_path, source)
    assert main(["find", "--task", task, "--num-iter", "10", "--out", str(tmp_path)]) == 2
    line = one_line_error(capsys, "lrlab find: error: training the task raised RuntimeError: ")
    assert re.search(r"\(at \S*t\.py:14\); LRLAB_DEBUG=1 shows the traceback$", line), line
    monkeypatch.setenv("LRLAB_DEBUG", "1")
    with pytest.raises(RuntimeError):
        main(["find", "--task", task, "--num-iter", "10", "--out", str(tmp_path)])
