/* The algebra of the compiled curve_fit LM's step (_lmcore.c; the mathematics in
   solvers/levmar.py): the one-sided Jacobi thin SVD of J D^-1 and Moré's scaled step with
   Hebden's Newton iteration for lambda. Included once, by _lmcore.c. */
#ifndef LMC_SVD_H
#define LMC_SVD_H

/* thin SVD of A (m x n, column k at a[k*m], overwritten by U): A = U diag(s) V^T with s
   decreasing; v (n x n, column k at v[k*n]) */
static void jacobi_svd(double *a, Py_ssize_t m, Py_ssize_t n, double *s, double *v,
                       double *tmp) {
    Py_ssize_t i, j, k, sweep;
    for (i = 0; i < n * n; i++) v[i] = 0.0;
    for (i = 0; i < n; i++) v[i * n + i] = 1.0;
    for (sweep = 0; sweep < 60; sweep++) {
        int rotated = 0;
        for (i = 0; i < n - 1; i++) {
            for (j = i + 1; j < n; j++) {
                double *ai = a + i * m, *aj = a + j * m, *vi = v + i * n, *vj = v + j * n;
                double alpha = dot(ai, ai, m), beta = dot(aj, aj, m), gamma = dot(ai, aj, m);
                double zeta, t, c, sn;
                if (gamma == 0.0 || fabs(gamma) <= 1e-15 * sqrt(alpha * beta)) continue;
                rotated = 1;
                zeta = (beta - alpha) / (2.0 * gamma);
                t = (zeta >= 0 ? 1.0 : -1.0) / (fabs(zeta) + sqrt(1.0 + zeta * zeta));
                c = 1.0 / sqrt(1.0 + t * t);
                sn = c * t;
                for (k = 0; k < m; k++) {
                    double x1 = ai[k], x2 = aj[k];
                    ai[k] = c * x1 - sn * x2;
                    aj[k] = sn * x1 + c * x2;
                }
                for (k = 0; k < n; k++) {
                    double x1 = vi[k], x2 = vj[k];
                    vi[k] = c * x1 - sn * x2;
                    vj[k] = sn * x1 + c * x2;
                }
            }
        }
        if (!rotated) break;
    }
    for (k = 0; k < n; k++) {
        double nk = sqrt(dot(a + k * m, a + k * m, m));
        s[k] = nk;
        if (nk > 0) for (i = 0; i < m; i++) a[k * m + i] /= nk;
    }
    /* selection sort, decreasing (n is small) */
    for (i = 0; i < n; i++) {
        Py_ssize_t best = i;
        for (j = i + 1; j < n; j++) if (s[j] > s[best]) best = j;
        if (best != i) {
            double t = s[i];
            s[i] = s[best];
            s[best] = t;
            memcpy(tmp, a + i * m, m * sizeof(double));
            memcpy(a + i * m, a + best * m, m * sizeof(double));
            memcpy(a + best * m, tmp, m * sizeof(double));
            memcpy(tmp, v + i * n, n * sizeof(double));
            memcpy(v + i * n, v + best * n, n * sizeof(double));
            memcpy(v + best * n, tmp, n * sizeof(double));
        }
    }
}

/* the scaled step (levmar._scaled_step): q (returned negated as in Python: x - q / D),
   with *lam, *pnorm, *jpnorm */
static void scaled_step(const double *u, const double *s_in, const double *v, const double *f,
                        Py_ssize_t m, Py_ssize_t n, double delta, double lam0, double *q,
                        double *lam, double *pnorm, double *jpnorm, double *work) {
    double *uf = work, *s = work + n, *w = work + 2 * n, *sf = work + 3 * n, *s2 = work + 4 * n;
    double smax = n ? s_in[0] : 0.0, nq0, lo, hi, lm;
    Py_ssize_t j, k, it;
    for (k = 0; k < n; k++) {
        uf[k] = dot(f, u + k * m, m);
        s[k] = s_in[k];
    }
    if (!(n && s[n - 1] > smax * 1e-15 * n)) {  /* rank-deficient: drop the null space */
        for (k = 0; k < n; k++) {
            if (!(s[k] > smax * 1e-15 * (n > 1 ? n : 1))) {
                uf[k] = 0.0;
                s[k] = 1.0;
            }
        }
    }
    nq0 = 0.0;
    for (k = 0; k < n; k++) {
        w[k] = uf[k] / s[k];
        nq0 += w[k] * w[k];
    }
    nq0 = sqrt(nq0);
    if (nq0 <= delta * (1 + 1e-10)) {
        for (j = 0; j < n; j++) {
            double t = 0.0;
            for (k = 0; k < n; k++) t += w[k] * v[k * n + j];
            q[j] = t;
        }
        *lam = 0.0;
        *pnorm = nq0;
        *jpnorm = sqrt(dot(uf, uf, n));
        return;
    }
    hi = 0.0;
    for (k = 0; k < n; k++) {
        sf[k] = s[k] * uf[k];
        s2[k] = s[k] * s[k];
        hi += sf[k] * sf[k];
    }
    lo = 0.0;
    hi = sqrt(hi) / delta;
    lm = (lo < lam0 && lam0 < hi) ? lam0 : sqrt((lo > 1e-3 * hi ? lo : 1e-3 * hi) * hi);
    for (it = 0; it < LM_STEP_ITER; it++) {
        double n2 = 0.0, dn2 = 0.0, nq, phi;
        if (!(lo < lm && lm < hi)) {
            double g = sqrt(lo * hi > 0 ? lo * hi : 0.0);
            lm = 0.001 * hi > g ? 0.001 * hi : g;
        }
        for (k = 0; k < n; k++) {
            double d = s2[k] + lm, wk = sf[k] / d;
            n2 += wk * wk;
            dn2 += wk * wk / d;
        }
        dn2 *= -2.0;
        nq = sqrt(n2);
        phi = nq - delta;
        if (fabs(phi) <= LM_STEP_BAND * delta) break;
        if (phi > 0) lo = lm;
        else hi = lm;
        lm = dn2 < 0 ? lm - 2.0 * phi * n2 / (delta * dn2) : 2.0 * lm;
    }
    {
        double n2 = 0.0, sw2 = 0.0;
        for (k = 0; k < n; k++) {
            w[k] = sf[k] / (s2[k] + lm);
            n2 += w[k] * w[k];
            sw2 += (s[k] * w[k]) * (s[k] * w[k]);
        }
        for (j = 0; j < n; j++) {
            double t = 0.0;
            for (k = 0; k < n; k++) t += w[k] * v[k * n + j];
            q[j] = t;
        }
        *lam = lm;
        *pnorm = sqrt(n2);
        *jpnorm = sqrt(sw2);
    }
}

static int all_finite(const double *a, Py_ssize_t k) {
    Py_ssize_t i;
    for (i = 0; i < k; i++) if (!isfinite(a[i])) return 0;
    return 1;
}

#endif
