"""Foundations every layer uses: paths and config, errors, quarters, table schemas, formatting, the store."""
