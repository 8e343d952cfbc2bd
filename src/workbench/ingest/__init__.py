"""Getting data in: sources (files, SQL), raw snapshots, normalisation and validation (``workbench pull``)."""
