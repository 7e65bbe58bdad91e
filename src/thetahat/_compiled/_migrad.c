/*
 * MIGRAD's inner loop for costs that are plain Python functions, compiled.
 *
 * The same algorithm, step for step, as the numpy twin (read the module docstrings of
 * thetahat.solvers.migrad and thetahat.derivatives.mn_gradient for the mathematics):
 * MINUIT's two-sided numerical gradient with its step control (steps of a fraction of
 * sigma_i = sqrt(2 errordef / g2_i), re-tuned while the step ratio exceeds the strategy's
 * tolerance), the variable-metric iteration (p = -V g, the line search with its parabolic
 * interpolation and extrapolation, the BFGS update of V, the EDM = g'Vg / 2 and its
 * resets), and MINUIT's limit transforms
 *
 *     [a, b]:  x = a + (b - a)(sin u + 1) / 2,    [a, inf): x = a - 1 + sqrt(u^2 + 1),
 *     (-inf, b]: x = b + 1 - sqrt(u^2 + 1).
 *
 * Why compiled: with a cheap cost (a few microseconds per call) a fit is dominated by
 * the interpreter's bookkeeping around each call (the counting wrapper, the transform,
 * the step arithmetic of each gradient component), not by the user's function. Here the
 * user's function is called through the vectorcall protocol with one float per parameter
 * (or one float64 array when the cost takes an array, as thetahat.minuit._problem does)
 * and everything else is C.
 *
 * Objects:
 *   Cost(fcn, full, idx, lo, hi, array_call, as_float, onerror): the free-parameter cost
 *     F(u) of thetahat.minuit._problem.Problem.__call__ (transform, call, count in .n;
 *     a return value that is not a float goes through as_float; an Exception raised by
 *     fcn goes through onerror(exc, x_external), which raises it with a note; any other
 *     BaseException, e.g. KeyboardInterrupt, propagates unchanged).
 *   Counted(fcn, limit, limit_exc, like): the call counter of thetahat.solvers.migrad
 *     (_Counted): NaN -> +inf, raises limit_exc once .n reaches limit; ``like`` is a
 *     float64 array of the point's size, copied for the argument of a generic fcn.
 * Functions:
 *   gradient(f, x, fval, h0, hmax, errordef, eps, ratio_ok, cycles, sigma_frac, out)
 *     -> nfcn: mn_gradient.gradient_full; out (6 n, writable) receives the rows
 *     g, g2, gstep, h used, F(x + h e_i), F(x - h e_i).
 *   iterate(f, x, fval, g, v, vprev, goal, errordef, eps, ratio_ok, gstep, g2, sx, hused,
 *     fp, fm, g2prev) -> (niter, fval, has_vprev, ngrad, status): migrad._iterate on
 *     arrays updated in place (the current point and the last gradient's state);
 *     status 1: the call limit was reached (the arrays hold the last accepted point).
 *   hesse(...) -> (nfcn, status, index): the second derivatives of derivatives.hesse
 *     from function values (diagonal with step cycles and the reuse of MIGRAD's last
 *     gradient, the noise check, the off-diagonal elements); the positive-definite
 *     check and the inverse stay in numpy (from_matrix).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include "structmember.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Python's min/max on two floats (the first unless the second compares smaller/larger) */
static inline double py_min(double a, double b) { return b < a ? b : a; }
static inline double py_max(double a, double b) { return b > a ? b : a; }

static int is_f64(const Py_buffer *v) {
    const char *fmt = v->format;
    if (v->itemsize != 8 || fmt == NULL) return 0;
    if (fmt[0] == '<' || fmt[0] == '=' || fmt[0] == '@') fmt++;
    return fmt[0] == 'd' && fmt[1] == '\0';
}

/* a C-contiguous float64 buffer of `n` values (n < 0: any size), writable if asked */
static int get_f64(PyObject *o, Py_buffer *b, Py_ssize_t n, int writable, const char *name) {
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(o, b, flags) < 0) return -1;
    if (!is_f64(b) || (n >= 0 && b->len != n * 8)) {
        PyErr_Format(PyExc_ValueError, "%s must be a contiguous float64 array of %zd values",
                     name, n);
        PyBuffer_Release(b);
        return -1;
    }
    return 0;
}

/* a new float64 array like `like` (a numpy array: its copy), filled with x */
static PyObject *new_array(PyObject *like, const double *x, Py_ssize_t n) {
    static PyObject *copy_name = NULL;
    if (copy_name == NULL && (copy_name = PyUnicode_InternFromString("copy")) == NULL)
        return NULL;
    PyObject *a = PyObject_CallMethodNoArgs(like, copy_name);
    if (a == NULL) return NULL;
    Py_buffer b;
    if (get_f64(a, &b, n, 1, "array") < 0) {
        Py_DECREF(a);
        return NULL;
    }
    memcpy(b.buf, x, (size_t)n * sizeof(double));
    PyBuffer_Release(&b);
    return a;
}

/* ---------------------------------------------------------------- Cost ---------- */

typedef struct {
    PyObject_HEAD
    PyObject *fcn, *as_float, *onerror, *like;
    double *full, *lo, *hi, *xext;
    Py_ssize_t *idx;
    int *kind; /* 0 none, 1 both, 2 lower only, 3 upper only */
    Py_ssize_t nfull, nfree;
    int array_call;
    long long n;
} CostObject;

static PyTypeObject CostType;

static void cost_dealloc(CostObject *self) {
    Py_XDECREF(self->fcn);
    Py_XDECREF(self->as_float);
    Py_XDECREF(self->onerror);
    Py_XDECREF(self->like);
    PyMem_Free(self->full);
    PyMem_Free(self->lo);
    PyMem_Free(self->hi);
    PyMem_Free(self->xext);
    PyMem_Free(self->idx);
    PyMem_Free(self->kind);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int cost_init(CostObject *self, PyObject *args, PyObject *kw) {
    PyObject *fcn, *full, *idx, *lo, *hi, *as_float, *onerror;
    int array_call;
    if (!PyArg_ParseTuple(args, "OOOOOpOO", &fcn, &full, &idx, &lo, &hi, &array_call,
                          &as_float, &onerror))
        return -1;
    Py_buffer bf, bl, bh;
    if (get_f64(full, &bf, -1, 0, "full") < 0) return -1;
    Py_ssize_t nfull = bf.len / 8;
    PyObject *seq = PySequence_Fast(idx, "idx must be a sequence of indices");
    if (seq == NULL) {
        PyBuffer_Release(&bf);
        return -1;
    }
    Py_ssize_t nfree = PySequence_Fast_GET_SIZE(seq);
    if (get_f64(lo, &bl, nfree, 0, "lo") < 0) {
        PyBuffer_Release(&bf);
        Py_DECREF(seq);
        return -1;
    }
    if (get_f64(hi, &bh, nfree, 0, "hi") < 0) {
        PyBuffer_Release(&bf);
        PyBuffer_Release(&bl);
        Py_DECREF(seq);
        return -1;
    }
    self->full = PyMem_Malloc((size_t)(nfull + 1) * sizeof(double));
    self->xext = PyMem_Malloc((size_t)(nfull + 1) * sizeof(double));
    self->lo = PyMem_Malloc((size_t)(nfree + 1) * sizeof(double));
    self->hi = PyMem_Malloc((size_t)(nfree + 1) * sizeof(double));
    self->idx = PyMem_Malloc((size_t)(nfree + 1) * sizeof(Py_ssize_t));
    self->kind = PyMem_Malloc((size_t)(nfree + 1) * sizeof(int));
    int ok = self->full && self->xext && self->lo && self->hi && self->idx && self->kind;
    if (ok) {
        memcpy(self->full, bf.buf, (size_t)nfull * sizeof(double));
        memcpy(self->lo, bl.buf, (size_t)nfree * sizeof(double));
        memcpy(self->hi, bh.buf, (size_t)nfree * sizeof(double));
        for (Py_ssize_t j = 0; j < nfree && ok; j++) {
            Py_ssize_t k = PyNumber_AsSsize_t(PySequence_Fast_GET_ITEM(seq, j), NULL);
            if (k == -1 && PyErr_Occurred()) ok = 0;
            else if (k < 0 || k >= nfull) {
                PyErr_Format(PyExc_ValueError, "idx[%zd] = %zd is out of range", j, k);
                ok = 0;
            }
            self->idx[j] = k;
            int fl = isfinite(self->lo[j]), fh = isfinite(self->hi[j]);
            self->kind[j] = fl && fh ? 1 : (fl ? 2 : (fh ? 3 : 0));
        }
    } else {
        PyErr_NoMemory();
    }
    PyBuffer_Release(&bf);
    PyBuffer_Release(&bl);
    PyBuffer_Release(&bh);
    Py_DECREF(seq);
    if (!ok) return -1;
    self->nfull = nfull;
    self->nfree = nfree;
    self->array_call = array_call;
    self->n = 0;
    Py_INCREF(fcn);
    Py_XSETREF(self->fcn, fcn);
    Py_INCREF(as_float);
    Py_XSETREF(self->as_float, as_float);
    Py_INCREF(onerror);
    Py_XSETREF(self->onerror, onerror);
    Py_INCREF(full);
    Py_XSETREF(self->like, full);
    return 0;
}

/* F(u): 0 and *out on success, -1 with an exception set */
static int cost_eval(CostObject *C, const double *u, double *out) {
    double *x = C->xext;
    memcpy(x, C->full, (size_t)C->nfull * sizeof(double));
    for (Py_ssize_t j = 0; j < C->nfree; j++) {
        double uj = u[j];
        switch (C->kind[j]) {
        case 1:
            x[C->idx[j]] = C->lo[j] + (0.5 * (C->hi[j] - C->lo[j])) * (sin(uj) + 1.0);
            break;
        case 2:
            x[C->idx[j]] = C->lo[j] - 1.0 + sqrt(uj * uj + 1.0);
            break;
        case 3:
            x[C->idx[j]] = C->hi[j] + 1.0 - sqrt(uj * uj + 1.0);
            break;
        default:
            x[C->idx[j]] = uj;
        }
    }
    C->n++;
    PyObject *r;
    if (C->array_call) {
        PyObject *a = new_array(C->like, x, C->nfull);
        if (a == NULL) return -1;
        r = PyObject_Vectorcall(C->fcn, &a, 1, NULL);
        Py_DECREF(a);
    } else {
        PyObject *stack[16];
        PyObject **argv = C->nfull <= 16 ? stack : PyMem_Malloc((size_t)C->nfull *
                                                               sizeof(PyObject *));
        if (argv == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        Py_ssize_t k = 0;
        for (; k < C->nfull; k++)
            if ((argv[k] = PyFloat_FromDouble(x[k])) == NULL) break;
        r = k == C->nfull ? PyObject_Vectorcall(C->fcn, argv, (size_t)k, NULL) : NULL;
        for (Py_ssize_t i = 0; i < k; i++) Py_DECREF(argv[i]);
        if (argv != stack) PyMem_Free(argv);
    }
    if (r == NULL) {
        if (PyErr_ExceptionMatches(PyExc_Exception)) {
            PyObject *t, *v, *tb;
            PyErr_Fetch(&t, &v, &tb);
            PyErr_NormalizeException(&t, &v, &tb);
            if (tb != NULL) PyException_SetTraceback(v, tb);
            PyObject *xa = new_array(C->like, x, C->nfull);
            PyObject *res = xa ? PyObject_CallFunctionObjArgs(C->onerror, v, xa, NULL) : NULL;
            Py_XDECREF(xa);
            if (res != NULL) { /* onerror should raise; if not, the original error */
                Py_DECREF(res);
                PyErr_Restore(t, v, tb);
            } else {
                Py_XDECREF(t);
                Py_XDECREF(v);
                Py_XDECREF(tb);
            }
        }
        return -1;
    }
    double val;
    if (PyFloat_Check(r)) {
        val = PyFloat_AS_DOUBLE(r);
    } else {
        PyObject *f = PyObject_CallOneArg(C->as_float, r);
        if (f == NULL) {
            Py_DECREF(r);
            return -1;
        }
        val = PyFloat_AsDouble(f);
        Py_DECREF(f);
        if (val == -1.0 && PyErr_Occurred()) {
            Py_DECREF(r);
            return -1;
        }
    }
    Py_DECREF(r);
    *out = val;
    return 0;
}

static PyObject *cost_call(CostObject *self, PyObject *args, PyObject *kw) {
    PyObject *u;
    if (!PyArg_ParseTuple(args, "O", &u)) return NULL;
    Py_buffer b;
    if (get_f64(u, &b, self->nfree, 0, "u") < 0) return NULL;
    double v;
    int rc = cost_eval(self, (const double *)b.buf, &v);
    PyBuffer_Release(&b);
    return rc < 0 ? NULL : PyFloat_FromDouble(v);
}

static PyMemberDef cost_members[] = {
    {"n", T_LONGLONG, offsetof(CostObject, n), 0, "calls of the user's function"},
    {NULL}};

static PyTypeObject CostType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "thetahat._compiled._migrad.Cost",
    .tp_basicsize = sizeof(CostObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The free-parameter cost F(u) of a Minuit problem (see the module source).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)cost_init,
    .tp_dealloc = (destructor)cost_dealloc,
    .tp_call = (ternaryfunc)cost_call,
    .tp_members = cost_members,
};

/* ------------------------------------------------------------- Counted ---------- */

typedef struct {
    PyObject_HEAD
    PyObject *fcn, *limit_exc, *like;
    CostObject *cost; /* fcn when it is a Cost (borrowed from fcn), else NULL */
    Py_ssize_t size;
    long long n, limit;
} CountedObject;

static PyTypeObject CountedType;

static void counted_dealloc(CountedObject *self) {
    Py_XDECREF(self->fcn);
    Py_XDECREF(self->limit_exc);
    Py_XDECREF(self->like);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int counted_init(CountedObject *self, PyObject *args, PyObject *kw) {
    PyObject *fcn, *exc, *like;
    long long limit;
    if (!PyArg_ParseTuple(args, "OLOO", &fcn, &limit, &exc, &like)) return -1;
    Py_buffer b;
    if (get_f64(like, &b, -1, 0, "like") < 0) return -1;
    self->size = b.len / 8;
    PyBuffer_Release(&b);
    Py_INCREF(fcn);
    Py_XSETREF(self->fcn, fcn);
    Py_INCREF(exc);
    Py_XSETREF(self->limit_exc, exc);
    Py_INCREF(like);
    Py_XSETREF(self->like, like);
    self->cost = PyObject_TypeCheck(fcn, &CostType) ? (CostObject *)fcn : NULL;
    if (self->cost != NULL && self->cost->nfree != self->size) {
        PyErr_SetString(PyExc_ValueError, "like must have the size of the cost's point");
        return -1;
    }
    self->n = 0;
    self->limit = limit;
    return 0;
}

/* 0 and *out (NaN as +inf), 1 when the call limit is reached, -1 with an exception */
static int counted_eval(CountedObject *C, const double *u, double *out) {
    if (C->n >= C->limit) return 1;
    C->n++;
    double v;
    if (C->cost != NULL) {
        if (cost_eval(C->cost, u, &v) < 0) return -1;
    } else {
        PyObject *a = new_array(C->like, u, C->size);
        if (a == NULL) return -1;
        PyObject *r = PyObject_Vectorcall(C->fcn, &a, 1, NULL);
        Py_DECREF(a);
        if (r == NULL) return -1;
        v = PyFloat_AsDouble(r); /* float(r) */
        Py_DECREF(r);
        if (v == -1.0 && PyErr_Occurred()) return -1;
    }
    *out = v == v ? v : INFINITY;
    return 0;
}

static PyObject *counted_call(CountedObject *self, PyObject *args, PyObject *kw) {
    PyObject *u;
    if (!PyArg_ParseTuple(args, "O", &u)) return NULL;
    Py_buffer b;
    if (get_f64(u, &b, self->size, 0, "x") < 0) return NULL;
    double v;
    int rc = counted_eval(self, (const double *)b.buf, &v);
    PyBuffer_Release(&b);
    if (rc == 1) {
        PyErr_SetNone(self->limit_exc);
        return NULL;
    }
    return rc < 0 ? NULL : PyFloat_FromDouble(v);
}

static PyMemberDef counted_members[] = {
    {"n", T_LONGLONG, offsetof(CountedObject, n), 0, "calls so far"},
    {"limit", T_LONGLONG, offsetof(CountedObject, limit), 0, "call limit"},
    {NULL}};

static PyTypeObject CountedType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "thetahat._compiled._migrad.Counted",
    .tp_basicsize = sizeof(CountedObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "fcn(x) counted, NaN as +inf, with a call limit (see the module source).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)counted_init,
    .tp_dealloc = (destructor)counted_dealloc,
    .tp_call = (ternaryfunc)counted_call,
    .tp_members = counted_members,
};

/* f at u through a Counted (fast) or any callable; 0, 1 (limit), -1 (exception) */
typedef struct {
    CountedObject *counted;
    PyObject *fcn, *like;
    Py_ssize_t n;
} Fn;

static int fn_eval(Fn *F, const double *u, double *out) {
    if (F->counted != NULL) return counted_eval(F->counted, u, out);
    PyObject *a = new_array(F->like, u, F->n);
    if (a == NULL) return -1;
    PyObject *r = PyObject_Vectorcall(F->fcn, &a, 1, NULL);
    Py_DECREF(a);
    if (r == NULL) return -1;
    double v = PyFloat_AsDouble(r);
    Py_DECREF(r);
    if (v == -1.0 && PyErr_Occurred()) return -1;
    *out = v;
    return 0;
}

/* ------------------------------------------------------------ gradient ---------- */

typedef struct {
    double errordef, eps, ratio_ok, sigma_frac;
} GradOpts;

/* mn_gradient._aimsag */
static void aimsag_of(double fval, double errordef, double eps, double *aimsag,
                      double *eps2) {
    double t = 2.0 * pow(eps * (fabs(fval) + errordef) / errordef, 0.25);
    *aimsag = py_min(py_max(errordef * t * t, 16.0 * pow(eps, 0.5) * (fabs(fval) + errordef)),
                     0.01 * errordef);
    *eps2 = 2.0 * pow(eps, 0.5);
}

/* mn_gradient.gradient_full: h (n, in: previous steps; out: tuned steps), g, g2, hused,
   fp, fm out; work: 2n doubles + n ints. Returns 0, 1 (limit) or -1; *nfcn counts. */
static int grad_core(Fn *F, Py_ssize_t n, const double *x, double fval, double *h,
                     const double *hm, const GradOpts *o, int cycles, double *g, double *g2,
                     double *hused, double *fp, double *fm, double *xw, Py_ssize_t *todo,
                     long *nfcn) {
    double aimsag, eps2;
    aimsag_of(fval, o->errordef, o->eps, &aimsag, &eps2);
    double eps = o->eps, ratio_ok = o->ratio_ok;
    Py_ssize_t ntodo = n;
    for (Py_ssize_t i = 0; i < n; i++) {
        g[i] = g2[i] = 0.0;
        fp[i] = fm[i] = NAN;
        hused[i] = h[i];
        todo[i] = i;
    }
    memcpy(xw, x, (size_t)n * sizeof(double));
    if (cycles < 1) cycles = 1;
    for (int cyc = 0; cyc < cycles && ntodo > 0; cyc++) {
        Py_ssize_t nre = 0;
        for (Py_ssize_t k = 0; k < ntodo; k++) {
            Py_ssize_t i = todo[k];
            double xi = x[i];
            double floor_i = 8.0 * eps2 * (fabs(xi) + eps2);
            double hi = py_max(h[i], floor_i);
            double a, b;
            int rc;
            xw[i] = xi + hi;
            rc = fn_eval(F, xw, &a);
            if (rc == 0) {
                xw[i] = xi - hi;
                rc = fn_eval(F, xw, &b);
            }
            xw[i] = xi;
            if (rc != 0) return rc;
            *nfcn += 2;
            fp[i] = a;
            fm[i] = b;
            hused[i] = hi;
            int fa = isfinite(a), fb = isfinite(b);
            double c;
            if (fa && fb) {
                g[i] = (a - b) / (2.0 * hi);
                double d2 = a + b - 2.0 * fval;
                c = fabs(d2) > 8.0 * eps * (fabs(a) + fabs(b)) ? d2 / (hi * hi) : 0.0;
                g2[i] = c;
            } else {
                g[i] = fa ? (a - fval) / hi : (fb ? (fval - b) / hi : 0.0);
                g2[i] = c = 0.0;
                h[i] = 0.5 * hi;
            }
            double ac = fabs(c);
            if (!(ac > 1e-300 && ac < INFINITY)) continue;
            double hn = py_max(pow(2.0 * aimsag / ac, 0.5), floor_i);
            hn = py_min(hn, hm[i]);
            double r = hn / hi;
            h[i] = hn;
            if (r > ratio_ok ||
                (r < 1.0 / ratio_ok &&
                 !(o->sigma_frac > 0 && hi <= o->sigma_frac * pow(2.0 * o->errordef / ac, 0.5))))
                todo[nre++] = i;
        }
        ntodo = nre;
    }
    return 0;
}

static int fn_from(PyObject *f, PyObject *like, Py_ssize_t n, Fn *F) {
    F->counted = PyObject_TypeCheck(f, &CountedType) ? (CountedObject *)f : NULL;
    F->fcn = f;
    F->like = like;
    F->n = n;
    if (F->counted != NULL && F->counted->size != n) {
        PyErr_SetString(PyExc_ValueError, "the point's size differs from the counter's");
        return -1;
    }
    return 0;
}

static int limit_error(Fn *F) {
    if (F->counted != NULL) PyErr_SetNone(F->counted->limit_exc);
    else PyErr_SetString(PyExc_RuntimeError, "call limit");
    return -1;
}

static PyObject *gradient(PyObject *self, PyObject *args) {
    PyObject *f, *xo, *h0o, *hmo, *outo;
    double fval;
    GradOpts o;
    int cycles;
    if (!PyArg_ParseTuple(args, "OOdOOddddiO", &f, &xo, &fval, &h0o, &hmo, &o.errordef, &o.eps,
                          &o.ratio_ok, &o.sigma_frac, &cycles, &outo))
        return NULL;
    Py_buffer bx, bh, bm, bo;
    if (get_f64(xo, &bx, -1, 0, "x") < 0) return NULL;
    Py_ssize_t n = bx.len / 8;
    PyObject *res = NULL;
    double *work = NULL;
    Py_ssize_t *todo = NULL;
    int have_m = 0, have_h = 0, have_o = 0;
    if (get_f64(h0o, &bh, n, 0, "h0") < 0) goto done;
    have_h = 1;
    if (hmo != Py_None) {
        if (get_f64(hmo, &bm, n, 0, "hmax") < 0) goto done;
        have_m = 1;
    }
    if (get_f64(outo, &bo, 6 * n, 1, "out") < 0) goto done;
    have_o = 1;
    Fn F;
    if (fn_from(f, xo, n, &F) < 0) goto done;
    work = PyMem_Malloc((size_t)(3 * n + 1) * sizeof(double));
    todo = PyMem_Malloc((size_t)(n + 1) * sizeof(Py_ssize_t));
    if (work == NULL || todo == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    double *out = (double *)bo.buf, *hmax = work + n, *xw = work + 2 * n;
    double *h = out + 2 * n;
    const double *h0 = (const double *)bh.buf;
    for (Py_ssize_t i = 0; i < n; i++) {
        double v = h0[i];
        hmax[i] = have_m ? ((const double *)bm.buf)[i] : INFINITY;
        h[i] = (v > 0 && v < INFINITY) ? v : 0.1;
        if (have_m) h[i] = py_min(h[i], hmax[i]);
    }
    long nfcn = 0;
    int rc = grad_core(&F, n, (const double *)bx.buf, fval, h, hmax, &o, cycles, out,
                       out + n, out + 3 * n, out + 4 * n, out + 5 * n, xw, todo, &nfcn);
    if (rc == 1) limit_error(&F);
    else if (rc == 0) res = PyLong_FromLong(nfcn);
done:
    PyMem_Free(work);
    PyMem_Free(todo);
    PyBuffer_Release(&bx);
    if (have_h) PyBuffer_Release(&bh);
    if (have_m) PyBuffer_Release(&bm);
    if (have_o) PyBuffer_Release(&bo);
    return res;
}

/* ------------------------------------------------------------- iterate ---------- */

/* EDM = ((0.5 g) V) g, the order of numpy's float(0.5 * g @ v @ g) */
static double edm_of(Py_ssize_t n, const double *g, const double *v) {
    double e = 0.0;
    for (Py_ssize_t j = 0; j < n; j++) {
        double s = 0.0;
        for (Py_ssize_t i = 0; i < n; i++) s += (0.5 * g[i]) * v[i * n + j];
        e += s * g[j];
    }
    return e;
}

/* migrad._diag_metric */
static void diag_metric(Py_ssize_t n, const double *g2, const double *gstep, double errordef,
                        double *v) {
    for (Py_ssize_t i = 0; i < n * n; i++) v[i] = 0.0;
    for (Py_ssize_t i = 0; i < n; i++) {
        double d = fabs(g2[i]);
        double s = gstep[i] > 1e-300 || isnan(gstep[i]) ? gstep[i] : 1e-300;
        double dflt = 2.0 * errordef / (s * s);
        d = (d > 0 && isfinite(d)) ? d : dflt;
        v[i * n + i] = 1.0 / d;
    }
}

/* migrad._line_search: 0 and (alpha, fa), 1 limit, -1 exception */
static int line_search(Fn *F, Py_ssize_t n, const double *x, double f0, const double *p,
                       double slope, double *xt, double *alpha_out, double *f_out) {
    const double LO = 0.8, HI = 1.25, MAXF = 4.0, CLIP = 0.05;
    double alpha = 1.0, fa, best_a, best_f, fe;
    int rc;
#define TRIAL(a_, f_)                                                      \
    do {                                                                   \
        for (Py_ssize_t i_ = 0; i_ < n; i_++) xt[i_] = x[i_] + (a_) * p[i_]; \
        if ((rc = fn_eval(F, xt, &(f_))) != 0) return rc;                  \
    } while (0)
    for (Py_ssize_t i = 0; i < n; i++) xt[i] = x[i] + p[i];
    if ((rc = fn_eval(F, xt, &fa)) != 0) return rc;
    if (fa < f0) {
        best_a = 1.0;
        best_f = fa;
    } else {
        best_a = 0.0;
        best_f = f0;
    }
    int accepted = 0;
    for (int k = 0; k < 8; k++) {
        if (isfinite(fa) && fa <= f0 + 1e-4 * alpha * slope) {
            accepted = 1;
            break;
        }
        double anew;
        if (isfinite(fa)) {
            double denom = 2.0 * (fa - f0 - slope * alpha);
            anew = denom > 0 ? -slope * alpha * alpha / denom : 0.5 * alpha;
            anew = py_min(py_max(anew, CLIP * alpha), 0.5 * alpha);
        } else {
            anew = 0.5 * alpha;
        }
        alpha = anew;
        TRIAL(alpha, fa);
        if (fa < best_f) {
            best_a = alpha;
            best_f = fa;
        }
    }
    if (!accepted) {
        *alpha_out = best_a;
        *f_out = best_f;
        return 0;
    }
    double denom = 2.0 * (fa - f0 - slope * alpha);
    if (denom > 0) {
        double amin = py_min(-slope * alpha * alpha / denom, MAXF * alpha);
        if (amin > HI * alpha || amin < LO * alpha) {
            TRIAL(amin, fe);
            if (fe < fa) {
                *alpha_out = amin;
                *f_out = fe;
                return 0;
            }
        }
    } else if (isfinite(fa) && fa < f0) {
        for (int k = 0; k < 3; k++) {
            TRIAL(MAXF * alpha, fe);
            if (!(fe < fa)) break;
            alpha = MAXF * alpha;
            fa = fe;
        }
        *alpha_out = alpha;
        *f_out = fa;
        return 0;
    }
#undef TRIAL
    if (fa < best_f || best_a == 0.0) {
        *alpha_out = alpha;
        *f_out = fa;
    } else {
        *alpha_out = best_a;
        *f_out = best_f;
    }
    return 0;
}

/* migrad._bfgs into vn; returns 0 when sy <= 0 (V unchanged, vn not written) */
static int bfgs(Py_ssize_t n, const double *v, const double *s, const double *y, double *vy,
                double *vn) {
    double sy = 0.0;
    for (Py_ssize_t i = 0; i < n; i++) sy += s[i] * y[i];
    if (!(sy > 0)) return 0;
    double yvy = 0.0;
    for (Py_ssize_t i = 0; i < n; i++) {
        double t = 0.0;
        for (Py_ssize_t j = 0; j < n; j++) t += v[i * n + j] * y[j];
        vy[i] = t;
    }
    for (Py_ssize_t i = 0; i < n; i++) yvy += y[i] * vy[i];
    double c = (1.0 + yvy / sy) / sy;
    for (Py_ssize_t i = 0; i < n; i++)
        for (Py_ssize_t j = 0; j < n; j++)
            vn[i * n + j] = v[i * n + j] + c * (s[i] * s[j]) - (s[i] * vy[j] + vy[i] * s[j]) / sy;
    return 1;
}

static PyObject *iterate(PyObject *self, PyObject *args) {
    PyObject *f, *ox, *og, *ov, *ovp, *os[7];
    double fval, goal;
    GradOpts o;
    o.sigma_frac = 0.0;
    if (!PyArg_ParseTuple(args, "OOdOOOddddOOOOOOO", &f, &ox, &fval, &og, &ov, &ovp, &goal,
                          &o.errordef, &o.eps, &o.ratio_ok, &os[0], &os[1], &os[2], &os[3],
                          &os[4], &os[5], &os[6]))
        return NULL;
    if (!PyObject_TypeCheck(f, &CountedType)) {
        PyErr_SetString(PyExc_TypeError, "iterate needs a Counted function");
        return NULL;
    }
    Py_buffer bx, bg, bv, bvp, bs[7];
    int nb = 0;
    PyObject *res = NULL;
    double *work = NULL;
    Py_ssize_t *todo = NULL;
    if (get_f64(ox, &bx, -1, 1, "x") < 0) return NULL;
    Py_ssize_t n = bx.len / 8;
    if (get_f64(og, &bg, n, 1, "g") < 0) goto rel0;
    if (get_f64(ov, &bv, n * n, 1, "v") < 0) goto rel1;
    if (get_f64(ovp, &bvp, n * n, 1, "vprev") < 0) goto rel2;
    for (; nb < 7; nb++)
        if (get_f64(os[nb], &bs[nb], n, 1, "state") < 0) goto rel3;
    Fn F;
    fn_from(f, ox, n, &F);
    /* work: p, s, xnew, xt, gnew, y, vy, xw, and the new state (6 n), vn (n^2) */
    work = PyMem_Malloc((size_t)(14 * n + n * n + 1) * sizeof(double));
    todo = PyMem_Malloc((size_t)(n + 1) * sizeof(Py_ssize_t));
    if (work == NULL || todo == NULL) {
        PyErr_NoMemory();
        goto rel3;
    }
    double *x = bx.buf, *g = bg.buf, *v = bv.buf, *vprev = bvp.buf;
    double *gstep = bs[0].buf, *g2 = bs[1].buf, *sx = bs[2].buf, *hused = bs[3].buf,
           *fp = bs[4].buf, *fm = bs[5].buf, *g2prev = bs[6].buf;
    double *p = work, *s = p + n, *xnew = s + n, *xt = xnew + n, *gnew = xt + n, *y = gnew + n,
           *vy = y + n, *xw = vy + n, *nh = xw + n, *ng2 = nh + n, *nhu = ng2 + n,
           *nfp = nhu + n, *nfm = nfp + n, *vn = nfm + n;
    double edm = edm_of(n, g, v);
    int stalled = 0, has_vprev = 0, status = 0;
    long niter = 0, ngrad = 0, nfcn = 0;
    while (edm >= goal) {
        niter++;
        double slope = 0.0;
        for (Py_ssize_t i = 0; i < n; i++) {
            double t = 0.0;
            for (Py_ssize_t j = 0; j < n; j++) t += -v[i * n + j] * g[j];
            p[i] = t;
        }
        for (Py_ssize_t i = 0; i < n; i++) slope += g[i] * p[i];
        if (!isfinite(slope)) break;
        if (!(slope < 0)) {
            diag_metric(n, g2, gstep, o.errordef, v);
            slope = 0.0;
            for (Py_ssize_t i = 0; i < n; i++) {
                double t = 0.0;
                for (Py_ssize_t j = 0; j < n; j++) t += -v[i * n + j] * g[j];
                p[i] = t;
            }
            for (Py_ssize_t i = 0; i < n; i++) slope += g[i] * p[i];
            if (!(slope < 0)) break;
        }
        double alpha = 0.0, fnew = 0.0;
        int rc = line_search(&F, n, x, fval, p, slope, xt, &alpha, &fnew);
        if (rc == 1) {
            status = 1;
            break;
        }
        if (rc < 0) goto rel3;
        if (alpha == 0.0) {
            stalled++;
            if (stalled >= 2) break;
            diag_metric(n, g2, gstep, o.errordef, v);
            edm = edm_of(n, g, v);
            continue;
        }
        stalled = 0;
        for (Py_ssize_t i = 0; i < n; i++) {
            s[i] = alpha * p[i];
            xnew[i] = x[i] + s[i];
        }
        memcpy(nh, gstep, (size_t)n * sizeof(double));
        for (Py_ssize_t i = 0; i < n; i++)
            if (!(nh[i] > 0 && nh[i] < INFINITY)) nh[i] = 0.1;
        /* no hmax (inf): vy holds it until bfgs overwrites it */
        for (Py_ssize_t i = 0; i < n; i++) vy[i] = INFINITY;
        rc = grad_core(&F, n, xnew, fnew, nh, vy, &o, 1, gnew, ng2, nhu, nfp, nfm, xw, todo,
                       &nfcn);
        if (rc == 1) {
            status = 1;
            break;
        }
        if (rc < 0) goto rel3;
        ngrad++;
        memcpy(g2prev, g2, (size_t)n * sizeof(double));
        memcpy(gstep, nh, (size_t)n * sizeof(double));
        memcpy(g2, ng2, (size_t)n * sizeof(double));
        memcpy(sx, xnew, (size_t)n * sizeof(double));
        memcpy(hused, nhu, (size_t)n * sizeof(double));
        memcpy(fp, nfp, (size_t)n * sizeof(double));
        memcpy(fm, nfm, (size_t)n * sizeof(double));
        for (Py_ssize_t i = 0; i < n; i++) y[i] = gnew[i] - g[i];
        memcpy(vprev, v, (size_t)(n * n) * sizeof(double));
        has_vprev = 1;
        if (bfgs(n, v, s, y, vy, vn)) {
            memcpy(v, vn, (size_t)(n * n) * sizeof(double));
        } else if (alpha > 1.0) {
            for (Py_ssize_t i = 0; i < n * n; i++) v[i] = alpha * v[i];
        }
        memcpy(g, gnew, (size_t)n * sizeof(double));
        edm = edm_of(n, g, v);
        if (edm < 0) {
            diag_metric(n, g2, gstep, o.errordef, v);
            edm = edm_of(n, g, v);
            has_vprev = 0;
        }
        memcpy(x, xnew, (size_t)n * sizeof(double));
        fval = fnew;
    }
    res = Py_BuildValue("ldili", niter, fval, has_vprev, ngrad, status);
rel3:
    for (int k = 0; k < nb; k++) PyBuffer_Release(&bs[k]);
    PyBuffer_Release(&bvp);
rel2:
    PyBuffer_Release(&bv);
rel1:
    PyBuffer_Release(&bg);
rel0:
    PyBuffer_Release(&bx);
    PyMem_Free(work);
    PyMem_Free(todo);
    return res;
}

/* --------------------------------------------------------------- hesse ---------- */

typedef struct {
    Fn *F;
    long long nfcn, limit;
} HCall;

/* hesse's call(): 0 (NaN as +inf), 2 its own call limit, 1 the counter's, -1 error */
static int hcall(HCall *H, const double *x, double *out) {
    if (H->nfcn >= H->limit) return 2;
    H->nfcn++;
    double v;
    int rc = fn_eval(H->F, x, &v);
    if (rc != 0) return rc;
    *out = isnan(v) ? INFINITY : v;
    return 0;
}

/* hesse._noise_check on component i; 0 or the hcall code */
static int noise_check(HCall *H, double *xw, const double *x, Py_ssize_t i, double fval,
                       double errordef, double *g2i, double *gi, double *fp, double *hi) {
    double sigma = pow(2.0 * errordef / fabs(*g2i), 0.5);
    while (4.0 * *hi <= 0.1 * sigma) {
        double h4 = 4.0 * *hi, a, b;
        int rc;
        xw[i] = x[i] + h4;
        rc = hcall(H, xw, &a);
        if (rc == 0) {
            xw[i] = x[i] - h4;
            rc = hcall(H, xw, &b);
        }
        xw[i] = x[i];
        if (rc != 0) return rc;
        if (!(isfinite(a) && isfinite(b))) break;
        double g2_4 = (a + b - 2.0 * fval) / (h4 * h4);
        if (g2_4 == 0) break;
        if (fabs(g2_4 - *g2i) <= 1e-3 * fabs(g2_4)) break;
        *g2i = g2_4;
        *gi = (a - b) / (2.0 * h4);
        *fp = a;
        *hi = h4;
        sigma = pow(2.0 * errordef / fabs(*g2i), 0.5);
    }
    return 0;
}

/* hesse(f, x, fval, h, rfp, rfm, g2prev, errordef, eps, strategy, ncyc, g2tol, ratio_ok,
   limit, out) -> (nfcn, status, index): steps 1, 1b and 2 of derivatives.hesse.hesse.
   h: the first steps (reused.h when reusing); rfp, rfm: the reused F(x +- h e_i) or None;
   g2prev: the reused state's g2_prev or None. out (writable, 4 n + n^2): g, g2, fplus,
   gstep, then the matrix. status 0: done; 1: a second derivative is zero or not finite
   (index: the first); 2: the call limit. */
static PyObject *hesse(PyObject *self, PyObject *args) {
    PyObject *f, *xo, *ho, *rfpo, *rfmo, *g2po, *outo;
    double fval, errordef, eps, g2tol, ratio_ok;
    int strategy, ncyc;
    long long limit;
    if (!PyArg_ParseTuple(args, "OOdOOOOddiiddLO", &f, &xo, &fval, &ho, &rfpo, &rfmo, &g2po,
                          &errordef, &eps, &strategy, &ncyc, &g2tol, &ratio_ok, &limit,
                          &outo))
        return NULL;
    Py_buffer bx, bh, bfp, bfm, bgp, bo;
    int hx = 0, hh = 0, hfp = 0, hfm = 0, hgp = 0, ho_ = 0;
    PyObject *res = NULL;
    double *xw = NULL;
    if (get_f64(xo, &bx, -1, 0, "x") < 0) return NULL;
    hx = 1;
    Py_ssize_t n = bx.len / 8;
    if (get_f64(ho, &bh, n, 1, "h") < 0) goto done;
    hh = 1;
    int reuse = rfpo != Py_None;
    if (reuse) {
        if (get_f64(rfpo, &bfp, n, 0, "fplus") < 0) goto done;
        hfp = 1;
        if (get_f64(rfmo, &bfm, n, 0, "fminus") < 0) goto done;
        hfm = 1;
    }
    if (g2po != Py_None) {
        if (get_f64(g2po, &bgp, n, 0, "g2_prev") < 0) goto done;
        hgp = 1;
    }
    if (get_f64(outo, &bo, 4 * n + n * n, 1, "out") < 0) goto done;
    ho_ = 1;
    Fn F;
    if (fn_from(f, xo, n, &F) < 0) goto done;
    xw = PyMem_Malloc((size_t)(n + 1) * sizeof(double));
    if (xw == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    const double *x = bx.buf, *rfp = hfp ? bfp.buf : NULL, *rfm = hfm ? bfm.buf : NULL,
                 *g2prev = hgp ? bgp.buf : NULL;
    double *h = bh.buf, *out = bo.buf;
    double *g = out, *g2 = out + n, *fplus = out + 2 * n, *gstep = out + 3 * n,
           *hm = out + 4 * n;
    double aimsag, eps2;
    aimsag_of(fval, errordef, eps, &aimsag, &eps2);
    HCall H = {&F, 0, limit};
    int rc = 0;
    Py_ssize_t bad = -1;
    memcpy(xw, x, (size_t)n * sizeof(double));
    for (Py_ssize_t i = 0; i < n; i++) {
        g[i] = g2[i] = fplus[i] = 0.0;
        gstep[i] = h[i];
    }
    for (Py_ssize_t i = 0; i < n && rc == 0; i++) {
        double prev = NAN, fp, fm;
        int cyc = 0, halvings = 0, reuse_i = 0;
        while (cyc < ncyc) {
            if (cyc == 0 && halvings == 0 && reuse && isfinite(rfp[i]) && isfinite(rfm[i])) {
                fp = rfp[i];
                fm = rfm[i];
                reuse_i = 1;
            } else {
                xw[i] = x[i] + h[i];
                rc = hcall(&H, xw, &fp);
                if (rc == 0) {
                    xw[i] = x[i] - h[i];
                    rc = hcall(&H, xw, &fm);
                }
                xw[i] = x[i];
                if (rc != 0) break;
                reuse_i = 0;
            }
            if (!(isfinite(fp) && isfinite(fm))) {
                h[i] *= 0.5;
                g2[i] = NAN;
                halvings++;
                if (halvings > 30) break;
                continue;
            }
            cyc++;
            double hi = h[i];
            double d2 = fp + fm - 2.0 * fval;
            double g2i = fabs(d2) > 8.0 * eps * (fabs(fp) + fabs(fm)) ? d2 / (hi * hi) : 0.0;
            g[i] = (fp - fm) / (2.0 * hi);
            g2[i] = g2i;
            fplus[i] = fp;
            gstep[i] = hi;
            if (g2i == 0.0) {
                if (cyc < ncyc) h[i] *= 10.0;
                continue;
            }
            double hn = py_max(fabs(g2i) > 1e-300 ? pow(2.0 * aimsag / fabs(g2i), 0.5) : hi,
                               8.0 * eps2 * (fabs(x[i]) + eps2));
            int stable = isfinite(prev) && fabs(g2i - prev) <= g2tol * fabs(g2i);
            double r = hn / hi;
            if (stable || (1.0 / ratio_ok < r && r < ratio_ok)) break;
            prev = g2i;
            if (cyc < ncyc) h[i] = hn;
        }
        if (rc != 0) break;
        if (strategy >= 1 && g2[i] != 0 && fabs(g2[i]) < INFINITY &&
            !(reuse_i && g2prev != NULL && fabs(g2prev[i] - g2[i]) <= 1e-6 * g2[i]))
            rc = noise_check(&H, xw, x, i, fval, errordef, &g2[i], &g[i], &fplus[i],
                             &gstep[i]);
    }
    int status = 0;
    if (rc == 2) {
        status = 2;
        rc = 0;
    } else if (rc == 0) {
        for (Py_ssize_t i = 0; i < n; i++)
            if (g2[i] == 0 || !isfinite(g2[i])) {
                bad = i;
                status = 1;
                break;
            }
        if (status == 0) {
            for (Py_ssize_t i = 0; i < n * n; i++) hm[i] = 0.0;
            for (Py_ssize_t i = 0; i < n; i++) hm[i * n + i] = g2[i];
            for (Py_ssize_t i = 0; i < n && rc == 0; i++)
                for (Py_ssize_t j = i + 1; j < n; j++) {
                    double fij;
                    xw[i] = x[i] + gstep[i];
                    xw[j] = x[j] + gstep[j];
                    rc = hcall(&H, xw, &fij);
                    xw[i] = x[i];
                    xw[j] = x[j];
                    if (rc != 0) break;
                    double v = (fij - fplus[i] - fplus[j] + fval) / (gstep[i] * gstep[j]);
                    hm[i * n + j] = hm[j * n + i] = isfinite(v) ? v : 0.0;
                }
            if (rc == 2) {
                status = 2;
                rc = 0;
            }
        }
    }
    if (rc == 1) limit_error(&F);
    else if (rc == 0) res = Py_BuildValue("Lin", H.nfcn, status, bad);
done:
    PyMem_Free(xw);
    if (hx) PyBuffer_Release(&bx);
    if (hh) PyBuffer_Release(&bh);
    if (hfp) PyBuffer_Release(&bfp);
    if (hfm) PyBuffer_Release(&bfm);
    if (hgp) PyBuffer_Release(&bgp);
    if (ho_) PyBuffer_Release(&bo);
    return res;
}

static PyMethodDef methods[] = {
    {"gradient", gradient, METH_VARARGS,
     "MINUIT's numerical gradient with step control (see the module source)."},
    {"iterate", iterate, METH_VARARGS,
     "MIGRAD's variable-metric iterations on arrays updated in place (module source)."},
    {"hesse", hesse, METH_VARARGS,
     "HESSE's second derivatives from function values (see the module source)."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_migrad",
                                    "Compiled MIGRAD inner loop for plain Python costs.", -1,
                                    methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__migrad(void) {
    if (PyType_Ready(&CostType) < 0 || PyType_Ready(&CountedType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL) return NULL;
    Py_INCREF(&CostType);
    Py_INCREF(&CountedType);
    if (PyModule_AddObject(m, "Cost", (PyObject *)&CostType) < 0 ||
        PyModule_AddObject(m, "Counted", (PyObject *)&CountedType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
