"""Superset's configuration for `make bi` (read through SUPERSET_CONFIG_PATH): everything it
keeps lives under $CADENCE_BI_HOME ($CADENCE_HOME/bi)."""

import os
from pathlib import Path

_HOME = Path(os.environ["CADENCE_BI_HOME"])

SQLALCHEMY_DATABASE_URI = f"sqlite:///{_HOME / 'superset.db'}"
SECRET_KEY = (_HOME / "secret_key").read_text().strip()
DATA_DIR = str(_HOME / "data")
# Local and offline: no telemetry, no thumbnails' worker, no example data.
SCARF_ANALYTICS = False
FEATURE_FLAGS = {"THUMBNAILS": False}

# tests/test_superset.py renders the dashboard in headless Chromium, which cannot log in: its
# throw-away instance lets anonymous visitors read as Admin. Never set for `make bi`.
if os.environ.get("CADENCE_BI_ANONYMOUS_ADMIN") == "1":
    AUTH_ROLE_PUBLIC = "Admin"
    PUBLIC_ROLE_LIKE = "Admin"
