/* Calling the user's function from C: Cost, Counted, Fn (see _migrad.c). */
#ifndef MN_CALLS_H
#define MN_CALLS_H

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

/* a failed call of the counter: an OverflowError at any call after the first (the start,
   which the caller evaluates first) is a point of infinite cost, 0 and *out = +inf (as
   _Counted in solvers/migrad.py); any other exception, or one at the start, -1 */
static int counted_error(CountedObject *C, double *out) {
    if (C->n > 1 && PyErr_ExceptionMatches(PyExc_OverflowError)) {
        PyErr_Clear();
        *out = INFINITY;
        return 0;
    }
    return -1;
}

/* 0 and *out (NaN as +inf), 1 when the call limit is reached, -1 with an exception */
static int counted_eval(CountedObject *C, const double *u, double *out) {
    if (C->n >= C->limit) return 1;
    C->n++;
    double v;
    if (C->cost != NULL) {
        if (cost_eval(C->cost, u, &v) < 0) return counted_error(C, out);
    } else {
        PyObject *a = new_array(C->like, u, C->size);
        if (a == NULL) return -1;
        PyObject *r = PyObject_Vectorcall(C->fcn, &a, 1, NULL);
        Py_DECREF(a);
        if (r == NULL) return counted_error(C, out);
        v = PyFloat_AsDouble(r); /* float(r) */
        Py_DECREF(r);
        if (v == -1.0 && PyErr_Occurred()) return counted_error(C, out);
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
    .tp_doc = "fcn(x) counted, NaN (and an OverflowError after the first call) as +inf, "
               "with a call limit (see the module source).",
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

#endif
