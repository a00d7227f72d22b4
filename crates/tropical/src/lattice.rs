//! Lattice (max–min) representation of a continuous piecewise-linear
//! function from its affine pieces (Tarela & Martínez 1999; Ovchinnikov
//! 2002).
//!
//! Let f be continuous and piecewise linear on a convex domain D, with
//! distinct affine pieces `ℓ_1, …, ℓ_m`. For a point p put
//! `S_p = {j : ℓ_j(p) ≥ f(p)}`; then `min_{j ∈ S_p} ℓ_j ≤ f` on all of D with
//! equality at p, so `f(x) = max_p min_{j ∈ S_p} ℓ_j(x)`. `S_p` is constant
//! on each cell of the arrangement of the hyperplanes `ℓ_j = ℓ_σ` inside a
//! region where `f = ℓ_σ`, so one point per such cell suffices — one point
//! per activation region does *not* (a property test found the
//! counterexample). [`Lattice::from_slice`] refines every cell of a 2-D
//! slice by these lines before taking the points.

use serde::{Deserialize, Serialize};

use crate::regions::Affine;
use crate::slice::{Plane, Slice, area, clip};

/// `max_r min_{j ∈ S_r} ℓ_j(x)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Lattice {
    /// The distinct affine pieces.
    pub pieces: Vec<Affine>,
    /// The index sets `S_r` (distinct, sorted).
    pub sets: Vec<Vec<usize>>,
}

impl Lattice {
    /// From pieces with points (`(map, point)`): the function equals `map`
    /// near `point`. The points must meet every cell of the arrangement of
    /// `{ℓ_j = ℓ_σ}` inside every region (see the module docs); the result
    /// is then exact on any convex domain containing them. Pieces equal up
    /// to `1e-9 · (1 + |coefficients|)` are merged.
    #[must_use]
    pub fn from_pieces(regions: &[(Affine, Vec<f64>)]) -> Self {
        let same = |a: &Affine, b: &Affine| {
            let scale = 1.0 + a.constant.abs() + a.grad.iter().map(|g| g.abs()).sum::<f64>();
            (a.constant - b.constant).abs() <= 1e-9 * scale
                && a.grad
                    .iter()
                    .zip(&b.grad)
                    .all(|(x, y)| (x - y).abs() <= 1e-9 * scale)
        };
        let mut pieces: Vec<Affine> = Vec::new();
        let mut sigma = Vec::with_capacity(regions.len());
        for (map, _) in regions {
            let idx = pieces.iter().position(|p| same(p, map)).unwrap_or_else(|| {
                pieces.push(map.clone());
                pieces.len() - 1
            });
            sigma.push(idx);
        }
        let mut sets: Vec<Vec<usize>> = regions
            .iter()
            .zip(&sigma)
            .map(|((_, p), &s)| {
                let v = pieces[s].eval(p);
                let tol = 1e-9 * (1.0 + v.abs());
                (0..pieces.len())
                    .filter(|&j| pieces[j].eval(p) >= v - tol)
                    .collect()
            })
            .collect();
        sets.sort();
        sets.dedup();
        Self { pieces, sets }
    }

    /// From the cells of a 2-D slice, in the slice coordinates (s, t): each
    /// cell is cut by the lines where another piece equals its own, and the
    /// centre of every part is a point of [`Lattice::from_pieces`]. Exact on
    /// the slice's rectangle.
    #[must_use]
    pub fn from_slice(slice: &Slice) -> Self {
        let planes: Vec<Plane> = slice.cells.iter().map(|c| c.map).collect();
        let mut distinct: Vec<Plane> = Vec::new();
        for p in &planes {
            let scale = 1.0 + p.a.abs() + p.b.abs() + p.c.abs();
            if !distinct.iter().any(|q| {
                (q.a - p.a).abs() <= 1e-9 * scale
                    && (q.b - p.b).abs() <= 1e-9 * scale
                    && (q.c - p.c).abs() <= 1e-9 * scale
            }) {
                distinct.push(*p);
            }
        }
        let [s0, s1, t0, t1] = slice.rect;
        let min_area = 1e-14 * (s1 - s0) * (t1 - t0);
        let mut points = Vec::new();
        for cell in &slice.cells {
            let own = cell.map;
            let mut parts = vec![cell.vertices.clone()];
            for q in &distinct {
                let diff = Plane {
                    a: q.a - own.a,
                    b: q.b - own.b,
                    c: q.c - own.c,
                };
                if diff.a == 0.0 && diff.b == 0.0 {
                    continue;
                }
                let mut next = Vec::with_capacity(parts.len() * 2);
                for poly in parts {
                    let (p, n) = clip(&poly, diff, 1.0);
                    for part in [p, n] {
                        if part.len() >= 3 && area(&part) > min_area {
                            next.push(part);
                        }
                    }
                }
                parts = next;
            }
            for poly in parts {
                let k = poly.len() as f64;
                let (s, t) = poly.iter().fold((0.0, 0.0), |a, v| (a.0 + v[0], a.1 + v[1]));
                points.push((
                    Affine {
                        grad: vec![own.a, own.b],
                        constant: own.c,
                    },
                    vec![s / k, t / k],
                ));
            }
        }
        Self::from_pieces(&points)
    }

    /// `max_r min_{j ∈ S_r} ℓ_j(x)`.
    #[must_use]
    pub fn eval(&self, x: &[f64]) -> f64 {
        let vals: Vec<f64> = self.pieces.iter().map(|p| p.eval(x)).collect();
        self.sets
            .iter()
            .map(|s| s.iter().map(|&j| vals[j]).fold(f64::INFINITY, f64::min))
            .fold(f64::NEG_INFINITY, f64::max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_value_and_a_hat() {
        // |x| = max(x, −x): two regions.
        let l = Lattice::from_pieces(&[
            (
                Affine {
                    grad: vec![1.0],
                    constant: 0.0,
                },
                vec![1.0],
            ),
            (
                Affine {
                    grad: vec![-1.0],
                    constant: 0.0,
                },
                vec![-1.0],
            ),
        ]);
        for x in [-2.0, 0.0, 0.5] {
            assert_eq!(l.eval(&[x]), f64::abs(x));
        }
        // A hat: 0, x + 1, 1 − x, 0 on (−∞,−1), (−1,0), (0,1), (1,∞).
        let hat = |x: f64| (1.0 - x.abs()).max(0.0);
        let l = Lattice::from_pieces(&[
            (
                Affine {
                    grad: vec![0.0],
                    constant: 0.0,
                },
                vec![-2.0],
            ),
            (
                Affine {
                    grad: vec![1.0],
                    constant: 1.0,
                },
                vec![-0.5],
            ),
            (
                Affine {
                    grad: vec![-1.0],
                    constant: 1.0,
                },
                vec![0.5],
            ),
            (
                Affine {
                    grad: vec![0.0],
                    constant: 0.0,
                },
                vec![2.0],
            ),
        ]);
        assert_eq!(l.pieces.len(), 3);
        for x in [-3.0, -1.0, -0.25, 0.0, 0.75, 1.5] {
            assert!((l.eval(&[x]) - hat(x)).abs() < 1e-12, "{x}");
        }
    }
}
