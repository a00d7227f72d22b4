//! Step 2 of narrow: the joint subspace V of the moment matrices'
//! significant eigenvectors, raising the order while nothing stands above
//! the noise.

use faer::Mat;
use tensor_decomp::fit::top_eigen;

use super::algorithm::MAX_ADAPTIVE_ORDER;
use super::moments::MomentMatrices;
use crate::Report;
use crate::error::LearnError;

/// Adds the eigenvectors of `m` whose |eigenvalue| exceeds `threshold ·
/// noise` to `projector` and, when there are any, `(m / noise)²` to
/// `weighted`; records the spectrum and the noise under `name`, and returns
/// how many there were.
fn add_significant(
    (projector, weighted): (&mut Mat<f64>, &mut Mat<f64>),
    name: &str,
    m: &Mat<f64>,
    noise: f64,
    (threshold, k): (f64, usize),
    report: &mut Report,
) -> Result<usize, LearnError> {
    let d = m.nrows();
    let (vecs, vals) = top_eigen(m.as_ref(), d)?;
    let kept: Vec<usize> = (0..d).filter(|&i| vals[i].abs() > threshold * noise).collect();
    report.series.insert(
        format!("{name}_spectrum"),
        vals.iter().take(2 * k + 2).map(|v| v.abs()).collect(),
    );
    report.metrics.insert(format!("{name}_noise"), noise);
    for &i in &kept {
        let col = vecs.col(i);
        *projector += col * col.transpose();
    }
    if !kept.is_empty() {
        *weighted += (m * m) * (1.0 / (noise * noise));
    }
    Ok(kept.len())
}

/// Step 2: V (d × m): m = the number of eigenvalues ≥ ½ of the sum of
/// the projectors onto every moment matrix's significant eigenvectors (at
/// most 2k), and the basis the top m eigenvectors of `Σ (M / noise)²` over
/// the matrices with significant eigenvalues (signal-to-noise weighted). When nothing stands above its noise, higher even orders
/// are estimated one at a time up to min(max([`MAX_ADAPTIVE_ORDER`], the
/// first order used), `max_order`) and kept in `moments`.
///
/// # Errors
/// [`LearnError::Moment`] and eigen-decomposition failures.
pub(super) fn joint_subspace(
    moments: &mut MomentMatrices<'_>,
    (threshold, k): (f64, usize),
    max_order: usize,
    report: &mut Report,
) -> Result<Mat<f64>, LearnError> {
    let d = moments.squared.nrows();
    let first_top = moments.top;
    let mut projector = Mat::<f64>::zeros(d, d);
    let mut weighted = Mat::<f64>::zeros(d, d);
    let mut seen = 0;
    for (l, m, noise) in &moments.mats {
        seen += add_significant(
            (&mut projector, &mut weighted),
            &format!("order{l}"),
            m,
            *noise,
            (threshold, k),
            report,
        )?;
    }
    let (squared, squared_noise) = (&moments.squared, moments.squared_noise);
    let from_squared = add_significant(
        (&mut projector, &mut weighted),
        "squared_labels",
        squared,
        squared_noise,
        (threshold, k),
        report,
    )?;
    // Adaptive orders: nothing above noise in y's moments nor in the
    // squared-label matrix → raise the order until something shows, up to
    // min(max(MAX_ADAPTIVE_ORDER, the first order used), max_order).
    let cap = MAX_ADAPTIVE_ORDER.max(first_top).min(max_order);
    while seen == 0 && from_squared == 0 && moments.top + 2 <= cap {
        moments.top += 2;
        let (l, m, noise) = moments.order(moments.top)?;
        seen += add_significant(
            (&mut projector, &mut weighted),
            &format!("order{l}"),
            &m,
            noise,
            (threshold, k),
            report,
        )?;
        moments.mats.push((l, m, noise));
        report.notes.push(format!(
            "no moment of order up to {} stood above its noise: raised max_order to {} (cap {cap})",
            moments.top - 2,
            moments.top
        ));
    }
    let top = moments.top;
    report.metrics.insert("max_order_used".to_owned(), top as f64);
    if top > first_top {
        report.chosen.insert(
            "max_order".to_owned(),
            format!("{top}: raised until a moment stood above its noise (cap {MAX_ADAPTIVE_ORDER})"),
        );
    }
    report
        .metrics
        .insert("squared_label_directions".to_owned(), from_squared as f64);
    let (_, pvals) = top_eigen(projector.as_ref(), d)?;
    let m = pvals
        .iter()
        .take_while(|&&v| v >= 0.5)
        .count()
        .min((2 * k).min(d));
    report.metrics.insert("subspace_dim".to_owned(), m as f64);
    report.chosen.insert(
        "subspace_dim".to_owned(),
        format!("{m}: eigenvalues >= 0.5 of the projector onto the moment matrices' significant eigenvectors (at most 2k)"),
    );
    report
        .notes
        .push(format!("joint subspace of the moment matrices: dimension {m}"));
    // The basis: the top m eigenvectors of Σ (M / noise)² over the
    // matrices with significant eigenvalues, so each direction comes mostly
    // from the matrices where it stands highest above the noise (the
    // projector weighs an eigenvector barely above its noise, and its large
    // angular error, as much as a clear one).
    let (wv, _) = top_eigen(weighted.as_ref(), d)?;
    Ok(Mat::from_fn(d, m, |i, j| wv[(i, j)]))
}
