/*
 * Batch Levenberg-Marquardt for the built-in models, compiled.
 *
 * The same algorithm, step for step, as thetahat.solvers.batch_lm (read its module
 * docstring for the mathematics: Moré's scaled trust-region step on the normal equations
 * A = J^T W J, g = J^T W r with D the running maximum of the column norms of J and the
 * radius Delta (_lm_step.h), MINPACK's radius update, the gain ratio rho, projection on the
 * bounds, and the ftol / xtol / gtol stopping rules, including the rounding floor). Each
 * fit is independent. Its points are taken in blocks of NB = 32 (_batch_models.h): the
 * model's value and analytic derivative columns for a block live on the stack (no Jacobian
 * of the batch is stored), then are folded into chi2, g and A by vector dot products (for
 * k <= 6 in one pass over the block with every sum in a register, fold in _batch_models.h;
 * the model evaluation is out of line, one copy per instruction set); on
 * x86-64 Linux the per-fit loop is also compiled for AVX2/FMA and picked at load. A step
 * whose matrix factors at no lambda gives status singular, and a final A that does not
 * factor an inf covariance (never a silently wrong one). The batch is split into chunks
 * that worker threads (pthreads) take in turn, with the GIL released.
 *
 * Interface (see thetahat.solvers.batch_lm.run_compiled):
 *   fit(comps, x, x_per_fit, dim, y, w, estimator, lb, ub, fixed, popt, chi2, nfev,
 *       niter, status, cov, ftol, xtol, gtol, max_iter, workers, chunk) -> None
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
#include "_lm_step.h"   /* Cholesky, Moré's trust-region step */
#include "_batch_models.h"  /* the built-in models over blocks of points */

#define NCOMP_MAX 16


typedef struct {
    int ncomp, code[NCOMP_MAX], npar[NCOMP_MAX];
    Py_ssize_t n, m, k, dim;
    int x_per_fit, mle;
    const double *x, *y, *w, *lb, *ub;
    const int8_t *fixed;
    double *popt, *chi2, *cov;
    int64_t *nfev, *niter, *status;
    double ftol, xtol, gtol;
    long max_iter;
    Py_ssize_t chunk, next;
    pthread_mutex_t lock;
} Problem;


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
CLONES static __attribute__((noinline)) double accumulate(const Problem *P, Py_ssize_t i, const double *p, double *A,
                         double *g, double *scale, int fisher) {
    const Py_ssize_t m = P->m, k = P->k, dim = P->dim;
    const double *x = P->x + (P->x_per_fit ? i * m * dim : 0);
    const double *y = P->y + i * m;
    const double *w = P->w ? P->w + i * m : NULL;
    const int mle = P->mle;
    Block B;
    double a[NB], b[NB], chi2 = 0.0, sc = 0.0;
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
        fold(&B, a, (mle || w) ? b : NULL, nb4, g, A, (int)k);  /* unit weights: b = 1 */
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


CLONES static void fit_one(Problem *P, Py_ssize_t i) {
    const int k = (int)P->k;
    double A[KMAX * KMAX], An[KMAX * KMAX], L[KMAX * KMAX], g[KMAX], gn[KMAX];
    double d2[KMAX], p[KMAX], pn[KMAX], dl[KMAX], pgn[KMAX], gnq = -1.0;
    double *popt = P->popt + i * k, *cov = P->cov + i * k * k;
    long it = 0, nfev = 1;
    int status = ST_MAXITER, first = 1, lfac = 0;  /* lfac: L is the Cholesky of A */
    memcpy(p, popt, sizeof(double) * k);
    double scale = 0.0, scn = 0.0;
    double chi2 = accumulate(P, i, p, A, g, &scale, 0), lam = 0.0, delta, dx = 0.0;
    if (!isfinite(chi2)) {
        status = ST_NONFINITE;
        goto done;
    }
    for (int r = 0; r < k; r++) {  /* Moré's scaling, squared: the column norms of J */
        d2[r] = A[r * k + r] > 0.0 ? A[r * k + r] : 1.0;
        dx += d2[r] * p[r] * p[r];
    }
    dx = sqrt(dx);
    delta = dx > 0.0 ? LM_DELTA0 * dx : LM_DELTA0;
    for (it = 0; it < P->max_iter; it++) {
        /* gtol: the largest cosine between the residual and a column of J, each term
           |g_a| / sqrt(A_aa chi2) <= gtol compared squared (no root or division per term;
           a term with a zero denominator is 0, as lm_gtol_term) */
        int gok = 1;
        const double gt2 = P->gtol * P->gtol;
        for (int r = 0; r < k; r++) {
            double den2 = A[r * k + r] * chi2;
            if (den2 > 0.0 && g[r] * g[r] > gt2 * den2) gok = 0;
        }
        if (chi2 == 0.0 || gok) {
            status = ST_CONVERGED;
            break;
        }
        double pnorm = lm_more_step(A, g, d2, k, delta, &lam, dl, pgn, &gnq, L);
        if (pnorm == 0.0) { status = ST_SINGULAR; it++; break; }
        if (first && pnorm < delta) delta = pnorm;  /* MINPACK: at most the first step */
        int moved = 0;
        for (int r = 0; r < k; r++) {
            double v = p[r] + dl[r];
            if (v < P->lb[r]) { v = P->lb[r]; moved = 1; }
            if (v > P->ub[r]) { v = P->ub[r]; moved = 1; }
            pn[r] = v;
            dl[r] = v - p[r];
        }
        if (moved) {
            pnorm = 0.0;
            for (int r = 0; r < k; r++) pnorm += d2[r] * dl[r] * dl[r];
            pnorm = sqrt(pnorm);
        }
        double jp2 = 0.0, gd = 0.0;
        for (int r = 0; r < k; r++) {
            double Ad = 0.0;
            for (int c = 0; c < k; c++) Ad += A[r * k + c] * dl[c];
            jp2 += dl[r] * Ad;
            gd += g[r] * dl[r];
        }
        double pred = -2.0 * gd - jp2;
        /* rounding floor (batch_lm): at the minimum to working precision, stop here;
           g^T A^-1 g = -g^T pgn (the Gauss-Newton step of lm_more_step) when A factors */
        if (pred <= LM_ROUND * scale && isfinite(gnq)) {
            double d2 = 0.0;
            for (int r = 0; r < k; r++) d2 -= g[r] * pgn[r];
            if (d2 <= LM_ROUND * scale) {
                status = ST_CONVERGED;
                lfac = 1;
                it++;
                break;
            }
        }
        double chi2n = accumulate(P, i, pn, An, gn, &scn, 0);
        nfev++;
        int fin = isfinite(chi2n);
        const double ic = 1.0 / chi2;
        double ared = fin ? (chi2 - chi2n) * ic : -INFINITY, prered = pred * ic;
        double rho = prered > 0.0 ? ared / prered : 0.0;
        /* the trust radius (MINPACK's update, as the single fit) */
        lm_radius_update(rho, ared, -(jp2 + lam * pnorm * pnorm) * ic, chi2n < 100.0 * chi2,
                         pnorm, &delta, &lam);
        double xnorm = 0.0;
        if (rho >= LM_RHO_ACCEPT) {
            memcpy(p, pn, sizeof(double) * k);
            memcpy(A, An, sizeof(double) * k * k);
            memcpy(g, gn, sizeof(double) * k);
            chi2 = chi2n;
            scale = scn;
            first = 0;
            gnq = -1.0;  /* a new A: its Gauss-Newton step is not known */
        }
        for (int r = 0; r < k; r++) xnorm += d2[r] * p[r] * p[r];
        xnorm = sqrt(xnorm);
        if (rho >= LM_RHO_ACCEPT)
            for (int r = 0; r < k; r++)
                if (A[r * k + r] > d2[r]) d2[r] = A[r * k + r];
        if (lm_ftol_ok(ared, prered, rho, P->ftol) || lm_xtol_ok(delta, xnorm, P->xtol)) {
            status = ST_CONVERGED;
            it++;
            break;
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
        if (P->mle || !lfac) {  /* else L is already the Cholesky factor of A */
            memcpy(L, A, sizeof(double) * k * k);
            lfac = cholesky(L, k);
        }
        if (lfac) {
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
    if (!PyArg_ParseTuple(args, "OOinOOiOOOOOOOOOdddlin", &ocomps, &ox, &x_per_fit, &dim,
                          &oy, &ow, &mle, &olb, &oub, &ofix, &opopt, &ochi2, &onfev,
                          &oniter, &ostatus, &ocov, &P.ftol, &P.xtol, &P.gtol,
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
