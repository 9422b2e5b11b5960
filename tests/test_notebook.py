"""The tutorial notebook: it runs top to bottom in a real kernel, and it is committed without outputs.

The kernel is this interpreter (``sys.executable``): the test writes its own kernelspec into a temporary
``JUPYTER_PATH``, since the ``python3`` spec an environment ships may start whatever ``python`` is first on
``PATH``. The kernel gets ``MPLBACKEND=Agg`` (no display anywhere); the notebook's ``%matplotlib inline``
then draws figures into the cells' outputs, as in Jupyter.
"""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path
from typing import Any

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "learning_rate.ipynb"
KERNEL = "lrlab-test-python"


def _text(cell: Any) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out["text"])
        elif "data" in out and "text/plain" in out["data"]:
            parts.append(out["data"]["text/plain"])
    return "".join(parts)


def test_the_committed_notebook_has_no_outputs() -> None:
    doc = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    code = [c for c in doc["cells"] if c["cell_type"] == "code"]
    assert len(code) >= 15
    for cell in code:
        assert cell["outputs"] == [] and cell["execution_count"] is None, "".join(cell["source"])[:80]
    assert doc["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.slow
def test_the_notebook_runs_in_a_kernel_of_this_interpreter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    from jupyter_client.kernelspec import KernelSpecManager

    spec_dir = tmp_path / "jupyter" / "kernels" / KERNEL
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "lrlab test kernel",
        "language": "python",
        "env": {"MPLBACKEND": "Agg"},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    found = KernelSpecManager().get_kernel_spec(KERNEL)
    assert found.argv[0] == sys.executable and found.env["MPLBACKEND"] == "Agg"

    nb = nbformat.read(NOTEBOOK, as_version=4)
    work = tmp_path / "run"
    work.mkdir()
    client = nbclient.NotebookClient(
        nb, kernel_name=KERNEL, timeout=240, resources={"metadata": {"path": str(work)}}, allow_errors=False
    )
    client.execute()  # raises CellExecutionError on the first cell that fails

    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code)
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    outputs = [o for c in code for o in c.outputs]
    pngs = [o for o in outputs if "image/png" in o.get("data", {})]
    views = [o for o in outputs if 'src="data:image/png;base64,' in o.get("data", {}).get("text/html", "")]
    assert len(pngs) >= 2  # figures drawn with lrlab.plots, shown by %matplotlib inline
    assert len(views) >= 5  # results displayed as their table and figure (_repr_html_)
    assert all("<table" in o["data"]["text/html"] for o in views)

    suggested = [c for c in code if "Suggested peak LR" in _text(c)]
    assert len(suggested) == 1
    value = float(re.search(r"Suggested peak LR: ([0-9.eE+-]+)", _text(suggested[0])).group(1))  # type: ignore[union-attr]
    assert math.isfinite(value) and 1e-4 < value < 10
    part1 = next(c for c in code if "final loss" in _text(c) and "LR 0.05" in _text(c))
    assert "(diverged)" in _text(part1).splitlines()[-1]  # 0.05 diverges, as the prose says
    assert not list(work.iterdir())  # the notebook writes no file
