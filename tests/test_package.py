"""The package surface: lazy exports resolve, unknown names fail clearly."""

import pytest

import thetahat


def test_version_is_a_string():
    assert thetahat.__version__.count(".") == 2


def test_unknown_attribute_names_itself():
    with pytest.raises(AttributeError, match="no_such_name"):
        thetahat.no_such_name  # noqa: B018


def test_optimize_result_is_a_dict_with_attributes():
    from thetahat import OptimizeResult

    r = OptimizeResult(x=1.0, success=True)
    assert r.x == 1.0 and r["success"] is True
    r.nfev = 3
    assert r["nfev"] == 3
    assert "nfev:" in repr(r)
    with pytest.raises(AttributeError):
        r.missing  # noqa: B018


def test_models_public_names_resolve():
    from thetahat import models

    for name in models.__all__:
        assert getattr(models, name).__module__.startswith("thetahat.models")
    d = models.GaussDensity((0.0, 1.0)) + models.UniformDensity((0.0, 1.0))
    assert isinstance(d, models.Mixture) and isinstance(d, models.Density)
    assert isinstance(d.extended(), models.Extended)
