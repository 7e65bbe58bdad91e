"""Error analysis built on the solvers: HESSE, MINOS, profiles and contours."""
