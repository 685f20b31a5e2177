"""Every table: rows against the fixture, pushdown and fan-out request counts."""

TABLES = ["okta_users"]
