/* The loops of MINUIT's gradient, MIGRAD's iterations and HESSE (see _migrad.c). */
#ifndef MN_STEPS_H
#define MN_STEPS_H

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
        } else { /* the parabola's limit as fa -> inf: a minimum at 0, clipped */
            anew = CLIP * alpha;
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


/* the state of the last gradient (mn_gradient.GradState): steps, g2, the point, the steps
   used, F(x +- h e_i) and the g2 of the evaluation before */
typedef struct {
    double *gstep, *g2, *x, *h, *fp, *fm, *g2prev;
    int at_x; /* x, h, fp, fm hold a gradient evaluation (GradState.x is not None) */
} State;

/* scratch of the iterations: p, s, xnew, xt, gnew, y, vy, xw, a new state (5 n), V (n^2) */
typedef struct {
    double *p, *s, *xnew, *xt, *gnew, *y, *vy, *xw, *nh, *ng2, *nhu, *nfp, *nfm, *vn;
    Py_ssize_t *todo;
} Work;

static double *work_new(Py_ssize_t n, Work *W) {
    double *b = PyMem_Calloc((size_t)(13 * n + n * n + 1), sizeof(double));
    W->todo = PyMem_Calloc((size_t)(n + 1), sizeof(Py_ssize_t));
    if (b == NULL || W->todo == NULL) {
        PyMem_Free(b);
        PyMem_Free(W->todo);
        PyErr_NoMemory();
        return NULL;
    }
    double **slot[] = {&W->p, &W->s, &W->xnew, &W->xt, &W->gnew, &W->y, &W->vy, &W->xw,
                       &W->nh, &W->ng2, &W->nhu, &W->nfp, &W->nfm};
    for (int k = 0; k < 13; k++) *slot[k] = b + k * n;
    W->vn = b + 13 * n;
    return b;
}

/* gradient_full at x (one cycle or `cycles`) from state S, committed to S on success */
static int state_gradient(Fn *F, Py_ssize_t n, const double *x, double fval, State *S,
                          const GradOpts *o, int cycles, double *g, Work *W) {
    long nf = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        double v = S->gstep[i];
        W->nh[i] = (v > 0 && v < INFINITY) ? v : 0.1;
        W->vy[i] = INFINITY; /* no hmax */
    }
    int rc = grad_core(F, n, x, fval, W->nh, W->vy, o, cycles, W->gnew, W->ng2, W->nhu,
                       W->nfp, W->nfm, W->xw, W->todo, &nf);
    if (rc != 0) return rc;
    size_t b = (size_t)n * sizeof(double);
    memcpy(S->g2prev, S->g2, b);
    memcpy(S->gstep, W->nh, b);
    memcpy(S->g2, W->ng2, b);
    memcpy(S->x, x, b);
    memcpy(S->h, W->nhu, b);
    memcpy(S->fp, W->nfp, b);
    memcpy(S->fm, W->nfm, b);
    memcpy(g, W->gnew, b);
    S->at_x = 1;
    return 0;
}

static void neg_v_g(Py_ssize_t n, const double *v, const double *g, double *p) {
    for (Py_ssize_t i = 0; i < n; i++) {
        double t = 0.0;
        for (Py_ssize_t j = 0; j < n; j++) t += -v[i * n + j] * g[j];
        p[i] = t;
    }
}

/* migrad._iterate on the current point (x, fval, g, V, and V before the last update);
   0, 1 (call limit: the arrays hold the last accepted point), -1 (exception) */
/* migrad.py _UNBOUNDED_ALPHA, _UNBOUNDED_RUNS; iterate_core returns 3 for them */
#define UNBOUNDED_ALPHA 64.0
#define UNBOUNDED_RUNS 3

static int iterate_core(Fn *F, Py_ssize_t n, double *x, double *fval, double *g, double *v,
                        double *vprev, int *has_vprev, double goal, const GradOpts *o,
                        State *S, long *niter, Work *W) {
    double edm = edm_of(n, g, v);
    int stalled = 0, downhill = 0, rc;
    size_t b = (size_t)n * sizeof(double);
    while (edm >= goal) {
        ++*niter;
        double slope = 0.0;
        neg_v_g(n, v, g, W->p);
        for (Py_ssize_t i = 0; i < n; i++) slope += g[i] * W->p[i];
        if (!isfinite(slope)) break;
        if (!(slope < 0)) {
            diag_metric(n, S->g2, S->gstep, o->errordef, v);
            neg_v_g(n, v, g, W->p);
            slope = 0.0;
            for (Py_ssize_t i = 0; i < n; i++) slope += g[i] * W->p[i];
            if (!(slope < 0)) break;
        }
        double alpha = 0.0, fnew = 0.0;
        if ((rc = line_search(F, n, x, *fval, W->p, slope, W->xt, &alpha, &fnew)) != 0)
            return rc;
        if (alpha == 0.0) {
            if (++stalled >= 2) break;
            diag_metric(n, S->g2, S->gstep, o->errordef, v);
            edm = edm_of(n, g, v);
            continue;
        }
        stalled = 0;
        for (Py_ssize_t i = 0; i < n; i++) {
            W->s[i] = alpha * W->p[i];
            W->xnew[i] = x[i] + W->s[i];
        }
        double *gold = W->y; /* y = gnew - g, with g kept until the state is committed */
        memcpy(gold, g, b);
        if ((rc = state_gradient(F, n, W->xnew, fnew, S, o, 1, g, W)) != 0) {
            memcpy(g, gold, b);
            return rc;
        }
        for (Py_ssize_t i = 0; i < n; i++) W->y[i] = g[i] - gold[i];
        memcpy(vprev, v, b * n);
        *has_vprev = 1;
        int concave = !bfgs(n, v, W->s, W->y, W->vy, W->vn);
        if (!concave) memcpy(v, W->vn, b * n);
        else if (alpha > 1.0)
            for (Py_ssize_t i = 0; i < n * n; i++) v[i] = alpha * v[i];
        /* F unbounded below (migrad.py _iterate): concave steps at the farthest
           extrapolation, F still falling, UNBOUNDED_RUNS in a row */
        downhill = concave && alpha >= UNBOUNDED_ALPHA ? downhill + 1 : 0;
        if (downhill >= UNBOUNDED_RUNS) {
            memcpy(x, W->xnew, b);
            *fval = fnew;
            *has_vprev = 0;
            return 3;
        }
        edm = edm_of(n, g, v);
        if (edm < 0) {
            diag_metric(n, S->g2, S->gstep, o->errordef, v);
            edm = edm_of(n, g, v);
            *has_vprev = 0;
        }
        memcpy(x, W->xnew, b);
        *fval = fnew;
    }
    return 0;
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

/* steps 1, 1b and 2 of derivatives.hesse.hesse: h (in: first steps, changed), rfp/rfm the
   reused F(x +- h e_i) or NULL, g2prev the reused state's g2_prev or NULL; out g, g2,
   fplus, gstep, hm (n^2). *status 0: done, 1: a second derivative zero or not finite
   (*bad: the first), 2: the call limit. Returns 0, 1 (the counter's limit) or -1. */
static int hesse_core(Fn *F, Py_ssize_t n, const double *x, double fval, double *h,
                      const double *rfp, const double *rfm, const double *g2prev,
                      double errordef, double eps, int strategy, int ncyc, double g2tol,
                      double ratio_ok, long long limit, double *g, double *g2, double *fplus,
                      double *gstep, double *hm, double *xw, long long *nfcn, int *status,
                      Py_ssize_t *bad) {
    double aimsag, eps2;
    aimsag_of(fval, errordef, eps, &aimsag, &eps2);
    HCall H = {F, 0, limit};
    int rc = 0, reuse = rfp != NULL;
    *status = 0;
    *bad = -1;
    memcpy(xw, x, (size_t)n * sizeof(double));
    for (Py_ssize_t i = 0; i < n; i++) {
        g[i] = g2[i] = fplus[i] = 0.0;
        gstep[i] = h[i];
    }
    for (Py_ssize_t i = 0; i < n && rc == 0; i++) {
        double prev = NAN, fp, fm, hflat = 0.0; /* hflat: the largest step found flat */
        int cyc = 0, halvings = 0, reuse_i = 0;
        while (cyc < ncyc) {
            if (cyc == 0 && halvings == 0 && reuse && isfinite(rfp[i]) && isfinite(rfm[i])) {
                fp = rfp[i];
                fm = rfm[i];
                reuse_i = 1;
            } else {
                {   /* derivatives.hesse.exact_step: h = (|x| + h) - |x|, x +- h exact */
                    double a = fabs(x[i]), he = (a + h[i]) - a;
                    if (he > 0) h[i] = he;
                }
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
                h[i] *= 0.5; /* left the function's domain: a smaller step */
                g2[i] = NAN;
                if (++halvings > 30) break;
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
                hflat = py_max(hflat, hi);
                if (cyc < ncyc) h[i] *= 10.0; /* flat at this scale: look further out */
                continue;
            }
            /* not below a step found flat: F or x does not resolve it */
            double hn = py_max(
                py_max(fabs(g2i) > 1e-300 ? pow(2.0 * aimsag / fabs(g2i), 0.5) : hi,
                       8.0 * eps2 * (fabs(x[i]) + eps2)),
                10.0 * hflat);
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
    if (rc == 0) {
        for (Py_ssize_t i = 0; i < n; i++)
            if (g2[i] == 0 || !isfinite(g2[i])) {
                *bad = i;
                *status = 1;
                break;
            }
        if (*status == 0) {
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
        }
    }
    if (rc == 2) { /* hesse's own call limit */
        *status = 2;
        rc = 0;
    }
    *nfcn = H.nfcn;
    return rc;
}

/* Cholesky factor L (lower, row-major) of a; 0 when a is not positive definite as LAPACK's
   potrf sees it (a pivot <= 0 or NaN) or the last pivot is not finite (spd_inverse) */
static int cholesky(Py_ssize_t n, const double *a, double *L) {
    for (Py_ssize_t j = 0; j < n; j++) {
        double d = a[j * n + j];
        for (Py_ssize_t k = 0; k < j; k++) d -= L[j * n + k] * L[j * n + k];
        if (!(d > 0)) return 0;
        double ljj = sqrt(d);
        L[j * n + j] = ljj;
        for (Py_ssize_t i = j + 1; i < n; i++) {
            double t = a[i * n + j];
            for (Py_ssize_t k = 0; k < j; k++) t -= L[i * n + k] * L[j * n + k];
            L[i * n + j] = t / ljj;
        }
        for (Py_ssize_t i = 0; i < j; i++) L[i * n + j] = 0.0;
    }
    return isfinite(L[n * n - 1]);
}

/* _core.linalg.spd_inverse: a^-1 from its Cholesky factor, symmetrised; 0 if not SPD */
static int spd_inverse(Py_ssize_t n, const double *a, double *L, double *inv, double *col) {
    if (!cholesky(n, a, L)) return 0;
    for (Py_ssize_t c = 0; c < n; c++) {
        for (Py_ssize_t i = 0; i < n; i++) { /* L y = e_c */
            double t = i == c ? 1.0 : 0.0;
            for (Py_ssize_t k = 0; k < i; k++) t -= L[i * n + k] * col[k];
            col[i] = t / L[i * n + i];
        }
        for (Py_ssize_t i = n - 1; i >= 0; i--) { /* L' x = y */
            double t = col[i];
            for (Py_ssize_t k = i + 1; k < n; k++) t -= L[k * n + i] * col[k];
            col[i] = t / L[i * n + i];
        }
        for (Py_ssize_t i = 0; i < n; i++) inv[i * n + c] = col[i];
    }
    for (Py_ssize_t i = 0; i < n; i++)
        for (Py_ssize_t j = i + 1; j < n; j++)
            inv[i * n + j] = inv[j * n + i] = 0.5 * (inv[i * n + j] + inv[j * n + i]);
    return 1;
}

/* hesse.rounding_noise: 4 eps (|F| + errordef) sum_i 1 / (|g2_i| h_i^2), at least
   hesse.PSD_FLOOR = 1e-6, 0 if a term is not finite and positive */
static double rounding_noise(Py_ssize_t n, const double *g2, const double *h, double fval,
                             double errordef, double eps) {
    double s = 0.0;
    for (Py_ssize_t i = 0; i < n; i++) {
        double q = fabs(g2[i]) * h[i] * h[i];
        if (!(isfinite(q) && q > 0)) return 0.0;
        s += 1.0 / q;
    }
    double b = 4.0 * eps * (fabs(fval) + errordef) * s;
    return b > 1e-6 ? b : 1e-6;
}

/* whether hesse.make_posdef leaves hm as it is: the Cholesky test of
   S - (10 eps n + noise) I, with S hm scaled to a unit diagonal (its eigenvalue test, the
   rare other case, is numpy's) */
static int clearly_posdef(Py_ssize_t n, const double *hm, double noise, double *S, double *L,
                          double *d) {
    for (Py_ssize_t i = 0; i < n; i++) {
        double t = sqrt(fabs(hm[i * n + i]));
        d[i] = t > 0 ? t : 1.0;
    }
    double shift = 10.0 * 2.220446049250313e-16 * (double)n + noise;
    for (Py_ssize_t i = 0; i < n; i++)
        for (Py_ssize_t j = 0; j < n; j++)
            S[i * n + j] = hm[i * n + j] / (d[i] * d[j]) - (i == j ? shift : 0.0);
    return cholesky(n, S, L);
}

/* migrad._dcovar: max |v - vref| / sqrt(vref_ii vref_jj) (NaN propagates, as np.max) */
static double dcovar(Py_ssize_t n, const double *v, const double *vref, double *d) {
    for (Py_ssize_t i = 0; i < n; i++) {
        double t = sqrt(fabs(vref[i * n + i]));
        d[i] = t > 0 ? t : 1.0;
    }
    double m = -INFINITY;
    for (Py_ssize_t i = 0; i < n; i++)
        for (Py_ssize_t j = 0; j < n; j++) {
            double q = fabs(v[i * n + j] - vref[i * n + j]) / (d[i] * d[j]);
            if (isnan(q)) return NAN;
            if (q > m) m = q;
        }
    return m;
}

#endif
