"""The notebook worker: a real papermill run of a small notebook in a worker process and kernel."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from workbench.report import runner

pytestmark = pytest.mark.slow

PROBE = """
import sys
import jsonschema
skipped = {m: sys.modules.get(m, "not imported") for m in SKIPPED}
jsonschema.validate({"n": 1}, {"type": "object", "properties": {"n": {"type": "integer"}}})
try:
    jsonschema.validate({"n": "x"}, {"type": "object", "properties": {"n": {"type": "integer"}}})
    still_validates = False
except jsonschema.ValidationError:
    still_validates = True
print(skipped, still_validates)
"""
# The kernel's channels: Unix sockets in a private folder (no TCP port for parallel kernels to race for).
CHANNELS = """
import os
from ipykernel import get_connection_info
info = get_connection_info(unpack=True)
bundle = os.environ.get("WORKBENCH_VEGA_BUNDLE_FILE", "")
print(info["transport"], info["ip"], os.path.isfile(bundle) and os.path.getsize(bundle) > 100_000)
"""


def test_kernels_skip_the_slow_optional_import_and_talk_over_private_unix_sockets(tmp_path):
    source = tmp_path / "probe.ipynb"
    nb = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}}
    )
    nb.cells = [
        nbformat.v4.new_code_cell("SKIPPED = ()", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(PROBE),
        nbformat.v4.new_code_cell(CHANNELS),
    ]
    nbformat.write(nb, source)
    job = runner.NotebookJob(
        name="probe",
        source=source,
        executed=tmp_path / "out.ipynb",
        html=tmp_path / "out.html",
        parameters={"SKIPPED": list(runner.SKIPPED_OPTIONAL_IMPORTS)},
        cwd=tmp_path,
    )

    run = runner.run_all([job], max_parallel=1)[0]

    assert run.ok, run.error
    cells = nbformat.read(job.executed, as_version=4).cells
    printed = cells[-2].outputs[0]["text"]
    assert printed.strip() == f"{dict.fromkeys(runner.SKIPPED_OPTIONAL_IMPORTS)} True"
    assert job.html.is_file()
    transport, ip, bundle_shared = cells[-1].outputs[0]["text"].split()
    assert bundle_shared == "True"  # the build's vega bundle file reached the kernel
    assert transport == "ipc"
    assert Path(ip).name == "kernel" and Path(ip).parent.name.startswith(runner.TEMP_PREFIX)
    assert not Path(ip).parent.exists()  # the worker's own folder, removed after the run
