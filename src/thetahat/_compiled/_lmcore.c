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

typedef struct {
    PyObject *f, *xdata, *coerce;
    const double *y, *w;
    const double *L;  /* lower-triangular Cholesky factor of sigma (m x m, row-major) */
    Py_ssize_t m, n;
    long nfev;
} Model;

static void model_init(Model *M, PyObject *f, PyObject *xdata, PyObject *coerce,
                       const double *y, const double *w, Py_ssize_t m, Py_ssize_t n) {
    M->f = f;
    M->xdata = xdata;
    M->coerce = coerce;
    M->y = y;
    M->w = w;
    M->L = NULL;
    M->m = m;
    M->n = n;
    M->nfev = 0;
}

static int is_f64(const Py_buffer *v) {
    const char *fmt = v->format;
    if (v->itemsize != 8 || fmt == NULL) return 0;
    if (fmt[0] == '<' || fmt[0] == '=' || fmt[0] == '@') fmt++;
    return fmt[0] == 'd' && fmt[1] == '\0';
}

/* r = (f(xdata, *p) - y) * w; 0 on success, -1 with a Python exception set */
static int residuals(Model *M, const double *p, double *r) {
    Py_ssize_t i, m = M->m;
    PyObject *args = PyTuple_New(M->n + 1), *out, *arr;
    Py_buffer view;
    if (args == NULL) return -1;
    Py_INCREF(M->xdata);
    PyTuple_SET_ITEM(args, 0, M->xdata);
    for (i = 0; i < M->n; i++) {
        PyObject *v = PyFloat_FromDouble(p[i]);
        if (v == NULL) { Py_DECREF(args); return -1; }
        PyTuple_SET_ITEM(args, i + 1, v);
    }
    out = PyObject_Call(M->f, args, NULL);
    Py_DECREF(args);
    if (out == NULL) return -1;
    M->nfev++;
    arr = out;
    if (PyObject_GetBuffer(out, &view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) == 0) {
        if (!(is_f64(&view) && view.len == m * 8)) {
            PyBuffer_Release(&view);
            arr = NULL;
        }
    } else {
        PyErr_Clear();
        arr = NULL;
    }
    if (arr == NULL) {  /* another type, dtype or shape: let Python convert or complain */
        arr = PyObject_CallOneArg(M->coerce, out);
        Py_DECREF(out);
        if (arr == NULL) return -1;
        out = arr;
        if (PyObject_GetBuffer(out, &view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) != 0) {
            Py_DECREF(out);
            return -1;
        }
        if (!(is_f64(&view) && view.len == m * 8)) {
            PyBuffer_Release(&view);
            Py_DECREF(out);
            PyErr_SetString(PyExc_ValueError, "coerce must return m float64 values");
            return -1;
        }
    }
    {
        const double *v = (const double *)view.buf;
        if (M->y == NULL) memcpy(r, v, m * sizeof(double));
        else if (M->w) for (i = 0; i < m; i++) r[i] = (v[i] - M->y[i]) * M->w[i];
        else if (M->L) {  /* r = L^-1 (v - y), forward substitution */
            const double *L = M->L;
            for (i = 0; i < m; i++) {
                double t = v[i] - M->y[i];
                const double *row = L + i * m;
                Py_ssize_t k;
                for (k = 0; k < i; k++) t -= row[k] * r[k];
                r[i] = t / row[i];
            }
        }
        else for (i = 0; i < m; i++) r[i] = v[i] - M->y[i];
    }
    PyBuffer_Release(&view);
    Py_DECREF(out);
    return 0;
}

static double dot(const double *a, const double *b, Py_ssize_t k) {
    double s = 0.0;
    Py_ssize_t i;
    for (i = 0; i < k; i++) s += a[i] * b[i];
    return s;
}

/* forward-difference Jacobian, column j at jt[j*m], with the step st[j] or, for st NULL,
   sqrt(eps) |x_j| (sqrt(eps) for x_j = 0); columns with fr[j] == 0 are zero (fr NULL: all
   free); q is scratch of n values; 0, or -1 with a Python exception set */
static int jacobian(Model *M, const double *x, const double *f, double *q, double *jt,
                    const double *st, const unsigned char *fr) {
    Py_ssize_t i, j, m = M->m, n = M->n;
    const double sqeps = 1.4901161193847656e-08;
    memcpy(q, x, n * sizeof(double));
    for (j = 0; j < n; j++) {
        double xj = x[j], h;
        double *col = jt + j * m;
        if (fr && !fr[j]) {
            memset(col, 0, m * sizeof(double));
            continue;
        }
        q[j] = xj + (st ? st[j] : sqeps * (xj != 0.0 ? fabs(xj) : 1.0));
        h = q[j] - xj;
        if (residuals(M, q, col) < 0) return -1;
        q[j] = xj;
        for (i = 0; i < m; i++) col[i] = (col[i] - f[i]) / h;
    }
    return 0;
}

/* the user's Jacobian: jt = jacfun(*x), which must return n*m C-contiguous float64 values
   (row j: column j of the whitened J; the Python side transposes); 0, or -1 with a Python
   exception set */
static int user_jacobian(Model *M, PyObject *jacfun, const double *x, double *jt) {
    Py_ssize_t j, n = M->n, m = M->m;
    PyObject *args = PyTuple_New(n), *out;
    Py_buffer view;
    if (args == NULL) return -1;
    for (j = 0; j < n; j++) {
        PyObject *v = PyFloat_FromDouble(x[j]);
        if (v == NULL) { Py_DECREF(args); return -1; }
        PyTuple_SET_ITEM(args, j, v);
    }
    out = PyObject_Call(jacfun, args, NULL);
    Py_DECREF(args);
    if (out == NULL) return -1;
    if (PyObject_GetBuffer(out, &view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        Py_DECREF(out);
        return -1;
    }
    if (!(is_f64(&view) && view.len == n * m * 8)) {
        PyBuffer_Release(&view);
        Py_DECREF(out);
        PyErr_SetString(PyExc_ValueError, "jacfun must return n*m float64 values");
        return -1;
    }
    memcpy(jt, view.buf, n * m * sizeof(double));
    PyBuffer_Release(&view);
    Py_DECREF(out);
    return 0;
}

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
            double g = lm_gtol_term(dot(fv, jt + j * m, m), c * c, fnorm * fnorm);
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
