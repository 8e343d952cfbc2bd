"""Small synthetic projects for the report tests: the shapes real teams have, in a few hundred rows.

Each example config in ``config/examples/`` reads files under ``../shared/data`` relative to the
project root. :func:`example_project` writes tiny synthetic files at exactly those paths (beside a
temporary project), so the example config is used as shipped, not a rewritten copy, and the test
stays fast whether or not the real data is present.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "config" / "examples"

#: Feedback topics: a few clear themes, so the theme engine finds structure in a small set.
TOPICS = {
    "export": ["exporting to csv is slow", "the export button times out", "csv export drops rows"],
    "login": ["cannot log in after the update", "login keeps failing with my password", "sign in loops"],
    "price": ["the price went up again", "too expensive for a small team", "billing charged me twice"],
    "support": ["support answered quickly", "the support agent was very helpful", "great customer service"],
    "crash": ["the app crashes on start", "crashes when I open a report", "it freezes and then crashes"],
}
FILLERS = ["", " today", " again", " every week", " since monday", " on my phone", " for the team"]


def quarters_ending_last_complete(n: int) -> list[tuple[dt.date, dt.date]]:
    """The ``n`` calendar quarters ending with the last complete one before today, as (start, end)."""
    today = dt.date.today()
    q_start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    out = []
    for _ in range(n):
        end = q_start - dt.timedelta(days=1)
        q_start = dt.date(end.year, 3 * ((end.month - 1) // 3) + 1, 1)
        out.append((q_start, end))
    return out[::-1]


def feedback_rows(n_per_quarter: int, quarters: int, seed: int = 3) -> list[dict]:
    """Synthetic feedback: text, a datetime inside one of the quarters, stars and a reviewer."""
    rng = random.Random(seed)
    rows = []
    for start, end in quarters_ending_last_complete(quarters):
        span = (end - start).days
        for i in range(n_per_quarter):
            topic = rng.choice(list(TOPICS))
            when = dt.datetime.combine(
                start + dt.timedelta(days=rng.randint(0, span)), dt.time(rng.randint(0, 23))
            )
            rows.append(
                {
                    "text": rng.choice(TOPICS[topic]) + rng.choice(FILLERS) + f" ({topic} {i % 7})",
                    "when": when,
                    "stars": 4 + rng.randint(0, 1) if topic == "support" else 1 + rng.randint(0, 2),
                    "user": f"user{rng.randint(1, 10**6)}",
                    "n": len(rows) + 1,
                }
            )
    return rows


def _write_csv(path: Path, header: list[str], rows: list[list], delimiter: str = ",") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)


def _google_play(shared: Path, quarters: int) -> None:
    rows = feedback_rows(60, quarters)
    _write_csv(
        shared / "uber_play_reviews" / "uber_reviews_without_reviewid.csv",
        ["userName", "userImage", "content", "score", "thumbsUpCount", "reviewCreatedVersion", "at",
         "replyContent", "repliedAt", "appVersion"],
        [[r["user"], "", r["text"], r["stars"], 0, "4.1", r["when"].strftime("%d-%m-%Y %H:%M"), "", "", "4.1"]
         for r in rows],
    )  # fmt: skip


def _alexa(shared: Path, quarters: int) -> None:
    rows = feedback_rows(50, quarters, seed=5)
    _write_csv(
        shared / "amazon_alexa" / "amazon_alexa.tsv",
        ["rating", "date", "variation", "verified_reviews", "feedback"],
        [[r["stars"], r["when"].strftime("%d-%b-%y"), "Charcoal Fabric", r["text"], int(r["stars"] >= 3)]
         for r in rows],
        delimiter="\t",
    )  # fmt: skip


def _crm(shared: Path, quarters: int) -> None:
    rng = random.Random(11)
    folder = shared / "crm_maven"
    accounts = [f"Acme {i}" for i in range(12)]
    _write_csv(
        folder / "accounts.csv",
        ["account", "sector", "year_established", "revenue", "employees", "office_location", "subsidiary_of"],
        [[a, "technolgy", 1990 + i, 10.5 + i, 300 * (i + 1), "US", ""] for i, a in enumerate(accounts)],
    )  # fmt: skip
    _write_csv(folder / "products.csv", ["product", "series", "sales_price"], [["GTX Pro", "GTX", 4821]])
    _write_csv(
        folder / "sales_teams.csv", ["sales_agent", "manager", "regional_office"], [["Ann", "Bo", "West"]]
    )
    deals = []
    for start, end in quarters_ending_last_complete(quarters):
        for _ in range(25):
            engage = start + dt.timedelta(days=rng.randint(0, 40))
            close = engage + dt.timedelta(days=rng.randint(5, 45))
            stage = rng.choice(["Won", "Won", "Lost"])
            close = min(close, end)
            value = rng.randint(500, 5000) if stage == "Won" else 0
            account = rng.choice(accounts)
            deals.append(
                [
                    f"OPP{len(deals):05d}",
                    "Ann",
                    "GTXPro",
                    account,
                    stage,
                    engage.isoformat(),
                    close.isoformat(),
                    value,
                ]
            )
    _write_csv(
        folder / "sales_pipeline.csv",
        ["opportunity_id", "sales_agent", "product", "account", "deal_stage", "engage_date", "close_date",
         "close_value"],
        deals,
    )  # fmt: skip


#: How to fake the input of each shipped example config (a new example needs an entry here).
EXAMPLE_DATA: dict[str, Callable[[Path, int], None]] = {
    "google_play_reviews": _google_play,
    "marketplace_reviews_tsv": _alexa,
    "crm_opportunities": _crm,
}


def new_project(base: Path) -> Path:
    """``base/project`` with the repo's config and notebooks, beside ``base/shared/data``."""
    root = base / "project"
    shutil.copytree(REPO / "config", root / "config")
    shutil.copytree(
        REPO / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints")
    )
    (root / "data").mkdir()
    return root


def example_project(base: Path, example: str, quarters: int = 3, extra: dict | None = None) -> Path:
    """A project whose workbench.yaml reads ``config/examples/<example>.yaml``, with synthetic inputs.

    Returns:
        The path of the project's workbench.yaml.
    """
    root = new_project(base)
    EXAMPLE_DATA[example](base / "shared" / "data", quarters)
    settings = {
        "sources": f"config/examples/{example}.yaml",
        "report": {"company": "Synthetic Co", "max_parallel": 2},
        "themes": {"min_volume": 5, "sample_size": 1000},
        **(extra or {}),
    }
    path = root / "config" / "workbench.yaml"
    path.write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    return path


def combined_sources(root: Path, name: str, examples: list[str]) -> str:
    """A sources file under ``config/`` that joins the tables of several example configs."""
    merged: dict = {"warehouse": ":memory:", "data_folders": ["../shared/data"], "tables": {}}
    for example in examples:
        data = yaml.safe_load((EXAMPLES / f"{example}.yaml").read_text(encoding="utf-8"))
        merged["tables"].update(data["tables"])
    (root / "config" / name).write_text(yaml.safe_dump(merged, sort_keys=False), encoding="utf-8")
    return f"config/{name}"
