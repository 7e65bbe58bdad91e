"""Command line: ``thetahat demo`` (the README's main job), ``thetahat fit FILE ...`` and
``thetahat models``; ``thetahat --version``."""

from __future__ import annotations

import sys

USAGE = """usage: thetahat demo [--seed N] [--out DIR] [--no-plot]
       thetahat fit FILE --model NAME [--x COL --y COL [--yerr COL] |
                    --events COL [--bins N] [--range LO HI] [--extended]]
                    [--minos] [--plot OUT.png] [--json OUT.json|-] [--strict]
       thetahat batch FILE.npy --model NAME [--x FILE] [--yerr FILE|NUMBER] [--p0 ...]
                    [--out results.npz|.parquet] [--workers N] [--progress]
       thetahat models
       thetahat --version

  demo     fit the tutorial's example data, print the result and write a plot
  fit      fit a model to a data file ('thetahat fit --help' explains every option)
  batch    fit a model to every row of an array (many fits at once)
  models   list the models, with their parameters and formulas"""


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help"}:
        print(USAGE)
        return 0 if argv else 2
    if argv[0] in {"-V", "--version"}:
        from . import __version__

        print(f"thetahat {__version__}")
        return 0
    if argv[0] == "demo":
        from .cli._demo import run_demo

        return run_demo(argv[1:])
    if argv[0] == "fit":
        from .cli._main import main_fit

        return main_fit(argv[1:])
    if argv[0] == "batch":
        from .cli._batch import main_batch

        return main_batch(argv[1:])
    if argv[0] == "models":
        from .cli._models_cmd import main_models

        return main_models(argv[1:])
    print(f"thetahat: unknown command {argv[0]!r}; try 'thetahat demo', 'thetahat fit' or "
          "'thetahat models'", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
