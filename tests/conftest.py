"""Shared test fixtures.

Every random generator is seeded; matplotlib (if a test imports it) draws with Agg.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
NIST_DIR = SHARED / "data" / "nist"


@pytest.fixture
def rng():
    """A seeded generator; tests that need several draw from the same stream."""
    return np.random.default_rng(20261122)
