//! Step 7's last part (module docs): back to k units from more.
//!
//! A fit can end with more units than the network has: the affine pair of
//! step 6, a unit the decomposition spent on noise, units of step 8. A
//! mirrored pair, or a unit active on almost every input that carries the
//! linear part flipped units need, is absorbed by flipping units
//! ([`simplify_affine`]); other units go by backward elimination on the
//! output layer's least squares ([`Elimination`]). Every candidate is polished again and kept only if its
//! validation error stays within 2× (the polish of k units usually goes
//! below the larger network's error).

use faer::{Col, Mat};
use relu_net::{Network, SampleSource};

use super::Atv;
use crate::Report;
use crate::common::{Judge, Rows, relative_error};
use crate::error::LearnError;
use crate::linalg::least_squares;
use crate::polish::polish_lm;

/// A unit with canonical bias at least this is taken for an affine
/// function: `relu(⟨ŵ, x⟩ + b̂) = ⟨ŵ, x⟩ + b̂` except on a set of probability
/// Φ(−b̂) ≤ 1.3·10⁻³.
const AFFINE_BIAS: f64 = 3.0;

/// After a polish of a low-error network (k units and an affine pair, or
/// k + 1 units one of which is always active, which the polish leaves when
/// it carries the linear part that flipped units need),
/// absorbs the pair by flipping units: with canonical units `(ŵ, b̂, â)`, the
/// pair is `â_p (⟨ŵ_p, x⟩ + b̂_p)` when its second unit mirrors the first, and
/// flipping a set S of units adds `Σ_{i∈S} â_i (⟨ŵ_i, x⟩ + b̂_i)`; so S is read
/// off `â_p ŵ_p = −Σ_{i∈S} â_i ŵ_i` (least squares, coefficients within 0.25
/// of 0 or −1). The pair is the two units that come closest to mirroring
/// each other (directions within 0.1, biases and output weights within
/// 10 %).
/// Returns the k-unit network, or `None` if no pair mirrors or no such S
/// exists.
pub(super) fn simplify_affine(net: &Network, k: usize) -> Option<Network> {
    let c = relu_net::matching::canonical_units_in_order(net).ok()?;
    let (all, c0) = c;
    // How far q is from mirroring p (`(−ŵ, −b̂, −â)`): the distance of the
    // directions, and whether bias and output weight mirror within 10 %.
    // Noisy fits leave the pair's units a statistical distance apart (polish
    // on m rows: of order σ √(p/m)), so the tolerance is loose; the result is
    // polished and must pass the validation check.
    let mirror_gap = |p: &(Vec<f64>, f64, f64), q: &(Vec<f64>, f64, f64)| {
        let gap =
            p.0.iter()
                .zip(&q.0)
                .map(|(a, b)| (a + b).powi(2))
                .sum::<f64>()
                .sqrt();
        let close =
            (p.1 + q.1).abs() < 0.1 * (1.0 + p.1.abs()) && (p.2 + q.2).abs() < 0.1 * (1.0 + p.2.abs());
        (close && gap < 0.1).then_some(gap)
    };
    let (i, j) = if all.len() == k + 2 {
        (0..all.len())
            .flat_map(|i| (i + 1..all.len()).map(move |j| (i, j)))
            .filter_map(|(i, j)| mirror_gap(&all[i], &all[j]).map(|g| (g, i, j)))
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, i, j)| (i, j))?
    } else if all.len() == k + 1 {
        // The unit with the largest canonical bias, if it is active on all
        // but 1.3·10⁻³ of the inputs (b̂ ≥ 3).
        let i = (0..all.len()).max_by(|&i, &j| all[i].1.total_cmp(&all[j].1))?;
        if all[i].1 < AFFINE_BIAS {
            return None;
        }
        (i, i)
    } else {
        return None;
    };
    let p = &all[i];
    let units: Vec<&(Vec<f64>, f64, f64)> = all
        .iter()
        .enumerate()
        .filter(|&(t, _)| t != i && t != j)
        .map(|(_, u)| u)
        .collect();
    let d = p.0.len();
    let target = Col::from_fn(d, |j| -p.2 * p.0[j]);
    let basis = Mat::from_fn(d, k, |j, i| units[i].2 * units[i].0[j]);
    let lambda = least_squares(basis.as_ref(), &target)?;
    let mut rows = Vec::with_capacity(k);
    let (mut b, mut a) = (Vec::with_capacity(k), Vec::with_capacity(k));
    let mut constant = c0 + p.2 * p.1;
    for i in 0..k {
        let (w, bi, ai) = &units[i];
        let flip = if lambda[i].abs() < 0.25 {
            false
        } else if (lambda[i] - 1.0).abs() < 0.25 {
            true
        } else {
            return None;
        };
        let s = if flip { -1.0 } else { 1.0 };
        if flip {
            constant += ai * bi;
        }
        rows.push(w.iter().map(|v| s * v).collect::<Vec<f64>>());
        b.push(s * bi);
        a.push(*ai);
    }
    let w = Mat::from_fn(k, d, |i, j| rows[i][j]);
    Network::depth2(
        w.as_ref(),
        Col::from_fn(k, |i| b[i]).as_ref(),
        Col::from_fn(k, |i| a[i]).as_ref(),
        constant,
    )
    .ok()
}

/// Rows [`Elimination`] fits the output layer on.
const PRUNE_ROWS: usize = 100_000;

/// Backward elimination of a depth-2 network's units: with the hidden
/// features `h_i = relu(⟨w_i, x⟩ + b_i)` of the first [`PRUNE_ROWS`]
/// training rows, repeatedly drop the unit whose removal raises the
/// least-squares error of the output layer `(a, c)` refitted on the others
/// the least. Units that only compensate each other (an affine pair, a unit
/// fitted to noise that a later unit made redundant) go first, whatever
/// their size. The greedy path is computed once, down to the smallest count
/// any caller asks for; every smaller target is a point on it.
pub(super) struct Elimination {
    /// The network's first layer and the output layer's refit data.
    w: Mat<f64>,
    b: Col<f64>,
    h: Mat<f64>,
    y: Col<f64>,
    /// The units kept after each step and their least-squares error, from
    /// all units down to the floor.
    path: Vec<(Vec<usize>, f64)>,
}

impl Elimination {
    /// The path from all of `net`'s units down to `floor` of them; `None`
    /// for another depth or a failed solve.
    pub(super) fn new(net: &Network, floor: usize, train: &Rows<'_>) -> Option<Self> {
        let p = net.as_depth2().ok()?;
        let (x, y) = crate::common::load_rows(train, PRUNE_ROWS.min(train.len()));
        let pre = &x * p.w.transpose();
        let units = p.w.nrows();
        let h = Mat::from_fn(x.nrows(), units + 1, |r, i| {
            if i < units {
                (pre[(r, i)] + p.b[i]).max(0.0)
            } else {
                1.0
            }
        });
        let mut e = Self {
            w: p.w.to_owned(),
            b: p.b.to_owned(),
            h,
            y,
            path: Vec::new(),
        };
        let mut keep: Vec<usize> = (0..units).collect();
        e.path.push((keep.clone(), e.fit(&keep)?.0));
        while keep.len() > floor {
            let mut best: Option<(f64, usize)> = None;
            for pos in 0..keep.len() {
                let rest: Vec<usize> = keep
                    .iter()
                    .enumerate()
                    .filter(|&(j, _)| j != pos)
                    .map(|(_, &i)| i)
                    .collect();
                let (sse, _) = e.fit(&rest)?;
                if best.is_none_or(|b| sse < b.0) {
                    best = Some((sse, pos));
                }
            }
            let (sse, pos) = best?;
            keep.remove(pos);
            e.path.push((keep.clone(), sse));
        }
        Some(e)
    }

    /// The least-squares error and coefficients `(a, c)` of the output
    /// layer on the units `keep`.
    fn fit(&self, keep: &[usize]) -> Option<(f64, Col<f64>)> {
        let cols: Vec<usize> = keep.iter().copied().chain([self.w.nrows()]).collect();
        let f = Mat::from_fn(self.h.nrows(), cols.len(), |r, j| self.h[(r, cols[j])]);
        let coef = least_squares(f.as_ref(), &self.y)?;
        let fitted = &f * &coef;
        let sse = (0..self.y.nrows())
            .map(|r| (self.y[r] - fitted[r]).powi(2))
            .sum::<f64>();
        Some((sse, coef))
    }

    /// The network of the units `keep` with the refitted output layer.
    fn network(&self, keep: &[usize]) -> Option<Network> {
        let k = keep.len();
        let (_, coef) = self.fit(keep)?;
        Network::depth2(
            Mat::from_fn(k, self.w.ncols(), |r, c| self.w[(keep[r], c)]).as_ref(),
            Col::from_fn(k, |r| self.b[keep[r]]).as_ref(),
            Col::from_fn(k, |r| coef[r]).as_ref(),
            coef[k],
        )
        .ok()
    }

    /// Exactly `k` units (a point on the path), if the path reaches it.
    pub(super) fn units(&self, k: usize) -> Option<Network> {
        let (keep, _) = self.path.iter().find(|(keep, _)| keep.len() == k)?;
        self.network(keep)
    }

    /// The count before the largest relative rise of the error along the
    /// path (the first unit that mattered).
    pub(super) fn before_largest_jump(&self) -> Option<Network> {
        let jump = |i: usize| self.path[i + 1].1 / self.path[i].1.max(f64::MIN_POSITIVE);
        let i = (0..self.path.len() - 1).max_by(|&i, &j| jump(i).total_cmp(&jump(j)))?;
        self.network(&self.path[i].0)
    }
}

impl Atv {
    /// Back to k units from more (the affine pair of step 6, units of step
    /// 8): absorb a mirrored pair by flipping units, or drop units by
    /// backward elimination ([`Elimination`]; the dropped units would still
    /// cut spurious region boundaries). The first whose polished validation
    /// error stays within 2× wins; otherwise the network is kept as it is.
    /// The re-polish is not waste although the profile at d = 100 shows it
    /// (15 of 44 s): taking a candidate unpolished, even within 10 % of the
    /// error, cost a factor 4 in accuracy in the samples suite, because the
    /// polish of k units goes below the larger network's error.
    pub(super) fn simplify(
        &self,
        network: Network,
        error: f64,
        k: usize,
        rows: &Judge<'_>,
        report: &mut Report,
    ) -> Result<(Network, f64), LearnError> {
        let units = network.layers()[0].fan_out();
        // One elimination path down to k serves every target below; it is
        // computed only when a candidate needs it.
        let elimination = std::cell::OnceCell::new();
        let eliminate = || {
            elimination
                .get_or_init(|| Elimination::new(&network, k, rows.train))
                .as_ref()
        };
        // An affine pair (or an always-active unit) among more units (units
        // added in step 8 after a fit that kept the pair, a unit spent on
        // noise) is absorbed after the others are pruned to k + 2 (k + 1).
        let absorb = |extra: usize| {
            let net = if units > k + extra {
                eliminate()?.units(k + extra)?
            } else if units == k + extra {
                network.clone()
            } else {
                return None;
            };
            simplify_affine(&net, k)
        };
        let candidates: [(&dyn Fn() -> Option<Network>, &str); 3] = [
            (&|| absorb(2), "the affine pair was absorbed by flipping units"),
            (
                &|| absorb(1),
                "an always-active unit was absorbed by flipping units",
            ),
            (&|| eliminate()?.units(k), "units dropped by backward elimination"),
        ];
        match self.first_within(&candidates, error, rows, report)? {
            Some(kept) => Ok(kept),
            None => {
                report.notes.push(format!("kept {units} units"));
                Ok((network, error))
            }
        }
    }

    /// Without a given k: backward elimination down to at least `min` units,
    /// stopping before the largest rise of the least-squares error
    /// ([`Elimination::before_largest_jump`]), then an affine part left behind absorbed
    /// by flipping units when the flips fit; polished and kept if its
    /// validation error stays within 2×.
    pub(super) fn simplify_auto(
        &self,
        network: Network,
        error: f64,
        min: usize,
        rows: &Judge<'_>,
        report: &mut Report,
    ) -> Result<(Network, f64), LearnError> {
        let units = network.layers()[0].fan_out();
        let Some(pruned) =
            Elimination::new(&network, min.min(units), rows.train).and_then(|e| e.before_largest_jump())
        else {
            return Ok((network, error));
        };
        let k = pruned.layers()[0].fan_out();
        if k == units {
            return Ok((network, error));
        }
        let absorbed =
            || (1..=2).find_map(|extra| k.checked_sub(extra).and_then(|m| simplify_affine(&pruned, m)));
        let candidates: [(&dyn Fn() -> Option<Network>, &str); 2] = [
            (
                &absorbed,
                "units dropped by backward elimination and an affine part absorbed by flipping units",
            ),
            (&|| Some(pruned.clone()), "units dropped by backward elimination"),
        ];
        match self.first_within(&candidates, error, rows, report)? {
            Some(kept) => Ok(kept),
            None => {
                report.notes.push(format!("kept {units} units"));
                Ok((network, error))
            }
        }
    }

    /// The first candidate whose polished validation error is at most 2×
    /// `error`, noting each try.
    fn first_within(
        &self,
        candidates: &[(&dyn Fn() -> Option<Network>, &str)],
        error: f64,
        rows: &Judge<'_>,
        report: &mut Report,
    ) -> Result<Option<(Network, f64)>, LearnError> {
        let bound = (2.0 * error).max(1e-12);
        for (candidate, how) in candidates {
            let Some(candidate) = candidate() else { continue };
            let (candidate, _) = polish_lm(&candidate, rows.train, &self.params().polish_params, rows.par)?;
            let e = relative_error(&candidate, rows.val, rows.par)?;
            let m = candidate.layers()[0].fan_out();
            if e <= bound {
                report
                    .notes
                    .push(format!("{how}: {m} units, validation error {e:.3e}"));
                return Ok(Some((candidate, e)));
            }
            report.notes.push(format!(
                "not taken ({how}, {m} units): the validation error would rise to {e:.3e}"
            ));
        }
        Ok(None)
    }
}
