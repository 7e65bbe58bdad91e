/*
 * Levenberg-Marquardt for curve_fit's common case, compiled.
 *
 * The same algorithm, step for step, as thetahat.solvers.levmar.levmar (read its module
 * docstring for the mathematics: Moré's scaled trust region, the step from the SVD of
 * J D^-1 with Hebden's Newton iteration for lambda, MINPACK's radius updates and scipy's
 * stopping codes), for residuals r(p) = (f(xdata, *p) - ydata) * weight with
 * forward-difference Jacobians (h_j = sqrt(eps) |p_j|, sqrt(eps) for p_j = 0).
 *
 * Why compiled: a small fit costs the bookkeeping of its iterations, not their arithmetic.
 * In Python each iteration is some twenty numpy calls (~25 us); here it is the n + 1
 * calls of the user's model and a few microseconds of C. The thin SVD is a one-sided
 * Jacobi SVD (M. R. Hestenes, J. SIAM 6 (1958) 51): plane rotations of column pairs of
 * A = J D^-1 until all pairs are orthogonal to 1e-15, then s_k = |a_k|, U = A V S^-1;
 * for the n <= a few tens of parameters of a curve fit it is exact to rounding and needs
 * no LAPACK.
 *
 * Also rows(f, xdata, P, n, m, coerce): f(xdata, *P[i]) for every row of P, the model
 * calls of a difference scheme (thetahat.cost) without a Python frame per point; and
 * lsq_fisher(...): the forward-difference Gauss-Newton triple of a LeastSquares cost with
 * the linear loss, which Minuit's Gauss-Newton MIGRAD evaluates at every step.
 *
 * Interface (see thetahat._curve_fit): lm(f, xdata, ydata, weight, p0, f0, coerce,
 * ftol, xtol, gtol, max_nfev[, jacfun[, chol]]) -> (x, fvec, jac_t, nfev, njev, niter,
 * status) with jacfun(*p) -> the user's whitened Jacobian transposed (n x m, C order)
 * replacing the forward differences (nfev then counts only the model calls), chol the
 * lower Cholesky factor L of a 2-D sigma (r = L^-1 (f - y) by forward substitution, in
 * place of weight), and
 * x, fvec, jac_t as bytes of float64 (jac_t: row j is column j of J). The model output
 * is read through the buffer protocol when it is a C-contiguous float64 array of m
 * values, else through coerce(v) (which converts, or raises the error curve_fit's Python
 * path raises). status -2: the Jacobian at the accepted x is not finite (the caller
 * raises as levmar does); -3: every trial since the last accepted step was non-finite
 * until the budget or the step ran out (levmar's NONFINITE: x is no minimum).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "_lm_rules.h"  /* acceptance, radius thresholds, stopping tests, status codes */
#include "_lmc_calls.h"  /* the model, its residuals and Jacobians */
#include "_lmc_svd.h"    /* the Jacobi SVD and the scaled step */

static PyObject *lm(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *f, *xdata, *ydata_o, *weight_o, *p0_o, *f0_o, *coerce, *jacfun = Py_None;
    PyObject *chol_o = Py_None;
    Py_buffer lb;
    int have_l;
    double ftol, xtol, gtol;
    long per_jev;  /* model calls per Jacobian: n forward differences, none for jacfun */
    long n_bad = 0;
    int all_bad = 1;
    long max_nfev;
    Py_buffer yb, wb, pb, fb;
    Model M;
    Py_ssize_t m, n, i, j;
    double *buf = NULL, *x, *fv, *jt, *a, *s, *v, *q, *xn, *fn, *D, *work, *tmp;
    double delta = -1.0, lam = 0.0, fnorm;
    long njev = 0, niter = 0;
    int status = -1, have_w;
    PyObject *result = NULL;

    if (!PyArg_ParseTuple(args, "OOOOOOOdddl|OO", &f, &xdata, &ydata_o, &weight_o, &p0_o,
                          &f0_o, &coerce, &ftol, &xtol, &gtol, &max_nfev, &jacfun, &chol_o))
        return NULL;
    if (jacfun != Py_None && !PyCallable_Check(jacfun)) {
        PyErr_SetString(PyExc_TypeError, "lm: jacfun must be callable or None");
        return NULL;
    }
    have_l = chol_o != Py_None;
    if (have_l && weight_o != Py_None) {
        PyErr_SetString(PyExc_ValueError, "lm: give weight or chol, not both");
        return NULL;
    }
    if (have_l && PyObject_GetBuffer(chol_o, &lb, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        return NULL;
    if (PyObject_GetBuffer(ydata_o, &yb, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        if (have_l) PyBuffer_Release(&lb);
        return NULL;
    }
    have_w = weight_o != Py_None;
    if (have_w && PyObject_GetBuffer(weight_o, &wb, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        PyBuffer_Release(&yb);
        if (have_l) PyBuffer_Release(&lb);
        return NULL;
    }
    if (PyObject_GetBuffer(p0_o, &pb, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        PyBuffer_Release(&yb);
        if (have_w) PyBuffer_Release(&wb);
        if (have_l) PyBuffer_Release(&lb);
        return NULL;
    }
    if (PyObject_GetBuffer(f0_o, &fb, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        PyBuffer_Release(&yb);
        if (have_w) PyBuffer_Release(&wb);
        if (have_l) PyBuffer_Release(&lb);
        PyBuffer_Release(&pb);
        return NULL;
    }
    m = yb.len / 8;
    n = pb.len / 8;
    if (!is_f64(&yb) || !is_f64(&pb) || !is_f64(&fb) || fb.len != m * 8 ||
        (have_w && (!is_f64(&wb) || wb.len != m * 8)) ||
        (have_l && (!is_f64(&lb) || lb.len != m * m * 8)) || n < 1 || m < n) {
        PyErr_SetString(PyExc_ValueError, "lm: bad array arguments");
        goto done;
    }
    model_init(&M, f, xdata, coerce, (const double *)yb.buf,
               have_w ? (const double *)wb.buf : NULL, m, n);
    if (have_l) M.L = (const double *)lb.buf;

    buf = (double *)malloc(sizeof(double) * (size_t)(n + m + 2 * m * n + n + n * n + n + n + m
                                                      + n + 5 * n + m));
    if (buf == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    x = buf;
    fv = x + n;
    jt = fv + m;
    a = jt + m * n;
    s = a + m * n;
    v = s + n;
    q = v + n * n;
    xn = q + n;
    fn = xn + n;
    D = fn + m;
    work = D + n;
    tmp = work + 5 * n;
    memcpy(x, pb.buf, n * sizeof(double));
    memcpy(fv, fb.buf, m * sizeof(double));
    for (j = 0; j < n; j++) D[j] = 0.0;
    per_jev = jacfun == Py_None ? (long)n : 0;

#define LM_JACOBIAN() (jacfun == Py_None ? jacobian(&M, x, fv, q, jt, NULL, NULL) \
                                         : user_jacobian(&M, jacfun, x, jt))
    if (LM_JACOBIAN() < 0) goto done;
    njev++;
    fnorm = sqrt(dot(fv, fv, m));
    while (status < 0) {
        double gnorm = 0.0;
        niter++;
        if (!all_finite(jt, m * n)) { status = -2; break; }
        for (j = 0; j < n; j++) {
            double c = sqrt(dot(jt + j * m, jt + j * m, m));
            if (niter == 1) D[j] = c > 0 ? c : 1.0;
            else if (c > D[j]) D[j] = c;
            work[j] = c;  /* column norms, for the gtol test */
        }
        if (delta < 0) {
            double dx = 0.0;
            for (j = 0; j < n; j++) dx += (D[j] * x[j]) * (D[j] * x[j]);
            dx = sqrt(dx);
            delta = dx > 0 ? LM_DELTA0 * dx : LM_DELTA0;
        }
        if (fnorm == 0) { status = LM_ST_GTOL; break; }
        for (j = 0; j < n; j++) {
            double c = work[j];
            double g = lm_gtol_term(dot(fv, jt + j * m, m), c, fnorm);
            if (g > gnorm) gnorm = g;
        }
        if (gnorm <= gtol) { status = LM_ST_GTOL; break; }
        for (j = 0; j < n; j++)
            for (i = 0; i < m; i++) a[j * m + i] = jt[j * m + i] / D[j];
        jacobi_svd(a, m, n, s, v, tmp);
        n_bad = 0;    /* non-finite trials in a row */
        all_bad = 1;  /* every trial since the last accepted step was non-finite */
        for (;;) {
            double pnorm, jpnorm, fnn, ared, t1, t2, pred, ratio, xnorm;
            int accepted, ftol_ok, xtol_ok;
            scaled_step(a, s, v, fv, m, n, delta, lam, q, &lam, &pnorm, &jpnorm, work);
            if (niter == 1 && 0 < pnorm && pnorm < delta) delta = pnorm;
            for (j = 0; j < n; j++) xn[j] = x[j] - q[j] / D[j];
            if (residuals(&M, xn, fn) < 0) goto done;
            fnn = sqrt(dot(fn, fn, m));
            if (isfinite(fnn)) {
                double r = fnn / fnorm;
                ared = 1.0 - r * r;
                n_bad = 0;
                all_bad = 0;
            } else {
                fnn = INFINITY;
                ared = -INFINITY;
                n_bad++;
            }
            t1 = jpnorm / fnorm;
            t2 = sqrt(lam) * pnorm / fnorm;
            pred = t1 * t1 + 2.0 * t2 * t2;
            ratio = pred > 0 ? ared / pred : 0.0;
            lm_radius_update(ratio, ared, -(t1 * t1 + t2 * t2), fnn < 10 * fnorm, pnorm,
                             &delta, &lam);
            accepted = ratio >= LM_RHO_ACCEPT;
            if (accepted) {
                memcpy(x, xn, n * sizeof(double));
                memcpy(fv, fn, m * sizeof(double));
                fnorm = fnn;
            }
            xnorm = 0.0;
            for (j = 0; j < n; j++) xnorm += (D[j] * x[j]) * (D[j] * x[j]);
            xnorm = sqrt(xnorm);
            ftol_ok = lm_ftol_ok(ared, pred, ratio, ftol);
            xtol_ok = lm_xtol_ok(delta, xnorm, xtol);
            if (ftol_ok || xtol_ok)
                status = (ftol_ok && xtol_ok) ? LM_ST_FTOL_XTOL
                                              : (ftol_ok ? LM_ST_FTOL : LM_ST_XTOL);
            else if (M.nfev - njev * per_jev + 1 >= max_nfev)  /* as levmar: the calls that
                                                                  are not differences, f0 too */
                status = LM_ST_BUDGET;
            else if (n_bad && (n_bad >= 60 || !(pnorm > 4.0 * DBL_EPSILON * xnorm)))
                status = LM_ST_XTOL;  /* lsq_common.nonfinite_stall: the step has vanished */
            if (status >= 0) {
                if (!accepted && all_bad && n_bad) status = LM_ST_NONFINITE;
                break;
            }
            if (accepted) break;
        }
        if (status >= 0) break;
        if (LM_JACOBIAN() < 0) goto done;
        njev++;
    }
#undef LM_JACOBIAN
    {
        long nfd = njev * per_jev;
        result = Py_BuildValue("(y#y#y#llli)", (const char *)x, (Py_ssize_t)(n * 8),
                               (const char *)fv, (Py_ssize_t)(m * 8), (const char *)jt,
                               (Py_ssize_t)(m * n * 8), M.nfev + 1 - nfd, njev, niter, status);
    }
done:
    free(buf);
    PyBuffer_Release(&yb);
    if (have_w) PyBuffer_Release(&wb);
    if (have_l) PyBuffer_Release(&lb);
    PyBuffer_Release(&pb);
    PyBuffer_Release(&fb);
    return result;
}

/* rows(f, xdata, P, n, m, coerce) -> bytearray: row i is f(xdata, *P[i]), m float64 values
   (P: C-contiguous float64, k x n). The model evaluations of a difference scheme in one
   call, without a Python frame per point. */
static PyObject *rows(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *f, *xdata, *p_o, *coerce, *out;
    Py_ssize_t n, m, k, i;
    Py_buffer pb;
    Model M;
    if (!PyArg_ParseTuple(args, "OOOnnO", &f, &xdata, &p_o, &n, &m, &coerce)) return NULL;
    if (PyObject_GetBuffer(p_o, &pb, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return NULL;
    if (!is_f64(&pb) || n < 1 || m < 1 || pb.len % (n * 8) != 0) {
        PyBuffer_Release(&pb);
        PyErr_SetString(PyExc_ValueError, "rows: P must be float64 with n columns");
        return NULL;
    }
    k = pb.len / (n * 8);
    out = PyByteArray_FromStringAndSize(NULL, k * m * 8);  /* writable for numpy */
    if (out == NULL) {
        PyBuffer_Release(&pb);
        return NULL;
    }
    model_init(&M, f, xdata, coerce, NULL, NULL, m, n);
    for (i = 0; i < k; i++) {
        if (residuals(&M, (const double *)pb.buf + i * n,
                      (double *)PyByteArray_AS_STRING(out) + i * m) < 0) {
            Py_DECREF(out);
            PyBuffer_Release(&pb);
            return NULL;
        }
    }
    PyBuffer_Release(&pb);
    return out;
}

/* lsq_fisher(f, x, y, sigma, p, steps, free, coerce) ->
   (fvals, jf, r, g, h) as bytearrays: the model values f(x, *p), their forward-difference
   Jacobian (row j: d f / d p_j; zero for parameters with free[j] == 0; step steps[j], or
   sqrt(eps) |p_j| when steps is None), the pulls r = (y - f) / sigma, the gradient
   g = 2 J^T r and the Gauss-Newton matrix 2 J^T J of sum r^2, with J = -jf / sigma
   (thetahat.cost.LeastSquares with the linear loss, in one call). */
static PyObject *lsq_fisher(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *f, *x, *y_o, *is_o, *p_o, *steps_o, *free_o, *coerce;
    PyObject *fo = NULL, *jo = NULL, *ro = NULL, *go = NULL, *ho = NULL, *res = NULL;
    Py_buffer yb, sb, pb, stb, frb;
    int have_steps = 0, have_free = 0;
    Py_ssize_t m, n, i, j, k;
    double *q = NULL, *fv, *jf, *r, *g, *h;
    const double *y, *is, *p, *st = NULL;
    const unsigned char *fr = NULL;
    Model M;
    if (!PyArg_ParseTuple(args, "OOOOOOOO", &f, &x, &y_o, &is_o, &p_o, &steps_o, &free_o,
                          &coerce))
        return NULL;
    if (PyObject_GetBuffer(y_o, &yb, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return NULL;
    if (PyObject_GetBuffer(is_o, &sb, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        PyBuffer_Release(&yb);
        return NULL;
    }
    if (PyObject_GetBuffer(p_o, &pb, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        PyBuffer_Release(&yb);
        PyBuffer_Release(&sb);
        return NULL;
    }
    m = yb.len / 8;
    n = pb.len / 8;
    if (steps_o != Py_None) {
        if (PyObject_GetBuffer(steps_o, &stb, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) goto fail;
        have_steps = 1;
    }
    if (free_o != Py_None) {
        if (PyObject_GetBuffer(free_o, &frb, PyBUF_C_CONTIGUOUS) < 0) goto fail;
        have_free = 1;
    }
    if (!is_f64(&yb) || !is_f64(&sb) || !is_f64(&pb) || sb.len != yb.len || n < 1 ||
        (have_steps && (!is_f64(&stb) || stb.len != n * 8)) ||
        (have_free && frb.len != n)) {
        PyErr_SetString(PyExc_ValueError, "lsq_fisher: bad array arguments");
        goto fail;
    }
    y = (const double *)yb.buf;
    is = (const double *)sb.buf;
    p = (const double *)pb.buf;
    if (have_steps) st = (const double *)stb.buf;
    if (have_free) fr = (const unsigned char *)frb.buf;
    fo = PyByteArray_FromStringAndSize(NULL, m * 8);
    jo = PyByteArray_FromStringAndSize(NULL, n * m * 8);
    ro = PyByteArray_FromStringAndSize(NULL, m * 8);
    go = PyByteArray_FromStringAndSize(NULL, n * 8);
    ho = PyByteArray_FromStringAndSize(NULL, n * n * 8);
    q = (double *)malloc(sizeof(double) * (size_t)(n + n * m));
    if (!fo || !jo || !ro || !go || !ho || !q) {
        if (!q) PyErr_NoMemory();
        goto fail;
    }
    fv = (double *)PyByteArray_AS_STRING(fo);
    jf = (double *)PyByteArray_AS_STRING(jo);
    r = (double *)PyByteArray_AS_STRING(ro);
    g = (double *)PyByteArray_AS_STRING(go);
    h = (double *)PyByteArray_AS_STRING(ho);
    model_init(&M, f, x, coerce, NULL, NULL, m, n);
    if (residuals(&M, p, fv) < 0) goto fail;
    for (i = 0; i < m; i++) r[i] = (y[i] - fv[i]) / is[i];
    if (jacobian(&M, p, fv, q, jf, st, fr) < 0) goto fail;
    /* J = -jf / sigma (kept in the scratch after q): g = 2 J^T r, h = 2 J^T J */
    {
        double *J = q + n;
        for (j = 0; j < n; j++)
            for (i = 0; i < m; i++) J[j * m + i] = -jf[j * m + i] / is[i];
        for (j = 0; j < n; j++) {
            g[j] = 2.0 * dot(J + j * m, r, m);
            for (k = 0; k <= j; k++) {
                double v = 2.0 * dot(J + j * m, J + k * m, m);
                h[j * n + k] = v;
                h[k * n + j] = v;
            }
        }
    }
    res = Py_BuildValue("(OOOOO)", fo, jo, ro, go, ho);
fail:
    free(q);
    Py_XDECREF(fo);
    Py_XDECREF(jo);
    Py_XDECREF(ro);
    Py_XDECREF(go);
    Py_XDECREF(ho);
    PyBuffer_Release(&yb);
    PyBuffer_Release(&sb);
    PyBuffer_Release(&pb);
    if (have_steps) PyBuffer_Release(&stb);
    if (have_free) PyBuffer_Release(&frb);
    return res;
}

/* group_columns(c_indptr, c_indices, r_indptr, r_indices, n) -> bytearray of n int64:
   greedy first-fit grouping, in column order, of the columns of a sparsity pattern so that
   no two columns of a group share a nonzero row (thetahat.solvers.lsq_sparse.
   group_columns_sparse, whose loop this is). The pattern comes in CSC (columns) and CSR
   (rows) form, all index arrays int64. */
static PyObject *group_columns(PyObject *Py_UNUSED(self), PyObject *args) {
    PyObject *co, *ci, *ro, *ri, *out = NULL;
    Py_ssize_t n, j;
    Py_buffer cp, cx, rp, rx;
    long long *groups, *seen = NULL;
    int got = 0;
    if (!PyArg_ParseTuple(args, "OOOOn", &co, &ci, &ro, &ri, &n)) return NULL;
    if (PyObject_GetBuffer(co, &cp, PyBUF_C_CONTIGUOUS) < 0) return NULL;
    got = 1;
    if (PyObject_GetBuffer(ci, &cx, PyBUF_C_CONTIGUOUS) < 0) goto done;
    got = 2;
    if (PyObject_GetBuffer(ro, &rp, PyBUF_C_CONTIGUOUS) < 0) goto done;
    got = 3;
    if (PyObject_GetBuffer(ri, &rx, PyBUF_C_CONTIGUOUS) < 0) goto done;
    got = 4;
    if (n < 0 || cp.len != (n + 1) * 8 || cp.itemsize != 8 || cx.itemsize != 8 ||
        rp.itemsize != 8 || rx.itemsize != 8) {
        PyErr_SetString(PyExc_ValueError, "group_columns: bad index arrays");
        goto done;
    }
    out = PyByteArray_FromStringAndSize(NULL, n * 8);
    seen = (long long *)malloc(sizeof(long long) * (size_t)(n + 1));
    if (out == NULL || seen == NULL) {
        if (seen == NULL) PyErr_NoMemory();
        Py_CLEAR(out);
        goto done;
    }
    groups = (long long *)PyByteArray_AS_STRING(out);
    {
        const long long *cptr = (const long long *)cp.buf, *cind = (const long long *)cx.buf;
        const long long *rptr = (const long long *)rp.buf, *rind = (const long long *)rx.buf;
        Py_ssize_t nr = rp.len / 8 - 1;
        for (j = 0; j <= n; j++) seen[j] = -1;
        for (j = 0; j < n; j++) {
            long long a, b, g = 0;
            for (a = cptr[j]; a < cptr[j + 1]; a++) {
                long long i = cind[a];
                if (i < 0 || i >= nr) continue;
                for (b = rptr[i]; b < rptr[i + 1]; b++) {
                    long long c = rind[b];
                    if (c >= 0 && c < j) seen[groups[c]] = j;  /* groups taken by neighbours */
                }
            }
            while (seen[g] == j) g++;
            groups[j] = g;
        }
    }
done:
    free(seen);
    if (got >= 4) PyBuffer_Release(&rx);
    if (got >= 3) PyBuffer_Release(&rp);
    if (got >= 2) PyBuffer_Release(&cx);
    if (got >= 1) PyBuffer_Release(&cp);
    return out;
}

static PyMethodDef methods[] = {
    {"group_columns", group_columns, METH_VARARGS,
     "Greedy column grouping of a sparsity pattern (see the source)."},
    {"lsq_fisher", lsq_fisher, METH_VARARGS,
     "LeastSquares value parts, gradient and Gauss-Newton matrix (see the source)."},
    {"lm", lm, METH_VARARGS, "Levenberg-Marquardt for curve_fit (see the module source)."},
    {"rows", rows, METH_VARARGS, "Model values at the rows of a parameter matrix."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_lmcore",
                                    "Compiled Levenberg-Marquardt core of curve_fit.", -1,
                                    methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__lmcore(void) { return PyModule_Create(&module); }
