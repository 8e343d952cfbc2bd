"""Altair charts: the house style and one module of chart functions per report page. Charts never save."""
