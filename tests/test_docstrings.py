"""Executed examples: every docstring example in the public modules runs and prints what
it shows (STYLE: docs that cannot drift from the code)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["thetahat.minuit", "thetahat.display", "thetahat.cli._fit", "thetahat.scipy_api._curve_fit",
           "thetahat.results", "thetahat.scipy_api._least_squares", "thetahat.scipy_api._minimize",
           "thetahat.scipy_api._linear", "thetahat.cost", "thetahat.models"]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    mod = importlib.import_module(name)
    failed, tried = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE
                                    | doctest.ELLIPSIS)
    assert failed == 0, f"{failed} of {tried} examples failed in {name}"
