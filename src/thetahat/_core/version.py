"""The package version, importable from every layer (``thetahat.__version__`` re-exports it;
``pyproject.toml`` states the same number, and a test checks that they agree)."""

__version__ = "0.1.0"
