"""Pure analyses on canonical frames: statistics, sales, market, competitors, churn, outcomes, insights."""
