/*
 * Batch Levenberg-Marquardt for the built-in models, compiled.
 *
 * The same algorithm, step for step, as thetahat.solvers.batch_lm (read its module
 * docstring for the mathematics: the damped normal equations (A + lambda D) delta = -g with
 * A = J^T W J, g = J^T W r and D the running maximum of diag(A), the gain ratio rho,
 * Nielsen's lambda update, projection on the bounds, and the ftol / xtol / gtol stopping
 * rules, including the rounding floor). Each fit is independent. Its points are taken in
 * blocks of NB = 32: the model's value and analytic derivative columns for a block live on
 * the stack (no Jacobian of the batch is stored), computed in loops over the points that
 * the compiler vectorises (exp_block is a polynomial exp for that purpose), then folded
 * into chi2, g and A by vector dot products; on x86-64 Linux the accumulation is also
 * compiled for AVX2/FMA and picked at load. The k x k system is solved by Cholesky; a
 * matrix that does not factor raises lambda, and at the end gives status singular with an
 * inf covariance (never a silently wrong one). The batch is split into chunks that worker
 * threads (pthreads) take in turn, with the GIL released.
 *
 * Interface (see thetahat.solvers.batch_lm.run_compiled):
 *   fit(comps, x, x_per_fit, dim, y, w, estimator, lb, ub, fixed, popt, chi2, nfev,
 *       niter, status, cov, ftol, xtol, gtol, max_iter, lam0, workers, chunk) -> None
 * comps: int32 pairs (code, npar) of the summed components; x: float64, shape (m, dim)
 * shared or (n, m, dim) per fit; y, w: (n, m) (w may be None: unit weights); estimator 0
 * least squares, 1 Poisson MLE; lb, ub, fixed: (k,) float64 / float64 / int8; popt (n, k)
 * holds p0 on entry and the result on exit; chi2 (n); nfev, niter, status (n) int64;
 * cov (n, k, k) receives inv(A) at the result (MLE: inv of the Fisher information
 * sum J J^T / f; inf when singular).
 * status: 1 converged, 2 max-iterations, 3 singular, 4 non-finite.
 */
#if defined(__GNUC__) && !defined(__clang__)
/* comparisons that cannot trap let GCC turn the selects of exp_block into vector blends;
   nothing here reads the floating-point exception flags */
#pragma GCC optimize("no-trapping-math")
#endif
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "_lm_rules.h"  /* acceptance, stopping tests, status codes */

#define KMAX 32
#define NCOMP_MAX 16

enum { C_CONST = 0, C_POLY = 1, C_EXPO = 2, C_GAUSS = 3, C_LORENTZ = 4,
       C_GAUSS2D = 10, C_GAUSS2D_ELL = 11, C_GAUSS2D_ROT = 12 };

typedef struct {
    int ncomp, code[NCOMP_MAX], npar[NCOMP_MAX];
    Py_ssize_t n, m, k, dim;
    int x_per_fit, mle;
    const double *x, *y, *w, *lb, *ub;
    const int8_t *fixed;
    double *popt, *chi2, *cov;
    int64_t *nfev, *niter, *status;
    double ftol, xtol, gtol, lam0;
    long max_iter;
    Py_ssize_t chunk, next;
    pthread_mutex_t lock;
} Problem;

/* exp(x) in straight-line arithmetic that the compiler can vectorise over a block of
   points: x = n ln2 + t with n = round(x / ln2) (ln2 split in two so n ln2 is exact) and
   |t| <= ln2 / 2, exp(t) by its Taylor series to t^13 (remainder < 4e-18 relative), times
   2^n as 2^n1 2^n2 (n1 + n2 = n, each built in the exponent bits, so that overflow to inf
   and gradual underflow happen in the last product). Within 1 ulp of glibc's exp over
   [-746, 710] (a scan of 2e7 points, SSE2 and AVX2/FMA builds); NaN stays NaN, -inf gives
   0 and +inf inf. */
static inline __attribute__((always_inline)) double exp_block(double x) {
    const double shift = 6755399441055744.0; /* 1.5 * 2^52: adding it rounds to integer */
    const uint64_t sbits = 0x4338000000000000ULL;   /* the bits of shift */
    double xc = x < -746.0 ? -746.0 : x;
    xc = xc > 710.0 ? 710.0 : xc;
    double tn = xc * 1.4426950408889634 + shift;
    double n = tn - shift;
    double t = (xc - n * 0.693145751953125) - n * 1.4286068203094173e-06;
    double e = 1.0 / 6227020800.0;
    e = e * t + 1.0 / 479001600.0;
    e = e * t + 1.0 / 39916800.0;
    e = e * t + 1.0 / 3628800.0;
    e = e * t + 1.0 / 362880.0;
    e = e * t + 1.0 / 40320.0;
    e = e * t + 1.0 / 5040.0;
    e = e * t + 1.0 / 720.0;
    e = e * t + 1.0 / 120.0;
    e = e * t + 1.0 / 24.0;
    e = e * t + 1.0 / 6.0;
    e = e * t + 0.5;
    e = e * t + 1.0;
    e = e * t + 1.0;
    double h1 = n * 0.5 + shift, n1 = h1 - shift, h2 = (n - n1) + shift;
    uint64_t b1, b2;
    memcpy(&b1, &h1, sizeof b1);
    memcpy(&b2, &h2, sizeof b2);
    b1 = (b1 - sbits + 1023) << 52; /* n1 + bias in the exponent field */
    b2 = (b2 - sbits + 1023) << 52;
    double s1, s2;
    memcpy(&s1, &b1, sizeof s1);
    memcpy(&s2, &b2, sizeof s2);
    double v = (e * s1) * s2;
    return x != x ? x : v;
}

/* Points are processed in blocks of NB: per component, the value and the derivative
   columns J[a][j] for every point of the block, in loops over the points with the
   parameters' reciprocals hoisted; then chi2, g and A from the columns. */
#define NB 32

typedef struct {
    double x0[NB], x1[NB], f[NB], J[KMAX][NB];
} Block;

static inline __attribute__((always_inline)) void comp_block(int code, int npar, const double *q, Block *B, int off, int nb) {
    double *f = B->f, *x = B->x0, *y = B->x1;
    double *d0 = B->J[off], *d1 = B->J[off + (npar > 1)], *d2 = B->J[off + 2 * (npar > 2)];
    switch (code) {
    case C_CONST:
        for (int j = 0; j < nb; j++) { f[j] += q[0]; d0[j] = 1.0; }
        break;
    case C_POLY:
        for (int j = 0; j < nb; j++) {
            double s = 0.0, xp = 1.0;
            for (int a = 0; a < npar; a++) {
                s += q[a] * xp;
                B->J[off + a][j] = xp;
                xp *= x[j];
            }
            f[j] += s;
        }
        break;
    case C_EXPO: {
        double ic = 1.0 / q[2];
        for (int j = 0; j < nb; j++) {
            double e = exp_block(-(x[j] - q[1]) * ic), v = q[0] * e;
            f[j] += v;
            d0[j] = e; d1[j] = v * ic; d2[j] = v * (x[j] - q[1]) * ic * ic;
        }
        break;
    }
    case C_GAUSS: {
        double is = 1.0 / q[2];
        for (int j = 0; j < nb; j++) {
            double t = (x[j] - q[1]) * is, e = exp_block(-0.5 * t * t), v = q[0] * e;
            f[j] += v;
            d0[j] = e; d1[j] = v * t * is; d2[j] = v * t * t * is;
        }
        break;
    }
    case C_LORENTZ: {
        double is = 1.0 / q[2];
        for (int j = 0; j < nb; j++) {
            double t = (x[j] - q[1]) * is, u = 1.0 / (1.0 + t * t), v = q[0] * u;
            f[j] += v;
            d0[j] = u; d1[j] = 2.0 * v * u * t * is; d2[j] = 2.0 * v * u * t * t * is;
        }
        break;
    }
    case C_GAUSS2D: {
        double is = 1.0 / q[3], *d3 = B->J[off + 3];
        for (int j = 0; j < nb; j++) {
            double u = (x[j] - q[1]) * is, s = (y[j] - q[2]) * is;
            double e = exp_block(-0.5 * (u * u + s * s)), v = q[0] * e, vi = v * is;
            f[j] += v;
            d0[j] = e; d1[j] = vi * u; d2[j] = vi * s; d3[j] = vi * (u * u + s * s);
        }
        break;
    }
    case C_GAUSS2D_ELL: {
        double isx = 1.0 / q[3], isy = 1.0 / q[4], *d3 = B->J[off + 3], *d4 = B->J[off + 4];
        for (int j = 0; j < nb; j++) {
            double u = (x[j] - q[1]) * isx, s = (y[j] - q[2]) * isy;
            double e = exp_block(-0.5 * (u * u + s * s)), v = q[0] * e;
            f[j] += v;
            d0[j] = e; d1[j] = v * u * isx; d2[j] = v * s * isy;
            d3[j] = v * u * u * isx; d4[j] = v * s * s * isy;
        }
        break;
    }
    case C_GAUSS2D_ROT: {
        double ct = cos(q[5]), st = sin(q[5]), isx = 1.0 / q[3], isy = 1.0 / q[4];
        double *d3 = B->J[off + 3], *d4 = B->J[off + 4], *d5 = B->J[off + 5];
        for (int j = 0; j < nb; j++) {
            double dx = x[j] - q[1], dy = y[j] - q[2];
            double xr = dx * ct - dy * st, yr = dx * st + dy * ct;
            double u = xr * isx, s = yr * isy;
            double e = exp_block(-0.5 * (u * u + s * s)), v = q[0] * e;
            f[j] += v;
            d0[j] = e; d1[j] = v * (u * ct * isx + s * st * isy);
            d2[j] = v * (-u * st * isx + s * ct * isy);
            d3[j] = v * u * u * isx; d4[j] = v * s * s * isy;
            d5[j] = v * (u * yr * isx - s * xr * isy);
        }
        break;
    }
    default:
        for (int j = 0; j < nb; j++) f[j] = NAN;
    }
}

/* Dot products over a block in two-lane vectors (GCC / clang vector extensions; blocks
   are zero-padded to a multiple of 4 points, and a padded point adds exactly 0). */
typedef double v4d __attribute__((vector_size(32)));
#if defined(__GNUC__) && !defined(__clang__)
/* v4d never crosses a call boundary (always_inline), so the AVX ABI note does not apply */
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

static inline __attribute__((always_inline)) v4d ld4(const double *p) {
    v4d v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline __attribute__((always_inline)) double dot(const double *u, const double *v,
                                                        int nb4) {
    v4d s = {0.0, 0.0, 0.0, 0.0};
    for (int j = 0; j < nb4; j += 4) s += ld4(u + j) * ld4(v + j);
    return (s[0] + s[2]) + (s[1] + s[3]);
}

/* On x86-64 Linux with GCC the per-fit loop (with everything it inlines) is compiled
   twice, for the baseline and for x86-64-v3 (AVX2, FMA), and the loader picks the one the
   processor runs (ifunc). */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 11 && defined(__x86_64__) && \
    defined(__linux__) && defined(__GLIBC__) /* x86-64-v3 names: GCC 11; ifunc: glibc */ \
    && !defined(THETAHAT_NO_CLONES) /* -DTHETAHAT_NO_CLONES: the baseline alone */
#define CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define CLONES
#endif

/* chi2 at p, the normal matrix A (full) and g, and (when scale) the scale of chi2's
   rounding error; INFINITY when any of them is not finite */
static inline __attribute__((always_inline)) double accumulate(const Problem *P, Py_ssize_t i, const double *p, double *A,
                         double *g, double *scale, int fisher) {
    const Py_ssize_t m = P->m, k = P->k, dim = P->dim;
    const double *x = P->x + (P->x_per_fit ? i * m * dim : 0);
    const double *y = P->y + i * m;
    const double *w = P->w ? P->w + i * m : NULL;
    const int mle = P->mle;
    Block B;
    double a[NB], b[NB], bJ[NB], chi2 = 0.0, sc = 0.0;
    memset(A, 0, sizeof(double) * k * k);
    memset(g, 0, sizeof(double) * k);
    for (Py_ssize_t j0 = 0; j0 < m; j0 += NB) {
        int nb = (int)(m - j0 < NB ? m - j0 : NB), nb4 = (nb + 3) & ~3;
        const double *xb = x + j0 * dim, *yb = y + j0;
        for (int j = 0; j < nb; j++) {
            B.x0[j] = xb[j * dim];
            B.x1[j] = dim > 1 ? xb[j * dim + 1] : 0.0;
            B.f[j] = 0.0;
        }
        int off = 0;
        for (int c = 0; c < P->ncomp; c++) {
            comp_block(P->code[c], P->npar[c], p + off, &B, off, nb);
            off += P->npar[c];
        }
        if (mle) {
            for (int j = 0; j < nb; j++) {
                double f = B.f[j], yj = yb[j];
                if (!(f > 0.0)) return INFINITY;
                chi2 += 2.0 * (f - yj) - (yj > 0.0 ? 2.0 * yj * log(f / yj) : 0.0);
                sc += 2.0 * (fabs(f) + fabs(yj));
                a[j] = 1.0 - yj / f;                  /* gradient weight */
                b[j] = fisher ? 1.0 / f : yj / (f * f); /* Fisher / Gpufit's curvature */
            }
        } else {
            const double *wb = w ? w + j0 : NULL;
            for (int j = 0; j < nb; j++) {
                double wj = wb ? wb[j] : 1.0, r = B.f[j] - yb[j];
                a[j] = wj * r;
                b[j] = wj;
                chi2 += a[j] * r;
                sc += fabs(a[j]) * (fabs(B.f[j]) + fabs(yb[j]));
            }
        }
        for (int j = nb; j < nb4; j++) {
            a[j] = b[j] = 0.0;
            for (Py_ssize_t r = 0; r < k; r++) B.J[r][j] = 0.0;
        }
        for (Py_ssize_t r = 0; r < k; r++) {
            const double *Jr = B.J[r];
            g[r] += dot(a, Jr, nb4);
            for (int j = 0; j < nb4; j++) bJ[j] = b[j] * Jr[j];
            for (Py_ssize_t c = 0; c <= r; c++) A[r * k + c] += dot(bJ, B.J[c], nb4);
        }
    }
    if (!isfinite(chi2)) return INFINITY;
    if (scale) *scale = sc;
    for (Py_ssize_t r = 0; r < k; r++)  /* a Jacobian that is not finite: unusable */
        if (!isfinite(g[r]) || !isfinite(A[r * k + r])) return INFINITY;
    for (Py_ssize_t r = 0; r < k; r++) {
        if (P->fixed[r]) {
            g[r] = 0.0;
            for (Py_ssize_t c = 0; c < k; c++) A[r * k + c] = A[c * k + r] = 0.0;
            A[r * k + r] = 1.0;
        }
        for (Py_ssize_t c = 0; c < r; c++) A[c * k + r] = A[r * k + c];
    }
    return chi2;
}

/* Cholesky L L^T of the k x k matrix M in place (lower), with the diagonal holding
   1 / L_jj so that the solves multiply; 0 when not positive definite */
static inline __attribute__((always_inline)) int cholesky_(double *M, Py_ssize_t k) {
    for (Py_ssize_t j = 0; j < k; j++) {
        double s = M[j * k + j];
        for (Py_ssize_t q = 0; q < j; q++) s -= M[j * k + q] * M[j * k + q];
        if (!(s > 0.0) || !isfinite(s)) return 0;
        double is = 1.0 / sqrt(s);
        M[j * k + j] = is;
        for (Py_ssize_t r = j + 1; r < k; r++) {
            double t = M[r * k + j];
            for (Py_ssize_t q = 0; q < j; q++) t -= M[r * k + q] * M[j * k + q];
            M[r * k + j] = t * is;
        }
    }
    return 1;
}

/* solve L L^T z = b in place (L from cholesky) */
static inline __attribute__((always_inline)) void chol_solve_(const double *L, Py_ssize_t k,
                                                              double *b) {
    for (Py_ssize_t r = 0; r < k; r++) {
        double t = b[r];
        for (Py_ssize_t q = 0; q < r; q++) t -= L[r * k + q] * b[q];
        b[r] = t * L[r * k + r];
    }
    for (Py_ssize_t r = k - 1; r >= 0; r--) {
        double t = b[r];
        for (Py_ssize_t q = r + 1; q < k; q++) t -= L[q * k + r] * b[q];
        b[r] = t * L[r * k + r];
    }
}

/* the two above with k a constant for the common sizes, so that the loops unroll */
static inline __attribute__((always_inline)) int cholesky(double *M, Py_ssize_t k) {
    switch (k) {
    case 3: return cholesky_(M, 3);
    case 4: return cholesky_(M, 4);
    case 5: return cholesky_(M, 5);
    case 6: return cholesky_(M, 6);
    case 7: return cholesky_(M, 7);
    default: return cholesky_(M, k);
    }
}

static inline __attribute__((always_inline)) void chol_solve(const double *L, Py_ssize_t k,
                                                              double *b) {
    switch (k) {
    case 3: chol_solve_(L, 3, b); break;
    case 4: chol_solve_(L, 4, b); break;
    case 5: chol_solve_(L, 5, b); break;
    case 6: chol_solve_(L, 6, b); break;
    case 7: chol_solve_(L, 7, b); break;
    default: chol_solve_(L, k, b);
    }
}

CLONES static void fit_one(Problem *P, Py_ssize_t i) {
    const Py_ssize_t k = P->k;
    double A[KMAX * KMAX], An[KMAX * KMAX], L[KMAX * KMAX], g[KMAX], gn[KMAX];
    double D[KMAX], p[KMAX], pn[KMAX], dl[KMAX];
    double *popt = P->popt + i * k, *cov = P->cov + i * k * k;
    long it = 0, nfev = 1;
    int status = ST_MAXITER;
    memcpy(p, popt, sizeof(double) * k);
    double scale = 0.0, scn = 0.0;
    double chi2 = accumulate(P, i, p, A, g, &scale, 0), lam = P->lam0, nu = 2.0;
    if (!isfinite(chi2)) {
        status = ST_NONFINITE;
        goto done;
    }
    for (Py_ssize_t r = 0; r < k; r++) D[r] = A[r * k + r] > 0.0 ? A[r * k + r] : 1.0;
    for (it = 0; it < P->max_iter; it++) {
        /* gtol: the largest cosine between the residual and a column of J */
        double gmax = 0.0;
        for (Py_ssize_t r = 0; r < k; r++) {
            double c = lm_gtol_term(g[r], A[r * k + r], chi2);
            if (c > gmax) gmax = c;
        }
        if (chi2 == 0.0 || gmax <= P->gtol) {
            status = ST_CONVERGED;
            break;
        }
        memcpy(L, A, sizeof(double) * k * k);
        for (Py_ssize_t r = 0; r < k; r++) L[r * k + r] += lam * D[r];
        if (!cholesky(L, k)) {
            lam *= nu;
            nu *= 2.0;
            if (lam > LM_LAM_MAX) { status = ST_SINGULAR; it++; break; }
            continue;
        }
        for (Py_ssize_t r = 0; r < k; r++) dl[r] = -g[r];
        chol_solve(L, k, dl);
        double pred = 0.0, dnorm = 0.0, xnorm = 0.0;
        for (Py_ssize_t r = 0; r < k; r++) {
            double v = p[r] + dl[r];
            if (v < P->lb[r]) v = P->lb[r];
            if (v > P->ub[r]) v = P->ub[r];
            pn[r] = v;
            dl[r] = v - p[r];
        }
        for (Py_ssize_t r = 0; r < k; r++) {
            double Ad = 0.0;
            for (Py_ssize_t c = 0; c < k; c++) Ad += A[r * k + c] * dl[c];
            pred -= 2.0 * g[r] * dl[r] + dl[r] * Ad;
            dnorm += D[r] * dl[r] * dl[r];
            xnorm += D[r] * p[r] * p[r];
        }
        /* rounding floor (batch_lm): at the minimum to working precision, stop here */
        if (pred <= LM_ROUND * scale) {
            double z[KMAX], d2 = 0.0;
            memcpy(L, A, sizeof(double) * k * k);
            if (cholesky(L, k)) {
                memcpy(z, g, sizeof(double) * k);
                chol_solve(L, k, z);
                for (Py_ssize_t r = 0; r < k; r++) d2 += g[r] * z[r];
                if (d2 <= LM_ROUND * scale) {
                    status = ST_CONVERGED;
                    it++;
                    break;
                }
            }
        }
        dnorm = sqrt(dnorm);
        xnorm = sqrt(xnorm);
        double chi2n = accumulate(P, i, pn, An, gn, &scn, 0);
        nfev++;
        double rho = (isfinite(chi2n) && pred > 0.0) ? (chi2 - chi2n) / pred : -1.0;
        if (rho > LM_RHO_ACCEPT) {
            double actred = (chi2 - chi2n) / chi2, prered = pred / chi2;
            memcpy(p, pn, sizeof(double) * k);
            memcpy(A, An, sizeof(double) * k * k);
            memcpy(g, gn, sizeof(double) * k);
            chi2 = chi2n;
            scale = scn;
            for (Py_ssize_t r = 0; r < k; r++) if (A[r * k + r] > D[r]) D[r] = A[r * k + r];
            double t = 2.0 * rho - 1.0, fac = 1.0 - t * t * t;
            lam *= fac > 1.0 / 3.0 ? fac : 1.0 / 3.0;
            nu = 2.0;
            if (lm_ftol_ok(actred, prered, rho, P->ftol) || lm_xtol_ok(dnorm, xnorm, P->xtol)) {
                status = ST_CONVERGED;
                it++;
                break;
            }
        } else {
            lam *= nu;
            nu *= 2.0;
            if (lm_xtol_ok(dnorm, xnorm, P->xtol)) {
                status = ST_CONVERGED;
                it++;
                break;
            }
        }
    }
done:
    memcpy(popt, p, sizeof(double) * k);
    P->chi2[i] = chi2;
    P->nfev[i] = nfev;
    P->niter[i] = it;
    /* covariance: inv(A) over the free parameters, zero rows for fixed ones */
    if (status != ST_NONFINITE) {
        if (P->mle) accumulate(P, i, p, A, g, NULL, 1);
        memcpy(L, A, sizeof(double) * k * k);
        if (cholesky(L, k)) {
            for (Py_ssize_t c = 0; c < k; c++) {
                double e[KMAX];
                for (Py_ssize_t r = 0; r < k; r++) e[r] = (r == c);
                chol_solve(L, k, e);
                for (Py_ssize_t r = 0; r < k; r++)
                    cov[r * k + c] = (P->fixed[r] || P->fixed[c]) ? 0.0 : e[r];
            }
        } else {
            for (Py_ssize_t r = 0; r < k * k; r++) cov[r] = INFINITY;
            if (status == ST_CONVERGED) status = ST_SINGULAR;
        }
    } else {
        for (Py_ssize_t r = 0; r < k * k; r++) cov[r] = NAN;
    }
    P->status[i] = status;
}

static void *worker(void *arg) {
    Problem *P = (Problem *)arg;
    for (;;) {
        pthread_mutex_lock(&P->lock);
        Py_ssize_t start = P->next;
        P->next += P->chunk;
        pthread_mutex_unlock(&P->lock);
        if (start >= P->n) break;
        Py_ssize_t stop = start + P->chunk < P->n ? start + P->chunk : P->n;
        for (Py_ssize_t i = start; i < stop; i++) fit_one(P, i);
    }
    return NULL;
}

static int get(PyObject *o, Py_buffer *b, int writable, Py_ssize_t size, Py_ssize_t item,
               const char *name) {
    if (PyObject_GetBuffer(o, b, PyBUF_C_CONTIGUOUS | (writable ? PyBUF_WRITABLE : 0)) < 0)
        return 0;
    if (b->itemsize != item || b->len != size * item) {
        PyErr_Format(PyExc_ValueError, "batchcore.fit: %s has %zd bytes, expected %zd",
                     name, b->len, size * item);
        PyBuffer_Release(b);
        return 0;
    }
    return 1;
}

static PyObject *fit(PyObject *self, PyObject *args) {
    PyObject *ocomps, *ox, *oy, *ow, *olb, *oub, *ofix, *opopt, *ochi2, *onfev, *oniter,
        *ostatus, *ocov;
    int x_per_fit, mle, workers;
    Py_ssize_t dim, chunk;
    Problem P;
    memset(&P, 0, sizeof(P));
    if (!PyArg_ParseTuple(args, "OOinOOiOOOOOOOOOddddlin", &ocomps, &ox, &x_per_fit, &dim,
                          &oy, &ow, &mle, &olb, &oub, &ofix, &opopt, &ochi2, &onfev,
                          &oniter, &ostatus, &ocov, &P.ftol, &P.xtol, &P.gtol, &P.lam0,
                          &P.max_iter, &workers, &chunk))
        return NULL;
    Py_buffer bc, bx, by, bw, blb, bub, bfix, bp, bchi, bnf, bni, bst, bcov;
    int ok = 0, have_w = ow != Py_None;
    if (PyObject_GetBuffer(ocomps, &bc, PyBUF_C_CONTIGUOUS) < 0) return NULL;
    Py_ssize_t nc2 = bc.len / 4;
    if (bc.itemsize != 4 || nc2 % 2 || nc2 / 2 > NCOMP_MAX || nc2 == 0) {
        PyErr_SetString(PyExc_ValueError, "batchcore.fit: bad component list");
        PyBuffer_Release(&bc);
        return NULL;
    }
    P.ncomp = (int)(nc2 / 2);
    P.k = 0;
    for (int c = 0; c < P.ncomp; c++) {
        P.code[c] = ((int32_t *)bc.buf)[2 * c];
        P.npar[c] = ((int32_t *)bc.buf)[2 * c + 1];
        P.k += P.npar[c];
    }
    PyBuffer_Release(&bc);
    if (P.k > KMAX) {
        PyErr_Format(PyExc_ValueError, "batchcore.fit: at most %d parameters", KMAX);
        return NULL;
    }
    if (PyObject_GetBuffer(oy, &by, PyBUF_C_CONTIGUOUS) < 0) return NULL;
    if (PyObject_GetBuffer(opopt, &bp, PyBUF_C_CONTIGUOUS | PyBUF_WRITABLE) < 0) {
        PyBuffer_Release(&by);
        return NULL;
    }
    P.n = bp.len / 8 / (P.k ? P.k : 1);
    P.m = P.n ? by.len / 8 / P.n : 0;
    P.dim = dim;
    P.x_per_fit = x_per_fit;
    P.mle = mle;
    int gx = 0, gw = 0, glb = 0, gub = 0, gfix = 0, gchi = 0, gnf = 0, gni = 0, gst = 0,
        gcov = 0;
    if (!(gx = get(ox, &bx, 0, (x_per_fit ? P.n : 1) * P.m * dim, 8, "x"))) goto out;
    if (have_w && !(gw = get(ow, &bw, 0, P.n * P.m, 8, "w"))) goto out;
    if (!(glb = get(olb, &blb, 0, P.k, 8, "lb"))) goto out;
    if (!(gub = get(oub, &bub, 0, P.k, 8, "ub"))) goto out;
    if (!(gfix = get(ofix, &bfix, 0, P.k, 1, "fixed"))) goto out;
    if (!(gchi = get(ochi2, &bchi, 1, P.n, 8, "chi2"))) goto out;
    if (!(gnf = get(onfev, &bnf, 1, P.n, 8, "nfev"))) goto out;
    if (!(gni = get(oniter, &bni, 1, P.n, 8, "niter"))) goto out;
    if (!(gst = get(ostatus, &bst, 1, P.n, 8, "status"))) goto out;
    if (!(gcov = get(ocov, &bcov, 1, P.n * P.k * P.k, 8, "cov"))) goto out;
    P.x = bx.buf;
    P.y = by.buf;
    P.w = have_w ? bw.buf : NULL;
    P.lb = blb.buf;
    P.ub = bub.buf;
    P.fixed = bfix.buf;
    P.popt = bp.buf;
    P.chi2 = bchi.buf;
    P.nfev = bnf.buf;
    P.niter = bni.buf;
    P.status = bst.buf;
    P.cov = bcov.buf;
    P.chunk = chunk > 0 ? chunk : 4096;
    P.next = 0;
    if (workers < 1) workers = 1;
    if ((Py_ssize_t)workers > (P.n + P.chunk - 1) / P.chunk)
        workers = (int)((P.n + P.chunk - 1) / P.chunk);
    if (workers < 1) workers = 1;
    pthread_mutex_init(&P.lock, NULL);
    Py_BEGIN_ALLOW_THREADS
    if (workers == 1) {
        worker(&P);
    } else {
        pthread_t *th = malloc(sizeof(pthread_t) * workers);
        int started = 0;
        for (int t = 0; t < workers && th; t++) {
            if (pthread_create(&th[t], NULL, worker, &P) != 0) break;
            started++;
        }
        if (started == 0) worker(&P);
        for (int t = 0; t < started; t++) pthread_join(th[t], NULL);
        free(th);
    }
    Py_END_ALLOW_THREADS
    pthread_mutex_destroy(&P.lock);
    ok = 1;
out:
    if (gx) PyBuffer_Release(&bx);
    if (gw) PyBuffer_Release(&bw);
    if (glb) PyBuffer_Release(&blb);
    if (gub) PyBuffer_Release(&bub);
    if (gfix) PyBuffer_Release(&bfix);
    if (gchi) PyBuffer_Release(&bchi);
    if (gnf) PyBuffer_Release(&bnf);
    if (gni) PyBuffer_Release(&bni);
    if (gst) PyBuffer_Release(&bst);
    if (gcov) PyBuffer_Release(&bcov);
    PyBuffer_Release(&by);
    PyBuffer_Release(&bp);
    if (!ok) return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"fit", fit, METH_VARARGS, "Batch Levenberg-Marquardt over built-in models."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_batchlm",
                                    "Compiled batch Levenberg-Marquardt (see batch_lm).", -1,
                                    methods};

PyMODINIT_FUNC PyInit__batchlm(void) { return PyModule_Create(&module); }
