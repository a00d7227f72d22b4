//! Extending filtered PCA's subspace from the moments of the residual.
//!
//! When `f(x) = φ(W₁x)`, Stein's identity puts `E[y x] = E[∇f(x)]` in
//! span W₁, and `E[y S_2(x)] = E[∇²f(x)]` has its range there too. The same
//! holds for the residual `r = y − f̂(x)` of a network `f̂` fitted in a
//! subspace V: r depends on x through span W₁ + V only, so the parts of
//! `E[r x]` and `E[r S_2(x)]` orthogonal to V lie in span W₁. Filtered PCA
//! misses a direction when its eigenvalue under every filter stays within
//! the noise floor at this n (a weak second unit, or a function that is
//! nearly linear in it); its first moment, or the residual's moments once
//! the strong directions are fitted, can still show it. This is a departure
//! from Chen–Klivans–Meka (who use filtered second moments only) that only
//! runs when filtered PCA found fewer directions than the first width and
//! the fit in its subspace stays above `train_above`.

use faer::{Col, Mat, MatRef, Par};
use gaussian_moments::{MomentParams, low_order_moments};
use relu_net::{Network, SampleSource};
use tensor_decomp::fit::top_eigen;

use crate::error::LearnError;
use crate::linalg::wigner_noise;
use crate::residual_labels::ResidualLabels;

/// A candidate direction and its signal-to-noise ratio.
type Candidate = (f64, Col<f64>, &'static str);

/// `x − V Vᵀ x` for orthonormal columns V.
fn project_out(v: MatRef<'_, f64>, x: &Col<f64>) -> Col<f64> {
    if v.ncols() == 0 {
        return x.clone();
    }
    let c = v.transpose() * x;
    x - v * &c
}

/// Up to `count` unit directions orthogonal to `v` (and to each other) from
/// the first and second Hermite moments of `y − f̂(x)` (of y when `net` is
/// `None`), each at least 3 noise levels strong, strongest first; with the
/// names of the moments they came from.
///
/// # Errors
/// From the moment pass and the eigendecomposition.
pub(super) fn extra_directions(
    src: &dyn SampleSource,
    v: MatRef<'_, f64>,
    net: Option<&Network>,
    count: usize,
    par: Par,
) -> Result<(Mat<f64>, Vec<&'static str>), LearnError> {
    let d = src.dim();
    let est = MomentParams::default().validate()?;
    let low = match net {
        Some(n) => low_order_moments(&ResidualLabels::new(src, n), &est, par)?,
        None => low_order_moments(src, &est, par)?,
    };
    let mut cands: Vec<Candidate> = Vec::new();
    // First moment: its noise is the norm of its standard errors.
    let t1 = project_out(v, &low.t1.mean);
    let se1 = (0..d).map(|i| low.t1.std_error[i].powi(2)).sum::<f64>().sqrt();
    if se1 > 0.0 {
        cands.push((t1.norm_l2() / se1, t1, "first moment"));
    }
    // Second moment, projected on both sides.
    let p = Mat::from_fn(d, d, |i, j| {
        let vv: f64 = (0..v.ncols()).map(|c| v[(i, c)] * v[(j, c)]).sum();
        f64::from(u8::from(i == j)) - vv
    });
    let t2 = &p * &low.t2.mean * &p;
    let noise = wigner_noise(&low.t2);
    if noise > 0.0 {
        let (vecs, vals) = top_eigen(t2.as_ref(), count.min(d))?;
        for (j, val) in vals.iter().take(vecs.ncols()).enumerate() {
            cands.push((val.abs() / noise, vecs.col(j).to_owned(), "second moment"));
        }
    }
    cands.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut basis: Vec<Col<f64>> = (0..v.ncols()).map(|c| v.col(c).to_owned()).collect();
    let mut chosen = Vec::new();
    let mut from = Vec::new();
    for (snr, c, what) in cands {
        if chosen.len() == count || snr < 3.0 {
            break;
        }
        let mut u = c;
        for b in &basis {
            let proj = b.transpose() * &u;
            u = &u - b * proj;
        }
        let n = u.norm_l2();
        // Skip what the directions already taken explain (at least half of
        // the candidate must be new).
        if n < 0.5 {
            continue;
        }
        let u = Col::from_fn(d, |i| u[i] / n);
        basis.push(u.clone());
        chosen.push(u);
        from.push(what);
    }
    Ok((Mat::from_fn(d, chosen.len(), |i, j| chosen[j][i]), from))
}
