"""Build of the optional compiled cores (everything else is in pyproject.toml).

``thetahat._compiled._lmcore`` speeds up curve_fit's Levenberg-Marquardt loop;
``thetahat._compiled._batchlm`` runs the batch Levenberg-Marquardt of ``thetahat.batch``
over worker threads; ``thetahat._compiled._minimize`` runs minimize's L-BFGS-B and
Nelder-Mead iterations; ``thetahat._compiled._migrad`` runs MIGRAD's inner loop (numerical
gradient, line search, variable-metric update) for costs that are plain Python functions.
All are optional: without a C compiler the build skips them and the
numpy code is used.
"""

from setuptools import Extension, setup

setup(ext_modules=[
    Extension("thetahat._compiled._lmcore", ["src/thetahat/_compiled/_lmcore.c"],
              depends=["src/thetahat/_compiled/_lm_rules.h",
                       "src/thetahat/_compiled/_lmc_calls.h",
                       "src/thetahat/_compiled/_lmc_svd.h"], optional=True),
    Extension("thetahat._compiled._batchlm", ["src/thetahat/_compiled/_batchlm.c"],
              depends=["src/thetahat/_compiled/_lm_rules.h", "src/thetahat/_compiled/_lm_step.h",
                       "src/thetahat/_compiled/_batch_models.h"],
              extra_compile_args=["-O3", "-pthread"], extra_link_args=["-pthread"],
              optional=True),
    Extension("thetahat._compiled._minimize", ["src/thetahat/_compiled/_minimize.c"],
              depends=["src/thetahat/_compiled/_min_calls.h",
                       "src/thetahat/_compiled/_min_search.h",
                       "src/thetahat/_compiled/_min_lbfgsb.h"],
              extra_compile_args=["-O3"], optional=True),
    Extension("thetahat._compiled._migrad", ["src/thetahat/_compiled/_migrad.c"],
              depends=["src/thetahat/_compiled/_mn_calls.h",
                       "src/thetahat/_compiled/_mn_steps.h"],
              extra_compile_args=["-O2"], optional=True),
])
