//! Step 3 of narrow, the papers' net: the covering of V's unit sphere (up
//! to sign) is [`crate::sphere_net`] (CDGKM, Lemmas 12–14; Chen–Narayanan,
//! step 4 of NetLearn: a `ξ`-net of unit vectors in V, of size
//! `(C/ξ)^{m−1}`, exponential in m); this file holds the local nets of the
//! multi-scale refinement around a candidate direction.

use faer::Col;

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
