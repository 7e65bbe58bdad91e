/* The built-in models of the batch engine, for _batchlm.c: value and analytic derivative
 * columns over blocks of NB points, with a vectorisable exp (exp_block), and the block
 * dot products (the mathematics of the models: solvers/batch_lm.py, BuiltinModel).
 */
#ifndef THETAHAT_BATCH_MODELS_H
#define THETAHAT_BATCH_MODELS_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "_lm_step.h"  /* KMAX */

enum { C_CONST = 0, C_POLY = 1, C_EXPO = 2, C_GAUSS = 3, C_LORENTZ = 4,
       C_GAUSS2D = 10, C_GAUSS2D_ELL = 11, C_GAUSS2D_ROT = 12 };

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

/* g += J a and the lower triangle of A += J diag(b) J^T over one block (b NULL: unit
   weights), with the sums of dot(): for a fixed small k the loop over the points is the
   outer one and every sum of the block stays in a vector register (one pass over the
   columns instead of k (k + 3) / 2; the same sums in the same order, so bit-identical) */
static inline __attribute__((always_inline)) void fold_(const Block *B, const double *a,
                                                        const double *b, int nb4, double *g,
                                                        double *A, int k) {
    v4d sg[KMAX], sA[KMAX * (KMAX + 1) / 2];
    const int nt = k * (k + 1) / 2;
    for (int r = 0; r < k; r++) sg[r] = (v4d){0.0, 0.0, 0.0, 0.0};
    for (int t = 0; t < nt; t++) sA[t] = (v4d){0.0, 0.0, 0.0, 0.0};
    for (int j = 0; j < nb4; j += 4) {
        v4d av = ld4(a + j), Jv[KMAX];
        for (int r = 0; r < k; r++) Jv[r] = ld4(B->J[r] + j);
        for (int r = 0, t = 0; r < k; r++) {
            sg[r] += av * Jv[r];
            v4d bJ = b ? ld4(b + j) * Jv[r] : Jv[r];
            for (int c = 0; c <= r; c++, t++) sA[t] += bJ * Jv[c];
        }
    }
    for (int r = 0, t = 0; r < k; r++) {
        g[r] += (sg[r][0] + sg[r][2]) + (sg[r][1] + sg[r][3]);
        for (int c = 0; c <= r; c++, t++)
            A[r * k + c] += (sA[t][0] + sA[t][2]) + (sA[t][1] + sA[t][3]);
    }
}

/* the same for any k: one dot product per sum */
static inline __attribute__((always_inline)) void fold_any(const Block *B, const double *a,
                                                           const double *b, int nb4,
                                                           double *g, double *A, int k) {
    double bJ[NB];
    for (int r = 0; r < k; r++) {
        const double *Jr = B->J[r];
        g[r] += dot(a, Jr, nb4);
        const double *u = Jr;
        if (b) {
            for (int j = 0; j < nb4; j++) bJ[j] = b[j] * Jr[j];
            u = bJ;
        }
        for (int c = 0; c <= r; c++) A[r * k + c] += dot(u, B->J[c], nb4);
    }
}

#define FOLD_B_(b, kk)                              \
    switch (kk) {                                   \
    case 3: fold_(B, a, b, nb4, g, A, 3); break;    \
    case 4: fold_(B, a, b, nb4, g, A, 4); break;    \
    case 5: fold_(B, a, b, nb4, g, A, 5); break;    \
    case 6: fold_(B, a, b, nb4, g, A, 6); break;    \
    default: fold_any(B, a, b, nb4, g, A, kk);      \
    }

/* fold_ with k a constant for the common sizes (and b NULL a constant: unit weights) */
static inline __attribute__((always_inline)) void fold(const Block *B, const double *a,
                                                       const double *b, int nb4, double *g,
                                                       double *A, int k) {
    if (b) { FOLD_B_(b, k) } else { FOLD_B_(NULL, k) }
}

#endif
