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
 * Objects (_mn_calls.h):
 *   Cost(fcn, full, idx, lo, hi, array_call, as_float, onerror): the free-parameter cost
 *     F(u) of thetahat.minuit._problem.Problem.__call__ (transform, call, count in .n;
 *     a return value that is not a float goes through as_float; an Exception raised by
 *     fcn goes through onerror(exc, x_external), which raises it with a note; any other
 *     BaseException, e.g. KeyboardInterrupt, propagates unchanged).
 *   Counted(fcn, limit, limit_exc, like): the call counter of thetahat.solvers.migrad
 *     (_Counted): NaN -> +inf, raises limit_exc once .n reaches limit; ``like`` is a
 *     float64 array of the point's size, copied for the argument of a generic fcn.
 * Functions (the loops in _mn_steps.h):
 *   gradient(f, x, fval, h0, hmax, errordef, eps, ratio_ok, sigma_frac, cycles, out)
 *     -> nfcn: mn_gradient.gradient_full; out (6 n, writable) receives the rows
 *     g, g2, gstep, h used, F(x + h e_i), F(x - h e_i).
 *   hesse(f, x, fval, h, fplus, fminus, g2_prev, errordef, eps, strategy, cycles, g2tol,
 *     ratio_ok, limit, out) -> (nfcn, status, index): steps 1, 1b, 2 of
 *     derivatives.hesse.hesse (status 1: a second derivative zero or not finite, 2: the
 *     call limit); make_posdef and the inverse stay numpy's (from_matrix).
 *   migrad(f, x, fval, step, g, v, ...) -> flags: solvers.migrad.migrad after its first
 *     call, for a cost without an analytic gradient (see the function's comment): the
 *     seed, the iterations, HESSE and its positive-definite check, the final step; the
 *     rare branches (a matrix forced positive definite, the saddle escape) call back into
 *     the numpy twin's functions.
 * One translation unit: _migrad.c includes the two headers.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include "structmember.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "_mn_calls.h"
#include "_mn_steps.h"

#define HESSE_LAG_EDM 1e-12 /* solvers/migrad.py HESSE_LAG_EDM */

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


/* ---------------------------------------------------------- Python API ---------- */

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
    if (rfpo != Py_None) {
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
    if ((xw = PyMem_Malloc((size_t)(n + 1) * sizeof(double))) == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    double *out = bo.buf;
    long long nfcn = 0;
    int status;
    Py_ssize_t bad;
    int rc = hesse_core(&F, n, bx.buf, fval, bh.buf, hfp ? bfp.buf : NULL,
                        hfm ? bfm.buf : NULL, hgp ? bgp.buf : NULL, errordef, eps, strategy,
                        ncyc, g2tol, ratio_ok, limit, out, out + n, out + 2 * n, out + 3 * n,
                        out + 4 * n, xw, &nfcn, &status, &bad);
    if (rc == 1) limit_error(&F);
    else if (rc == 0) res = Py_BuildValue("Lin", nfcn, status, bad);
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


/* a callback's exception: 1 when it is the counter's call limit (cleared), else -1 */
static int callback_error(Fn *F) {
    if (PyErr_ExceptionMatches(F->counted->limit_exc)) {
        PyErr_Clear();
        return 1;
    }
    return -1;
}

/* migrad.final_step on (x, fval, g, V, edm): 0 and *taken, 1 limit, -1 exception; the
   new point in x1, F there in *f1 and the EDM left in *edm1 when taken */
static int final_step(Fn *F, Py_ssize_t n, const double *x, double fval, const double *g,
                      const double *v, double edm, double eps, double *x1, double *f1,
                      double *edm1, int *taken) {
    *taken = 0;
    if (!(isfinite(edm) && edm > 16.0 * eps * (fabs(fval) + 1.0))) return 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        double t = 0.0;
        for (Py_ssize_t j = 0; j < n; j++) t += v[i * n + j] * g[j];
        if (!isfinite(-t)) return 0;
        x1[i] = x[i] + -t;
    }
    double fn;
    int rc = fn_eval(F, x1, &fn);
    if (rc != 0) return rc;
    if (!(fn < fval)) return 0;
    *f1 = fn;
    *edm1 = fabs(edm - (fval - fn));
    *taken = 1;
    return 0;
}

typedef struct { /* HESSE's outcome in the driver */
    double *g, *g2, *fplus, *gstep, *hm, *hinv, *h;
    int failed, made, saddle;
    PyObject *message; /* on failure: "HESSE failed: ..." (new reference) */
} HOut;

/* HESSE at x from the state S (known=state), then make_posdef and the inverse (the common
   case here, the rest through slow); 0, 1 (limit), -1 */
static int driver_hesse(Fn *F, Py_ssize_t n, const double *x, double fval, State *S,
                        double errordef, double eps, int strategy, int hcyc, double g2tol,
                        double ratio_ok, PyObject *slow, PyObject *likev, HOut *O,
                        double *scr) {
    int reuse = S->at_x;
    for (Py_ssize_t i = 0; i < n && reuse; i++) reuse = S->x[i] == x[i];
    for (Py_ssize_t i = 0; i < n; i++) {
        double v = reuse ? S->h[i] : S->gstep[i];
        O->h[i] = reuse || (isfinite(v) && v > 0) ? v : 0.1;
    }
    long long nf;
    int status;
    Py_ssize_t bad;
    double *xw = scr, *L = scr + n, *Sm = L + n * n, *d = Sm + n * n;
    int rc = hesse_core(F, n, x, fval, O->h, reuse ? S->fp : NULL, reuse ? S->fm : NULL,
                        reuse ? S->g2prev : NULL, errordef, eps, strategy, hcyc, g2tol,
                        ratio_ok, (long long)1 << 62, O->g, O->g2, O->fplus, O->gstep, O->hm,
                        xw, &nf, &status, &bad);
    if (rc != 0) return rc;
    O->failed = O->made = O->saddle = 0;
    Py_CLEAR(O->message);
    if (status == 1 || status == 2) {
        O->failed = 1;
        O->message = status == 2 ? PyUnicode_FromString("HESSE failed: call limit reached")
                     : PyUnicode_FromFormat("HESSE failed: second derivative of parameter %zd "
                                            "is %s", bad, O->g2[bad] == 0 ? "zero" : "not finite");
        return O->message == NULL ? -1 : 0;
    }
    double noise = rounding_noise(n, O->g2, O->gstep, fval, errordef, eps);
    if (clearly_posdef(n, O->hm, noise, Sm, L, d)) {
        if (!spd_inverse(n, O->hm, L, O->hinv, d)) {
            O->failed = 1;
            O->message = PyUnicode_FromString(
                "HESSE failed: matrix of second derivatives is singular");
            return O->message == NULL ? -1 : 0;
        }
        return 0;
    }
    PyObject *a[5] = {new_array(likev, O->hm, n * n), new_array(F->like, O->g, n),
                      new_array(F->like, O->g2, n), new_array(F->like, O->gstep, n),
                      PyFloat_FromDouble(noise)};
    PyObject *r = a[0] && a[1] && a[2] && a[3] && a[4] ? PyObject_Vectorcall(slow, a, 5, NULL)
                                                       : NULL;
    for (int k = 0; k < 5; k++) Py_XDECREF(a[k]);
    if (r == NULL) return callback_error(F);
    PyObject *msg, *hinv;
    int failed, made, saddle;
    if (!PyArg_ParseTuple(r, "pOpOp", &failed, &msg, &made, &hinv, &saddle)) {
        Py_DECREF(r);
        return -1;
    }
    O->failed = failed;
    if (failed) {
        O->message = PyUnicode_FromFormat("HESSE failed: %U", msg);
        Py_DECREF(r);
        return O->message == NULL ? -1 : 0;
    }
    O->made = made;
    O->saddle = saddle;
    Py_buffer b;
    rc = get_f64(hinv, &b, n * n, 0, "hess_inv");
    if (rc == 0) {
        memcpy(O->hinv, b.buf, (size_t)(n * n) * sizeof(double));
        PyBuffer_Release(&b);
    }
    Py_DECREF(r);
    return rc;
}

static PyObject *migrad(PyObject *self, PyObject *args) {
    PyObject *f, *xo, *so, *go, *vo, *slow, *escape;
    double fval, errordef, goal, eps, eps_final, ratio_ok, g2tol;
    int strategy, iter_max, cycles0, hcyc;
    if (!PyArg_ParseTuple(args, "OOdOOOddiidddiidOO", &f, &xo, &fval, &so, &go, &vo,
                          &errordef, &goal, &strategy, &iter_max, &eps, &eps_final,
                          &ratio_ok, &cycles0, &hcyc, &g2tol, &slow, &escape))
        return NULL;
    if (!PyObject_TypeCheck(f, &CountedType)) {
        PyErr_SetString(PyExc_TypeError, "migrad needs a Counted function");
        return NULL;
    }
    Py_buffer bx, bs, bg, bv;
    if (get_f64(xo, &bx, -1, 1, "x") < 0) return NULL;
    Py_ssize_t n = bx.len / 8;
    PyObject *res = NULL, *message = NULL;
    double *mem = NULL, *wmem = NULL;
    Work W = {0};
    HOut O = {0};
    int nbuf = 1;
    if (get_f64(so, &bs, n, 0, "step") < 0) goto done;
    nbuf++;
    if (get_f64(go, &bg, n, 1, "g") < 0) goto done;
    nbuf++;
    if (get_f64(vo, &bv, n * n, 1, "v") < 0) goto done;
    nbuf++;
    Fn F;
    if (fn_from(f, xo, n, &F) < 0) goto done;
    /* state 7 n, HESSE 5 n + 2 n^2, vprev, vhesse n^2 each, x1, g1, s1 3 n, scratch
       2 n + 2 n^2 */
    mem = PyMem_Calloc((size_t)(17 * n + 6 * n * n + 1), sizeof(double));
    if (mem == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if ((wmem = work_new(n, &W)) == NULL) goto done;
    double *x = bx.buf, *g = bg.buf, *v = bv.buf, *m = mem;
    State S = {m, m + n, m + 2 * n, m + 3 * n, m + 4 * n, m + 5 * n, m + 6 * n, 0};
    m += 7 * n;
    O.g = m, O.g2 = m + n, O.fplus = m + 2 * n, O.gstep = m + 3 * n, O.h = m + 4 * n;
    m += 5 * n;
    O.hm = m, O.hinv = m + n * n;
    m += 2 * n * n;
    double *vprev = m, *vhesse = m + n * n;
    m += 2 * n * n;
    double *x1 = m, *g1 = m + n, *s1 = m + 2 * n;
    m += 3 * n;
    double *scr = m; /* 2 n + 2 n^2 */
    size_t b = (size_t)n * sizeof(double);
    double edm = INFINITY;
    int call_limit = 0, hfail = 0, made = 0, accurate = 0, moved = 0, saddle = 0, flat = 0,
        unbounded = 0;
    long niter = 0;
    int rc = 0;
    memcpy(S.gstep, bs.buf, b); /* g2 = 0: the first gradient tunes the steps */
    GradOpts o0 = {errordef, eps, ratio_ok, strategy < 2 ? 0.5 : 0.0};
    GradOpts o1 = {errordef, eps, ratio_ok, 0.0};
    if ((rc = state_gradient(&F, n, x, fval, &S, &o0, cycles0, g, &W)) != 0) goto end;
    flat = 1;
    for (Py_ssize_t i = 0; i < n; i++) flat = flat && S.g2[i] == 0;
    for (Py_ssize_t i = 0; i < n; i++) flat = flat && g[i] == 0;
    diag_metric(n, S.g2, S.gstep, errordef, v);
    if (strategy >= 2) {
        if ((rc = driver_hesse(&F, n, x, fval, &S, errordef, eps, strategy, hcyc, g2tol,
                               ratio_ok, slow, vo, &O, scr)) != 0)
            goto end;
        if (!O.failed) {
            memcpy(v, O.hinv, b * n);
            memcpy(S.gstep, O.gstep, b);
            memcpy(S.g2, O.g2, b);
            S.at_x = 0;
        }
    }
    edm = edm_of(n, g, v);
    int attempts = 0, have_vhesse = 0;
    for (;;) {
        int has_vprev = 0;
        long k = 0;
        rc = iterate_core(&F, n, x, &fval, g, v, vprev, &has_vprev, goal, &o1, &S, &k, &W);
        edm = edm_of(n, g, v);
        if (rc == 3) { /* F unbounded below: no HESSE, no final step */
            niter += k;
            unbounded = 1;
            rc = 0;
            goto end;
        }
        if (rc != 0) goto end;
        niter += k;
        attempts++;
        if (strategy == 0) break;
        if (have_vhesse && edm < goal &&
            py_min(has_vprev ? dcovar(n, v, vprev, scr) : INFINITY,
                   dcovar(n, v, vhesse, scr)) < 0.05)
            break; /* a few updates of HESSE's matrix: it is still accurate */
        if ((rc = driver_hesse(&F, n, x, fval, &S, errordef, eps, strategy, hcyc, g2tol,
                               ratio_ok, slow, vo, &O, scr)) != 0)
            goto end;
        if (O.failed) {
            hfail = 1;
            Py_INCREF(O.message);
            Py_XSETREF(message, O.message);
            if (attempts >= iter_max) break;
            diag_metric(n, S.g2, S.gstep, errordef, v); /* from the diagonal metric */
            have_vhesse = 0;
            continue;
        }
        hfail = 0;
        memcpy(v, O.hinv, b * n);
        memcpy(vhesse, O.hinv, b * n);
        have_vhesse = !O.made; /* a forced matrix is no reference (migrad.py) */
        made = O.made;
        saddle = O.saddle;
        accurate = !made;
        memcpy(g, O.g, b);
        memcpy(S.gstep, O.gstep, b);
        memcpy(S.g2, O.g2, b);
        S.at_x = 0;
        edm = edm_of(n, g, v);
        if ((edm < goal && !made) || attempts >= iter_max) break;
        if (made) {
            PyObject *a[4] = {new_array(xo, x, n), NULL, new_array(xo, g, n),
                              new_array(vo, O.hm, n * n)};
            PyObject *r = NULL;
            if ((a[1] = PyFloat_FromDouble(fval)) && a[0] && a[2] && a[3]) {
                PyObject *ed = PyFloat_FromDouble(errordef);
                if (ed != NULL) {
                    PyObject *call[6] = {f, a[0], a[1], a[2], a[3], ed};
                    r = PyObject_Vectorcall(escape, call, 6, NULL);
                    Py_DECREF(ed);
                }
            }
            for (int j = 0; j < 4; j++) Py_XDECREF(a[j]);
            if (r == NULL) {
                rc = callback_error(&F);
                goto end;
            }
            if (r != Py_None) { /* left a saddle point downhill */
                PyObject *xe, *fe;
                Py_buffer be;
                if (!PyArg_ParseTuple(r, "OO", &xe, &fe) || get_f64(xe, &be, n, 0, "x") < 0) {
                    Py_DECREF(r);
                    rc = -1;
                    goto end;
                }
                memcpy(x, be.buf, b);
                PyBuffer_Release(&be);
                fval = PyFloat_AsDouble(fe);
                Py_DECREF(r);
                if (fval == -1.0 && PyErr_Occurred()) {
                    rc = -1;
                    goto end;
                }
                if ((rc = state_gradient(&F, n, x, fval, &S, &o1, 1, g, &W)) != 0) goto end;
                edm = edm_of(n, g, v);
            } else {
                Py_DECREF(r);
            }
        }
    }
    if (!(hfail || made)) {
        double f1 = fval, edm1 = edm;
        int taken;
        if ((rc = final_step(&F, n, x, fval, g, v, edm, eps_final, x1, &f1, &edm1, &taken)))
            goto end;
        if (strategy == 0 && taken) {
            /* no HESSE: one gradient at the new point, the update, one more step */
            if ((rc = state_gradient(&F, n, x1, f1, &S, &o1, 1, g1, &W)) != 0) goto end;
            for (Py_ssize_t i = 0; i < n; i++) {
                s1[i] = x1[i] - x[i];
                W.y[i] = g1[i] - g[i];
            }
            if (bfgs(n, v, s1, W.y, W.vy, W.vn)) memcpy(v, W.vn, b * n);
            memcpy(x, x1, b);
            memcpy(g, g1, b);
            fval = f1;
            edm = edm_of(n, g, v);
            edm1 = edm;
            if ((rc = final_step(&F, n, x, fval, g, v, edm, eps_final, x1, &f1, &edm1,
                                 &taken)))
                goto end;
        }
        /* a step below HESSE_LAG_EDM errordef moved every parameter by at most 1e-6 of
           its error (|p_i| <= sigma_i sqrt(EDM / errordef)): V stays HESSE's at x */
        moved = taken && edm > HESSE_LAG_EDM * errordef;
        if (taken) memcpy(x, x1, b);
        fval = taken ? f1 : fval;
        edm = taken ? edm1 : edm;
    }
end:
    if (rc == 1) {
        call_limit = 1;
        Py_XSETREF(message, PyUnicode_FromString("call limit reached"));
        if (message == NULL) goto done;
    } else if (rc < 0) {
        goto done;
    }
    res = Py_BuildValue("ddliiiiiiiiO", fval, edm, niter, call_limit, hfail, made, accurate,
                        moved, saddle, flat, unbounded, message ? message : Py_None);
done:
    Py_XDECREF(message);
    Py_XDECREF(O.message);
    PyMem_Free(mem);
    PyMem_Free(wmem);
    PyMem_Free(W.todo);
    PyBuffer_Release(&bx);
    if (nbuf > 1) PyBuffer_Release(&bs);
    if (nbuf > 2) PyBuffer_Release(&bg);
    if (nbuf > 3) PyBuffer_Release(&bv);
    return res;
}

static PyMethodDef methods[] = {
    {"gradient", gradient, METH_VARARGS,
     "MINUIT's numerical gradient with step control (see the module source)."},
    {"hesse", hesse, METH_VARARGS,
     "HESSE's second derivatives from function values (see the module source)."},
    {"migrad", migrad, METH_VARARGS,
     "MIGRAD after its first call, for a cost without a gradient (module source)."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_migrad",
                                    "Compiled MIGRAD and HESSE for plain Python costs.", -1,
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
