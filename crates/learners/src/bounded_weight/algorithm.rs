//! Parameters and the runnable bounded-weight learner (see the module docs).

use faer::linalg::matmul::matmul;
use faer::{Accum, Col, Mat, Par};
use relu_net::stats::binomial;
use relu_net::{Network, SampleSource, Seed, gaussian_matrix};

use super::params::{BoundedWeightParams, Inner};
use crate::common::{Rows, check_data, load_rows, map_indices, relative_error};
use crate::error::LearnError;
use crate::exact_erm::ExactErmParams;
use crate::polish::{PolishParams, polish_lm};
use crate::{Fitted, Learner, Observer, Report};

pub(super) const NAME: &str = "bounded-weight";

/// A net search result: residual sum of squares, net-point indices, least-squares coefficients.
type Best = (f64, Vec<usize>, Vec<f64>);

/// The bounded-weight learner with validated parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct BoundedWeight {
    pub(super) params: BoundedWeightParams,
}

/// Points of the grid `{−B, −B + η, …, B}^dim` with `0 < ‖·‖ ≤ B`, in
/// lexicographic order.
fn net_points(dim: usize, bound: f64, eta: f64) -> Vec<Vec<f64>> {
    let steps = (2.0 * bound / eta).floor() as usize;
    let vals: Vec<f64> = (0..=steps).map(|i| -bound + i as f64 * eta).collect();
    let mut out = Vec::new();
    let mut idx = vec![0usize; dim];
    loop {
        let p: Vec<f64> = idx.iter().map(|&i| vals[i]).collect();
        let n2: f64 = p.iter().map(|v| v * v).sum();
        if n2 > 0.0 && n2 <= bound * bound * (1.0 + 1e-12) {
            out.push(p);
        }
        let mut c = dim;
        loop {
            if c == 0 {
                return out;
            }
            c -= 1;
            idx[c] += 1;
            if idx[c] <= steps {
                break;
            }
            idx[c] = 0;
        }
    }
}

/// Least squares on the columns `cols` of the Gram system: returns the
/// residual sum of squares and the coefficients.
fn subset_ls(g: &Mat<f64>, fty: &Col<f64>, yty: f64, cols: &[usize]) -> Option<(f64, Vec<f64>)> {
    let p = cols.len();
    let tr: f64 = cols.iter().map(|&c| g[(c, c)]).sum::<f64>() / p as f64;
    let ridge = 1e-12 * tr.max(1e-300);
    let mut a = Mat::from_fn(p, p, |i, j| {
        g[(cols[i], cols[j])] + if i == j { ridge } else { 0.0 }
    });
    let mut b: Vec<f64> = cols.iter().map(|&c| fty[c]).collect();
    // Cholesky in place.
    for j in 0..p {
        let mut s = a[(j, j)];
        for t in 0..j {
            s -= a[(j, t)] * a[(j, t)];
        }
        if s <= 0.0 {
            return None;
        }
        let l = s.sqrt();
        a[(j, j)] = l;
        for i in j + 1..p {
            let mut s = a[(i, j)];
            for t in 0..j {
                s -= a[(i, t)] * a[(j, t)];
            }
            a[(i, j)] = s / l;
        }
    }
    for i in 0..p {
        let mut s = b[i];
        for t in 0..i {
            s -= a[(i, t)] * b[t];
        }
        b[i] = s / a[(i, i)];
    }
    for i in (0..p).rev() {
        let mut s = b[i];
        for t in i + 1..p {
            s -= a[(t, i)] * b[t];
        }
        b[i] = s / a[(i, i)];
    }
    // ‖Fθ − y‖² = yᵀy − 2θᵀFᵀy + θᵀGθ.
    let mut rss = yty;
    for i in 0..p {
        rss -= 2.0 * b[i] * fty[cols[i]];
        for j in 0..p {
            rss += b[i] * g[(cols[i], cols[j])] * b[j];
        }
    }
    Some((rss.max(0.0), b))
}

impl BoundedWeight {
    /// The net search on the projected rows `z` (m × d'): the network on
    /// ℝ^{d'}, its training loss and the number of subsets visited.
    fn net_search(&self, z: &Mat<f64>, y: &Col<f64>, par: Par) -> Result<(Network, f64, u64), LearnError> {
        let p = &self.params;
        let (m, dp, k) = (z.nrows(), z.ncols(), p.hidden);
        let pts = net_points(dp + 1, p.weight_bound, p.resolution);
        let n = pts.len();
        let total = binomial(n as u64, k as u64);
        if total > u128::from(p.max_candidates) {
            return Err(LearnError::TooLarge {
                learner: NAME,
                reason: format!(
                    "the net has {n} points per unit, so {total} subsets of {k} (limit max_candidates = {}); \
                     coarsen the net (resolution), lower proj_dim or hidden",
                    p.max_candidates
                ),
            });
        }
        // Features: one column per net point, then the constant.
        let mut f = Mat::zeros(m, n + 1);
        for (c, u) in pts.iter().enumerate() {
            for r in 0..m {
                let s: f64 = (0..dp).map(|t| u[t] * z[(r, t)]).sum::<f64>() + u[dp];
                f[(r, c)] = s.max(0.0);
            }
        }
        for r in 0..m {
            f[(r, n)] = 1.0;
        }
        let mut g = Mat::zeros(n + 1, n + 1);
        matmul(g.as_mut(), Accum::Replace, f.transpose(), f.as_ref(), 1.0, par);
        let mut fty = Col::zeros(n + 1);
        matmul(fty.as_mut(), Accum::Replace, f.transpose(), y.as_ref(), 1.0, par);
        let yty = y.squared_norm_l2();
        // The first index of a subset fixes a block: blocks in parallel, the
        // best (smallest loss, then first in lexicographic order) wins.
        let best_from = |first: usize| -> Option<Best> {
            let mut best: Option<Best> = None;
            let mut rest: Vec<usize> = (first + 1..first + k).collect();
            if k == 1 {
                let cols = [first, n];
                return subset_ls(&g, &fty, yty, &cols).map(|(l, t)| (l, vec![first], t));
            }
            if rest.last().is_some_and(|&l| l >= n) {
                return None;
            }
            loop {
                crate::cancel::checkpoint();
                let mut cols = vec![first];
                cols.extend(&rest);
                cols.push(n);
                if let Some((l, t)) = subset_ls(&g, &fty, yty, &cols)
                    && best.as_ref().is_none_or(|b| l < b.0)
                {
                    cols.pop();
                    best = Some((l, cols, t));
                }
                // Next strictly increasing tuple of `rest` in (first, n).
                let len = rest.len();
                let Some(i) = (0..len).rev().find(|&i| rest[i] < n - len + i) else {
                    return best;
                };
                rest[i] += 1;
                for j in i + 1..len {
                    rest[j] = rest[j - 1] + 1;
                }
            }
        };
        let per_first: Vec<Option<Best>> = map_indices(n, par, best_from);
        let mut best: Option<Best> = None;
        for b in per_first.into_iter().flatten() {
            if best.as_ref().is_none_or(|x| b.0 < x.0) {
                best = Some(b);
            }
        }
        let (rss, cols, theta) = best.ok_or_else(|| LearnError::Unidentifiable {
            learner: NAME,
            reason: "every subset of net features was collinear".to_owned(),
        })?;
        let w = Mat::from_fn(k, dp, |i, t| pts[cols[i]][t]);
        let b = Col::from_fn(k, |i| pts[cols[i]][dp]);
        let a = Col::from_fn(k, |i| theta[i]);
        let net = Network::depth2(w.as_ref(), b.as_ref(), a.as_ref(), theta[k])?;
        Ok((net, rss / m as f64, u64::try_from(total).unwrap_or(u64::MAX)))
    }
}

impl Learner for BoundedWeight {
    fn name(&self) -> &'static str {
        NAME
    }

    fn fit_observed(
        &self,
        src: &dyn SampleSource,
        seed: Seed,
        par: Par,
        observer: &mut dyn Observer,
    ) -> Result<Fitted, LearnError> {
        let p = &self.params;
        let d = src.dim();
        let m = match p.inner {
            Inner::Net => p.samples,
            Inner::Exact => p.exact.max_points,
        };
        check_data(NAME, src, m.min(src.len()).max(2), par)?;
        if p.proj_dim > d {
            return Err(LearnError::invalid(
                NAME,
                "proj_dim",
                p.proj_dim,
                "at most the input dimension d",
            ));
        }
        let m = m.min(src.len());
        observer.stage("project");
        let (x, y) = load_rows(src, m);
        let r = (0..m)
            .map(|i| (0..d).map(|j| x[(i, j)].powi(2)).sum::<f64>().sqrt())
            .fold(0.0, f64::max)
            .max(f64::MIN_POSITIVE);
        let dp = p.proj_dim;
        let g = gaussian_matrix(dp, d, seed.derive("bounded-weight-projection"));
        let proj = Mat::from_fn(dp, d, |i, j| g[(i, j)] / (dp as f64).sqrt());
        let mut z = Mat::zeros(m, dp);
        matmul(
            z.as_mut(),
            Accum::Replace,
            x.as_ref(),
            proj.transpose(),
            1.0 / r,
            par,
        );
        let mut report = Report::new(NAME, m);
        observer.stage("search");
        let (small, loss, visited) = match p.inner {
            Inner::Net => self.net_search(&z, &y, par)?,
            Inner::Exact => {
                let e = ExactErmParams {
                    hidden: p.hidden,
                    max_dim: dp,
                    ..p.exact.clone()
                }
                .validate()?;
                let yv: Vec<f64> = (0..m).map(|i| y[i]).collect();
                let sol = e.solve(z.as_ref(), &yv, par)?;
                if !sol.certified() {
                    report
                        .notes
                        .push("exact ERM: some programs failed; the optimum is not certified".into());
                }
                (sol.network, sol.loss, sol.programs)
            }
        };
        report.n_iters = usize::try_from(visited).unwrap_or(usize::MAX);
        report.metrics.insert("training_loss".into(), loss);
        report.metrics.insert("scale".into(), r);
        report.metrics.insert("candidates".into(), visited as f64);
        report.notes.push(format!(
            "projected {m} rows (scaled by 1/{r:.3}) to d' = {dp}; the {} search visited {visited} candidates, training loss {loss:.3e}",
            match p.inner {
                Inner::Net => "net",
                Inner::Exact => "exact ERM",
            }
        ));
        // Lift: ⟨u, P x / R⟩ = ⟨Pᵀ u / R, x⟩.
        let l0 = &small.layers()[0];
        let mut w = Mat::zeros(p.hidden, d);
        matmul(
            w.as_mut(),
            Accum::Replace,
            l0.weight(),
            proj.as_ref(),
            1.0 / r,
            Par::Seq,
        );
        let out = &small.layers()[1];
        let a = Col::from_fn(p.hidden, |i| out.weight()[(0, i)]);
        let mut net = Network::depth2(w.as_ref(), l0.bias(), a.as_ref(), out.bias()[0])?;
        if p.polish && src.len() > 1 {
            observer.stage("polish");
            let (polished, pr) = polish_lm(&net, src, &PolishParams::default(), par)?;
            report.notes.push(format!(
                "Levenberg–Marquardt polish in ℝ^{d}: {} iterations",
                pr.iters
            ));
            net = polished;
        }
        let n_val = (src.len() - m).min(p.validation_rows);
        if n_val > 0 {
            observer.stage("validate");
            let rest = Rows::new(src, m, n_val);
            report.validation_error = Some(relative_error(&net, &rest, par)?);
        }
        report.converged = true;
        Ok(Fitted::from_network(net, report))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_net_covers_the_ball() {
        let pts = net_points(2, 1.0, 0.5);
        // Grid {−1, −.5, 0, .5, 1}² inside the unit disc, without 0.
        assert_eq!(pts.len(), 12);
        assert!(pts.iter().all(|p| p[0].hypot(p[1]) <= 1.0 + 1e-12));
    }

    #[test]
    fn subset_least_squares_is_exact_on_a_consistent_system() {
        // Columns x, 1 with y = 2x + 3.
        let xs = [0.0, 1.0, 2.0, 3.0];
        let f = Mat::from_fn(4, 2, |r, c| if c == 0 { xs[r] } else { 1.0 });
        let y = Col::from_fn(4, |r| 2.0 * xs[r] + 3.0);
        let g = f.transpose() * &f;
        let fty = f.transpose() * &y;
        let (rss, t) = subset_ls(&g, &fty, y.squared_norm_l2(), &[0, 1]).unwrap();
        assert!(rss < 1e-12 && (t[0] - 2.0).abs() < 1e-9 && (t[1] - 3.0).abs() < 1e-9);
    }
}
