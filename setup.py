"""Build of the optional compiled core (everything else is in pyproject.toml).

``thetahat._compiled._lmcore`` speeds up curve_fit's Levenberg-Marquardt loop. It is
optional: without a C compiler the build skips it and the pure-Python solver is used.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("thetahat._compiled._lmcore", ["src/thetahat/_compiled/_lmcore.c"],
                             optional=True)])
