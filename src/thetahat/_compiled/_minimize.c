/*
 * L-BFGS-B and Nelder-Mead for thetahat.minimize, compiled.
 *
 * The same algorithms, step for step, as thetahat.solvers.lbfgsb.lbfgsb (with the
 * Moré-Thuente search of thetahat.solvers.line_search.more_thuente) and
 * thetahat.solvers.nelder_mead.nelder_mead; read their module docstrings for the
 * mathematics. Only the bookkeeping moves to C: the generalised Cauchy point, the subspace
 * minimisation, the two-loop recursion, the compact representation (its dot products kept
 * per pair and updated in O(m n) when a pair enters), the line search and the simplex
 * update. The user's function is called through the vectorcall API with a fresh float64
 * array (a copy of a template array whose buffer this code fills), so a function that
 * keeps its argument sees the same thing as with the numpy code.
 *
 * Differences from the numpy twin are rounding only: dot products are summed in index
 * order, M = K^-1 comes from Gauss-Jordan elimination with partial pivoting and the
 * subspace system from Gaussian elimination (a zero pivot leaves that component at 0,
 * where the numpy code takes a least-squares solution).
 *
 * Interface (see the two solver modules):
 *   lbfgsb(fg, x0, lo, hi, m, ftol, gtol, maxfun, maxiter, maxls, callback, count, tmpl,
 *          coerce) -> (x, f, g, S, Y, npairs, nit, why)
 *   fg(z) -> (f, g), g read through the buffer protocol when it is a C-contiguous float64
 *   array of n values, else through coerce(g) (which converts or raises); callback(x, f) ->
 *   bool or None; count() -> calls so far or None (then calls of fg); tmpl a float64
 *   array of n values. x, g, S, Y are bytes of float64 (S, Y: npairs rows, oldest first),
 *   why one of the keys of lbfgsb.MESSAGES.
 *   nelder_mead(f, sim, rho, chi, psi, sigma, xatol, fatol, maxiter, maxfev, lo, hi,
 *     callback, tmpl) -> (sim, fsim, nit, nfev, status) with sim bytes of (n+1) x n
 *   float64 (sorted), fsim bytes of n+1; lo, hi None for no bounds; maxiter, maxfev
 *   floats (inf for none).
 * Exceptions raised by the user's function or the callback propagate unchanged.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "_min_calls.h"
#include "_min_search.h"
#include "_min_lbfgsb.h"

static int read_vec(PyObject *o, Py_buffer *b, Py_ssize_t n, const char *name) {
    if (PyObject_GetBuffer(o, b, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return -1;
    if (b->len != (Py_ssize_t)(n * sizeof(double)) || !b->format || strcmp(b->format, "d")) {
        PyBuffer_Release(b);
        PyErr_Format(PyExc_ValueError, "%s must be a float64 array of %zd values", name, n);
        return -1;
    }
    return 0;
}

static PyObject *py_lbfgsb(PyObject *self, PyObject *args) {
    PyObject *fg, *x0o, *loo, *hio, *cb, *count, *tmpl, *coerce;
    Py_ssize_t m;
    double ftol, gtol;
    long maxfun, maxiter, maxls;
    if (!PyArg_ParseTuple(args, "OOOOnddlllOOOO", &fg, &x0o, &loo, &hio, &m, &ftol, &gtol,
                          &maxfun, &maxiter, &maxls, &cb, &count, &tmpl, &coerce)) return NULL;
    if (m < 1) {
        PyErr_SetString(PyExc_ValueError, "maxcor must be at least 1");
        return NULL;
    }
    Py_buffer xb, lb, hb;
    Py_ssize_t n = PyObject_Length(tmpl);
    if (n < 0) return NULL;
    if (read_vec(x0o, &xb, n, "x0") < 0) return NULL;
    if (read_vec(loo, &lb, n, "lower") < 0) {
        PyBuffer_Release(&xb);
        return NULL;
    }
    if (read_vec(hio, &hb, n, "upper") < 0) {
        PyBuffer_Release(&xb);
        PyBuffer_Release(&lb);
        return NULL;
    }
    const double *lo = lb.buf, *hi = hb.buf;
    Caller C;
    PyObject *result = NULL;
    if (caller_init(&C, fg, tmpl, n) < 0) goto release;
    C.coerce = coerce;
    Py_ssize_t q2 = 2 * m;
    size_t nd = (size_t)(12 * n + 2 * m * n + 2 * m * m + n * q2 + 6 * q2 * q2 + 4 * q2 + m);
    double *mem = calloc(nd, sizeof(double)), *bump = mem;
    Brk *brk = calloc((size_t)n + 1, sizeof(Brk));
    if (!mem || !brk) {
        PyErr_NoMemory();
        goto freeall;
    }
#define TAKE(len) (bump += (len), bump - (len))
    double *x = TAKE(n), *g = TAKE(n), *d = TAKE(n), *z = TAKE(n), *gz = TAKE(n);
    double *gbest = TAKE(n), *s = TAKE(n), *y = TAKE(n), *xbar = TAKE(n), *al2 = TAKE(m);
    Memory B = {n, m, 0, 0, NULL, NULL, NULL, NULL, 1.0, NULL, NULL, NULL};
    B.S = TAKE(m * n);
    B.Y = TAKE(m * n);
    B.SY = TAKE(m * m);
    B.SS = TAKE(m * m);
    B.W = TAKE(n * q2);
    B.M = TAKE(q2 * q2);
    B.K = TAKE(3 * q2 * q2);  /* invert's work (2 q2^2), then K (q2^2) */
    Work w;
    w.tb = TAKE(n);
    w.xc = TAKE(n);
    w.r = TAKE(n);
    w.d = d;
    w.p = TAKE(q2);
    w.c = TAKE(q2);
    w.Mw = TAKE(q2);
    w.v = TAKE(q2);
    w.N = TAKE(2 * q2 * q2);
    w.brk = brk;
#undef TAKE
    int boxed = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        x[i] = clipv(((const double *)xb.buf)[i], lo[i], hi[i]);
        if (isfinite(lo[i]) || isfinite(hi[i])) boxed = 1;
    }
    double f;
    const char *why = NULL;
    long k = 0;
    int restarted = 0;
    if (call_fg(&C, x, &f, g) < 0) goto fail;
    if (compact(&B) < 0) goto singular;
    Line L = {&C, x, d, lo, hi, z, gz, gbest, n};
    while (!why) {
        int finite = isfinite(f);
        for (Py_ssize_t i = 0; i < n && finite; i++) finite = isfinite(g[i]);
        if (!finite) { why = "nan"; break; }
        double pg = 0.0;
        for (Py_ssize_t i = 0; i < n; i++) pg = pmax(pg, fabs(clipv(x[i] - g[i], lo[i], hi[i]) - x[i]));
        if (pg <= gtol) { why = "pg"; break; }
        if (k >= maxiter) { why = "iter"; break; }
        long calls = C.calls;
        if (count != Py_None) {
            PyObject *c = PyObject_CallNoArgs(count);
            if (!c) goto fail;
            calls = PyLong_AsLong(c);
            Py_DECREF(c);
            if (calls == -1 && PyErr_Occurred()) goto fail;
        }
        if (calls >= maxfun) { why = "fev"; break; }
        if (boxed) {
            cauchy_point(&B, x, g, lo, hi, &w);
            subspace_min(&B, x, g, lo, hi, &w, xbar);
            for (Py_ssize_t i = 0; i < n; i++) d[i] = xbar[i] - x[i];
        } else {
            two_loop(&B, g, 1.0 / B.theta, d, al2);
            for (Py_ssize_t i = 0; i < n; i++) d[i] = -d[i];
        }
        double dphi0 = dot(g, d, n);
        if (!(dphi0 < 0.0)) {
            for (Py_ssize_t i = 0; i < n; i++) d[i] = clipv(x[i] - g[i], lo[i], hi[i]) - x[i];
            dphi0 = dot(g, d, n);
        }
        double lim = INFINITY;
        for (Py_ssize_t i = 0; i < n; i++) {
            double li = d[i] > 0 ? (hi[i] - x[i]) / d[i]
                      : d[i] < 0 ? (lo[i] - x[i]) / d[i] : INFINITY;
            lim = i == 0 ? li : (li < lim ? li : lim);
            if (isnan(li)) lim = NAN;
        }
        double alpha_max = pmax(1.0, lim), alpha1 = 1.0;
        if (k == 0) alpha1 = pmin(1.0 / pmax(sqrt(dot(d, d, n)), EPS), alpha_max);
        Pt ls;
        if (more_thuente(&L, f, dphi0, alpha1, 1e-3, 0.9, 0.0, alpha_max, 0.1, maxls, &ls) < 0)
            goto fail;
        if (ls.a == 0.0) {
            if (B.p && !restarted) {
                B.p = 0;
                B.start = 0;
                compact(&B);
                restarted = 1;
                continue;
            }
            why = "ls";
            break;
        }
        restarted = 0;
        for (Py_ssize_t i = 0; i < n; i++) {
            double xn = clipv(x[i] + ls.a * d[i], lo[i], hi[i]);
            s[i] = xn - x[i];
            y[i] = gbest[i] - g[i];
            x[i] = xn;
            g[i] = gbest[i];
        }
        double f_old = f;
        f = ls.f;
        k++;
        double sy = dot(s, y, n), yy = dot(y, y, n);
        if (sy > EPS * yy) {
            memory_add(&B, s, y, sy, boxed);
            if (boxed) {
                if (compact(&B) < 0) goto singular;
            } else {
                B.theta = yy / sy;
            }
        }
        int stop = call_cb(&C, cb, x, f);
        if (stop < 0) goto fail;
        if (stop) { why = "cb"; break; }
        if ((f_old - f) / pmax(pmax(fabs(f_old), fabs(f)), 1.0) <= ftol) { why = "f"; break; }
    }
    {
        PyObject *Sb = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(B.p * n * sizeof(double)));
        PyObject *Yb = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(B.p * n * sizeof(double)));
        if (Sb && Yb) {
            double *sp = (double *)PyBytes_AS_STRING(Sb), *yp = (double *)PyBytes_AS_STRING(Yb);
            for (Py_ssize_t j = 0; j < B.p; j++) {
                memcpy(sp + j * n, B.S + slot(&B, j) * n, (size_t)n * sizeof(double));
                memcpy(yp + j * n, B.Y + slot(&B, j) * n, (size_t)n * sizeof(double));
            }
            result = Py_BuildValue("y#dy#NNnls", (const char *)x, (Py_ssize_t)(n * sizeof(double)),
                                   f, (const char *)g, (Py_ssize_t)(n * sizeof(double)), Sb, Yb,
                                   B.p, k, why);
        } else {
            Py_XDECREF(Sb);
            Py_XDECREF(Yb);
        }
    }
    goto fail;
singular:
    PyErr_SetString(PyExc_ArithmeticError, "singular middle matrix of the compact L-BFGS form");
fail:
freeall:
    free(mem);
    free(brk);
    caller_free(&C);
release:
    PyBuffer_Release(&xb);
    PyBuffer_Release(&lb);
    PyBuffer_Release(&hb);
    return result;
}

/* ---- Nelder-Mead (solvers.nelder_mead) ------------------------------------------ */
typedef struct {
    Caller *C;
    double maxfev, best_f;
    long nfev;
    int have_best;
    double *best_x;
} Eval;

/* 0: value in *v; 1: the budget is spent; -1: an exception */
static int nm_eval(Eval *E, const double *x, double *v) {
    if ((double)E->nfev >= E->maxfev) return 1;
    E->nfev++;
    PyObject *out = call1(E->C, x);
    if (!out) return -1;
    double val = PyFloat_AsDouble(out);
    Py_DECREF(out);
    if (val == -1.0 && PyErr_Occurred()) return -1;
    if (!isfinite(val)) val = INFINITY;
    if (val < E->best_f || !E->have_best) {
        E->best_f = val;
        E->have_best = 1;
        memcpy(E->best_x, x, (size_t)E->C->n * sizeof(double));
    }
    *v = val;
    return 0;
}

/* stable sort of the rows of sim by fsim (np.argsort(kind="stable") and reorder) */
static void nm_sort(double *sim, double *fsim, Py_ssize_t n, double *row) {
    for (Py_ssize_t j = 1; j <= n; j++) {
        double fj = fsim[j];
        if (!(fj < fsim[j - 1])) continue;
        memcpy(row, sim + j * n, (size_t)n * sizeof(double));
        Py_ssize_t i = j;
        while (i > 0 && fj < fsim[i - 1]) {
            fsim[i] = fsim[i - 1];
            memcpy(sim + i * n, sim + (i - 1) * n, (size_t)n * sizeof(double));
            i--;
        }
        fsim[i] = fj;
        memcpy(sim + i * n, row, (size_t)n * sizeof(double));
    }
}

static PyObject *py_nelder_mead(PyObject *self, PyObject *args) {
    PyObject *fun, *simo, *loo, *hio, *cb, *tmpl;
    double rho, chi, psi, sigma, xatol, fatol, maxiter, maxfev;
    if (!PyArg_ParseTuple(args, "OOddddddddOOOO", &fun, &simo, &rho, &chi, &psi, &sigma,
                          &xatol, &fatol, &maxiter, &maxfev, &loo, &hio, &cb, &tmpl))
        return NULL;
    Py_ssize_t n = PyObject_Length(tmpl);
    if (n < 0) return NULL;
    Py_buffer sb, lb, hb;
    int bounded = loo != Py_None && hio != Py_None;
    if (read_vec(simo, &sb, (n + 1) * n, "sim") < 0) return NULL;
    if (bounded && read_vec(loo, &lb, n, "lower") < 0) {
        PyBuffer_Release(&sb);
        return NULL;
    }
    if (bounded && read_vec(hio, &hb, n, "upper") < 0) {
        PyBuffer_Release(&sb);
        PyBuffer_Release(&lb);
        return NULL;
    }
    PyObject *result = NULL;
    Caller C;
    if (caller_init(&C, fun, tmpl, n) < 0) goto release;
    double *mem = calloc((size_t)((n + 1) * n + (n + 1) + 7 * n), sizeof(double));
    if (!mem) {
        PyErr_NoMemory();
        goto done;
    }
    double *sim = mem, *fsim = sim + (n + 1) * n, *c = fsim + n + 1, *xr = c + n, *xe = xr + n;
    double *xc = xe + n, *xs = xc + n, *row = xs + n, *bestx = row + n;
    const double *lo = bounded ? lb.buf : NULL, *hi = bounded ? hb.buf : NULL;
    memcpy(sim, sb.buf, (size_t)((n + 1) * n) * sizeof(double));
    for (Py_ssize_t j = 0; j <= n; j++) fsim[j] = INFINITY;
    Eval E = {&C, maxfev, INFINITY, 0, 0, bestx};
    long nit = 1;
    int status = 0, rc = 0;
#define CLIP(v) for (Py_ssize_t i_ = 0; bounded && i_ < n; i_++) v[i_] = clipv(v[i_], lo[i_], hi[i_])
#define EV(x, out) do { rc = nm_eval(&E, x, &(out)); if (rc) goto stopped; } while (0)
    for (Py_ssize_t j = 0; j <= n; j++) EV(sim + j * n, fsim[j]);
    nm_sort(sim, fsim, n, row);
    for (;;) {
        int conv = 1;
        for (Py_ssize_t j = 1; j <= n && conv; j++)
            for (Py_ssize_t i = 0; i < n && conv; i++)
                conv = fabs(sim[j * n + i] - sim[i]) <= xatol;
        for (Py_ssize_t j = 1; j <= n && conv; j++) conv = fabs(fsim[j] - fsim[0]) <= fatol;
        if (conv) break;
        if ((double)E.nfev >= maxfev) { status = 1; break; }
        if ((double)nit >= maxiter) { status = 2; break; }
        const double *xw = sim + n * n;
        for (Py_ssize_t i = 0; i < n; i++) {
            double t = 0.0;
            for (Py_ssize_t j = 0; j < n; j++) t += sim[j * n + i];
            c[i] = t / (double)n;
        }
        for (Py_ssize_t i = 0; i < n; i++) xr[i] = c[i] + rho * (c[i] - xw[i]);
        CLIP(xr);
        double fr, fe, fc;
        EV(xr, fr);
        int shrink = 0;
        double *last = sim + n * n;
        if (fr < fsim[0]) {
            double t = rho * chi;
            for (Py_ssize_t i = 0; i < n; i++) xe[i] = c[i] + t * (c[i] - xw[i]);
            CLIP(xe);
            EV(xe, fe);
            if (fe < fr) {
                memcpy(last, xe, (size_t)n * sizeof(double));
                fsim[n] = fe;
            } else {
                memcpy(last, xr, (size_t)n * sizeof(double));
                fsim[n] = fr;
            }
        } else if (fr < fsim[n - 1]) {
            memcpy(last, xr, (size_t)n * sizeof(double));
            fsim[n] = fr;
        } else if (fr < fsim[n]) {
            double t = psi * rho;
            for (Py_ssize_t i = 0; i < n; i++) xc[i] = c[i] + t * (c[i] - xw[i]);
            CLIP(xc);
            EV(xc, fc);
            if (fc <= fr) {
                memcpy(last, xc, (size_t)n * sizeof(double));
                fsim[n] = fc;
            } else {
                shrink = 1;
            }
        } else {
            for (Py_ssize_t i = 0; i < n; i++) xc[i] = c[i] - psi * (c[i] - xw[i]);
            CLIP(xc);
            EV(xc, fc);
            if (fc < fsim[n]) {
                memcpy(last, xc, (size_t)n * sizeof(double));
                fsim[n] = fc;
            } else {
                shrink = 1;
            }
        }
        if (shrink)
            for (Py_ssize_t j = 1; j <= n; j++) {
                for (Py_ssize_t i = 0; i < n; i++) xs[i] = sim[i] + sigma * (sim[j * n + i] - sim[i]);
                CLIP(xs);
                EV(xs, fsim[j]);
                memcpy(sim + j * n, xs, (size_t)n * sizeof(double));
            }
        nm_sort(sim, fsim, n, row);
        nit++;
        int stop = call_cb(&C, cb, sim, fsim[0]);
        if (stop < 0) goto done;
        if (stop) { status = 99; break; }
    }
#undef EV
#undef CLIP
stopped:
    if (rc < 0) goto done;
    if (rc == 1) {
        status = 1;
        if (E.have_best) {
            memcpy(sim, bestx, (size_t)n * sizeof(double));
            fsim[0] = E.best_f;
        }
    }
    result = Py_BuildValue("y#y#lli", (const char *)sim, (Py_ssize_t)((n + 1) * n * sizeof(double)),
                           (const char *)fsim, (Py_ssize_t)((n + 1) * sizeof(double)), nit, E.nfev,
                           status);
done:
    free(mem);
    caller_free(&C);
release:
    PyBuffer_Release(&sb);
    if (bounded) {
        PyBuffer_Release(&lb);
        PyBuffer_Release(&hb);
    }
    return result;
}

static PyMethodDef methods[] = {
    {"lbfgsb", py_lbfgsb, METH_VARARGS, "L-BFGS-B (thetahat.solvers.lbfgsb), compiled."},
    {"nelder_mead", py_nelder_mead, METH_VARARGS,
     "Nelder-Mead (thetahat.solvers.nelder_mead), compiled."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_minimize",
                                    "L-BFGS-B and Nelder-Mead, compiled.", -1, methods};

PyMODINIT_FUNC PyInit__minimize(void) { return PyModule_Create(&module); }
