# JupyterLab settings for `make lab` (passed with --config; not read by the workbench itself).
# Every report notebook is a jupytext pair (NAME.ipynb + NAME.py). The file browser shows only the
# .ipynb, so each notebook is listed once; edit the .py twin in an editor, not in Lab.
c = get_config()  # noqa: F821 - provided by Jupyter when it loads this file
c.ContentsManager.hide_globs = ["__pycache__", "*.pyc", "*.pyo", ".DS_Store", "*~", ".ipynb_checkpoints", "*.py"]
