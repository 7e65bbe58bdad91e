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

static const double EPS = 2.220446049250313e-16;

/* Python's min(a, b) and max(a, b), NaN included: the second only if it compares so */
static double pmin(double a, double b) { return b < a ? b : a; }
static double pmax(double a, double b) { return b > a ? b : a; }

/* four partial sums: not bound by the latency of one chain of additions */
static double dot(const double *a, const double *b, Py_ssize_t n) {
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    Py_ssize_t i = 0;
    for (; i + 4 <= n; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for (; i < n; i++) s0 += a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

static double clipv(double v, double lo, double hi) {
    /* np.clip: min(max(v, lo), hi) */
    if (v < lo) v = lo;
    if (v > hi) v = hi;
    return v;
}

/* ---- calling the user ------------------------------------------------------------ */
typedef struct {
    PyObject *fun, *copy;  /* the user's callable; tmpl.copy (bound) */
    PyObject *coerce;      /* g -> a float64 vector (L-BFGS-B) */
    Py_buffer tb;          /* writable view of the template */
    Py_ssize_t n;
    long calls;
} Caller;

static int caller_init(Caller *C, PyObject *fun, PyObject *tmpl, Py_ssize_t n) {
    C->fun = fun;
    C->coerce = NULL;
    C->n = n;
    C->calls = 0;
    C->copy = NULL;
    if (PyObject_GetBuffer(tmpl, &C->tb, PyBUF_WRITABLE | PyBUF_C_CONTIGUOUS | PyBUF_FORMAT)
        < 0) return -1;
    if (C->tb.len != (Py_ssize_t)(n * sizeof(double)) || !C->tb.format
        || strcmp(C->tb.format, "d") != 0) {
        PyBuffer_Release(&C->tb);
        PyErr_SetString(PyExc_ValueError, "template must be a float64 array of n values");
        return -1;
    }
    C->copy = PyObject_GetAttrString(tmpl, "copy");
    if (!C->copy) {
        PyBuffer_Release(&C->tb);
        return -1;
    }
    return 0;
}

static void caller_free(Caller *C) {
    Py_XDECREF(C->copy);
    PyBuffer_Release(&C->tb);
}

/* a fresh array holding z (new reference) */
static PyObject *new_array(Caller *C, const double *z) {
    memcpy(C->tb.buf, z, (size_t)C->n * sizeof(double));
    return PyObject_CallNoArgs(C->copy);
}

static PyObject *call1(Caller *C, const double *z) {
    PyObject *arr = new_array(C, z);
    if (!arr) return NULL;
    PyObject *argv[1] = {arr};
    C->calls++;
    PyObject *out = PyObject_Vectorcall(C->fun, argv, 1, NULL);
    Py_DECREF(arr);
    return out;
}

/* fg(z) -> (f, g): 0 on success, -1 with an exception set */
static int call_fg(Caller *C, const double *z, double *f, double *g) {
    PyObject *out = call1(C, z);
    if (!out) return -1;
    int rc = -1;
    if (!PyTuple_Check(out) || PyTuple_GET_SIZE(out) != 2) {
        PyErr_SetString(PyExc_TypeError, "fg must return a pair (f, g)");
        goto done;
    }
    *f = PyFloat_AsDouble(PyTuple_GET_ITEM(out, 0));
    if (*f == -1.0 && PyErr_Occurred()) goto done;
    Py_buffer gb;
    PyObject *go = PyTuple_GET_ITEM(out, 1), *conv = NULL;
    int ok = PyObject_GetBuffer(go, &gb, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) == 0;
    if (ok && (gb.len != (Py_ssize_t)(C->n * sizeof(double)) || !gb.format
               || strcmp(gb.format, "d") != 0)) {
        PyBuffer_Release(&gb);
        ok = 0;
    }
    if (!ok) {  /* not a contiguous float64 vector: coerce(g) converts it or raises */
        PyErr_Clear();
        PyObject *argv[1] = {go};
        conv = PyObject_Vectorcall(C->coerce, argv, 1, NULL);
        if (!conv) goto done;
        if (PyObject_GetBuffer(conv, &gb, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
            Py_DECREF(conv);
            goto done;
        }
        if (gb.len != (Py_ssize_t)(C->n * sizeof(double)) || !gb.format
            || strcmp(gb.format, "d") != 0) {
            PyBuffer_Release(&gb);
            Py_DECREF(conv);
            PyErr_Format(PyExc_ValueError, "the gradient must have %zd values", C->n);
            goto done;
        }
    }
    memcpy(g, gb.buf, (size_t)C->n * sizeof(double));
    PyBuffer_Release(&gb);
    Py_XDECREF(conv);
    rc = 0;
done:
    Py_DECREF(out);
    return rc;
}

/* callback(x, f): 1 to stop, 0 to go on, -1 on an exception */
static int call_cb(Caller *C, PyObject *cb, const double *x, double f) {
    if (cb == Py_None) return 0;
    PyObject *arr = new_array(C, x);
    if (!arr) return -1;
    PyObject *fo = PyFloat_FromDouble(f);
    if (!fo) {
        Py_DECREF(arr);
        return -1;
    }
    PyObject *argv[2] = {arr, fo};
    PyObject *out = PyObject_Vectorcall(cb, argv, 2, NULL);
    Py_DECREF(arr);
    Py_DECREF(fo);
    if (!out) return -1;
    int stop = PyObject_IsTrue(out);
    Py_DECREF(out);
    return stop;
}

/* ---- the Moré-Thuente line search (line_search.more_thuente) --------------------- */
static double cubic_min(double a, double fa, double da, double b, double fb, double db) {
    if (a == b) return NAN;
    double d1 = da + db - 3.0 * (fa - fb) / (a - b);
    double disc = d1 * d1 - da * db;
    if (!(disc >= 0.0) || !isfinite(disc)) return NAN;
    double d2 = copysign(sqrt(disc), b - a);
    double denom = db - da + 2.0 * d2;
    if (denom == 0.0) return NAN;
    return b - (b - a) * (db + d2 - d1) / denom;
}

static double quad_min(double a, double fa, double da, double b, double fb) {
    double h = b - a;
    if (h == 0.0) return NAN;
    double curv = (fb - fa - da * h) / (h * h);
    if (!(curv > 0.0) || !isfinite(curv)) return NAN;
    return a - da / (2.0 * curv);
}

static double secant_min(double a, double da, double b, double db) {
    if (db == da) return NAN;
    return b - db * (b - a) / (db - da);
}

typedef struct { double a, f, g; } Pt;

/* one safeguarded step (_mt_trial); updates *best, *other, returns the next trial */
static double mt_trial(Pt *l, Pt t, Pt *u, int *bracketed, double lo, double hi) {
    double al = l->a, fl = l->f, gl = l->g, at = t.a, ft = t.f, gt = t.g;
    double ac = cubic_min(al, fl, gl, at, ft, gt), a_new;
    if (ft > fl) {
        double aq = quad_min(al, fl, gl, at, ft);
        if (!isfinite(aq)) aq = 0.5 * (al + at);
        if (!isfinite(ac)) ac = aq;
        a_new = fabs(ac - al) < fabs(aq - al) ? ac : 0.5 * (aq + ac);
        *bracketed = 1;
    } else if (gt * gl < 0) {
        double asec = secant_min(al, gl, at, gt);
        if (!isfinite(ac)) ac = asec;
        a_new = fabs(ac - at) >= fabs(asec - at) ? ac : asec;
        *bracketed = 1;
    } else if (fabs(gt) <= fabs(gl)) {
        double asec = secant_min(al, gl, at, gt);
        if (!(isfinite(ac) && (ac - at) * (at - al) > 0)) ac = at > al ? hi : lo;
        if (!isfinite(asec)) asec = ac;
        if (*bracketed) {
            a_new = fabs(ac - at) < fabs(asec - at) ? ac : asec;
            double bound = at + 0.66 * (u->a - at);
            a_new = at > al ? pmin(bound, a_new) : pmax(bound, a_new);
        } else {
            a_new = fabs(ac - at) > fabs(asec - at) ? ac : asec;
            a_new = at > al ? pmin(pmax(a_new, lo), hi) : pmax(pmin(a_new, lo), hi);
        }
    } else {
        if (*bracketed) {
            a_new = cubic_min(u->a, u->f, u->g, at, ft, gt);
            if (!isfinite(a_new)) a_new = 0.5 * (u->a + at);
        } else {
            a_new = at > al ? hi : lo;
        }
    }
    if (ft > fl) {
        *u = t;  /* best stays */
    } else if (gt * (al - at) < 0) {
        *u = *l;
        *l = t;
    } else {
        *l = t;  /* other stays */
    }
    return a_new;
}

typedef struct {
    Caller *C;
    const double *x, *d, *lo, *hi;
    double *z, *gz, *gbest;  /* trial point, its gradient, the gradient at the best */
    Py_ssize_t n;
} Line;

static int phi_dphi(Line *L, double a, double *f, double *g) {
    for (Py_ssize_t i = 0; i < L->n; i++) L->z[i] = clipv(L->x[i] + a * L->d[i], L->lo[i], L->hi[i]);
    if (call_fg(L->C, L->z, f, L->gz) < 0) return -1;
    *g = dot(L->gz, L->d, L->n);
    return 0;
}

/* returns 0 (result in *res, gradient at res->a in L->gbest), -1 on an exception */
static int more_thuente(Line *L, double phi0, double dphi0, double alpha1, double c1,
                        double c2, double alpha_min, double alpha_max, double xtol,
                        long maxiter, Pt *res) {
    Pt best = {0.0, phi0, dphi0};
    if (!(dphi0 < 0.0)) {
        *res = best;
        return 0;
    }
    double gtest = c1 * dphi0, curv = c2 * -dphi0;
    int stage1 = 1, bracketed = 0;
    Pt l = {0.0, phi0, dphi0}, u = {0.0, phi0, dphi0};
    double width = alpha_max - alpha_min, width1 = 2.0 * width;
    double a = pmin(pmax(alpha1, alpha_min), alpha_max);
    long nfev = 0;
    double f = 0.0, g = 0.0;
    while (nfev < maxiter) {
        if (phi_dphi(L, a, &f, &g) < 0) return -1;
        nfev++;
        if (!(isfinite(f) && isfinite(g))) {
            bracketed = 1;
            u.a = a; u.f = INFINITY; u.g = NAN;
            a = l.a + 0.5 * (a - l.a);
            continue;
        }
        double ftest = phi0 + a * gtest;
        if (f <= ftest && f < best.f) {
            best.a = a; best.f = f; best.g = g;
            memcpy(L->gbest, L->gz, (size_t)L->n * sizeof(double));
        }
        if (f <= ftest && fabs(g) <= curv) goto success;
        if (bracketed) {
            double imin = pmin(l.a, u.a), imax = pmax(l.a, u.a);
            if (a <= imin || a >= imax || imax - imin <= xtol * imax) break;
        }
        if (a == alpha_max && f <= ftest && g <= gtest) goto success;
        if (a == alpha_min && (f > ftest || g >= gtest)) break;
        if (stage1 && f <= ftest && g >= pmin(c1, c2) * dphi0) stage1 = 0;
        double lo = a + 1.1 * (a - l.a), hi = a + 4.0 * (a - l.a), a_new;
        Pt t = {a, f, g};
        if (stage1 && f <= l.f && f > ftest) {
            Pt lm = {l.a, l.f - l.a * gtest, l.g - gtest};
            Pt um = {u.a, u.f - u.a * gtest, u.g - gtest};
            Pt tm = {a, f - a * gtest, g - gtest};
            a_new = mt_trial(&lm, tm, &um, &bracketed, lo, hi);
            l.a = lm.a; l.f = lm.f + lm.a * gtest; l.g = lm.g + gtest;
            u.a = um.a; u.f = um.f + um.a * gtest; u.g = um.g + gtest;
        } else {
            a_new = mt_trial(&l, t, &u, &bracketed, lo, hi);
        }
        if (bracketed) {
            if (fabs(u.a - l.a) >= 0.66 * width1) a_new = l.a + 0.5 * (u.a - l.a);
            width1 = width;
            width = fabs(u.a - l.a);
        }
        if (!isfinite(a_new)) a_new = bracketed ? l.a + 0.5 * (u.a - l.a) : hi;
        a = pmin(pmax(a_new, alpha_min), alpha_max);
    }
    *res = best;
    return 0;
success:
    res->a = a;
    res->f = f;
    res->g = g;
    memcpy(L->gbest, L->gz, (size_t)L->n * sizeof(double));
    return 0;
}

/* ---- L-BFGS-B (solvers.lbfgsb) -------------------------------------------------- */
typedef struct {
    Py_ssize_t n, m, p, start;  /* size, memory, pairs stored, slot of the oldest */
    double *S, *Y;              /* m slots of n values */
    double *SY, *SS;            /* m x m by slot: s_i . y_j, s_i . s_j */
    double theta;
    double *W, *M, *K;          /* n x 2p (row-major), 2p x 2p, work 2p x 4p */
} Memory;

static Py_ssize_t slot(const Memory *B, Py_ssize_t j) { return (B->start + j) % B->m; }

/* store the pair (s, y), dropping the oldest beyond m; full: also the dot products with
   the other pairs that the compact form needs (only s . y otherwise) */
static void memory_add(Memory *B, const double *s, const double *y, double sy, int full) {
    Py_ssize_t k;
    if (B->p < B->m) {
        k = slot(B, B->p);
        B->p++;
    } else {
        k = B->start;
        B->start = (B->start + 1) % B->m;
    }
    memcpy(B->S + k * B->n, s, (size_t)B->n * sizeof(double));
    memcpy(B->Y + k * B->n, y, (size_t)B->n * sizeof(double));
    B->SY[k * B->m + k] = sy;
    for (Py_ssize_t j = 0; full && j < B->p; j++) {
        Py_ssize_t q = slot(B, j);
        const double *sq = B->S + q * B->n, *yq = B->Y + q * B->n;
        B->SY[k * B->m + q] = dot(s, yq, B->n);
        B->SY[q * B->m + k] = dot(sq, y, B->n);
        B->SS[k * B->m + q] = B->SS[q * B->m + k] = dot(s, sq, B->n);
    }
}

/* inverse of the (N x N) matrix A by Gauss-Jordan with partial pivoting; work N x 2N.
   A zero pivot leaves the matrix singular: returns -1 (the caller uses a pseudo-solve) */
static int invert(const double *A, double *out, double *work, Py_ssize_t N) {
    Py_ssize_t w = 2 * N;
    for (Py_ssize_t i = 0; i < N; i++) {
        for (Py_ssize_t j = 0; j < N; j++) {
            work[i * w + j] = A[i * N + j];
            work[i * w + N + j] = i == j ? 1.0 : 0.0;
        }
    }
    for (Py_ssize_t c = 0; c < N; c++) {
        Py_ssize_t piv = c;
        for (Py_ssize_t r = c + 1; r < N; r++)
            if (fabs(work[r * w + c]) > fabs(work[piv * w + c])) piv = r;
        if (work[piv * w + c] == 0.0) return -1;
        if (piv != c)
            for (Py_ssize_t j = 0; j < w; j++) {
                double t = work[c * w + j];
                work[c * w + j] = work[piv * w + j];
                work[piv * w + j] = t;
            }
        double inv = 1.0 / work[c * w + c];
        for (Py_ssize_t j = 0; j < w; j++) work[c * w + j] *= inv;
        for (Py_ssize_t r = 0; r < N; r++) {
            if (r == c) continue;
            double fct = work[r * w + c];
            if (fct != 0.0)
                for (Py_ssize_t j = 0; j < w; j++) work[r * w + j] -= fct * work[c * w + j];
        }
    }
    for (Py_ssize_t i = 0; i < N; i++)
        for (Py_ssize_t j = 0; j < N; j++) out[i * N + j] = work[i * w + N + j];
    return 0;
}

/* solve A v = b in place (Gaussian elimination, partial pivoting; A is destroyed);
   a zero pivot sets that component to 0 */
static void solve(double *A, double *b, Py_ssize_t N) {
    for (Py_ssize_t c = 0; c < N; c++) {
        Py_ssize_t piv = c;
        for (Py_ssize_t r = c + 1; r < N; r++)
            if (fabs(A[r * N + c]) > fabs(A[piv * N + c])) piv = r;
        if (piv != c) {
            for (Py_ssize_t j = 0; j < N; j++) {
                double t = A[c * N + j];
                A[c * N + j] = A[piv * N + j];
                A[piv * N + j] = t;
            }
            double t = b[c];
            b[c] = b[piv];
            b[piv] = t;
        }
        if (A[c * N + c] == 0.0) continue;
        for (Py_ssize_t r = c + 1; r < N; r++) {
            double fct = A[r * N + c] / A[c * N + c];
            if (fct == 0.0) continue;
            for (Py_ssize_t j = c; j < N; j++) A[r * N + j] -= fct * A[c * N + j];
            b[r] -= fct * b[c];
        }
    }
    for (Py_ssize_t c = N - 1; c >= 0; c--) {
        if (A[c * N + c] == 0.0) {
            b[c] = 0.0;
            continue;
        }
        double s = b[c];
        for (Py_ssize_t j = c + 1; j < N; j++) s -= A[c * N + j] * b[j];
        b[c] = s / A[c * N + c];
    }
}

/* theta, W, M of the compact representation (_compact); -1 if K is singular */
static int compact(Memory *B) {
    Py_ssize_t p = B->p, n = B->n, q2 = 2 * p;
    if (p == 0) {
        B->theta = 1.0;
        return 0;
    }
    Py_ssize_t kn = slot(B, p - 1);
    const double *sn = B->S + kn * n, *yn = B->Y + kn * n;
    B->theta = dot(yn, yn, n) / dot(sn, yn, n);
    for (Py_ssize_t j = 0; j < p; j++) {
        const double *s = B->S + slot(B, j) * n, *y = B->Y + slot(B, j) * n;
        for (Py_ssize_t i = 0; i < n; i++) {
            B->W[i * q2 + j] = y[i];
            B->W[i * q2 + p + j] = B->theta * s[i];
        }
    }
    double *K = B->K + 2 * q2 * q2;  /* after the work area of invert */
    for (Py_ssize_t i = 0; i < p; i++) {
        Py_ssize_t si = slot(B, i);
        for (Py_ssize_t j = 0; j < p; j++) {
            Py_ssize_t sj = slot(B, j);
            K[i * q2 + j] = i == j ? -B->SY[si * B->m + si] : 0.0;
            double L = i > j ? B->SY[si * B->m + sj] : 0.0;  /* L_ij = s_i . y_j, i > j */
            K[(p + i) * q2 + j] = L;
            K[j * q2 + p + i] = L;
            K[(p + i) * q2 + p + j] = B->theta * B->SS[si * B->m + sj];
        }
    }
    return invert(K, B->M, B->K, q2);
}

static void two_loop(const Memory *B, const double *g, double gamma, double *r, double *al) {
    Py_ssize_t n = B->n;
    memcpy(r, g, (size_t)n * sizeof(double));
    for (Py_ssize_t j = B->p - 1; j >= 0; j--) {
        Py_ssize_t k = slot(B, j);
        const double *s = B->S + k * n, *y = B->Y + k * n;
        double rho = 1.0 / B->SY[k * B->m + k];
        double a = rho * dot(s, r, n);
        al[j] = a;
        for (Py_ssize_t i = 0; i < n; i++) r[i] -= a * y[i];
    }
    for (Py_ssize_t i = 0; i < n; i++) r[i] *= gamma;
    for (Py_ssize_t j = 0; j < B->p; j++) {
        Py_ssize_t k = slot(B, j);
        const double *s = B->S + k * n, *y = B->Y + k * n;
        double rho = 1.0 / B->SY[k * B->m + k];
        double b = rho * dot(y, r, n);
        for (Py_ssize_t i = 0; i < n; i++) r[i] += (al[j] - b) * s[i];
    }
}

typedef struct { double t; Py_ssize_t i; } Brk;

static int brk_cmp(const void *a, const void *b) {
    const Brk *x = a, *y = b;
    if (x->t < y->t) return -1;
    if (x->t > y->t) return 1;
    return x->i < y->i ? -1 : (x->i > y->i);  /* stable, as argsort(kind="stable") */
}

typedef struct {
    double *tb, *d, *p, *c, *Mw, *v, *r, *N, *xc;
    Brk *brk;
} Work;

/* M (q x q) times v */
static void matvec(const double *M, const double *v, double *out, Py_ssize_t q) {
    for (Py_ssize_t i = 0; i < q; i++) out[i] = dot(M + i * q, v, q);
}

/* the generalised Cauchy point into w->xc, c = W^T (xc - x) into w->c (_cauchy_point) */
static void cauchy_point(const Memory *B, const double *x, const double *g, const double *lo,
                         const double *hi, Work *w) {
    Py_ssize_t n = B->n, q = 2 * B->p, nb = 0;
    double theta = B->theta, *d = w->d, *p = w->p, *c = w->c, *xc = w->xc, *tb = w->tb;
    for (Py_ssize_t i = 0; i < n; i++) {
        tb[i] = INFINITY;
        if (g[i] < 0) tb[i] = (x[i] - hi[i]) / g[i];
        if (g[i] > 0) tb[i] = (x[i] - lo[i]) / g[i];
        d[i] = tb[i] <= 0 ? 0.0 : -g[i];
        xc[i] = x[i];
    }
    for (Py_ssize_t j = 0; j < q; j++) {
        double s = 0.0;
        for (Py_ssize_t i = 0; i < n; i++) s += B->W[i * q + j] * d[i];
        p[j] = s;
        c[j] = 0.0;
    }
    double fp = -dot(d, d, n), fpp0 = -theta * fp;
    matvec(B->M, p, w->Mw, q);
    double fpp = fpp0 - dot(p, w->Mw, q);
    if (fp == 0.0) return;
    double dt_min = fpp > 0 ? -fp / fpp : INFINITY, t_old = 0.0;
    for (Py_ssize_t i = 0; i < n; i++)
        if (tb[i] > 0 && isfinite(tb[i])) {
            w->brk[nb].t = tb[i];
            w->brk[nb].i = i;
            nb++;
        }
    qsort(w->brk, (size_t)nb, sizeof(Brk), brk_cmp);
    for (Py_ssize_t k = 0; k < nb; k++) {
        Py_ssize_t b = w->brk[k].i;
        double dt = tb[b] - t_old;
        if (dt_min < dt) break;
        xc[b] = d[b] > 0 ? hi[b] : lo[b];
        double zb = xc[b] - x[b], gb = g[b];
        const double *wb = B->W + b * q;
        for (Py_ssize_t j = 0; j < q; j++) c[j] += dt * p[j];
        matvec(B->M, wb, w->Mw, q);
        fp += dt * fpp + gb * gb + theta * gb * zb - gb * dot(w->Mw, c, q);
        fpp += -theta * gb * gb - 2.0 * gb * dot(w->Mw, p, q) - gb * gb * dot(w->Mw, wb, q);
        fpp = pmax(EPS * fpp0, fpp);
        for (Py_ssize_t j = 0; j < q; j++) p[j] += gb * wb[j];
        d[b] = 0.0;
        dt_min = -fp / fpp;
        t_old = tb[b];
    }
    if (!isfinite(dt_min)) dt_min = 0.0;
    dt_min = pmax(dt_min, 0.0);
    t_old += dt_min;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (d[i] != 0) xc[i] = x[i] + t_old * d[i];
        xc[i] = clipv(xc[i], lo[i], hi[i]);
    }
    for (Py_ssize_t j = 0; j < q; j++) c[j] += dt_min * p[j];
}

/* xbar (into xbar) from the Cauchy point in w (_subspace_min) */
static void subspace_min(const Memory *B, const double *x, const double *g, const double *lo,
                         const double *hi, Work *w, double *xbar) {
    Py_ssize_t n = B->n, q = 2 * B->p, nf = 0;
    double theta = B->theta, *xc = w->xc, *r = w->r, *v = w->v, *Mc = w->Mw, *du = w->tb;
    memcpy(xbar, xc, (size_t)n * sizeof(double));
    /* free variables: their indices in brk[].i */
    for (Py_ssize_t i = 0; i < n; i++)
        if (xc[i] > lo[i] && xc[i] < hi[i]) w->brk[nf++].i = i;
    if (nf == 0) return;
    matvec(B->M, w->c, Mc, q);
    for (Py_ssize_t k = 0; k < nf; k++) {
        Py_ssize_t i = w->brk[k].i;
        r[k] = g[i] + theta * (xc[i] - x[i]) - dot(B->W + i * q, Mc, q);
    }
    if (q) {
        double *u = w->p, *N = w->N, *WW = w->N + q * q;
        for (Py_ssize_t j = 0; j < q; j++) u[j] = 0.0;
        for (Py_ssize_t a = 0; a < q * q; a++) WW[a] = 0.0;
        for (Py_ssize_t k = 0; k < nf; k++) {
            const double *row = B->W + w->brk[k].i * q;
            for (Py_ssize_t j = 0; j < q; j++) {
                u[j] += row[j] * r[k];
                for (Py_ssize_t l = j; l < q; l++) WW[j * q + l] += row[j] * row[l];
            }
        }
        for (Py_ssize_t j = 0; j < q; j++)
            for (Py_ssize_t l = 0; l < j; l++) WW[j * q + l] = WW[l * q + j];
        matvec(B->M, u, v, q);
        for (Py_ssize_t j = 0; j < q; j++)
            for (Py_ssize_t l = 0; l < q; l++) {
                double s = 0.0;
                for (Py_ssize_t t = 0; t < q; t++) s += B->M[j * q + t] * WW[t * q + l];
                N[j * q + l] = (j == l ? 1.0 : 0.0) - s / theta;
            }
        solve(N, v, q);
        for (Py_ssize_t k = 0; k < nf; k++)
            du[k] = -r[k] / theta - dot(B->W + w->brk[k].i * q, v, q) / (theta * theta);
    } else {
        for (Py_ssize_t k = 0; k < nf; k++) du[k] = -r[k] / theta;
    }
    double slope = 0.0;
    for (Py_ssize_t k = 0; k < nf; k++) {
        Py_ssize_t i = w->brk[k].i;
        xbar[i] = clipv(xc[i] + du[k], lo[i], hi[i]);
    }
    for (Py_ssize_t i = 0; i < n; i++) slope += g[i] * (xbar[i] - x[i]);
    if (slope < 0.0) return;
    double alpha = INFINITY;
    for (Py_ssize_t k = 0; k < nf; k++) {
        Py_ssize_t i = w->brk[k].i;
        double lim = du[k] > 0 ? (hi[i] - xc[i]) / du[k]
                   : du[k] < 0 ? (lo[i] - xc[i]) / du[k] : INFINITY;
        alpha = k == 0 ? lim : (lim < alpha ? lim : alpha);  /* np.min */
        if (isnan(lim)) alpha = NAN;
    }
    alpha = pmin(1.0, alpha);
    for (Py_ssize_t k = 0; k < nf; k++) {
        Py_ssize_t i = w->brk[k].i;
        xbar[i] = clipv(xc[i] + alpha * du[k], lo[i], hi[i]);
    }
}

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
