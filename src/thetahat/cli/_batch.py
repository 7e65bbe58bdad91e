"""``thetahat batch FILE.npy --model NAME ...``: many fits from the command line.

``FILE`` holds ``ydata``: a ``.npy`` array ``(n_fits, n_points)`` (for the 2-D models also
``(n_fits, height, width)`` images), or a ``.npz`` with ``--key`` naming the array (default:
the only array, or ``ydata`` / ``y``). Every row is fitted with
:func:`thetahat.batch.fit` and the model library (``gauss``, ``gauss+constant``,
``gauss2d+constant``, ``expo``, ``poly2``, ...).

- ``--x FILE``: the abscissae, shared ``(n_points,)`` / ``(n_points, 2)`` or per fit.
  Default: ``0, 1, ..., n_points - 1``; for the 2-D models the pixel grid (``x`` the column,
  ``y`` the row index) of the images, or of square ``sqrt(n_points)`` images.
- ``--yerr FILE|NUMBER``: errors of ``ydata`` (broadcast to it); ``--estimator mle`` fits
  Poisson counts instead.
- ``--p0 v1,v2,...`` or ``--p0 FILE.npy`` (``(k,)`` or ``(n_fits, k)``): starting values
  (default: guessed per fit).
- ``--out results.npz`` (default ``FILE`` with ``_batch.npz``): ``parameters``, ``popt``,
  ``perr``, ``pcov``, ``chi2``, ``ndof``, ``nfev``, ``niter``, ``status``, ``success``;
  ``--out results.parquet``: one row per fit (values, ``<name>_err``, chi2, ..., status;
  needs pandas with pyarrow).
- ``--workers N``: threads (default all cores); ``--progress``: a tqdm bar.

Prints the count of fits per status. Exit status: 0 when the batch ran and the results are
written (fits that did not converge are marked in ``status`` and counted on stderr); 2 with
a one-line message for a user error (a missing file or key, shapes that do not match, an
unknown model, a zero error).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from ._io import DataError

__all__ = ["add_parser", "run", "main_batch"]

PROG = "thetahat batch"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, no usage dump
        print(f"{PROG}: {message}", file=sys.stderr)
        raise SystemExit(2)


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="ydata: .npy (n_fits, n_points) or .npz (see --key)")
    p.add_argument("--model", required=True, help='model name, e.g. "gauss2d+constant"')
    p.add_argument("--key", help="array of FILE.npz holding ydata")
    p.add_argument("--x", help=".npy/.npz of the abscissae (default: 0..n-1 / pixel grid)")
    p.add_argument("--yerr", help=".npy/.npz of the errors of ydata, or one number")
    p.add_argument("--p0", help='starting values "v1,v2,..." or a .npy (k,) / (n_fits, k)')
    p.add_argument("--estimator", choices=("lse", "mle"), default="lse",
                   help="least squares (default) or Poisson likelihood for counts")
    p.add_argument("--out", help="results .npz or .parquet (default: FILE_batch.npz)")
    p.add_argument("--workers", type=int, help="threads (default: all cores)")
    p.add_argument("--progress", action="store_true", help="draw a progress bar (tqdm)")


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``batch`` command to an ``argparse`` sub-parser collection; it dispatches
    to :func:`run` through ``args.func``."""
    p = subparsers.add_parser("batch", help="fit every row of an array",
                              description="Fit a library model to every row of an array.")
    _arguments(p)
    p.set_defaults(func=run)
    return p


def main_batch(argv: Sequence[str]) -> int:
    """``thetahat batch ARGS``: parse ``argv`` and :func:`run`."""
    p = _Parser(prog=PROG, description="Fit a library model to every row of an array.")
    _arguments(p)
    return run(p.parse_args(list(argv)))


def _load(path: str, key: str | None, label: str, default_keys: tuple[str, ...]) -> np.ndarray:
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{label} file {path} does not exist")
    try:
        data = np.load(p, allow_pickle=False)
    except (ValueError, OSError) as e:
        raise DataError(f"{label} file {path} is not a .npy/.npz array ({e})") from None
    if not isinstance(data, np.lib.npyio.NpzFile):
        if key is not None:
            raise DataError(f"--key is for .npz files; {path} holds one array")
        return np.asarray(data)
    with data:
        keys = list(data.keys())
        if key is None:
            found = [k for k in default_keys if k in keys]
            if len(keys) == 1:
                key = keys[0]
            elif found:
                key = found[0]
            else:
                raise DataError(f"{path} holds arrays {', '.join(keys)}: name the {label} "
                                f"with --key")
        if key not in keys:
            raise DataError(f"{path} has no array {key!r} (it holds {', '.join(keys)})")
        return np.asarray(data[key])


def _as_float(a: np.ndarray, label: str) -> np.ndarray:
    if not np.issubdtype(a.dtype, np.number) and a.dtype != bool:
        raise DataError(f"{label} must be numeric, got dtype {a.dtype}")
    return a.astype(float)


def _grid(h: int, w: int) -> np.ndarray:
    return np.stack(np.meshgrid(np.arange(w, dtype=float), np.arange(h, dtype=float)),
                    -1).reshape(-1, 2)


def _inputs(a: argparse.Namespace, dim: int) -> dict:
    y = _as_float(_load(a.file, a.key, "ydata", ("ydata", "y")), "ydata")
    x = None
    if dim == 2 and y.ndim == 3:  # images (n_fits, height, width)
        x = _grid(y.shape[1], y.shape[2])
        y = y.reshape(y.shape[0], -1)
    if y.ndim != 2:
        raise DataError(f"ydata in {a.file} has shape {y.shape}: it must be (n_fits, "
                        f"n_points){' or (n_fits, height, width)' if dim == 2 else ''}")
    n, m = y.shape
    if a.x is not None:
        x = _as_float(_load(a.x, None, "x", ("x",)), "x")
    elif x is None and dim == 1:
        x = np.arange(m, dtype=float)
    elif x is None:
        side = int(round(np.sqrt(m)))
        if side * side != m:
            raise DataError(f"ydata has {m} points per fit, not a square image: give the "
                            f"pixel coordinates with --x (shape ({m}, 2))")
        x = _grid(side, side)
    out: dict[str, Any] = {"x": x, "ydata": y}
    if a.yerr is not None:
        try:
            out["yerr"] = float(a.yerr)
        except ValueError:
            out["yerr"] = _as_float(_load(a.yerr, None, "yerr", ("yerr",)), "yerr")
    if a.p0 is not None:
        if a.p0.endswith((".npy", ".npz")):
            out["p0"] = _as_float(_load(a.p0, None, "p0", ("p0",)), "p0")
        else:
            try:
                out["p0"] = np.array([float(v) for v in a.p0.split(",")])
            except ValueError:
                raise DataError(f"--p0 must be numbers separated by commas or a .npy file, "
                                f"got {a.p0!r}") from None
    return out


def _check_out(out: Path) -> None:
    if out.suffix not in (".npz", ".parquet"):
        raise DataError(f"--out must end in .npz or .parquet, got {out}")
    if out.suffix == ".parquet":
        import importlib.util
        if importlib.util.find_spec("pandas") is None or not any(
                importlib.util.find_spec(e) is not None for e in ("pyarrow", "fastparquet")):
            raise DataError("writing .parquet needs pandas and pyarrow: pip install "
                            "thetahat[tables] pyarrow (or write .npz)")


def _write(out: Path, r: Any) -> None:
    if out.suffix == ".parquet":
        r.to_dataframe().to_parquet(out)
        return
    np.savez(out, parameters=np.array(r.parameters), popt=r.popt, perr=r.perr, pcov=r.pcov,
             chi2=r.chi2, ndof=r.ndof, nfev=r.nfev, niter=r.niter, status=r.status,
             success=r.success)


def run(a: argparse.Namespace) -> int:
    """Run the parsed ``thetahat batch`` command (module docstring); the exit status."""
    from ..batch import fit
    from ..batch._models import resolve

    try:
        out = Path(a.out) if a.out else Path(a.file).with_name(Path(a.file).stem + "_batch.npz")
        _check_out(out)
        spec = resolve(a.model)
        kw = _inputs(a, spec.builtin.dim)
        t0 = time.perf_counter()
        r = fit(model=a.model, estimator=a.estimator, workers=a.workers,
                progress=bool(a.progress), **kw)
        dt = time.perf_counter() - t0
        _write(out, r)
    except (DataError, ValueError, TypeError, ImportError, OSError) as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return 2
    names, counts = np.unique(r.status, return_counts=True)
    tally = ", ".join(f"{c} {s}" for s, c in zip(names, counts))
    print(f"{len(r)} fits of {a.model} ({', '.join(r.parameters)}) in {dt:.3g} s: {tally}; "
          f"wrote {out}")
    bad = len(r) - int(r.success.sum())
    if bad:
        print(f"{PROG}: {bad} of {len(r)} fits did not converge (see 'status' in {out})",
              file=sys.stderr)
    return 0
