//! The convex program of one (signs, activation patterns) combination.
//!
//! Variables `θ = (θ_1, …, θ_k, [c])`, `θ_i ∈ ℝ^m` (m = dim + 1 with biases,
//! dim without). With `v_j = (x_j, 1)` or `x_j`, the network output on
//! point j under the pattern is `Σ_{i : j ∈ P_i} s_i ⟨θ_i, v_j⟩ + c`, so the
//! loss `(1/D) ‖M θ − y‖²` is a convex quadratic; the pattern is enforced
//! by `⟨θ_i, v_j⟩ ≥ 0` on `P_i` and `≤ 0` off it (homogeneous, so θ = 0 is
//! always feasible and the program is never infeasible).
//!
//! Solved in three steps:
//! 1. Least squares without the constraints: a lower bound (used to prune
//!    against the best loss so far) and, when it happens to satisfy the
//!    constraints, the optimum itself.
//! 2. Otherwise Clarabel (interior point) on the QP.
//! 3. Active-set refinement: the constraints that are tight at Clarabel's
//!    point are imposed as equalities, θ is restricted to their null space and
//!    the least-squares problem there is solved directly; the refined point is
//!    kept if it is feasible and no worse. This brings the optimum to machine
//!    precision (a realizable instance then has loss ≈ 1e-30, not Clarabel's
//!    1e-9).

use clarabel::algebra::CscMatrix;
use clarabel::solver::{DefaultSettings, DefaultSolver, IPSolver, NonnegativeConeT, SolverStatus};
use faer::{Col, Mat, MatRef};

/// One unit's sign and activation pattern.
#[derive(Clone, Copy, Debug)]
pub(super) struct Unit<'a> {
    /// Output sign `s_i ∈ {+1, −1}`.
    pub sign: f64,
    /// Active points.
    pub active: &'a [bool],
}

/// How a program was settled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Outcome {
    /// The unconstrained least-squares bound was not below the best loss.
    Pruned,
    /// The unconstrained least-squares solution was feasible.
    LeastSquares,
    /// Clarabel solved it (and the refinement may have improved it).
    Qp,
    /// Clarabel reported a numerical failure; the best feasible point seen
    /// is kept (θ = 0 at worst).
    Failed,
}

/// Result of one program.
#[derive(Clone, Debug)]
pub(super) struct Solved {
    pub outcome: Outcome,
    /// The loss `(1/D)‖Mθ − y‖²` at θ (meaningless when pruned).
    pub loss: f64,
    pub theta: Vec<f64>,
}

/// Problem data shared by all programs.
pub(super) struct Data {
    /// `v_j` as rows: D × m.
    pub v: Mat<f64>,
    pub y: Col<f64>,
    pub k: usize,
    pub output_bias: bool,
    /// `1 + mean y²`, the scale of the feasibility tolerances.
    pub scale: f64,
}

impl Data {
    pub(super) fn m(&self) -> usize {
        self.v.ncols()
    }

    pub(super) fn n_vars(&self) -> usize {
        self.k * self.m() + usize::from(self.output_bias)
    }

    fn design(&self, units: &[Unit<'_>]) -> Mat<f64> {
        let (dn, m) = (self.v.nrows(), self.m());
        let mut a = Mat::zeros(dn, self.n_vars());
        for (i, u) in units.iter().enumerate() {
            for j in 0..dn {
                if u.active[j] {
                    for t in 0..m {
                        a[(j, i * m + t)] = u.sign * self.v[(j, t)];
                    }
                }
            }
        }
        if self.output_bias {
            let c = self.k * m;
            for j in 0..dn {
                a[(j, c)] = 1.0;
            }
        }
        a
    }

    /// Constraint rows `G θ ≤ 0`.
    fn constraints(&self, units: &[Unit<'_>]) -> Mat<f64> {
        let (dn, m) = (self.v.nrows(), self.m());
        let mut g = Mat::zeros(self.k * dn, self.n_vars());
        for (i, u) in units.iter().enumerate() {
            for j in 0..dn {
                let s = if u.active[j] { -1.0 } else { 1.0 };
                for t in 0..m {
                    g[(i * dn + j, i * m + t)] = s * self.v[(j, t)];
                }
            }
        }
        g
    }

    fn loss(&self, a: MatRef<'_, f64>, theta: &[f64]) -> f64 {
        let mut s = 0.0;
        for j in 0..a.nrows() {
            let mut f = 0.0;
            for (t, th) in theta.iter().enumerate() {
                f += a[(j, t)] * th;
            }
            s += (f - self.y[j]).powi(2);
        }
        s / a.nrows() as f64
    }

    /// Solves the program of `units`, pruning against `bound` (`None` when it
    /// cannot improve on a loss of `bound`).
    pub(super) fn solve(&self, units: &[Unit<'_>], bound: f64) -> Solved {
        let a = self.design(units);
        let scale = self.scale;
        let slack = 1e-12 * scale.sqrt();
        let Some(ls) = min_norm_ls(a.as_ref(), &self.y) else {
            return self.fallback(a.as_ref());
        };
        let ls_loss = self.loss(a.as_ref(), &ls);
        if ls_loss >= bound {
            return Solved {
                outcome: Outcome::Pruned,
                loss: ls_loss,
                theta: ls,
            };
        }
        // Built only for programs that survive the pruning (most do not).
        let g = self.constraints(units);
        if max_violation(g.as_ref(), &ls) <= slack * norm(&ls).max(1.0) {
            return Solved {
                outcome: Outcome::LeastSquares,
                loss: ls_loss,
                theta: ls,
            };
        }
        let Some(x) = clarabel_qp(a.as_ref(), &self.y, g.as_ref()) else {
            return self.fallback(a.as_ref());
        };
        // Candidates: θ = 0 (always feasible), Clarabel's point when it is
        // feasible to 1e-8, and the refined points.
        let zero = vec![0.0; self.n_vars()];
        let mut best = (self.loss(a.as_ref(), &zero), zero);
        if max_violation(g.as_ref(), &x) <= 1e-8 * scale.sqrt() * norm(&x).max(1.0) {
            let l = self.loss(a.as_ref(), &x);
            if l < best.0 {
                best = (l, x.clone());
            }
        }
        // Active-set refinement at a few tightness levels.
        for tight in [1e-7, 1e-5, 1e-9] {
            let xn = norm(&x).max(1e-300);
            let rows: Vec<usize> = (0..g.nrows())
                .filter(|&r| {
                    let gr: f64 = (0..g.ncols()).map(|c| g[(r, c)] * x[c]).sum();
                    let rn: f64 = (0..g.ncols()).map(|c| g[(r, c)].powi(2)).sum::<f64>().sqrt();
                    gr >= -tight * rn * xn
                })
                .collect();
            if let Some(z) = refine(a.as_ref(), &self.y, g.as_ref(), &rows)
                && max_violation(g.as_ref(), &z) <= slack * norm(&z).max(1.0)
            {
                let l = self.loss(a.as_ref(), &z);
                if l <= best.0 {
                    best = (l, z);
                }
            }
        }
        // Clarabel's point may violate constraints by ~1e-9; the network
        // built from θ is evaluated exactly by the caller, so the reported
        // loss is always the true one.
        Solved {
            outcome: Outcome::Qp,
            loss: best.0,
            theta: best.1,
        }
    }

    fn fallback(&self, a: MatRef<'_, f64>) -> Solved {
        let theta = vec![0.0; self.n_vars()];
        Solved {
            outcome: Outcome::Failed,
            loss: self.loss(a, &theta),
            theta,
        }
    }
}

fn norm(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum::<f64>().sqrt()
}

fn max_violation(g: MatRef<'_, f64>, x: &[f64]) -> f64 {
    (0..g.nrows())
        .map(|r| (0..g.ncols()).map(|c| g[(r, c)] * x[c]).sum::<f64>())
        .fold(0.0, f64::max)
}

/// Minimum-norm least squares `argmin ‖A θ − y‖` by the SVD.
fn min_norm_ls(a: MatRef<'_, f64>, y: &Col<f64>) -> Option<Vec<f64>> {
    let p = a.ncols();
    if p == 0 {
        return Some(Vec::new());
    }
    let svd = a.thin_svd().ok()?;
    let s = svd.S().column_vector();
    let smax = (0..s.nrows()).map(|i| s[i]).fold(0.0, f64::max);
    let mut theta = vec![0.0; p];
    for i in 0..s.nrows() {
        if s[i] > 1e-12 * smax && s[i] > 0.0 {
            let uty: f64 = (0..a.nrows()).map(|j| svd.U()[(j, i)] * y[j]).sum();
            let coef = uty / s[i];
            for (t, th) in theta.iter_mut().enumerate() {
                *th += coef * svd.V()[(t, i)];
            }
        }
    }
    theta.iter().all(|t| t.is_finite()).then_some(theta)
}

/// Least squares restricted to `{θ : G_rows θ = 0}`.
fn refine(a: MatRef<'_, f64>, y: &Col<f64>, g: MatRef<'_, f64>, rows: &[usize]) -> Option<Vec<f64>> {
    let p = a.ncols();
    let null: Mat<f64> = if rows.is_empty() {
        Mat::identity(p, p)
    } else {
        let ga = Mat::from_fn(rows.len(), p, |r, c| g[(rows[r], c)]);
        let svd = ga.svd().ok()?;
        let s = svd.S().column_vector();
        let smax = (0..s.nrows()).map(|i| s[i]).fold(0.0, f64::max);
        let rank = (0..s.nrows()).filter(|&i| s[i] > 1e-10 * smax).count();
        let v = svd.V();
        Mat::from_fn(p, p - rank, |r, c| v[(r, rank + c)])
    };
    if null.ncols() == 0 {
        return Some(vec![0.0; p]);
    }
    let an = a * &null;
    let phi = min_norm_ls(an.as_ref(), y)?;
    let phi = Col::from_fn(phi.len(), |i| phi[i]);
    let theta = &null * &phi;
    Some((0..p).map(|i| theta[i]).collect())
}

/// `min (1/D)‖Aθ − y‖² s.t. Gθ ≤ 0` with Clarabel.
fn clarabel_qp(a: MatRef<'_, f64>, y: &Col<f64>, g: MatRef<'_, f64>) -> Option<Vec<f64>> {
    let (dn, p) = (a.nrows(), a.ncols());
    let w = 2.0 / dn as f64;
    let ata = a.transpose() * a;
    let pm: Vec<Vec<f64>> = (0..p)
        .map(|i| {
            (0..p)
                .map(|j| if j >= i { w * ata[(i, j)] } else { 0.0 })
                .collect()
        })
        .collect();
    let q: Vec<f64> = (0..p)
        .map(|i| -w * (0..dn).map(|j| a[(j, i)] * y[j]).sum::<f64>())
        .collect();
    let gm: Vec<Vec<f64>> = (0..g.nrows())
        .map(|r| (0..p).map(|c| g[(r, c)]).collect())
        .collect();
    let pcsc = CscMatrix::from(&pm);
    let acsc = CscMatrix::from(&gm);
    let b = vec![0.0; g.nrows()];
    let cones = [NonnegativeConeT(g.nrows())];
    let settings = DefaultSettings {
        verbose: false,
        max_iter: 200,
        tol_gap_abs: 1e-12,
        tol_gap_rel: 1e-12,
        tol_feas: 1e-12,
        ..DefaultSettings::default()
    };
    let mut solver = DefaultSolver::new(&pcsc, &q, &acsc, &b, &cones, settings).ok()?;
    solver.solve();
    match solver.solution.status {
        SolverStatus::Solved
        | SolverStatus::AlmostSolved
        | SolverStatus::MaxIterations
        | SolverStatus::InsufficientProgress => {
            let x = solver.solution.x.clone();
            x.iter().all(|v| v.is_finite()).then_some(x)
        }
        _ => None,
    }
}
