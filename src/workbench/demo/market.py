"""The demo company's market: competitors, dated market events and monthly market metrics.

The events are a fixed, hand-written timeline (a market history is a story, not noise); the
metrics are simulated around it so that the planted story is visible in the numbers too:
Flowbase's "AI dashboards" release (2026Q2) lifts its search interest and estimated share.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

US = "Northwind Cloud"
COMPETITORS: tuple[dict[str, str], ...] = (
    {"name": "Flowbase", "aliases": "FlowBase|Flow Base|flowbase.io", "website": "https://flowbase.example"},
    {"name": "Trackly", "aliases": "Trackly.io|Trackly App", "website": "https://trackly.example"},
    # "Pulse" is a tricky name: "impulse" or "pulses" must not count as mentions.
    {"name": "Pulse", "aliases": "PulseHQ|Pulse HQ", "website": "https://pulsehq.example"},
    {"name": "DataWeave", "aliases": "Data Weave|DataWeave Cloud", "website": "https://dataweave.example"},
)
COMPETITOR_NAMES = tuple(c["name"] for c in COMPETITORS)

FLOWBASE_AI_RELEASE = pd.Timestamp("2026-04-14")

# date, competitor (or "market"), kind, title, description
EVENTS: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "2024-10-08",
        "Trackly",
        "release",
        "Trackly 4.0 with portfolio views",
        "Portfolio roll-ups across projects and a refreshed timeline view.",
    ),
    (
        "2024-10-22",
        "market",
        "report",
        "Analyst report names workflow analytics a growth category",
        "Category spend forecast to grow 18% a year through 2027.",
    ),
    (
        "2024-11-12",
        "Flowbase",
        "release",
        "Flowbase launches native Snowflake connector",
        "Two-way sync with Snowflake and BigQuery.",
    ),
    (
        "2024-11-26",
        "Pulse",
        "pricing",
        "PulseHQ introduces a free tier",
        "Free for teams up to 5 users; paid plans unchanged.",
    ),
    (
        "2024-12-10",
        "DataWeave",
        "release",
        "DataWeave adds data import wizard",
        "Guided CSV and Excel import with column matching.",
    ),
    (
        "2025-01-14",
        "Flowbase",
        "funding",
        "Flowbase raises $40M Series B",
        "Funding earmarked for analytics and AI features.",
    ),
    ("2025-01-28", "Trackly", "pricing", "Trackly raises list prices 12%", "Applies to new contracts."),
    (
        "2025-02-18",
        "market",
        "regulation",
        "EU data residency guidance published",
        "Buyers in the EU increasingly ask for regional hosting.",
    ),
    ("2025-03-04", "Pulse", "release", "Pulse mobile app 3.0", "Rebuilt mobile app with offline mode."),
    (
        "2025-03-25",
        "DataWeave",
        "partnership",
        "DataWeave partners with a major CRM vendor",
        "Joint go-to-market for mid-market customers.",
    ),
    (
        "2025-04-08",
        "Flowbase",
        "release",
        "Flowbase automation builder GA",
        "Multi-step automations with conditional branches.",
    ),
    ("2025-04-29", "Trackly", "release", "Trackly adds SCIM provisioning", "Enterprise plan only."),
    (
        "2025-05-20",
        "market",
        "report",
        "Customer survey: reporting is the top buying criterion",
        "42% of buyers rank dashboards and reporting first.",
    ),
    ("2025-06-10", "Pulse", "funding", "PulseHQ raises $15M Series A", "Expansion into EMEA."),
    (
        "2025-06-24",
        "DataWeave",
        "pricing",
        "DataWeave moves to usage-based pricing",
        "Per-event pricing replaces per-seat plans.",
    ),
    ("2025-07-15", "Flowbase", "release", "Flowbase dashboards 2.0", "Drill-downs and scheduled reports."),
    (
        "2025-08-05",
        "Trackly",
        "acquisition",
        "Trackly acquires a form-builder startup",
        "Forms to be bundled into all plans.",
    ),
    ("2025-08-26", "market", "event", "WorkflowCon 2025", "Largest category conference; 6,000 attendees."),
    (
        "2025-09-16",
        "Pulse",
        "release",
        "Pulse launches Slack-first collaboration",
        "Comments and approvals inside Slack.",
    ),
    ("2025-10-07", "DataWeave", "release", "DataWeave SOC 2 Type II", "Completed audit; SSO on all plans."),
    ("2025-10-21", "Flowbase", "pricing", "Flowbase discounts annual plans 20%", "Limited-time offer."),
    ("2025-11-11", "Trackly", "release", "Trackly mobile redesign", "Faster app start-up and offline sync."),
    (
        "2025-11-25",
        "market",
        "report",
        "Analyst note: AI features reshape category",
        "Vendors race to ship AI summaries and assistants.",
    ),
    ("2025-12-09", "Pulse", "release", "PulseHQ adds guest access", "External collaborators at no cost."),
    (
        "2026-01-13",
        "DataWeave",
        "funding",
        "DataWeave raises $25M",
        "Growth round led by existing investors.",
    ),
    ("2026-01-27", "Flowbase", "hiring", "Flowbase opens EMEA office", "Sales team in London and Berlin."),
    (
        "2026-02-17",
        "Trackly",
        "pricing",
        "Trackly bundles automations into Business plan",
        "Automations no longer a paid add-on.",
    ),
    ("2026-03-03", "market", "report", "Category search interest at record high", "Driven by AI analytics."),
    ("2026-03-17", "Pulse", "release", "Pulse workflow templates", "Library of 200 workflow templates."),
    (
        "2026-04-14",
        "Flowbase",
        "release",
        "Flowbase launches AI dashboards",
        "Dashboards that build themselves from plain-English questions, with AI summaries and "
        "anomaly alerts.",
    ),
    ("2026-04-28", "DataWeave", "release", "DataWeave bulk loader", "Parallel import of large files."),
    (
        "2026-05-12",
        "Flowbase",
        "marketing",
        "Flowbase 'switch from Northwind' campaign",
        "Migration offer targeting Northwind Cloud customers with reporting needs.",
    ),
    ("2026-05-26", "Trackly", "release", "Trackly AI assistant beta", "Chat assistant for project status."),
    ("2026-06-09", "market", "event", "WorkflowCon 2026", "AI dashboards the most discussed topic."),
    (
        "2026-06-23",
        "Pulse",
        "pricing",
        "PulseHQ raises prices 15%",
        "Customers report the increase; some call it an <b>impulse</b> move.",
    ),
    (
        "2026-07-07",
        "Flowbase",
        "release",
        "Flowbase AI dashboards for mobile",
        "AI dashboards in the iOS app.",
    ),
    (
        "2026-07-21",
        "DataWeave",
        "acquisition",
        "DataWeave acquired by a large data-platform vendor",
        "Roadmap to be merged into the acquirer's suite.",
    ),
    ("2026-08-11", "Trackly", "release", "Trackly 5.0", "Rebuilt reporting module."),
    (
        "2026-08-25",
        "market",
        "report",
        "Analyst wave: Flowbase moves into leader quadrant",
        "Cited AI dashboards and reporting depth. <script>alert('x')</script>",
    ),
    ("2026-09-15", "Flowbase", "funding", "Flowbase raises $120M Series C", "Valuation reported at $1.4B."),
)


def market_events() -> pd.DataFrame:
    """The dated market timeline in canonical column names (date, competitor, kind, title, description)."""
    frame = pd.DataFrame(EVENTS, columns=["date", "competitor", "kind", "title", "description"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def market_metrics(rng: np.random.Generator, months: pd.DatetimeIndex) -> pd.DataFrame:
    """Monthly search interest, app-store rating and estimated share for us and each competitor.

    Why simulated around the timeline: analysts overlay competitor releases on these series,
    so the series must react where the story says (Flowbase after its AI dashboards launch).
    """
    entities = (US, *COMPETITOR_NAMES)
    t = np.arange(len(months), dtype=float)
    after_ai = (months >= FLOWBASE_AI_RELEASE.to_period("M").to_timestamp()).astype(float)
    months_after = np.clip(t - t[after_ai.argmax()] + 1, 0, None) * after_ai if after_ai.any() else 0 * t

    base_share = {US: 24.0, "Flowbase": 16.0, "Trackly": 14.0, "Pulse": 9.0, "DataWeave": 7.0}
    share_trend = {US: -0.08, "Flowbase": 0.12, "Trackly": 0.0, "Pulse": 0.05, "DataWeave": -0.03}
    base_rating = {US: 4.3, "Flowbase": 4.2, "Trackly": 4.0, "Pulse": 4.4, "DataWeave": 3.9}
    base_search = {US: 55.0, "Flowbase": 40.0, "Trackly": 35.0, "Pulse": 25.0, "DataWeave": 18.0}

    rows = []
    category = 60 + 1.2 * t + 4 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 1.5, len(t))
    rows += [(m, "search_interest", "market", v) for m, v in zip(months, category, strict=True)]
    for name in entities:
        boost = 0.0
        if name == "Flowbase":
            boost = 1.0
        share = (
            base_share[name]
            + share_trend[name] * t
            + boost * (1.1 * months_after)
            - (0.45 * months_after if name == US else 0)
            + rng.normal(0, 0.25, len(t))
        )
        rating = base_rating[name] + rng.normal(0, 0.04, len(t))
        if name == US:
            rating = rating - 0.05 * np.sin(2 * np.pi * t / 9)
        search = (
            base_search[name]
            + 0.6 * t
            + boost * 25 * after_ai * np.exp(-0.35 * months_after)
            + boost * 6 * months_after
            + rng.normal(0, 2.0, len(t))
        )
        rows += [
            (m, "est_market_share_pct", name, round(float(v), 2)) for m, v in zip(months, share, strict=True)
        ]
        rows += [
            (m, "app_store_rating", name, round(float(min(v, 5.0)), 2))
            for m, v in zip(months, rating, strict=True)
        ]
        rows += [
            (m, "search_interest", name, round(float(v), 1)) for m, v in zip(months, search, strict=True)
        ]
    frame = pd.DataFrame(rows, columns=["date", "metric", "entity", "value"])
    frame["value"] = frame["value"].astype(float).round(2)
    return frame.sort_values(["metric", "entity", "date"], kind="stable").reset_index(drop=True)
