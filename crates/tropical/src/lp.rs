//! Small linear programs through Clarabel: `max cᵀx s.t. A x ≤ b`.

use clarabel::algebra::CscMatrix;
use clarabel::solver::{DefaultSettings, DefaultSolver, IPSolver, NonnegativeConeT, SolverStatus};

use crate::error::TropicalError;

/// The outcome of an LP.
#[derive(Clone, Debug)]
pub(crate) enum Lp {
    /// Optimal point and value.
    Optimal(Vec<f64>, f64),
    /// No feasible point.
    Infeasible,
    /// The objective is unbounded above.
    Unbounded,
}

/// `max cᵀx s.t. A x ≤ b` (rows of `a`).
pub(crate) fn maximize(
    c: &[f64],
    a: &[Vec<f64>],
    b: &[f64],
    what: &'static str,
) -> Result<Lp, TropicalError> {
    let n = c.len();
    let p = CscMatrix::<f64>::zeros((n, n));
    let q: Vec<f64> = c.iter().map(|v| -v).collect();
    let am = if a.is_empty() {
        CscMatrix::<f64>::zeros((0, n))
    } else {
        CscMatrix::from(a)
    };
    let cones = [NonnegativeConeT(b.len())];
    let settings = DefaultSettings {
        verbose: false,
        max_iter: 200,
        ..DefaultSettings::default()
    };
    let mut solver = DefaultSolver::new(&p, &q, &am, b, &cones, settings).map_err(|e| TropicalError::Lp {
        what,
        status: e.to_string(),
    })?;
    solver.solve();
    let status = solver.solution.status;
    match status {
        SolverStatus::Solved | SolverStatus::AlmostSolved => {
            let x = solver.solution.x.clone();
            let v = c.iter().zip(&x).map(|(ci, xi)| ci * xi).sum();
            Ok(Lp::Optimal(x, v))
        }
        SolverStatus::PrimalInfeasible | SolverStatus::AlmostPrimalInfeasible => Ok(Lp::Infeasible),
        SolverStatus::DualInfeasible | SolverStatus::AlmostDualInfeasible => Ok(Lp::Unbounded),
        s => Err(TropicalError::Lp {
            what,
            status: format!("{s:?}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_triangle() {
        // max x + y s.t. x ≤ 1, y ≤ 2, −x − y ≤ 0.
        let r = maximize(
            &[1.0, 1.0],
            &[vec![1.0, 0.0], vec![0.0, 1.0], vec![-1.0, -1.0]],
            &[1.0, 2.0, 0.0],
            "test",
        )
        .unwrap();
        let Lp::Optimal(_, v) = r else { panic!("{r:?}") };
        assert!((v - 3.0).abs() < 1e-7);
        assert!(matches!(
            maximize(&[1.0], &[vec![-1.0]], &[0.0], "test").unwrap(),
            Lp::Unbounded
        ));
        assert!(matches!(
            maximize(&[1.0], &[vec![1.0], vec![-1.0]], &[-1.0, -1.0], "test").unwrap(),
            Lp::Infeasible
        ));
    }
}
