//! Parameters, the enumeration and the `Learner` implementation of
//! `exact-erm` (see the module docs).

use faer::{Col, Mat, MatRef, Par};
use rayon::prelude::*;
use relu_net::stats::binomial;
use relu_net::{Network, SampleSource, Seed};

use super::dichotomies::{chamber_bound, dichotomies};
use super::params::ExactErmParams;
use super::qp::{Data, Outcome, Solved, Unit};
use crate::common::{Rows, load_rows, relative_error, variance};
use crate::error::LearnError;
use crate::{Fitted, Learner, Observer, Report};

pub(super) const NAME: &str = "exact-erm";
/// Programs evaluated in parallel between two updates of the pruning bound
/// (fixed, so the result does not depend on the number of threads).
const BLOCK: usize = 256;

/// Exact ERM with validated parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct ExactErm {
    pub(super) params: ExactErmParams,
}

/// The certified optimum of an exact ERM run.
#[derive(Clone, Debug)]
pub struct ErmSolution {
    /// The optimal network `Σ s_i relu(⟨a_i, x⟩ + b_i) + c` (k units; unused
    /// units are zero).
    pub network: Network,
    /// Its training loss `(1/D) Σ (f(x_j) − y_j)²`, evaluated on the network.
    pub loss: f64,
    /// Activation patterns (dichotomies) enumerated per unit.
    pub dichotomies: usize,
    /// Convex programs in the enumeration.
    pub programs: u64,
    /// Programs skipped because their unconstrained least-squares bound was
    /// not below the best loss found before their block.
    pub pruned: u64,
    /// Programs settled by a feasible least-squares solution.
    pub least_squares: u64,
    /// Programs solved by the QP solver.
    pub qp: u64,
    /// Programs on which the QP solver failed numerically (θ = 0 was kept;
    /// the certificate does not cover them — nonzero means "not certified").
    pub failed: u64,
    /// Whether the enumeration stopped early at a zero loss.
    pub stopped_at_zero: bool,
    /// Output signs of the optimal combination.
    pub signs: Vec<f64>,
    /// Activation patterns of the optimal combination.
    pub patterns: Vec<Vec<bool>>,
}

impl ErmSolution {
    /// Whether the solution is a certified global optimum (no program
    /// failed).
    #[must_use]
    pub fn certified(&self) -> bool {
        self.failed == 0
    }
}

/// Calls `f` on every strictly increasing `size`-tuple from `0..n`
/// (lexicographic order).
pub(super) fn for_each_combination(n: usize, size: usize, f: &mut dyn FnMut(&[usize])) {
    if size > n {
        return;
    }
    let mut idx: Vec<usize> = (0..size).collect();
    loop {
        crate::cancel::checkpoint();
        f(&idx);
        let Some(i) = (0..size).rev().find(|&i| idx[i] < n - size + i) else {
            return;
        };
        idx[i] += 1;
        for j in i + 1..size {
            idx[j] = idx[j - 1] + 1;
        }
    }
}

impl ExactErm {
    /// The parameters.
    #[must_use]
    pub fn params(&self) -> &ExactErmParams {
        &self.params
    }

    fn check_points(&self, x: MatRef<'_, f64>, y: &[f64]) -> Result<(), LearnError> {
        if x.nrows() != y.len() {
            return Err(LearnError::InvalidModel {
                reason: format!("{} points but {} labels", x.nrows(), y.len()),
            });
        }
        if x.nrows() == 0 {
            return Err(LearnError::TooFewSamples {
                learner: NAME,
                needed: 1,
                got: 0,
            });
        }
        if x.ncols() == 0 || x.ncols() > self.params.max_dim {
            return Err(LearnError::TooLarge {
                learner: NAME,
                reason: format!(
                    "input dimension {} is outside 1..={} (the enumeration is exponential in it); \
                     project the data first (see the bounded-weight learner) or raise max_dim",
                    x.ncols(),
                    self.params.max_dim
                ),
            });
        }
        for i in 0..x.nrows() {
            if !(0..x.ncols()).all(|j| x[(i, j)].is_finite()) || !y[i].is_finite() {
                return Err(LearnError::Net(relu_net::NetError::NonFinite {
                    what: "the exact-erm data",
                    location: format!("row {i}"),
                }));
            }
        }
        Ok(())
    }

    fn data(&self, x: MatRef<'_, f64>, y: &[f64]) -> Data {
        let m = x.ncols() + usize::from(self.params.biases);
        let v = Mat::from_fn(x.nrows(), m, |i, j| if j < x.ncols() { x[(i, j)] } else { 1.0 });
        Data {
            v,
            y: Col::from_fn(y.len(), |i| y[i]),
            k: self.params.hidden,
            output_bias: self.params.output_bias,
            scale: 1.0 + y.iter().map(|v| v * v).sum::<f64>() / y.len().max(1) as f64,
        }
    }

    /// Programs needed for `n_patterns` activation patterns per unit:
    /// `Σ_p C(P, p) C(P, k − p)` over the numbers p of positive units (only
    /// p = k in the convex case). Units of the same sign get distinct
    /// patterns: two same-sign units on one pattern add up to one unit.
    fn count_programs(&self, n_patterns: usize) -> u64 {
        let k = self.params.hidden as u64;
        let n = n_patterns as u64;
        let ps: Vec<u64> = if self.params.convex {
            vec![k]
        } else {
            (0..=k).rev().collect()
        };
        let total = ps.iter().fold(0u128, |acc, &p| {
            acc.saturating_add(binomial(n, p).saturating_mul(binomial(n, k - p)))
        });
        u64::try_from(total).unwrap_or(u64::MAX)
    }

    /// The globally optimal network for the points `x` (D × dim) and labels
    /// `y` under the square loss, by the Arora–Basu–Mianjy–Mukherjee
    /// enumeration over the affine (or linear) dichotomies of the points.
    ///
    /// # Errors
    /// Shape mismatch, no points, non-finite data, dimension above
    /// `max_dim`, or more than `max_programs` programs needed
    /// ([`LearnError::TooLarge`], which states the count).
    pub fn solve(&self, x: MatRef<'_, f64>, y: &[f64], par: Par) -> Result<ErmSolution, LearnError> {
        self.check_points(x, y)?;
        // Check the size before enumerating anything.
        let rank = x.ncols() + usize::from(self.params.biases);
        let bound = chamber_bound(x.nrows(), rank);
        let bound_programs = self.count_programs(usize::try_from(bound).unwrap_or(usize::MAX));
        if bound_programs > self.params.max_programs.saturating_mul(4) {
            return Err(self.too_large(bound_programs));
        }
        let points: Vec<Vec<f64>> = (0..x.nrows())
            .map(|i| (0..x.ncols()).map(|j| x[(i, j)]).collect())
            .collect();
        let pats = dichotomies(&points, self.params.biases);
        self.run(x, y, &pats, par)
    }

    /// Brute force: the same programs over *all* 2^D activation patterns per
    /// unit (infeasible combinations only admit θ_i with ⟨θ_i, v_j⟩ = 0 and
    /// are harmless). An independent check of the dichotomy enumeration, for
    /// tests; D ≤ 10.
    ///
    /// # Errors
    /// As [`ExactErm::solve`]; more than 10 points.
    pub fn solve_exhaustive(
        &self,
        x: MatRef<'_, f64>,
        y: &[f64],
        par: Par,
    ) -> Result<ErmSolution, LearnError> {
        self.check_points(x, y)?;
        if x.nrows() > 10 {
            return Err(LearnError::TooLarge {
                learner: NAME,
                reason: format!("the exhaustive check takes at most 10 points, got {}", x.nrows()),
            });
        }
        let dn = x.nrows();
        let pats: Vec<Vec<bool>> = (0..1usize << dn)
            .map(|mask| (0..dn).map(|j| mask >> j & 1 == 1).collect())
            .collect();
        self.run(x, y, &pats, par)
    }

    fn too_large(&self, programs: u64) -> LearnError {
        LearnError::TooLarge {
            learner: NAME,
            reason: format!(
                "the enumeration needs about {programs} convex programs (limit max_programs = {}); \
                 use fewer points, fewer hidden units or a lower dimension",
                self.params.max_programs
            ),
        }
    }

    fn run(
        &self,
        x: MatRef<'_, f64>,
        y: &[f64],
        pats: &[Vec<bool>],
        par: Par,
    ) -> Result<ErmSolution, LearnError> {
        let p = &self.params;
        let k = p.hidden;
        let programs = self.count_programs(pats.len());
        if programs > p.max_programs {
            return Err(self.too_large(programs));
        }
        let data = self.data(x, y);
        let mean_sq = y.iter().map(|v| v * v).sum::<f64>() / y.len() as f64;
        let zero = p.zero_tol * (1.0 + mean_sq);
        // All combinations: (number of positive units, pattern indices).
        let mut combos: Vec<(usize, Vec<u32>)> = Vec::new();
        let ps: Vec<usize> = if p.convex {
            vec![k]
        } else {
            (0..=k).rev().collect()
        };
        for &npos in &ps {
            for_each_combination(pats.len(), npos, &mut |pos| {
                for_each_combination(pats.len(), k - npos, &mut |neg| {
                    let idx = pos.iter().chain(neg).map(|&i| i as u32).collect();
                    combos.push((npos, idx));
                });
            });
        }
        let solve_one = |c: &(usize, Vec<u32>), bound: f64| -> Solved {
            let units: Vec<Unit<'_>> =
                c.1.iter()
                    .enumerate()
                    .map(|(i, &pi)| Unit {
                        sign: if i < c.0 { 1.0 } else { -1.0 },
                        active: &pats[pi as usize],
                    })
                    .collect();
            data.solve(&units, bound)
        };
        let mut best: Option<(f64, usize, Vec<f64>)> = None;
        let (mut pruned, mut ls, mut qp, mut failed) = (0u64, 0u64, 0u64, 0u64);
        let mut stopped = false;
        for (b, block) in combos.chunks(BLOCK).enumerate() {
            let bound = best.as_ref().map_or(f64::INFINITY, |b| b.0);
            let results: Vec<Solved> = if matches!(par, Par::Seq) {
                block.iter().map(|c| solve_one(c, bound)).collect()
            } else {
                block.par_iter().map(|c| solve_one(c, bound)).collect()
            };
            for (i, r) in results.into_iter().enumerate() {
                match r.outcome {
                    Outcome::Pruned => pruned += 1,
                    Outcome::LeastSquares => ls += 1,
                    Outcome::Qp => qp += 1,
                    Outcome::Failed => failed += 1,
                }
                if r.outcome != Outcome::Pruned && best.as_ref().is_none_or(|b| r.loss < b.0) {
                    best = Some((r.loss, b * BLOCK + i, r.theta));
                }
            }
            if best.as_ref().is_some_and(|b| b.0 <= zero) {
                stopped = true;
                break;
            }
        }
        let (_, at, theta) = best.ok_or_else(|| LearnError::Unidentifiable {
            learner: NAME,
            reason: "no convex program could be solved".into(),
        })?;
        let combo = &combos[at];
        let signs: Vec<f64> = (0..k).map(|i| if i < combo.0 { 1.0 } else { -1.0 }).collect();
        let network = self.network(x.ncols(), &theta, &signs)?;
        let pred = network.predict(x, Par::Seq)?;
        let loss = (0..y.len()).map(|j| (pred[j] - y[j]).powi(2)).sum::<f64>() / y.len() as f64;
        Ok(ErmSolution {
            network,
            loss,
            dichotomies: pats.len(),
            programs,
            pruned,
            least_squares: ls,
            qp,
            failed,
            stopped_at_zero: stopped,
            signs,
            patterns: combo.1.iter().map(|&i| pats[i as usize].clone()).collect(),
        })
    }

    fn network(&self, dim: usize, theta: &[f64], signs: &[f64]) -> Result<Network, LearnError> {
        let k = self.params.hidden;
        let m = dim + usize::from(self.params.biases);
        let w = Mat::from_fn(k, dim, |i, j| theta[i * m + j]);
        let b = Col::from_fn(k, |i| {
            if self.params.biases {
                theta[i * m + dim]
            } else {
                0.0
            }
        });
        let a = Col::from_fn(k, |i| signs[i]);
        let c = if self.params.output_bias {
            theta[k * m]
        } else {
            0.0
        };
        Ok(Network::depth2(w.as_ref(), b.as_ref(), a.as_ref(), c)?)
    }
}

impl Learner for ExactErm {
    fn name(&self) -> &'static str {
        NAME
    }

    fn fit_observed(
        &self,
        src: &dyn SampleSource,
        _seed: Seed,
        par: Par,
        observer: &mut dyn Observer,
    ) -> Result<Fitted, LearnError> {
        let n = src.len().min(self.params.max_points);
        if n < 2 {
            // One point is fitted by any network: nothing to learn.
            return Err(LearnError::TooFewSamples {
                learner: NAME,
                needed: 2,
                got: n,
            });
        }
        observer.stage("load");
        let (x, y) = load_rows(src, n);
        if n >= 2 && variance(&y) == 0.0 {
            return Err(LearnError::ConstantLabels { value: y[0] });
        }
        observer.stage("enumerate");
        let y: Vec<f64> = (0..n).map(|i| y[i]).collect();
        let sol = self.solve(x.as_ref(), &y, par)?;
        let mut report = Report {
            n_iters: usize::try_from(sol.programs).unwrap_or(usize::MAX),
            converged: sol.certified(),
            ..Report::new(NAME, n)
        };
        let m = &mut report.metrics;
        m.insert("training_loss".into(), sol.loss);
        m.insert("dichotomies".into(), sol.dichotomies as f64);
        m.insert("programs".into(), sol.programs as f64);
        m.insert("pruned".into(), sol.pruned as f64);
        m.insert("least_squares".into(), sol.least_squares as f64);
        m.insert("qp".into(), sol.qp as f64);
        m.insert("failed".into(), sol.failed as f64);
        report.notes.push(format!(
            "exact ERM on the first {n} rows: {} dichotomies per unit, {} convex programs{}",
            sol.dichotomies,
            sol.programs,
            if sol.stopped_at_zero {
                ", stopped at a certified zero loss"
            } else {
                ""
            }
        ));
        if sol.failed > 0 {
            report.notes.push(format!(
                "{} programs failed in the QP solver: the optimum is not certified",
                sol.failed
            ));
        }
        if src.len() > n {
            observer.stage("validate");
            let len = (src.len() - n).min(100_000);
            let rest = Rows::new(src, n, len);
            report.validation_error = Some(relative_error(&sol.network, &rest, par)?);
        }
        Ok(Fitted::from_network(sol.network, report))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combinations_are_strictly_increasing_and_complete() {
        let mut all = Vec::new();
        for_each_combination(5, 3, &mut |c| all.push(c.to_vec()));
        assert_eq!(all.len(), 10);
        assert!(all.iter().all(|c| c.windows(2).all(|w| w[0] < w[1])));
        let mut empty = 0;
        for_each_combination(3, 0, &mut |c| {
            assert!(c.is_empty());
            empty += 1;
        });
        assert_eq!(empty, 1);
        let mut none = 0;
        for_each_combination(2, 3, &mut |_| none += 1);
        assert_eq!(none, 0);
    }
}
