//! Canonical form of depth-2 networks and matching of hidden units up to
//! permutation.
//!
//! ReLU is positively homogeneous: `a relu(⟨w, x⟩ + b) = (a‖w‖) relu(⟨w/‖w‖,
//! x⟩ + b/‖w‖)`. The **canonical form** therefore rescales every hidden
//! unit to a unit-norm row, `(ŵ, b̂, â) = (w/‖w‖, b/‖w‖, a‖w‖)` (units with
//! `w = 0` are left as they are), which identifies the network up to a
//! permutation of its units.
//!
//! **Matching** pairs the units of a model with those of a teacher by an
//! optimal assignment (Kuhn–Munkres, through the `pathfinding` crate) of the
//! cost `‖ŵ_i − ŵ*_j‖² + (b̂_i − b̂*_j)² + (â_i − â*_j)²` on canonical forms,
//! and reports per-unit errors. The result is invariant under permutations
//! of either network's units and under the rescalings
//! `(w, b, a) ↦ (s w, s b, a / s)`, `s > 0`.
//!
//! Note that `(w, b)` and `(−w, −b)` are *different* functions
//! (`relu(z) − relu(−z) = z`); matching does not identify them.

use faer::{Col, Mat};
use pathfinding::kuhn_munkres::kuhn_munkres_min;
use pathfinding::matrix::Matrix;
use serde::{Deserialize, Serialize};

use crate::error::NetError;
use crate::network::Network;

/// A depth-2 network in canonical form: unit-norm rows (or zero rows),
/// units sorted lexicographically by `(ŵ, b̂, â)`.
#[derive(Clone, Debug, PartialEq)]
pub struct CanonicalDepth2 {
    /// Unit-norm hidden rows ŵ_i (k × d).
    pub w: Mat<f64>,
    /// Rescaled biases b̂_i.
    pub b: Col<f64>,
    /// Rescaled output weights â_i.
    pub a: Col<f64>,
    /// Output bias c (unchanged).
    pub c: f64,
}

/// One canonical unit: (row, bias, output weight).
type Unit = (Vec<f64>, f64, f64);

fn canonical_units(net: &Network, what: &'static str) -> Result<(Vec<Unit>, f64), NetError> {
    let p = net.as_depth2().map_err(|_| NetError::NotDepth2 {
        what,
        depth: net.depth(),
    })?;
    let (k, d) = (p.w.nrows(), p.w.ncols());
    let units = (0..k)
        .map(|i| {
            let row: Vec<f64> = (0..d).map(|j| p.w[(i, j)]).collect();
            let norm = row.iter().map(|v| v * v).sum::<f64>().sqrt();
            if norm > 0.0 {
                (
                    row.iter().map(|v| v / norm).collect(),
                    p.b[i] / norm,
                    p.a[i] * norm,
                )
            } else {
                (row, p.b[i], p.a[i])
            }
        })
        .collect();
    Ok((units, p.c))
}

/// The canonical units `(ŵ, b̂, â)` of a depth-2 network in its own unit
/// order, and its output bias.
///
/// # Errors
/// [`NetError::NotDepth2`] for other depths.
#[allow(clippy::type_complexity)]
pub fn canonical_units_in_order(net: &Network) -> Result<(Vec<(Vec<f64>, f64, f64)>, f64), NetError> {
    canonical_units(net, "the canonical units")
}

/// The canonical form of a depth-2 network (see the module docs).
///
/// # Errors
/// [`NetError::NotDepth2`] for other depths.
pub fn canonical_depth2(net: &Network) -> Result<CanonicalDepth2, NetError> {
    let (mut units, c) = canonical_units(net, "the canonical form")?;
    units.sort_by(|x, y| {
        x.0.iter()
            .zip(&y.0)
            .map(|(p, q)| p.total_cmp(q))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(x.1.total_cmp(&y.1))
            .then(x.2.total_cmp(&y.2))
    });
    let (k, d) = (units.len(), net.input_dim());
    Ok(CanonicalDepth2 {
        w: Mat::from_fn(k, d, |i, j| units[i].0[j]),
        b: Col::from_fn(k, |i| units[i].1),
        a: Col::from_fn(k, |i| units[i].2),
        c,
    })
}

/// The errors of one matched pair of units, on canonical forms.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnitMatch {
    /// Index of the teacher's unit.
    pub teacher_unit: usize,
    /// Index of the model's unit.
    pub model_unit: usize,
    /// ‖ŵ − ŵ*‖.
    pub direction_error: f64,
    /// Angle between ŵ and ŵ*, in radians.
    pub angle: f64,
    /// |b̂ − b̂*|.
    pub bias_error: f64,
    /// |â − â*|.
    pub output_weight_error: f64,
}

/// The optimal matching of a model's hidden units to a teacher's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Matching {
    /// Matched pairs, ordered by teacher unit.
    pub pairs: Vec<UnitMatch>,
    /// Teacher units left without a partner (the model has fewer units).
    pub unmatched_teacher: Vec<usize>,
    /// Model units left without a partner (the model has more units).
    pub unmatched_model: Vec<usize>,
    /// |c − c*|.
    pub output_bias_error: f64,
}

impl Matching {
    fn max_of(&self, f: impl Fn(&UnitMatch) -> f64) -> f64 {
        self.pairs.iter().map(f).fold(0.0, f64::max)
    }

    /// The largest direction error ‖ŵ − ŵ*‖ over matched pairs.
    #[must_use]
    pub fn max_direction_error(&self) -> f64 {
        self.max_of(|u| u.direction_error)
    }

    /// The largest bias error over matched pairs.
    #[must_use]
    pub fn max_bias_error(&self) -> f64 {
        self.max_of(|u| u.bias_error)
    }

    /// The largest output-weight error over matched pairs.
    #[must_use]
    pub fn max_output_weight_error(&self) -> f64 {
        self.max_of(|u| u.output_weight_error)
    }

    /// The largest of all per-unit errors and the output-bias error: one
    /// number for "parameters recovered to accuracy ε".
    #[must_use]
    pub fn parameter_error(&self) -> f64 {
        self.max_direction_error()
            .max(self.max_bias_error())
            .max(self.max_output_weight_error())
            .max(self.output_bias_error)
    }
}

/// Matches the hidden units of `model` to those of `teacher` (both depth
/// 2, same input dimension) by an optimal assignment on canonical forms.
///
/// # Errors
/// [`NetError::NotDepth2`] if either network has another depth,
/// [`NetError::InputDim`] if the input dimensions differ.
///
/// # Complexity
/// O(k_model · k_teacher · d) for the costs and O(k³) for the assignment.
pub fn match_depth2(model: &Network, teacher: &Network) -> Result<Matching, NetError> {
    if model.input_dim() != teacher.input_dim() {
        return Err(NetError::InputDim {
            expected: teacher.input_dim(),
            got: model.input_dim(),
        });
    }
    let (mu, mc) = canonical_units(model, "unit matching")?;
    let (tu, tc) = canonical_units(teacher, "unit matching")?;
    let cost = |m: &Unit, t: &Unit| {
        let dw: f64 = m.0.iter().zip(&t.0).map(|(p, q)| (p - q).powi(2)).sum();
        dw + (m.1 - t.1).powi(2) + (m.2 - t.2).powi(2)
    };
    // Rows of the assignment problem are the smaller side.
    let model_rows = mu.len() <= tu.len();
    let (nr, nc) = if model_rows {
        (mu.len(), tu.len())
    } else {
        (tu.len(), mu.len())
    };
    let raw = Matrix::from_fn(nr, nc, |(r, c)| {
        if model_rows {
            cost(&mu[r], &tu[c])
        } else {
            cost(&mu[c], &tu[r])
        }
    });
    // Kuhn–Munkres needs exact integer weights: scale the costs so that the
    // largest is 1e12 (total ≤ k · 1e12, far from i64 overflow).
    let max_cost = raw.values().copied().fold(0.0, f64::max);
    let scale = if max_cost > 0.0 { 1e12 / max_cost } else { 1.0 };
    let weights = Matrix::from_fn(nr, nc, |(r, c)| (raw[(r, c)] * scale).round() as i64);
    let assignment = if nr == 0 {
        Vec::new()
    } else {
        kuhn_munkres_min(&weights).1
    };
    let mut pairs: Vec<UnitMatch> = assignment
        .iter()
        .enumerate()
        .map(|(r, &c)| {
            let (mi, ti) = if model_rows { (r, c) } else { (c, r) };
            let (m, t) = (&mu[mi], &tu[ti]);
            let dw =
                m.0.iter()
                    .zip(&t.0)
                    .map(|(p, q)| (p - q).powi(2))
                    .sum::<f64>()
                    .sqrt();
            let dot: f64 = m.0.iter().zip(&t.0).map(|(p, q)| p * q).sum();
            let norms =
                m.0.iter().map(|v| v * v).sum::<f64>().sqrt() * t.0.iter().map(|v| v * v).sum::<f64>().sqrt();
            let angle = if norms > 0.0 {
                (dot / norms).clamp(-1.0, 1.0).acos()
            } else {
                std::f64::consts::FRAC_PI_2
            };
            UnitMatch {
                teacher_unit: ti,
                model_unit: mi,
                direction_error: dw,
                angle,
                bias_error: (m.1 - t.1).abs(),
                output_weight_error: (m.2 - t.2).abs(),
            }
        })
        .collect();
    pairs.sort_by_key(|p| p.teacher_unit);
    let unmatched_teacher = (0..tu.len())
        .filter(|j| !pairs.iter().any(|p| p.teacher_unit == *j))
        .collect();
    let unmatched_model = (0..mu.len())
        .filter(|j| !pairs.iter().any(|p| p.model_unit == *j))
        .collect();
    Ok(Matching {
        pairs,
        unmatched_teacher,
        unmatched_model,
        output_bias_error: (mc - tc).abs(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::{col, mat};

    #[test]
    fn identical_networks_match_with_zero_error() {
        let t = Network::depth2(
            mat![[1.0, 0.0], [0.6, 0.8], [0.0, -2.0]].as_ref(),
            col![0.1, -0.3, 0.4].as_ref(),
            col![1.0, -1.0, 0.5].as_ref(),
            0.2,
        )
        .unwrap();
        let m = match_depth2(&t, &t).unwrap();
        assert_eq!(m.parameter_error(), 0.0);
        assert_eq!(m.pairs.len(), 3);
        assert!(m.pairs.iter().all(|p| p.teacher_unit == p.model_unit));
    }

    #[test]
    fn unequal_unit_counts_leave_units_unmatched() {
        let t = Network::depth2(
            mat![[1.0, 0.0], [0.0, 1.0]].as_ref(),
            col![0.0, 0.0].as_ref(),
            col![1.0, 1.0].as_ref(),
            0.0,
        )
        .unwrap();
        let m1 = Network::depth2(
            mat![[0.0, 3.0]].as_ref(),
            col![0.0].as_ref(),
            col![1.0 / 3.0].as_ref(),
            0.0,
        )
        .unwrap();
        let m = match_depth2(&m1, &t).unwrap();
        assert_eq!(m.pairs.len(), 1);
        assert_eq!(m.pairs[0].teacher_unit, 1);
        assert!(m.pairs[0].direction_error < 1e-15);
        assert_eq!(m.unmatched_teacher, vec![0]);
        let m = match_depth2(&t, &m1).unwrap();
        assert_eq!(m.unmatched_model, vec![0]);
    }

    #[test]
    fn canonical_form_normalises_and_sorts() {
        let net = Network::depth2(
            mat![[0.0, 2.0], [-3.0, 0.0]].as_ref(),
            col![1.0, 3.0].as_ref(),
            col![1.0, 1.0].as_ref(),
            0.0,
        )
        .unwrap();
        let c = canonical_depth2(&net).unwrap();
        assert_eq!(c.w, mat![[-1.0, 0.0], [0.0, 1.0]]);
        assert_eq!(c.b, col![1.0, 0.5]);
        assert_eq!(c.a, col![3.0, 2.0]);
    }

    #[test]
    fn matching_rejects_other_depths_and_dims() {
        let t = Network::depth2(
            mat![[1.0, 0.0]].as_ref(),
            col![0.0].as_ref(),
            col![1.0].as_ref(),
            0.0,
        )
        .unwrap();
        let deep = Network::from_parts(vec![(mat![[1.0, 0.0]], col![0.0])]).unwrap();
        assert!(matches!(match_depth2(&deep, &t), Err(NetError::NotDepth2 { .. })));
        let other =
            Network::depth2(mat![[1.0]].as_ref(), col![0.0].as_ref(), col![1.0].as_ref(), 0.0).unwrap();
        assert!(matches!(match_depth2(&other, &t), Err(NetError::InputDim { .. })));
    }
}
