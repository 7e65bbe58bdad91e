"""Command line: ``python -m thetahat demo`` (the README's main job)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help"}:
        print("usage: thetahat demo [--out DIR]")
        return 0 if argv else 2
    if argv[0] == "demo":
        from thetahat._demo import run_demo

        return run_demo(argv[1:])
    print(f"thetahat: unknown command {argv[0]!r}; try 'thetahat demo'", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
