"""The notebook worker: a real papermill run of a small notebook in a worker process and kernel."""

from __future__ import annotations

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


def test_kernels_skip_the_slow_optional_import_and_jsonschema_still_validates(tmp_path):
    source = tmp_path / "probe.ipynb"
    nb = nbformat.v4.new_notebook(
        metadata={"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}}
    )
    nb.cells = [
        nbformat.v4.new_code_cell("SKIPPED = ()", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(PROBE),
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

    run = runner.execute_in_subprocess(job)

    assert run.ok, run.error
    printed = nbformat.read(job.executed, as_version=4).cells[-1].outputs[0]["text"]
    assert printed.strip() == f"{dict.fromkeys(runner.SKIPPED_OPTIONAL_IMPORTS)} True"
    assert job.html.is_file()
