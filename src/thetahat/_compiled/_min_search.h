/* The Moré-Thuente line search of thetahat.solvers.line_search.more_thuente, compiled.
   Included once, by _minimize.c (whose comment gives the interface). */
#ifndef MIN_SEARCH_H
#define MIN_SEARCH_H

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

#endif /* MIN_SEARCH_H */
