"""Shared test fixtures.

Every random generator is seeded; matplotlib (if a test imports it) draws with Agg.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")



@pytest.fixture
def rng():
    """A seeded generator; tests that need several draw from the same stream."""
    return np.random.default_rng(20261122)
