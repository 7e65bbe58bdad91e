"""The applications on top of the library: the one-call :func:`thetahat.fit` (a model
from :mod:`thetahat.models`, starting values guessed from the data, a cost chosen for the
data, then :class:`~thetahat.Minuit`), the ``thetahat`` command line built on it
(``thetahat fit``), the demo analysis (``thetahat demo``) and data-file reading."""
