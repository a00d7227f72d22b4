//! Step 3 of narrow, the papers' net: a deterministic covering of the unit
//! sphere of V (up to sign) with a computed covering angle, for every
//! dimension m, and the local nets of the multi-scale refinement.
//!
//! CDGKM (Lemmas 12–14) and Chen–Narayanan (step 4 of NetLearn) search a
//! `ξ`-net of unit vectors in V; its size `(C/ξ)^{m−1}` is exponential in m.
//! Here the net is the set of cell centres of a grid with g cells per axis on
//! the m faces `{v : v_j = 1, |v_i| ≤ 1}` of the cube, normalised. Every
//! direction has, up to sign, a representative on one of those faces (scale
//! it so its largest |coordinate| is 1, positive), the nearest cell centre is
//! within `(h/2)√(m − 1)` of it on the face (h = 2/g), and normalising is the
//! projection onto the unit ball, which does not increase distances between
//! points outside it. So every unit vector is within the chord
//! `ρ = √(m − 1)/g`, the angle `2 asin(ρ/2)`, of a net point up to sign. The
//! net's size `m g^{m−1}` is the largest not above the `net_points` budget;
//! the fit reports both (`net_points`, `net_covering_angle`).

use faer::Col;

/// The net of V's unit sphere (up to sign) with at most `budget` points for
/// m ≥ 3, and its covering angle in radians. m = 1: the one direction
/// (angle 0); m = 2: `min(budget, 720)` equally spaced angles on the half
/// circle (covering angle π / (2N)).
pub(super) fn sphere_net(m: usize, budget: usize) -> (Vec<Col<f64>>, f64) {
    match m {
        0 => (Vec::new(), 0.0),
        1 => (vec![Col::from_fn(1, |_| 1.0)], 0.0),
        2 => {
            let n = budget.clamp(1, 720);
            let pts = (0..n)
                .map(|i| {
                    let t = std::f64::consts::PI * i as f64 / n as f64;
                    Col::from_fn(2, |j| if j == 0 { t.cos() } else { t.sin() })
                })
                .collect();
            (pts, std::f64::consts::PI / (2 * n) as f64)
        }
        _ => {
            let g = cells_per_axis(m, budget);
            let mut pts = Vec::with_capacity(m * g.pow(m as u32 - 1));
            let mut idx = vec![0usize; m - 1];
            for face in 0..m {
                idx.iter_mut().for_each(|i| *i = 0);
                loop {
                    let mut v = Col::<f64>::zeros(m);
                    let mut r = 0;
                    for j in 0..m {
                        v[j] = if j == face {
                            1.0
                        } else {
                            let c = -1.0 + (2 * idx[r] + 1) as f64 / g as f64;
                            r += 1;
                            c
                        };
                    }
                    let n = v.norm_l2();
                    pts.push(Col::from_fn(m, |j| v[j] / n));
                    // Odometer over the m − 1 free coordinates.
                    let Some(p) = (0..m - 1).find(|&p| idx[p] + 1 < g) else {
                        break;
                    };
                    idx[p] += 1;
                    idx[..p].iter_mut().for_each(|i| *i = 0);
                }
            }
            let chord = ((m - 1) as f64).sqrt() / g as f64;
            (pts, 2.0 * (chord / 2.0).min(1.0).asin())
        }
    }
}

/// The largest g ≥ 1 with `m g^{m−1} ≤ budget` (g = 1 if none).
fn cells_per_axis(m: usize, budget: usize) -> usize {
    let fits = |g: usize| {
        (g as u128)
            .checked_pow(m as u32 - 1)
            .and_then(|p| p.checked_mul(m as u128))
            .is_some_and(|n| n <= budget as u128)
    };
    let mut g = 1;
    while fits(g + 1) {
        g += 1;
    }
    g
}

/// Up to this dimension the local net is the full grid `{−1, 0, 1}^{m−1}`
/// (3^{m−1} ≤ 729 points); above, the compass `±e_i` (2(m − 1) points).
const FULL_LOCAL_GRID: usize = 7;

/// The local net of the refinement around the unit vector `u` of ℝ^m at
/// angular scale `s`: u first, then `u + s Σ_i t_i e_i` for every
/// `t ∈ {−1, 0, 1}^{m−1}` except 0, over an orthonormal basis `e_i` of u's
/// orthogonal complement, normalised (3^{m−1} points); for m above
/// [`FULL_LOCAL_GRID`] only the t with one non-zero entry (a compass
/// pattern search, 2(m − 1) points).
pub(super) fn local_net(u: &Col<f64>, s: f64) -> Vec<Col<f64>> {
    let m = u.nrows();
    let basis = complement(u);
    if m > FULL_LOCAL_GRID {
        let mut pts = Vec::with_capacity(2 * m - 1);
        pts.push(u.clone());
        for e in &basis {
            for t in [-1.0, 1.0] {
                let v = u + e * (s * t);
                let n = v.norm_l2();
                pts.push(Col::from_fn(m, |j| v[j] / n));
            }
        }
        return pts;
    }
    let count = 3usize.pow(m as u32 - 1);
    let mut pts = Vec::with_capacity(count);
    pts.push(u.clone());
    for code in 0..count {
        let mut v = u.clone();
        let mut c = code;
        let mut moved = false;
        for e in &basis {
            let t = (c % 3) as f64 - 1.0;
            c /= 3;
            if t != 0.0 {
                v += e * (s * t);
                moved = true;
            }
        }
        if moved {
            let n = v.norm_l2();
            pts.push(Col::from_fn(m, |j| v[j] / n));
        }
    }
    pts
}

/// An orthonormal basis of the orthogonal complement of the unit vector u
/// (Gram–Schmidt on the coordinate vectors, the most orthogonal first).
fn complement(u: &Col<f64>) -> Vec<Col<f64>> {
    let m = u.nrows();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| u[a].abs().total_cmp(&u[b].abs()));
    let mut basis: Vec<Col<f64>> = Vec::with_capacity(m - 1);
    for &j in &order {
        if basis.len() == m - 1 {
            break;
        }
        let mut v = Col::from_fn(m, |i| if i == j { 1.0 } else { 0.0 });
        for b in std::iter::once(u).chain(basis.iter()) {
            let c = b.transpose() * &v;
            v -= b * c;
        }
        let n = v.norm_l2();
        if n > 1e-8 {
            basis.push(Col::from_fn(m, |i| v[i] / n));
        }
    }
    basis
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::ChaCha8Rng;
    use tensor_decomp::fit::random_unit;

    use super::*;

    /// The stated covering angle holds: 2 000 random directions in m = 3, 4,
    /// 5 each lie within it of a net point, up to sign; and the angle is not
    /// loose by more than 3× (the farthest of them is at least a third of it).
    #[test]
    fn the_net_covers_the_sphere_within_its_stated_angle() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for (m, budget) in [(3, 4000), (4, 20_000), (5, 20_000)] {
            let (pts, angle) = sphere_net(m, budget);
            assert!(
                pts.len() <= budget && pts.len() * 2 > budget / 4,
                "m {m}: {}",
                pts.len()
            );
            let mut worst: f64 = 0.0;
            for _ in 0..2000 {
                let x = random_unit(&mut rng, m);
                let best = pts
                    .iter()
                    .map(|p| (p.transpose() * &x).abs())
                    .fold(0.0, f64::max)
                    .min(1.0)
                    .acos();
                worst = worst.max(best);
            }
            assert!(
                worst <= angle && worst >= angle / 3.0,
                "m {m}: worst {worst} vs {angle}"
            );
        }
    }

    /// The local net is centred on u, its points are unit vectors at angle
    /// about s·√(#nonzero) from u, and the complement basis is orthonormal.
    #[test]
    fn the_local_net_surrounds_its_centre() {
        let mut rng = ChaCha8Rng::seed_from_u64(8);
        let u = random_unit(&mut rng, 4);
        let pts = local_net(&u, 0.01);
        assert_eq!(pts.len(), 27);
        assert!((&pts[0] - &u).norm_l2() == 0.0);
        for p in &pts[1..] {
            let a = (p.transpose() * &u).min(1.0).acos();
            assert!(
                (p.norm_l2() - 1.0).abs() < 1e-12 && a > 0.0099 && a < 0.0174,
                "{a}"
            );
        }
        let b = complement(&u);
        for (i, bi) in b.iter().enumerate() {
            assert!((bi.transpose() * &u).abs() < 1e-12);
            for bj in &b[..i] {
                assert!((bi.transpose() * bj).abs() < 1e-12);
            }
        }
    }
}
