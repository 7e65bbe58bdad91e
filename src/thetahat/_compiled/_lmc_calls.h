/* The calls of the user's model for the compiled curve_fit LM (_lmcore.c, whose comment
   gives the interface): the model and its data, r = (f(xdata, *p) - y) * w (or the
   Cholesky-whitened form), the forward-difference and user Jacobians, and a dot product.
   Included once, by _lmcore.c. */
#ifndef LMC_CALLS_H
#define LMC_CALLS_H


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

#endif
