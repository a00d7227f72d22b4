//! Step 2 of atv: the subspace U of `T_2`'s leading eigenvectors, the
//! choice of k, and what the report says about them.

use faer::{Mat, MatRef};
use tensor_decomp::fit;

use super::Atv;
use super::algorithm::NAME;
use crate::Report;
use crate::error::LearnError;

/// The choice of step 2.
#[derive(Clone, Debug, PartialEq)]
pub struct SubspaceChoice {
    /// U (d × k), orthonormal columns.
    pub basis: Mat<f64>,
    /// k.
    pub k: usize,
    /// |eigenvalues| of `T_2`, descending.
    pub spectrum: Vec<f64>,
    /// A second, larger k worth a fit of its own (k chosen from the data
    /// only): eigenvalues below `1.5 · noise` that still stand 20 % above
    /// the noise bulk's edge, at most 2 of them. Equal to `k` when there are
    /// none.
    pub extended: usize,
    /// The top of the noise bulk of `T_2`'s spectrum: |eigenvalue| k + 4,
    /// the fourth below the threshold; `None` when d < 2k + 10.
    pub bulk_edge: Option<f64>,
    /// What was decided, in words.
    pub notes: Vec<String>,
    /// The `extended` leading eigenvectors (d × extended).
    pub extended_basis: Mat<f64>,
}

impl Atv {
    /// Step 2: the subspace of the k eigenvectors of `T_2` with the largest
    /// |eigenvalue|; k from the parameters or from the spectral gap above
    /// `1.5 · noise`. Returns `(U, k, |eigenvalues| descending, notes)`.
    ///
    /// # Errors
    /// [`LearnError::HiddenTooLarge`] for k > d, [`LearnError::Unidentifiable`]
    /// when no eigenvalue stands above the noise.
    pub fn subspace(&self, t2: MatRef<'_, f64>, noise: f64) -> Result<SubspaceChoice, LearnError> {
        let d = t2.nrows();
        if let Some(k) = self.params.hidden.filter(|&k| k > d) {
            return Err(LearnError::HiddenTooLarge {
                learner: NAME,
                hidden: k,
                dim: d,
                max: d,
            });
        }
        let (vecs, values) = fit::top_eigen(t2, d)?;
        let mags: Vec<f64> = values.iter().map(|v| v.abs()).collect();
        let floor = 1.5 * noise;
        let above = mags.iter().take_while(|&&m| m > floor).count();
        let mut notes = Vec::new();
        let k = match self.params.hidden {
            Some(k) => {
                if mags[k - 1] <= floor {
                    notes.push(format!(
                        "eigenvalue {k} of T2 ({:.3e}) is within 1.5x its noise level {noise:.3e}: some units may not be identifiable",
                        mags[k - 1]
                    ));
                }
                k
            }
            None => {
                if above == 0 {
                    return Err(LearnError::Unidentifiable {
                        learner: NAME,
                        reason: format!(
                            "no eigenvalue of the second moment stands above 1.5x its noise level {noise:.3e}"
                        ),
                    });
                }
                // Every eigenvalue that stands above the noise bulk is a unit:
                // k is where the spectrum drops below 1.5x the noise level (the
                // Wigner estimate is conservative: measured noise eigenvalues sit
                // at about 0.4x it).
                let k = above;
                let next = mags.get(k).copied().unwrap_or(0.0);
                notes.push(format!(
                    "chose k = {k}: eigenvalues of T2 above 1.5x the noise level {noise:.3e} (gap |λ_k|/|λ_k+1| = {:.3e})",
                    mags[k - 1] / next.max(f64::MIN_POSITIVE)
                ));
                k
            }
        };
        // The top of the noise bulk: the fourth eigenvalue below the
        // threshold (at most three units are taken to hide between the bulk
        // and 1.5x the noise). Noise eigenvalues near the edge lie within a
        // few per cent of each other (measured 0.77..0.88x the noise level at
        // d = 100), a unit there stands apart.
        let bulk_edge = (d >= 2 * k + 10).then(|| mags[k + 3]);
        let extended = match (self.params.hidden, bulk_edge) {
            (None, Some(edge)) => {
                let more = mags[k..].iter().take_while(|&&m| m > 1.2 * edge).count();
                k + more.min(2).min(d - k)
            }
            _ => k,
        };
        if extended > k {
            notes.push(format!(
                "eigenvalue(s) {}..={extended} of T2 lie between the noise bulk's edge {:.3e} and 1.5x the noise level: a second fit with k = {extended} is tried",
                k + 1,
                bulk_edge.unwrap_or(0.0)
            ));
        }
        let basis = Mat::from_fn(d, k, |i, j| vecs[(i, j)]);
        let extended_basis = Mat::from_fn(d, extended, |i, j| vecs[(i, j)]);
        Ok(SubspaceChoice {
            basis,
            k,
            spectrum: mags,
            extended,
            bulk_edge,
            notes,
            extended_basis,
        })
    }

    /// Step 2's decision in the report: k, the noise level, the bulk's
    /// edge, the spectrum and, with k chosen, the rule that chose it.
    pub(super) fn report_subspace(&self, choice: &SubspaceChoice, noise: f64, report: &mut Report) {
        let k = choice.k;
        report.notes.extend(choice.notes.iter().cloned());
        report.metrics.insert("k".to_owned(), k as f64);
        report.metrics.insert("t2_noise".to_owned(), noise);
        if let Some(edge) = choice.bulk_edge {
            report.metrics.insert("t2_bulk_edge".to_owned(), edge);
        }
        report.series.insert(
            "t2_spectrum".to_owned(),
            choice.spectrum.iter().copied().take(3 * k + 2).collect(),
        );
        if self.params.hidden.is_none() {
            report.chosen.insert(
                "hidden".to_owned(),
                format!("{k}: the eigenvalues of T2 above 1.5x its noise level {noise:.3e}"),
            );
        }
    }

    /// With k chosen and nothing found in the residual: how many samples
    /// would lift eigenvalue k + 1 above the threshold, if it stands above
    /// the noise bulk (the noise level falls as 1/√n, so
    /// `n · (1.5 noise / λ_{k+1})²`).
    pub(super) fn note_next_eigenvalue(
        &self,
        choice: &SubspaceChoice,
        noise: f64,
        n: usize,
        report: &mut Report,
    ) {
        let k = choice.k;
        let found_more = report.metrics.get("residual_units").is_some_and(|&m| m > 0.0);
        if self.params.hidden.is_none()
            && !found_more
            && let Some(&next) = choice.spectrum.get(k)
            && next > 1.2 * choice.bulk_edge.unwrap_or(f64::INFINITY)
            && next <= 1.5 * noise
        {
            let needed = n as f64 * (1.5 * noise / next).powi(2);
            report.notes.push(format!(
                "eigenvalue {} of T2 ({next:.3e}) stands above the noise bulk but within 1.5x the noise level: if it is a unit, about {needed:.2e} samples would separate it",
                k + 1
            ));
            report
                .metrics
                .insert("samples_to_separate_next".to_owned(), needed);
        }
    }
}
