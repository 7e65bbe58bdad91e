/* The L-BFGS-B algebra of thetahat.solvers.lbfgsb, compiled: the limited memory and its
   compact form, the two-loop recursion, the generalised Cauchy point and the subspace
   minimisation.
   Included once, by _minimize.c (whose comment gives the interface). */
#ifndef MIN_LBFGSB_H
#define MIN_LBFGSB_H

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

#endif /* MIN_LBFGSB_H */
