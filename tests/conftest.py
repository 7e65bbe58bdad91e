"""Shared test fixtures.

Every random generator is seeded; matplotlib (if a test imports it) draws with Agg.
"""

from __future__ import annotations

import os
import re

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def rng():
    """A seeded generator; tests that need several draw from the same stream."""
    return np.random.default_rng(20261122)


def reference(call, feature: str):
    """The result of the reference call ``call()``, or a skip when the installed reference
    (an older scipy or iminuit than the one the comparison was written for) does not have
    ``feature``: then there is no oracle to compare with (``make test-oldest``)."""
    try:
        return call()
    except TypeError as e:
        pytest.skip(f"the installed reference has no {feature} ({e}): no oracle")


def version_of(module) -> tuple[int, ...]:
    """The release of a reference library as a tuple of ints, e.g. (1, 17, 1)."""
    return tuple(int(p) for p in re.findall(r"\d+", module.__version__)[:3])
