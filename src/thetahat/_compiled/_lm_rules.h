/* The rules every Levenberg-Marquardt in thetahat follows, for C (_lmcore.c, _batchlm.c).
 *
 * The same numbers and tests as solvers/_lm_rules.py, whose docstring gives the mathematics
 * (tests/test_lm_rules.py checks that the two files agree): the gain ratio that accepts a
 * step, the trust-radius thresholds, MINPACK's ftol / xtol / gtol tests, and
 * the status codes of both fronts.
 */
#ifndef THETAHAT_LM_RULES_H
#define THETAHAT_LM_RULES_H

#include <math.h>

#define LM_RHO_ACCEPT 1e-4   /* gain ratio above which a trial step is taken */
#define LM_RHO_SHRINK 0.25   /* at or below, the trust radius shrinks */
#define LM_RHO_EXPAND 0.75   /* at or above, it becomes 2 |D p| */
#define LM_RHO_FTOL_MAX 2.0  /* the ftol test needs rho <= 2 */
#define LM_DELTA0 100.0      /* the first trust radius is DELTA0 |D p0| (DELTA0 if p0 = 0) */
#define LM_STEP_BAND 0.1     /* the secular iteration stops at | |D p| - Delta | <= BAND Delta */
#define LM_STEP_ITER 40      /* ... or after this many Newton iterations */
#define LM_ROUND (16.0 * 2.220446049250313e-16)  /* batch: chi2's rounding floor per scale */

/* single fit: scipy's status codes */
enum { LM_ST_BUDGET = 0, LM_ST_GTOL = 1, LM_ST_FTOL = 2, LM_ST_XTOL = 3, LM_ST_FTOL_XTOL = 4,
       LM_ST_NONFINITE = -3 };
/* batch: named per-fit status codes */
enum { ST_CONVERGED = 1, ST_MAXITER = 2, ST_SINGULAR = 3, ST_NONFINITE = 4 };

/* MINPACK's ftol test on the relative actual and predicted reductions */
static inline int lm_ftol_ok(double actred, double prered, double rho, double ftol) {
    return fabs(actred) <= ftol && prered <= ftol && rho <= LM_RHO_FTOL_MAX;
}

/* the scaled step size (radius or step) at most xtol times |D p| */
static inline int lm_xtol_ok(double size, double xnorm, double xtol) {
    return size <= xtol * xnorm;
}

/* one term of the gtol cosine |g_a| / (|J_a| |f|), 0 where undefined; divided one norm
   at a time, so that no product of squares under- or overflows (solvers/_lm_rules.py) */
static inline double lm_gtol_term(double g, double colnorm, double fnorm) {
    return (colnorm > 0.0 && fnorm > 0.0) ? (fabs(g) / colnorm) / fnorm : 0.0;
}

/* MINPACK's trust-radius update after a trial with gain ratio rho and relative actual
   reduction ared (-inf when not finite); dirder = -(|J p|^2 + lam |D p|^2) / |f|^2, near:
   the trial's |f| below 10 times the current one; pnorm = |D p|. Updates *delta and the
   next secular iteration's first guess *lam. */
static inline void lm_radius_update(double rho, double ared, double dirder, int near,
                                    double pnorm, double *delta, double *lam) {
    if (rho <= LM_RHO_SHRINK) {
        double temp = 0.5;
        if (isfinite(ared) && ared < 0.0) temp = 0.5 * dirder / (dirder + 0.5 * ared);
        if (near) temp = temp < 0.1 ? 0.1 : (temp > 0.5 ? 0.5 : temp);
        else temp = 0.1;
        *delta = temp * (*delta < pnorm / 0.1 ? *delta : pnorm / 0.1);
        *lam = *lam / temp;
    } else if (*lam == 0.0 || rho >= LM_RHO_EXPAND) {
        *delta = pnorm / 0.5;
        *lam *= 0.5;
    }
}

#endif
