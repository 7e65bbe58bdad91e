/* Shared helpers of the compiled L-BFGS-B and Nelder-Mead: Python's min/max, the
   four-sum dot product, np.clip, and calling the user's function with a fresh array.
   Included once, by _minimize.c (whose comment gives the interface). */
#ifndef MIN_CALLS_H
#define MIN_CALLS_H

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

#endif /* MIN_CALLS_H */
