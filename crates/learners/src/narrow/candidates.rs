//! Step 3 of narrow: candidate directions in V — eigenvectors of each
//! restricted moment matrix, eigenvectors of the pencils of consecutive
//! orders, and the net of V's unit sphere ([`super::net`]).

use faer::{Col, Mat, MatRef};
use tensor_decomp::fit::top_eigen;

use super::moments::Order;

/// The coarse nets of the exhaustive subset search (`discovery`) in V of
/// dimension m ≤ 3: the one direction for m = 1, `points` equally spaced
/// angles on the half circle for m = 2, and a Fibonacci lattice of `points`
/// on the upper hemisphere for m = 3 (|·| is even, so half the sphere is
/// enough).
pub(super) fn coarse_net(m: usize, points: usize) -> Vec<Col<f64>> {
    match m {
        1 => vec![Col::from_fn(1, |_| 1.0)],
        2 => crate::sphere_net::sphere_net(2, points).0,
        _ => {
            let golden = std::f64::consts::PI * (3.0 - 5f64.sqrt());
            (0..points)
                .map(|i| {
                    let zc = (i as f64 + 0.5) / points as f64;
                    let r = (1.0 - zc * zc).sqrt();
                    let t = golden * i as f64;
                    Col::from_fn(3, |j| [r * t.cos(), r * t.sin(), zc][j])
                })
                .collect()
        }
    }
}

/// The real parts of the eigenvectors of the pencil `A B⁻¹` (B symmetric,
/// well conditioned), normalised.
fn pencil(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Vec<Col<f64>> {
    let m = a.nrows();
    let (vecs, vals) = match top_eigen(b, m) {
        Ok(r) => r,
        Err(_) => return Vec::new(),
    };
    let (big, small) = (vals[0].abs(), vals[m - 1].abs());
    if small.is_nan() || small <= 1e-8 * big {
        return Vec::new();
    }
    // B⁻¹ = V diag(1/λ) Vᵀ.
    let binv = Mat::from_fn(m, m, |i, j| {
        (0..m).map(|r| vecs[(i, r)] * vecs[(j, r)] / vals[r]).sum::<f64>()
    });
    let n = a * &binv;
    let Ok(eig) = n.eigen() else { return Vec::new() };
    let u = eig.U();
    (0..m)
        .filter_map(|j| {
            let col = Col::from_fn(m, |i| u[(i, j)].re);
            let norm = col.norm_l2();
            (norm > 1e-8).then(|| Col::from_fn(m, |i| col[i] / norm))
        })
        .collect()
}

/// Step 3: the candidate directions in V (d × m), how many of them came
/// from the moments (they come first; the net's points follow), and the
/// covering angle of the net ([`crate::sphere_net::sphere_net`], at most
/// `net_points` points for every m: the papers' net, exponential in m).
pub(super) fn candidates(
    mats: &[Order],
    v: MatRef<'_, f64>,
    net_points: usize,
) -> (Vec<Col<f64>>, usize, f64) {
    let m = v.ncols();
    let mut candidates: Vec<Col<f64>> = Vec::new();
    if m == 0 {
        return (candidates, 0, 0.0);
    }
    let restricted: Vec<Mat<f64>> = mats.iter().map(|(_, mat, _)| v.transpose() * mat * v).collect();
    for r in &restricted {
        if let Ok((vecs, _)) = top_eigen(r.as_ref(), m) {
            candidates.extend((0..m).map(|j| vecs.col(j).to_owned()));
        }
    }
    for pair in restricted.windows(2) {
        candidates.extend(pencil(pair[1].as_ref(), pair[0].as_ref()));
    }
    let n_moment = candidates.len();
    let (net, angle) = crate::sphere_net::sphere_net(m, net_points);
    candidates.extend(net);
    (candidates, n_moment, angle)
}
