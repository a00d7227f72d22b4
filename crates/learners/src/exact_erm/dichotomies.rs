//! Enumeration of the dichotomies of a point set by (affine or linear)
//! halfspaces: the chambers of a central hyperplane arrangement.
//!
//! A unit `relu(⟨a, x⟩ + b)` splits the data into the points where it is
//! active and the rest. With `v_j = (x_j, 1)` (affine units) or `v_j = x_j`
//! (bias-free units), the splits realised by *strict* inequalities are the
//! sign vectors of the open chambers of the central arrangement
//! `{θ : ⟨θ, v_j⟩ = 0}` in parameter space. Every parameter vector lies in
//! the closure of some chamber, so the chambers with non-strict constraints
//! cover all parameters — this is what makes the exact ERM enumeration
//! complete.
//!
//! # Algorithm
//! Normalise the vectors (signs are scale free), restrict to their span
//! (dimension r). For r = 1 there are two chambers. For r ≥ 2 every chamber
//! is a pointed cone, so it has an extreme ray ρ, which is a one-dimensional
//! flat: the orthogonal complement of r − 1 independent vectors. Enumerate
//! all (r − 1)-subsets, take ρ and the set Z of vectors orthogonal to it; the
//! chambers having ±ρ as a ray have the sign of ⟨±ρ, v_j⟩ off Z and, on Z, a
//! chamber of Z's own arrangement (rank r − 1, recursively). Degenerate
//! inputs (many points on one hyperplane, repeated points) are handled
//! exactly by the recursion, not by perturbation; each Z is expanded once.
//!
//! For D vectors in general position in ℝ^r the number of chambers is
//! `2 Σ_{i<r} C(D−1, i)` (Cover 1965); [`chamber_bound`] computes it.

use std::collections::BTreeSet;

use relu_net::stats::binomial;

use super::algorithm::for_each_combination;

/// Relative tolerance for "this vector lies on that hyperplane" (vectors are
/// normalised first, so it is an angle in radians).
pub(crate) const ON_TOL: f64 = 1e-10;

/// `2 Σ_{i<r} C(D−1, i)`: the number of chambers of D vectors in general
/// position spanning ℝ^r (an upper bound in every case). Saturates at
/// `u128::MAX`.
#[must_use]
pub fn chamber_bound(d_vectors: usize, rank: usize) -> u128 {
    if d_vectors == 0 {
        return 1;
    }
    (0..rank as u64)
        .map(|i| binomial(d_vectors as u64 - 1, i))
        .fold(0u128, u128::saturating_add)
        .saturating_mul(2)
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

/// Orthonormal basis (modified Gram–Schmidt, twice) of the span of `vs`.
fn span_basis(vs: &[&[f64]], dim: usize) -> Vec<Vec<f64>> {
    let mut basis: Vec<Vec<f64>> = Vec::new();
    for v in vs {
        let mut r = v.to_vec();
        let n0 = norm(&r);
        for _ in 0..2 {
            for q in &basis {
                let c = dot(q, &r);
                for (ri, qi) in r.iter_mut().zip(q) {
                    *ri -= c * qi;
                }
            }
        }
        let n = norm(&r);
        if n > ON_TOL * n0.max(f64::MIN_POSITIVE) && n > 0.0 {
            r.iter_mut().for_each(|x| *x /= n);
            basis.push(r);
        }
        if basis.len() == dim {
            break;
        }
    }
    basis
}

/// The unit vector orthogonal to the r − 1 independent vectors `s` in ℝ^r,
/// or `None` if they are dependent.
fn normal_of(s: &[&[f64]], r: usize) -> Option<Vec<f64>> {
    let basis = span_basis(s, r);
    if basis.len() + 1 != r {
        return None;
    }
    let mut best: Option<(f64, Vec<f64>)> = None;
    for e in 0..r {
        let mut v = vec![0.0; r];
        v[e] = 1.0;
        for _ in 0..2 {
            for q in &basis {
                let c = dot(q, &v);
                for (vi, qi) in v.iter_mut().zip(q) {
                    *vi -= c * qi;
                }
            }
        }
        let n = norm(&v);
        if best.as_ref().is_none_or(|b| n > b.0) {
            best = Some((n, v));
        }
    }
    let (n, mut v) = best?;
    v.iter_mut().for_each(|x| *x /= n);
    Some(v)
}

/// Chambers of the arrangement of unit vectors `vs` (all of the same length).
fn chambers_rec(vs: &[Vec<f64>]) -> BTreeSet<Vec<bool>> {
    let mut out = BTreeSet::new();
    if vs.is_empty() {
        out.insert(Vec::new());
        return out;
    }
    let dim = vs[0].len();
    let refs: Vec<&[f64]> = vs.iter().map(Vec::as_slice).collect();
    let basis = span_basis(&refs, dim);
    let r = basis.len();
    // Coordinates in the span.
    let c: Vec<Vec<f64>> = vs
        .iter()
        .map(|v| basis.iter().map(|q| dot(q, v)).collect())
        .collect();
    if r == 1 {
        out.insert(c.iter().map(|v| v[0] > 0.0).collect());
        out.insert(c.iter().map(|v| v[0] < 0.0).collect());
        return out;
    }
    let mut seen: BTreeSet<Vec<bool>> = BTreeSet::new();
    for_each_combination(c.len(), r - 1, &mut |subset| {
        let s: Vec<&[f64]> = subset.iter().map(|&i| c[i].as_slice()).collect();
        let Some(rho) = normal_of(&s, r) else {
            return;
        };
        let proj: Vec<f64> = c.iter().map(|v| dot(&rho, v)).collect();
        let on: Vec<bool> = proj
            .iter()
            .zip(&c)
            .map(|(p, v)| p.abs() <= ON_TOL * norm(v))
            .collect();
        if !seen.insert(on.clone()) {
            return;
        }
        let z: Vec<Vec<f64>> = c
            .iter()
            .zip(&on)
            .filter(|(_, o)| **o)
            .map(|(v, _)| {
                let n = norm(v);
                v.iter().map(|x| x / n).collect()
            })
            .collect();
        let local = chambers_rec(&z);
        for orient in [1.0, -1.0] {
            for l in &local {
                let mut k = 0;
                let pattern: Vec<bool> = proj
                    .iter()
                    .zip(&on)
                    .map(|(p, o)| {
                        if *o {
                            k += 1;
                            l[k - 1]
                        } else {
                            orient * p > 0.0
                        }
                    })
                    .collect();
                out.insert(pattern);
            }
        }
    });
    out
}

/// All dichotomies (active = `true`) of the rows of `points` (n × dim,
/// row-major slices) realised by `relu(⟨a, x⟩ + b)` (`affine = true`) or
/// `relu(⟨a, x⟩)`, as chambers of the parameter-space arrangement, sorted.
/// A zero point of a bias-free arrangement is never active (its
/// pre-activation is 0 for every parameter).
#[must_use]
pub fn dichotomies(points: &[Vec<f64>], affine: bool) -> Vec<Vec<bool>> {
    let mut idx = Vec::new();
    let mut vs = Vec::new();
    for (j, p) in points.iter().enumerate() {
        let mut v = p.clone();
        if affine {
            v.push(1.0);
        }
        let n = norm(&v);
        if n > 0.0 {
            idx.push(j);
            vs.push(v.iter().map(|x| x / n).collect::<Vec<f64>>());
        }
    }
    chambers_rec(&vs)
        .into_iter()
        .map(|c| {
            let mut full = vec![false; points.len()];
            for (k, &j) in idx.iter().enumerate() {
                full[j] = c[k];
            }
            full
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn general_position_counts_match_cover() {
        // Points on the moment curve are in general position.
        for d in 1..9 {
            let pts: Vec<Vec<f64>> = (0..d)
                .map(|t| {
                    let t = t as f64 + 1.0;
                    vec![t, t * t]
                })
                .collect();
            let got = dichotomies(&pts, true).len() as u128;
            assert_eq!(got, chamber_bound(d, 3).min(1 << d), "d = {d}");
        }
    }

    #[test]
    fn one_dimensional_thresholds() {
        // Three distinct values and one repeat: {x > t} and {x < t} give
        // ∅, {2}, {1, 2}, all, {0}, {0, 1}: 2·3 sets, as for 3 points.
        let pts = vec![vec![0.0], vec![1.0], vec![2.0], vec![1.0]];
        let ds = dichotomies(&pts, true);
        assert_eq!(ds.len(), 6);
        // The repeated point is always on the same side as its twin.
        assert!(ds.iter().all(|c| c[1] == c[3]));
    }

    #[test]
    fn collinear_points_are_not_over_split() {
        // Three collinear points in the plane: the middle one can never be
        // separated from both ends by a line.
        let pts = vec![vec![0.0, 0.0], vec![1.0, 1.0], vec![2.0, 2.0]];
        let ds = dichotomies(&pts, true);
        assert!(!ds.contains(&vec![true, false, true]));
        assert!(!ds.contains(&vec![false, true, false]));
        assert_eq!(ds.len(), 6);
    }

    #[test]
    fn bias_free_units_never_activate_the_origin() {
        let pts = vec![vec![0.0, 0.0], vec![1.0, 0.0], vec![-1.0, 0.0]];
        let ds = dichotomies(&pts, false);
        assert!(ds.iter().all(|c| !c[0]));
        // x ↦ a x₁: active on {1}, on {2}, or on neither (a₁ = 0 is a face,
        // covered by the closures).
        assert_eq!(ds.len(), 2);
    }
}
