//! The runnable filtered PCA (see the module docs).

use faer::{Col, ColMut, Mat, MatMut, MatRef, Par};
use gaussian_moments::hermite::norm_cdf;
use gaussian_moments::{Cell, Estimator, FilteredMoment, LabelSet, filtered_second_moment};
use relu_net::{Rows, SampleSource, Seed};
use serde::{Deserialize, Serialize};

use super::FilteredPcaParams;
use crate::error::SubspaceError;
use crate::pca::dense_pca;
use crate::subspace::{Subspace, orthonormalize};
use crate::{Report, SubspaceFinder};

/// Filtered PCA with validated parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct FilteredPca {
    pub(super) params: FilteredPcaParams,
    pub(super) est: Estimator,
}

/// What one round found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoundRecord {
    /// The eigenvalue of the chosen statistic (largest magnitude).
    pub eigenvalue: f64,
    /// The label set, in words.
    pub label_set: String,
    /// `"all"` or `"slab"`.
    pub cell: String,
    /// The noise floor `√(d / n_cell)`.
    pub noise_floor: f64,
    /// The eigenvalue of the same statistic with shifted labels (NaN if the
    /// null is off).
    pub null_eigenvalue: f64,
    /// Samples in the cell.
    pub n_cell: u64,
    /// Samples in the cell with a label in the set.
    pub n_selected: u64,
    /// Whether the direction was accepted.
    pub accepted: bool,
    /// Held-out relative error of the regression on `Vᵀ x` after the round
    /// (NaN when dim V > 4).
    pub explained_error: f64,
}

/// A source whose labels are those of the rows `shift` further on (cyclic):
/// for i.i.d. samples the labels become independent of the inputs, which is
/// the null hypothesis of the eigenvalue test.
pub struct ShiftedLabels<'a> {
    src: &'a dyn SampleSource,
    shift: usize,
}

impl<'a> ShiftedLabels<'a> {
    /// Labels shifted by `shift` rows (taken modulo the length).
    #[must_use]
    pub fn new(src: &'a dyn SampleSource, shift: usize) -> Self {
        Self {
            src,
            shift: shift % src.len().max(1),
        }
    }
}

impl SampleSource for ShiftedLabels<'_> {
    fn note_pass(&self, name: &'static str) {
        self.src.note_pass(name);
    }
    fn dim(&self) -> usize {
        self.src.dim()
    }
    fn len(&self) -> usize {
        self.src.len()
    }
    fn chunk(&self, start: usize, x: MatMut<'_, f64>, mut y: ColMut<'_, f64>) {
        let m = x.nrows();
        let mut scratch = Col::zeros(m);
        self.src.chunk(start, x, scratch.as_mut());
        let n = self.src.len();
        let d = self.src.dim();
        let mut done = 0;
        while done < m {
            let from = (start + done + self.shift) % n;
            let take = (m - done).min(n - from);
            let mut xs = Mat::zeros(take, d);
            let mut ys = Col::zeros(take);
            self.src.chunk(from, xs.as_mut(), ys.as_mut());
            for i in 0..take {
                y[done + i] = ys[i];
            }
            done += take;
        }
    }
}

/// Φ⁻¹(p) by bisection (only a few bin edges are needed).
fn norm_quantile(p: f64) -> f64 {
    let (mut lo, mut hi) = (-40.0, 40.0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if norm_cdf(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The first `n` rows of a source.
fn load(src: &dyn SampleSource, n: usize) -> (Mat<f64>, Col<f64>) {
    let mut x = Mat::zeros(n, src.dim());
    let mut y = Col::zeros(n);
    if n > 0 {
        src.chunk(0, x.as_mut(), y.as_mut());
    }
    (x, y)
}

/// Relative validation error of a piecewise-constant regression of y on
/// `Vᵀ x` with `bins` Gaussian-quantile bins per coordinate.
fn explained_error(
    v: MatRef<'_, f64>,
    train: (&Mat<f64>, &Col<f64>),
    val: (&Mat<f64>, &Col<f64>),
    bins: usize,
) -> f64 {
    let m = v.ncols();
    let edges: Vec<f64> = (1..bins).map(|j| norm_quantile(j as f64 / bins as f64)).collect();
    let cell = |z: &Mat<f64>, i: usize| -> usize {
        (0..m).fold(0, |acc, c| {
            acc * bins + edges.iter().take_while(|&&e| z[(i, c)] > e).count()
        })
    };
    let (zt, zv) = (train.0 * v, val.0 * v);
    let cells = bins.pow(m as u32);
    let (mut sum, mut count) = (vec![0.0; cells], vec![0usize; cells]);
    for i in 0..zt.nrows() {
        let c = cell(&zt, i);
        sum[c] += train.1[i];
        count[c] += 1;
    }
    let n = zt.nrows().max(1) as f64;
    let global = (0..zt.nrows()).map(|i| train.1[i]).sum::<f64>() / n;
    let nv = zv.nrows().max(1) as f64;
    let mean_v = (0..zv.nrows()).map(|i| val.1[i]).sum::<f64>() / nv;
    let var = (0..zv.nrows()).map(|i| (val.1[i] - mean_v).powi(2)).sum::<f64>() / nv;
    let mse = (0..zv.nrows())
        .map(|i| {
            let c = cell(&zv, i);
            let pred = if count[c] > 0 {
                sum[c] / count[c] as f64
            } else {
                global
            };
            (pred - val.1[i]).powi(2)
        })
        .sum::<f64>()
        / nv;
    if var > 0.0 { mse / var } else { mse }
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    relu_net::stats::quantile_sorted(sorted, q)
}

impl FilteredPca {
    /// The parameters.
    #[must_use]
    pub fn params(&self) -> &FilteredPcaParams {
        &self.params
    }

    /// The label sets of step 1 from the training labels.
    fn label_sets(&self, labels: &[f64]) -> Vec<(LabelSet, String)> {
        let mut y = labels.to_vec();
        y.sort_by(f64::total_cmp);
        let mut a: Vec<f64> = labels.iter().map(|v| v.abs()).collect();
        a.sort_by(f64::total_cmp);
        let mut sets: Vec<(LabelSet, String)> = self
            .params
            .abs_quantiles
            .iter()
            .map(|&q| {
                let tau = quantile(&a, q);
                (LabelSet::AbsAtLeast { tau }, format!("|y| >= {tau:.4} (q {q})"))
            })
            .collect();
        for w in self.params.interval_quantiles.windows(2) {
            let (lo, hi) = (quantile(&y, w[0]), quantile(&y, w[1]));
            if lo < hi {
                sets.push((
                    LabelSet::Interval { lo, hi },
                    format!("{lo:.4} <= y < {hi:.4} (q {}–{})", w[0], w[1]),
                ));
            }
        }
        sets
    }
}

/// The strongest statistic of a round.
struct Candidate {
    /// `|λ|` over the noise floor.
    score: f64,
    /// The eigenvalue of largest magnitude.
    lambda: f64,
    /// Its eigenvector.
    dir: Col<f64>,
    /// Index of the label set.
    set: usize,
    /// Index of the cell.
    cell: usize,
    /// The statistic.
    fm: FilteredMoment,
}

/// The training rows, and the rows loaded for the label quantiles and the
/// held-out regression.
struct Samples<'a> {
    /// The training rows (the first ones).
    train: Rows<'a>,
    /// Up to 200 000 training rows: the regression's training data.
    fit: (Mat<f64>, Col<f64>),
    /// Up to 100 000 held-out rows: the regression's validation data.
    held_out: (Mat<f64>, Col<f64>),
    /// The labels of `fit`, for the label sets.
    labels: Vec<f64>,
}

/// Splits `src` into training and held-out rows and loads the first of
/// each; refuses too few samples, non-finite loaded rows and constant
/// labels.
fn split_samples(src: &dyn SampleSource, validation_fraction: f64) -> Result<Samples<'_>, SubspaceError> {
    let d = src.dim();
    let needed = 1000.max(20 * d);
    if src.len() < needed {
        return Err(SubspaceError::TooFewSamples {
            what: "filtered PCA",
            needed,
            got: src.len(),
        });
    }
    let (train, val) = Rows::split(src, validation_fraction);
    let (n_train, n_val) = (train.len(), val.len());
    let (xl, yl) = load(&train, n_train.min(200_000));
    let (xv, yv) = load(&val, n_val.min(100_000));
    // The moment passes refuse NaN/inf in the rows they read; these
    // loaded rows (labels for the quantiles, the held-out regression)
    // are checked here.
    let finite = |m: &faer::Mat<f64>| (0..m.ncols()).all(|j| m.col(j).iter().all(|v| v.is_finite()));
    if !(finite(&xl) && finite(&xv) && yl.iter().chain(yv.iter()).all(|v| v.is_finite())) {
        return Err(SubspaceError::NonFinite {
            what: "the samples (x or y)",
        });
    }
    let labels: Vec<f64> = yl.iter().copied().collect();
    if labels.iter().all(|&v| v == labels[0]) {
        return Err(SubspaceError::InvalidParam {
            name: "labels",
            value: labels[0],
            expected: "not all equal (constant labels carry no direction)",
        });
    }
    Ok(Samples {
        train,
        fit: (xl, yl),
        held_out: (xv, yv),
        labels,
    })
}

/// The cells of a round given the directions `v` found so far: the whole
/// space, and Chen–Meka's slab `|⟨v_i, x⟩| ≤ slab` once there are
/// directions.
fn round_cells(v: MatRef<'_, f64>, slab: f64) -> Result<Vec<(Option<Cell>, &'static str)>, SubspaceError> {
    let mut cells: Vec<(Option<Cell>, &str)> = Vec::new();
    if v.ncols() == 0 {
        cells.push((None, "all"));
    } else {
        let m = v.ncols();
        cells.push((
            Some(Cell::new(v, vec![f64::NEG_INFINITY; m], vec![f64::INFINITY; m])?),
            "all",
        ));
        cells.push((Some(Cell::new(v, vec![-slab; m], vec![slab; m])?), "slab"));
    }
    Ok(cells)
}

/// `v` with the direction `dir` appended, orthonormalised.
fn append_direction(v: &Mat<f64>, dir: &Col<f64>) -> Mat<f64> {
    let d = v.nrows();
    let mut stacked = Mat::zeros(d, v.ncols() + 1);
    for j in 0..v.ncols() {
        for i in 0..d {
            stacked[(i, j)] = v[(i, j)];
        }
    }
    for i in 0..d {
        stacked[(i, v.ncols())] = dir[i];
    }
    orthonormalize(stacked.as_ref(), 1e-8)
}

impl FilteredPca {
    /// The statistic whose top eigenvalue stands highest above its noise
    /// floor, over every label set and cell; `None` when no pair selects
    /// enough samples.
    fn strongest(
        &self,
        train: &dyn SampleSource,
        sets: &[(LabelSet, String)],
        cells: &[(Option<Cell>, &str)],
        par: Par,
    ) -> Result<Option<Candidate>, SubspaceError> {
        let mut best: Option<Candidate> = None;
        for (si, (set, _)) in sets.iter().enumerate() {
            for (ci, (cell, _)) in cells.iter().enumerate() {
                let fm = match filtered_second_moment(train, *set, cell.as_ref(), &self.est, par) {
                    Ok(fm) => fm,
                    Err(gaussian_moments::MomentError::TooFewSamples { .. }) => continue,
                    Err(e) => return Err(e.into()),
                };
                if fm.n_selected < 10 {
                    continue;
                }
                let top = dense_pca(fm.matrix.as_ref(), 1)?;
                let lambda = top.spectrum()[0];
                let score = lambda.abs() / fm.noise_floor;
                if best.as_ref().is_none_or(|b| score > b.score) {
                    best = Some(Candidate {
                        score,
                        lambda,
                        dir: top.basis().col(0).to_owned(),
                        set: si,
                        cell: ci,
                        fm,
                    });
                }
            }
        }
        Ok(best)
    }

    /// The top |eigenvalue| of the same statistic on the shifted-label
    /// null; NaN when the null is off or cannot be computed.
    fn null_eigenvalue(
        &self,
        shifted: &dyn SampleSource,
        set: LabelSet,
        cell: Option<&Cell>,
        par: Par,
    ) -> f64 {
        if self.params.null {
            filtered_second_moment(shifted, set, cell, &self.est, par)
                .ok()
                .and_then(|f| dense_pca(f.matrix.as_ref(), 1).ok())
                .map_or(f64::NAN, |t| t.spectrum()[0].abs())
        } else {
            f64::NAN
        }
    }
}

impl SubspaceFinder for FilteredPca {
    fn find(
        &self,
        src: &dyn SampleSource,
        _seed: Seed,
        par: Par,
    ) -> Result<(Subspace, Report), SubspaceError> {
        let p = &self.params;
        let d = src.dim();
        let samples = split_samples(src, p.validation_fraction)?;
        let sets = self.label_sets(&samples.labels);
        let mut v = Mat::<f64>::zeros(d, 0);
        let mut spectrum = Vec::new();
        let mut report = Report {
            samples_used: src.len(),
            ..Report::default()
        };
        let shifted = ShiftedLabels::new(&samples.train, samples.train.len() / 2);
        for round in 0..p.max_dim.min(d) {
            report.n_iters = round + 1;
            let cells = round_cells(v.as_ref(), p.slab)?;
            let Some(best) = self.strongest(&samples.train, &sets, &cells, par)? else {
                report
                    .notes
                    .push(format!("round {round}: no label set selects enough samples"));
                break;
            };
            let (lambda, fm) = (best.lambda, &best.fm);
            let null = self.null_eigenvalue(&shifted, sets[best.set].0, cells[best.cell].0.as_ref(), par);
            let above_noise = best.score > p.noise_mult;
            let above_null = !(null.is_finite() && lambda.abs() <= p.null_mult * null);
            let accepted = above_noise && above_null;
            let mut record = RoundRecord {
                eigenvalue: lambda,
                label_set: sets[best.set].1.clone(),
                cell: cells[best.cell].1.to_owned(),
                noise_floor: fm.noise_floor,
                null_eigenvalue: null,
                n_cell: fm.n_cell,
                n_selected: fm.n_selected,
                accepted,
                explained_error: f64::NAN,
            };
            if !accepted {
                report.notes.push(format!(
                    "round {round}: best eigenvalue {lambda:.3e} is {} (noise floor {:.3e}, null {null:.3e}); stop",
                    if above_noise { "within the shifted-label null" } else { "within the noise floor" },
                    fm.noise_floor
                ));
                report.rounds.push(record);
                report.converged = true;
                break;
            }
            v = append_direction(&v, &best.dir);
            spectrum.push(lambda);
            if v.ncols() <= 4 {
                let (fit, held_out) = (&samples.fit, &samples.held_out);
                record.explained_error =
                    explained_error(v.as_ref(), (&fit.0, &fit.1), (&held_out.0, &held_out.1), p.bins);
            }
            let explained = record.explained_error;
            report.rounds.push(record);
            if explained <= p.target_error {
                report.notes.push(format!(
                    "round {round}: y is explained by Vᵀx up to {explained:.3e} of its variance; stop"
                ));
                report.converged = true;
                break;
            }
        }
        spectrum.truncate(v.ncols());
        let k = v.ncols();
        let subspace = Subspace::new(v, Col::from_fn(k, |i| spectrum[i]))?;
        Ok((subspace, report))
    }
}
