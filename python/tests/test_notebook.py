"""Runs examples/notebooks/quickstart.ipynb with nbclient (a real ipykernel in this venv),
against a udf-server the notebook starts itself; any error cell fails the test."""

import json
import sys
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

from udf_client.server import find_server_binary

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "examples" / "notebooks" / "quickstart.ipynb"


def outputs(nb):
    """(cell source, [text of each output], [mime types]) per code cell."""
    out = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        texts, mimes = [], []
        for o in cell.get("outputs", []):
            if o.output_type == "stream":
                texts.append(o.text)
            elif o.output_type in ("execute_result", "display_data"):
                texts.append(o.data.get("text/plain", ""))
                mimes.extend(o.data.keys())
            elif o.output_type == "error":
                texts.append(f"{o.ename}: {o.evalue}")
                mimes.append("error")
        out.append((cell.source, texts, mimes))
    return out


def test_quickstart_notebook_runs(tmp_path, monkeypatch):
    binary = find_server_binary()  # the notebook finds it the same way
    monkeypatch.setenv("UDF_SERVER_BIN", str(binary))
    monkeypatch.delenv("UDF_ADDRESS", raising=False)  # start a local server
    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel's inline backend

    # A kernel spec for *this* interpreter, whatever kernels are installed elsewhere.
    spec_dir = tmp_path / "kernels" / "udf-client-test"
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "udf_client test", "language": "python",
    }))
    specs = KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")])
    km = KernelManager(kernel_name="udf-client-test", kernel_spec_manager=specs)

    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, km=km, timeout=600, allow_errors=False,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()

    cells = outputs(nb)
    assert not any("error" in mimes for _, _, mimes in cells)
    text = "\n".join(t for _, texts, _ in cells for t in texts)
    assert "(3, 3.75)" in text  # add(1, 2), add(1.5, 2.25)
    assert "signature='add(BIGINT, BIGINT) -> BIGINT'" in text
    assert "No match found for function signature add(BOOLEAN, TINYINT)" in text
    assert "200,000 rows in" in text
    assert "define double @hypexp__cpu_1(double" in text and "Not served yet" in text
    assert any("image/png" in mimes for _, _, mimes in cells), "the plot is missing"
    assert "server stopped: exit code 0" in text
