"""Tiny throwaway projects for the source and pull tests: a config folder and hand-written inputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from workbench.core.config import Settings, load_settings


def make_project(
    root: Path, tables: dict[str, Any], fy_start_month: int = 1, **sources_extra: Any
) -> Settings:
    """A project under ``root`` whose sources.yaml maps ``tables``; returns its settings."""
    (root / "config").mkdir(parents=True, exist_ok=True)
    (root / "data").mkdir(exist_ok=True)
    (root / "config" / "workbench.yaml").write_text(
        yaml.safe_dump({"fiscal_year_start_month": fy_start_month, "sources": "config/sources.yaml"})
    )
    (root / "config" / "sources.yaml").write_text(
        yaml.safe_dump({"warehouse": ":memory:", **sources_extra, "tables": tables}, sort_keys=False)
    )
    return load_settings(root=root)


def write(root: Path, name: str, content: str | bytes) -> Path:
    """A file under ``root/data/in`` (text is written as UTF-8 exactly as given)."""
    path = root / "data" / "in" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def reviews_source(name: str = "reviews", path: str = "data/in/reviews.csv", **extra: Any) -> dict[str, Any]:
    """A feedback source over a csv with columns id, when (dd-mm-yyyy HH:MM), body, stars."""
    return {
        "name": name,
        "path": path,
        "columns": {"id": "feedback_id", "when": "created_at", "body": "text", "stars": "rating"},
        "date_format": "%d-%m-%Y %H:%M",
        "constants": {"channel": "app_review"},
        **extra,
    }


REVIEWS_HEADER = "id,when,body,stars\n"
