"""The demo company's specification: its period, sizes, rates and the four planted facts.

Kept apart from the simulation so that tests, the exporter and the truth file read the same
numbers the simulation used, and so the story of the demo company can be read in one place.
"""

from __future__ import annotations

import pandas as pd

from workbench.demo import text as bank

START = pd.Timestamp("2024-10-01")
END = pd.Timestamp("2026-10-01")  # exclusive
QUARTERS = ("2024Q4", "2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3")

# --- the planted facts
RISING_THEME, RISING_QUARTER, RISING_FACTOR = "onboarding-friction", "2026Q3", 1.75
ENTERPRISE_THEME, ENTERPRISE_SHARE = "sso-permissions", 0.72
COMPETITOR_THEME, COMPETITOR = "reporting-gaps", "Flowbase"
IMPROVED_THEME, SHIP_DATE, SHIP_FEATURE = "data-import", pd.Timestamp("2026-02-10"), "bulk_import"
# Drivers (issue 11): themes that move an outcome more than their volume suggests. Accounts stuck
# on data import (not the most-mentioned theme) are far more likely to be about to churn than those
# raising other blockers (12x vs 4x: see AccountPicker); NPS responses about pricing are almost all
# hard detractors.
CHURN_DRIVER_THEME, CHURN_DRIVER_BOOST = "data-import", 12.0
NPS_DRIVER_THEME = "pricing-value"
SHIPPED = {
    "id": "bulk-import-2",
    "name": "Bulk Import 2.0",
    "shipped_on": "2026-02-10",
    "feature": SHIP_FEATURE,
    "theme_id": IMPROVED_THEME,
    "teams": ["Data Platform", "Design", "Customer Success"],
}

# --- sizes at scale 1
N_ACCOUNTS = 1500
N_FEEDBACK = 16000  # before churn surveys
EXPANSION_DEALS_PER_QUARTER = 235
OPEN_DEALS = 520

# Raw export id -> canonical feedback_id is ``id_prefix + raw id`` (see config/sources.yaml).
ID_PREFIXES = {
    "support_tickets": "tk-",
    "nps_survey": "nps-",
    "app_reviews": "ar-",
    "sales_calls": "sc-",
    "churn_survey": "cs-",
}
CHANNEL_SOURCE = {
    "support_ticket": "support_tickets",
    "nps": "nps_survey",
    "app_review": "app_reviews",
    "sales_call": "sales_calls",
    "churn_survey": "churn_survey",
}
CHANNELS = ("support_ticket", "nps", "app_review", "sales_call")
FEATURES = ("dashboards", "automations", "bulk_import", "integrations", "mobile", "sso")

# theme -> (share of feedback, channel weights in CHANNELS order)
THEME_MIX: dict[str, tuple[float, tuple[float, ...]]] = {
    "onboarding-friction": (0.10, (0.45, 0.20, 0.20, 0.15)),
    "sso-permissions": (0.06, (0.50, 0.15, 0.00, 0.35)),
    "reporting-gaps": (0.10, (0.35, 0.25, 0.10, 0.30)),
    "data-import": (0.09, (0.55, 0.15, 0.10, 0.20)),
    "integrations": (0.09, (0.35, 0.15, 0.10, 0.40)),
    "mobile-performance": (0.08, (0.30, 0.15, 0.55, 0.00)),
    "pricing-value": (0.08, (0.20, 0.35, 0.20, 0.25)),
    "workflow-automation": (0.08, (0.35, 0.20, 0.10, 0.35)),
    "support-quality": (0.07, (0.40, 0.45, 0.15, 0.00)),
    "ease-of-use": (0.09, (0.10, 0.45, 0.35, 0.10)),
    "time-savings": (0.07, (0.10, 0.45, 0.20, 0.25)),
    "team-collaboration": (0.06, (0.30, 0.30, 0.15, 0.25)),
    bank.NOISE_ID: (0.05, (0.40, 0.30, 0.30, 0.00)),
}
SECONDARY_SHARE = 0.15

# deals: target new-business win rate by quarter, Flowbase share of competitive losses by quarter
WIN_RATE = (0.34, 0.35, 0.33, 0.35, 0.34, 0.33, 0.30, 0.27)
FLOWBASE_LOSS_SHARE = (0.22, 0.24, 0.23, 0.26, 0.28, 0.31, 0.47, 0.55)
COMPETITOR_LOSS_SHARE = tuple(0.33 + 0.025 * i for i in range(8))  # of lost deals
# quarterly churn hazard by segment, times a quarter factor (two extra quarters: latent future churn)
CHURN_HAZARD = {"SMB": 0.045, "Mid-Market": 0.022, "Enterprise": 0.010}
CHURN_FACTOR = (1.0, 1.15, 0.9, 1.0, 1.1, 0.95, 1.05, 1.3, 1.2, 1.2)

NAME_VARIANTS = {
    "Flowbase": (("Flowbase", "FlowBase", "Flow Base"), (0.8, 0.1, 0.1)),
    "Trackly": (("Trackly", "Trackly.io"), (0.85, 0.15)),
    "Pulse": (("Pulse", "PulseHQ", "Pulse HQ"), (0.5, 0.4, 0.1)),
    "DataWeave": (("DataWeave", "Data Weave"), (0.8, 0.2)),
}
REPS = (
    "Alex Kim",
    "Jordan Lee",
    "Sam Patel",
    "Morgan Diaz",
    "Riley Chen",
    "Casey Novak",
    "Taylor Brooks",
    "Jamie Ortiz",
    "Avery Singh",
    "Quinn Walsh",
    "Drew Fischer",
    "Robin Mensah",
)
NAME_FIRST = (
    "Blue",
    "Cedar",
    "Orbit",
    "Summit",
    "Harbor",
    "Maple",
    "Granite",
    "Silver",
    "Northstar",
    "Pioneer",
    "Crescent",
    "Evergreen",
    "Falcon",
    "Lumen",
    "Atlas",
    "Beacon",
    "Copper",
    "Delta",
    "Ember",
    "Fjord",
    "Glacier",
    "Horizon",
    "Ivy",
    "Juniper",
    "Keystone",
    "Lakeside",
    "Meridian",
    "Nimbus",
    "Oakridge",
    "Prairie",
    "Quarry",
    "Redwood",
    "Sierra",
    "Tidewater",
    "Union",
    "Vista",
    "Willow",
    "Zenith",
    "Aurora",
    "Bridgeway",
)
NAME_INDUSTRY = (
    "Logistics",
    "Health",
    "Retail",
    "Foods",
    "Energy",
    "Labs",
    "Financial",
    "Media",
    "Robotics",
    "Insurance",
    "Software",
    "Travel",
    "Manufacturing",
    "Education",
    "Pharma",
    "Telecom",
    "Realty",
    "Analytics",
    "Apparel",
    "Biotech",
    "Freight",
    "Hospitality",
    "Security",
    "Networks",
    "Motors",
    "Studios",
    "Outdoor",
    "Capital",
    "Clinics",
    "Supply",
)
NAME_SUFFIX = ("Inc", "Group", "Co", "Ltd", "LLC", "GmbH", "Partners", "Holdings")
