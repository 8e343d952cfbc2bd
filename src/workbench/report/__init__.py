"""Quarterly reports: notebook runs, executive HTML, index, manifest and the atomic publish."""
