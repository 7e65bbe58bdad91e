/* Moré's scaled trust-region step for one fit, on the k x k normal equations (C twin of
 * solvers/_lm_step.py, whose docstring gives the mathematics): p solves
 * (A + lambda D^2) p = -g by Cholesky; lambda = 0 when the Gauss-Newton step is inside the
 * radius (|D p| <= Delta), else Newton's iteration on 1/Delta - 1/|D p(lambda)|, safeguarded
 * to the bracket 0 < lambda < |D^-1 g| / Delta and stopped at | |D p| - Delta | <= 0.1 Delta.
 * Included by
 * _batchlm.c; the Cholesky helpers are also used there for the rounding floor and the
 * covariance.
 */
#ifndef THETAHAT_LM_STEP_H
#define THETAHAT_LM_STEP_H

#include <math.h>
#include <string.h>

#include "_lm_rules.h"  /* LM_STEP_BAND, LM_STEP_ITER */

#define KMAX 32

/* Cholesky L L^T of the k x k matrix M in place (lower), with the diagonal holding
   1 / L_jj so that the solves multiply; 0 when not positive definite */
static inline __attribute__((always_inline)) int cholesky_(double *M, int k) {
    for (int j = 0; j < k; j++) {
        double s = M[j * k + j];
        for (int q = 0; q < j; q++) s -= M[j * k + q] * M[j * k + q];
        if (!(s > 0.0) || !isfinite(s)) return 0;
        double is = 1.0 / sqrt(s);
        M[j * k + j] = is;
        for (int r = j + 1; r < k; r++) {
            double t = M[r * k + j];
            for (int q = 0; q < j; q++) t -= M[r * k + q] * M[j * k + q];
            M[r * k + j] = t * is;
        }
    }
    return 1;
}

/* forward substitution L z = b in place */
static inline __attribute__((always_inline)) void chol_lower_(const double *L, int k,
                                                              double *b) {
    for (int r = 0; r < k; r++) {
        double t = b[r];
        for (int q = 0; q < r; q++) t -= L[r * k + q] * b[q];
        b[r] = t * L[r * k + r];
    }
}

/* solve L L^T z = b in place (L from cholesky) */
static inline __attribute__((always_inline)) void chol_solve_(const double *L, int k,
                                                              double *b) {
    chol_lower_(L, k, b);
    for (int r = k - 1; r >= 0; r--) {
        double t = b[r];
        for (int q = r + 1; q < k; q++) t -= L[q * k + r] * b[q];
        b[r] = t * L[r * k + r];
    }
}

/* the above with k a constant for the common sizes, so that the loops unroll */
#define LM_K_SWITCH(call, ...)                 \
    switch (k) {                               \
    case 3: call(__VA_ARGS__, 3); break;       \
    case 4: call(__VA_ARGS__, 4); break;       \
    case 5: call(__VA_ARGS__, 5); break;       \
    case 6: call(__VA_ARGS__, 6); break;       \
    case 7: call(__VA_ARGS__, 7); break;       \
    default: call(__VA_ARGS__, k);             \
    }
#define LM_CHOL_(ok, M, kk) ok = cholesky_(M, kk)
#define LM_SOLVE_(L, b, kk) chol_solve_(L, kk, b)
#define LM_LOWER_(L, b, kk) chol_lower_(L, kk, b)

static inline __attribute__((always_inline)) int cholesky(double *M, int k) {
    int ok = 0;
    LM_K_SWITCH(LM_CHOL_, ok, M)
    return ok;
}

static inline __attribute__((always_inline)) void chol_solve(const double *L, int k,
                                                             double *b) {
    LM_K_SWITCH(LM_SOLVE_, L, b)
}

static inline __attribute__((always_inline)) void chol_lower(const double *L, int k,
                                                             double *b) {
    LM_K_SWITCH(LM_LOWER_, L, b)
}

/* p = -(A + lam diag(d2))^-1 g; returns |D p|^2 and, when w2 is not NULL, sets
   *w2 = |L^-1 D^2 p|^2 with L L^T = A + lam diag(d2) (left in L, k x k), so that
   d|D p|^2/dlam = -2 w2 (inf when the matrix does not factor; p = 0) */
static inline __attribute__((always_inline)) double lm_p(const double *A, const double *g,
                                                         const double *d2, int k,
                                                         double lam, double *p,
                                                         double *w2, double *L) {
    double w[KMAX];
    memcpy(L, A, sizeof(double) * k * k);
    for (int r = 0; r < k; r++) L[r * k + r] += lam * d2[r];
    if (!cholesky(L, k)) {
        for (int r = 0; r < k; r++) p[r] = 0.0;
        if (w2) *w2 = INFINITY;
        return INFINITY;
    }
    for (int r = 0; r < k; r++) p[r] = -g[r];
    chol_solve(L, k, p);
    double n2 = 0.0, s = 0.0;
    for (int r = 0; r < k; r++) n2 += d2[r] * p[r] * p[r];
    if (w2) {
        for (int r = 0; r < k; r++) w[r] = d2[r] * p[r];
        chol_lower(L, k, w);
        for (int r = 0; r < k; r++) s += w[r] * w[r];
        *w2 = s;
    }
    return n2;
}

/* Newton's iteration on the secular equation (the step is outside the region): returns
   |D p| at the lambda found, which *lam receives; out of line, as a rare path */
static __attribute__((noinline)) double lm_secular(const double *A, const double *g,
                                                   const double *d2, int k, double delta,
                                                   double *lam, double *p) {
    double gg = 0.0, w2, n2 = INFINITY, nq = INFINITY, L[KMAX * KMAX];
    for (int r = 0; r < k; r++) gg += g[r] * g[r] / d2[r];
    double lo = 0.0, hi = sqrt(gg) / delta, l0 = *lam;
    double lm = (lo < l0 && l0 < hi) ? l0 : sqrt((lo > 1e-3 * hi ? lo : 1e-3 * hi) * hi);
    for (int it = 0; it < LM_STEP_ITER; it++) {
        if (!(lo < lm && lm < hi)) {
            double b = sqrt(lo * hi > 0.0 ? lo * hi : 0.0);
            lm = 0.001 * hi > b ? 0.001 * hi : b;
        }
        n2 = lm_p(A, g, d2, k, lm, p, &w2, L);
        nq = sqrt(n2);
        double phi = nq - delta;
        if (fabs(phi) <= LM_STEP_BAND * delta) break;
        if (phi > 0) lo = lm; else hi = lm;
        if (it == LM_STEP_ITER - 1) break;  /* keep the lambda of p */
        lm = w2 > 0.0 ? lm + (n2 / w2) * phi / delta : 2.0 * lm;
    }
    *lam = lm;
    return nq;
}

/* The step p (k) for the matrix A (k x k), gradient g, squared scaling d2 > 0 and radius
   delta, starting the secular iteration from *lam (the previous lambda), which receives
   the step's lambda; returns |D p| (0 when the matrix factors at no lambda tried). The
   scaled system of the module docstring, solved unscaled: Cholesky's rounding does not
   depend on a diagonal scaling. The Gauss-Newton step -A^-1 g is kept in pgn, with
   |D pgn| in *gnq (inf when A does not factor; pgn = 0) and the Cholesky factor of A in
   L: when *gnq >= 0 on entry they are those of this A and g (a rejected step's) and are
   not recomputed. */
static inline __attribute__((always_inline)) double lm_more_step(
    const double *A, const double *g, const double *d2, int k, double delta, double *lam,
    double *p, double *pgn, double *gnq, double *L) {
    if (!(*gnq >= 0.0)) *gnq = sqrt(lm_p(A, g, d2, k, 0.0, pgn, NULL, L));
    double nq = *gnq;
    if (nq <= delta * (1 + 1e-10)) {  /* the Gauss-Newton step is inside the region */
        memcpy(p, pgn, sizeof(double) * k);
        *lam = 0.0;
        return nq;
    }
    nq = lm_secular(A, g, d2, k, delta, lam, p);
    if (!isfinite(nq)) {
        for (int r = 0; r < k; r++) p[r] = 0.0;
        return 0.0;
    }
    return nq;
}

#endif
