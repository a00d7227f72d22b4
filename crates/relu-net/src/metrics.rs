//! Error metrics between a predictor and labelled samples or a teacher
//! network under x ~ N(0, I_d).
//!
//! * [`compare_on_samples`]: test MSE `m = mean((ŷ − y)²)`, the label
//!   variance `v`, and the relative error `m / v`, with standard errors
//!   from the delta method (the influence function of `m / v` is
//!   `(e² − m)/v − m((y − ȳ)² − v)/v²`). Two streaming passes over the
//!   samples (means first, then centred moments) avoid the cancellation of
//!   raw power sums when labels are large.
//! * [`relative_l2_error`]: the same on a fresh Gaussian sample labelled by
//!   a teacher: a Monte Carlo estimate of `E[(f − g)²] / Var(g)`.
//! * [`exact_relative_l2_bias_free`]: the closed form for two bias-free
//!   depth-2 networks, through the arc-cosine kernel
//!   `E[relu(⟨u,x⟩) relu(⟨v,x⟩)] = ‖u‖‖v‖ (sin θ + (π − θ) cos θ) / (2π)`
//!   (Cho & Saul 2009) and `E[relu(⟨u,x⟩)] = ‖u‖ / √(2π)`.

use faer::{Col, ColRef, MatRef, Par};
use serde::{Deserialize, Serialize};

use crate::error::NetError;
use crate::fold::ChunkTree;
use crate::network::{Network, Predictor};
use crate::pass::{Job, Pass, decode_tree, fold_job_range, run};
use crate::seed::Seed;
use crate::source::{Planted, SampleSource};

/// Rows per chunk of the metric passes (fixed, so results are
/// reproducible).
pub const METRIC_CHUNK_ROWS: usize = 4096;

/// A comparison of predictions with labels.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Number of samples n.
    pub n_samples: usize,
    /// Test mean squared error `mean((ŷ − y)²)`.
    pub mse: f64,
    /// Standard error of `mse`.
    pub mse_std_error: f64,
    /// Label variance `mean((y − ȳ)²)`.
    pub label_variance: f64,
    /// `mse / label_variance` (infinite when the labels are constant and
    /// the MSE is not 0; 0 when both are 0).
    pub relative_error: f64,
    /// Delta-method standard error of `relative_error`.
    pub relative_std_error: f64,
}

#[derive(Default, Serialize, Deserialize)]
struct Sums {
    n: usize,
    e2: f64,
    y: f64,
}

#[derive(Default, Serialize, Deserialize)]
struct Centred {
    de2_sq: f64,
    dy2: f64,
    dv_sq: f64,
    cross: f64,
}

/// A model of a metric pass: borrowed here, rebuilt from its JSON by a
/// worker.
enum Model<'a> {
    Borrowed(&'a dyn Predictor),
    Owned(Network),
}

impl Model<'_> {
    fn get(&self) -> &dyn Predictor {
        match self {
            Model::Borrowed(m) => *m,
            Model::Owned(n) => n,
        }
    }
}

/// The models of a metric pass and the predictions' errors `ŷ − y` of
/// each on a chunk.
struct Models<'a>(Vec<Model<'a>>);

impl Models<'_> {
    /// Calls `each(model index, row errors and labels)` for every model
    /// on the chunk `(x, y)`.
    fn errors(
        &self,
        x: MatRef<'_, f64>,
        y: ColRef<'_, f64>,
        mut each: impl FnMut(usize, &mut dyn Iterator<Item = (f64, f64)>),
    ) {
        let mut pred = Col::zeros(x.nrows());
        for (k, model) in self.0.iter().enumerate() {
            model.get().predict_into(x, pred.as_mut(), Par::Seq);
            each(k, &mut (0..x.nrows()).map(|i| (pred[i] - y[i], y[i])));
        }
    }

    /// `{"networks": [...], "centres": centres}`; `None` when a model is
    /// not a network.
    fn spec(&self, centres: serde_json::Value) -> Option<serde_json::Value> {
        let nets = self
            .0
            .iter()
            .map(|m| serde_json::from_str::<serde_json::Value>(&m.get().network()?.to_json()).ok())
            .collect::<Option<Vec<_>>>()?;
        Some(serde_json::json!({"networks": nets, "centres": centres}))
    }
}

/// First pass of [`compare_many`]: n, `Σ e²`, `Σ y` for every model.
struct ErrorSums<'a>(Models<'a>);

/// Second pass of [`compare_many`]: the centred sums of every model about
/// the first pass's means `(m, ȳ)` of that model.
struct ErrorSpread<'a> {
    models: Models<'a>,
    centres: Vec<(f64, f64)>,
}

impl Pass for ErrorSums<'_> {
    type Acc = Vec<Sums>;
    fn name(&self) -> &'static str {
        "error-sums"
    }
    fn chunk_rows(&self) -> usize {
        METRIC_CHUNK_ROWS
    }
    fn init(&self) -> Vec<Sums> {
        self.0.0.iter().map(|_| Sums::default()).collect()
    }
    fn fold(&self, acc: &mut Vec<Sums>, x: MatRef<'_, f64>, y: ColRef<'_, f64>) {
        self.0.errors(x, y, |k, rows| {
            let a = &mut acc[k];
            for (e, yi) in rows {
                a.n += 1;
                a.e2 += e * e;
                a.y += yi;
            }
        });
    }
    fn merge(&self, t: &mut Vec<Sums>, p: Vec<Sums>) {
        for (t, p) in t.iter_mut().zip(p) {
            t.n += p.n;
            t.e2 += p.e2;
            t.y += p.y;
        }
    }
    fn spec(&self) -> Option<serde_json::Value> {
        self.0.spec(serde_json::Value::Null)
    }
    fn decode(&self, text: &str) -> Result<ChunkTree<Vec<Sums>>, NetError> {
        decode_tree(self.name(), text)
    }
}

impl Pass for ErrorSpread<'_> {
    type Acc = Vec<Centred>;
    fn name(&self) -> &'static str {
        "error-spread"
    }
    fn chunk_rows(&self) -> usize {
        METRIC_CHUNK_ROWS
    }
    fn init(&self) -> Vec<Centred> {
        self.centres.iter().map(|_| Centred::default()).collect()
    }
    fn fold(&self, acc: &mut Vec<Centred>, x: MatRef<'_, f64>, y: ColRef<'_, f64>) {
        self.models.errors(x, y, |k, rows| {
            let (a, (m, ybar)) = (&mut acc[k], self.centres[k]);
            for (e, yi) in rows {
                let de2 = e * e - m;
                let dy2 = (yi - ybar).powi(2);
                a.de2_sq += de2 * de2;
                a.dy2 += dy2;
                a.cross += de2 * dy2;
                a.dv_sq += dy2 * dy2;
            }
        });
    }
    fn merge(&self, t: &mut Vec<Centred>, p: Vec<Centred>) {
        for (t, p) in t.iter_mut().zip(p) {
            t.de2_sq += p.de2_sq;
            t.dy2 += p.dy2;
            t.cross += p.cross;
            t.dv_sq += p.dv_sq;
        }
    }
    fn spec(&self) -> Option<serde_json::Value> {
        self.models.spec(serde_json::json!(self.centres))
    }
    fn decode(&self, text: &str) -> Result<ChunkTree<Vec<Centred>>, NetError> {
        decode_tree(self.name(), text)
    }
}

/// Worker side of the metric passes (`error-sums`, `error-spread`): folds
/// the job's chunks `chunks` of `rows` (see [`crate::pass::Executor`]);
/// `None` for a job of another pass.
#[must_use]
pub fn worker(
    job: &Job,
    rows: &dyn SampleSource,
    chunks: std::ops::Range<usize>,
    par: Par,
) -> Option<Result<String, NetError>> {
    let bad = |reason: String| NetError::Pass {
        pass: job.pass.clone(),
        reason,
    };
    let rebuild = || -> Result<(Models<'static>, serde_json::Value), NetError> {
        let nets = job
            .spec
            .get("networks")
            .and_then(serde_json::Value::as_array)
            .ok_or_else(|| bad("no networks in the job".to_owned()))?;
        let models = nets
            .iter()
            .map(|net| {
                let net = Network::from_json(&net.to_string())?;
                if net.input_dim() == rows.dim() {
                    Ok(Model::Owned(net))
                } else {
                    Err(bad(format!(
                        "a network on {} inputs over rows of dimension {}",
                        net.input_dim(),
                        rows.dim()
                    )))
                }
            })
            .collect::<Result<Vec<_>, NetError>>()?;
        Ok((
            Models(models),
            job.spec.get("centres").cloned().unwrap_or_default(),
        ))
    };
    match job.pass.as_str() {
        "error-sums" => {
            Some(rebuild().and_then(|(models, _)| fold_job_range(&ErrorSums(models), rows, chunks, par)))
        }
        "error-spread" => Some(rebuild().and_then(|(models, centres)| {
            let centres: Vec<(f64, f64)> =
                serde_json::from_value(centres).map_err(|e| bad(format!("bad centres: {e}")))?;
            if centres.len() != models.0.len() {
                return Err(bad(format!(
                    "{} centres for {} networks",
                    centres.len(),
                    models.0.len()
                )));
            }
            fold_job_range(&ErrorSpread { models, centres }, rows, chunks, par)
        })),
        _ => None,
    }
}

/// Compares `model` with the labels of `src` (see the module docs).
///
/// # Errors
/// [`NetError::InputDim`] if the dimensions differ,
/// [`NetError::TooFewSamples`] for fewer than 2 samples.
pub fn compare_on_samples(
    model: &dyn Predictor,
    src: &dyn SampleSource,
    par: Par,
) -> Result<Comparison, NetError> {
    let mut all = compare_many(&[model], src, par)?;
    Ok(all.remove(0))
}

/// [`compare_on_samples`] for several models at once, in two passes over
/// `src` whatever their number: each model's comparison is bit-identical
/// to its own [`compare_on_samples`] (the same sums over the same chunks,
/// merged in the same order).
///
/// # Errors
/// As [`compare_on_samples`], for any of the models.
pub fn compare_many(
    models: &[&dyn Predictor],
    src: &dyn SampleSource,
    par: Par,
) -> Result<Vec<Comparison>, NetError> {
    if let Some(m) = models.iter().find(|m| m.dim() != src.dim()) {
        return Err(NetError::InputDim {
            expected: m.dim(),
            got: src.dim(),
        });
    }
    let n = src.len();
    if n < 2 {
        return Err(NetError::TooFewSamples {
            what: "an error estimate",
            needed: 2,
            got: n,
        });
    }
    if models.is_empty() {
        return Ok(Vec::new());
    }
    let borrowed = || Models(models.iter().map(|m| Model::Borrowed(*m)).collect());
    let sums = run(src, &ErrorSums(borrowed()), par)?;
    let count = |what: &str, got: usize| {
        if got == models.len() {
            Ok(())
        } else {
            Err(NetError::Pass {
                pass: what.to_owned(),
                reason: format!("{got} results for {} models", models.len()),
            })
        }
    };
    count("error-sums", sums.len())?;
    let centres: Vec<(f64, f64)> = sums
        .iter()
        .map(|s| (s.e2 / s.n as f64, s.y / s.n as f64))
        .collect();
    let spread = run(
        src,
        &ErrorSpread {
            models: borrowed(),
            centres: centres.clone(),
        },
        par,
    )?;
    count("error-spread", spread.len())?;
    Ok(sums
        .iter()
        .zip(&spread)
        .zip(centres)
        .map(|((s, c), (m, _))| comparison(s.n, m, c))
        .collect())
}

/// The comparison from one model's sums: `n` rows, MSE `m` and the
/// centred sums `c` about it.
fn comparison(n: usize, m: f64, c: &Centred) -> Comparison {
    let nf = n as f64;
    let v = c.dy2 / nf;
    let var_e2 = c.de2_sq / nf;
    let mse_std_error = (var_e2 / nf).sqrt();
    let (relative_error, relative_std_error) = if v > 0.0 {
        // Var of the influence function, expanded; dv = (y − ȳ)² − v.
        // E[(e² − m) dv] = E[(e² − m)(y − ȳ)²] because E[e² − m] = 0.
        let cov = c.cross / nf;
        let var_dv = (c.dv_sq / nf - v * v).max(0.0);
        let var_if = var_e2 / (v * v) - 2.0 * m * cov / (v * v * v) + m * m * var_dv / v.powi(4);
        (m / v, (var_if.max(0.0) / nf).sqrt())
    } else if m == 0.0 {
        (0.0, 0.0)
    } else {
        (f64::INFINITY, f64::INFINITY)
    };
    Comparison {
        n_samples: n,
        mse: m,
        mse_std_error,
        label_variance: v,
        relative_error,
        relative_std_error,
    }
}

/// Monte Carlo estimate of `E[(f − g)²] / Var(g)` for x ~ N(0, I_d) on
/// `n_samples` fresh samples drawn from `seed` (f = `model`,
/// g = `reference`).
///
/// # Errors
/// As [`compare_on_samples`].
pub fn relative_l2_error(
    model: &dyn Predictor,
    reference: &Network,
    n_samples: usize,
    seed: Seed,
    par: Par,
) -> Result<Comparison, NetError> {
    let src = Planted::new(reference.clone(), n_samples, 0.0, seed)?;
    compare_on_samples(model, &src, par)
}

/// The exact comparison of two bias-free depth-2 networks under N(0, I).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExactComparison {
    /// `E[(f − g)²]`.
    pub mse: f64,
    /// `Var(g)`.
    pub reference_variance: f64,
    /// `mse / reference_variance`.
    pub relative_error: f64,
}

/// Closed-form `E[(f − g)²]` and `Var(g)` for depth-2 networks with zero
/// hidden biases (output biases allowed), via the arc-cosine kernel.
///
/// # Errors
/// [`NetError::NotDepth2`], [`NetError::NotBiasFree`] for a non-zero hidden
/// bias, [`NetError::InputDim`] for different input dimensions.
///
/// # Complexity
/// O((k_f + k_g)² d).
pub fn exact_relative_l2_bias_free(
    model: &Network,
    reference: &Network,
) -> Result<ExactComparison, NetError> {
    if model.input_dim() != reference.input_dim() {
        return Err(NetError::InputDim {
            expected: reference.input_dim(),
            got: model.input_dim(),
        });
    }
    // Units of h = f − g: (row, coefficient), and its constant.
    let units_of = |net: &Network, sign: f64| -> Result<(Vec<Unit>, f64), NetError> {
        let p = net.as_depth2().map_err(|_| NetError::NotDepth2 {
            what: "the exact L2 error",
            depth: net.depth(),
        })?;
        if let Some(i) = (0..p.b.nrows()).find(|&i| p.b[i] != 0.0) {
            return Err(NetError::NotBiasFree {
                what: "the closed-form L2 error",
                bias: p.b[i],
            });
        }
        let units = (0..p.w.nrows())
            .map(|i| ((0..p.w.ncols()).map(|j| p.w[(i, j)]).collect(), sign * p.a[i]))
            .collect();
        Ok((units, sign * p.c))
    };
    let (mut diff, cf) = units_of(model, 1.0)?;
    let (g, cg) = units_of(reference, -1.0)?;
    diff.extend(g.iter().cloned());
    let second_moment = |units: &[Unit], c: f64| {
        let mut s = c * c;
        for (u, alpha) in units {
            s += 2.0 * c * alpha * relu_mean(u);
            for (v, beta) in units {
                s += alpha * beta * arc_cosine(u, v);
            }
        }
        s
    };
    let mse = second_moment(&diff, cf + cg).max(0.0);
    let g_pos: Vec<Unit> = g.into_iter().map(|(u, a)| (u, -a)).collect();
    let mean_g = -cg + g_pos.iter().map(|(u, a)| a * relu_mean(u)).sum::<f64>();
    let var = (second_moment(&g_pos, -cg) - mean_g * mean_g).max(0.0);
    let relative_error = if var > 0.0 {
        mse / var
    } else if mse == 0.0 {
        0.0
    } else {
        f64::INFINITY
    };
    Ok(ExactComparison {
        mse,
        reference_variance: var,
        relative_error,
    })
}

/// A hidden unit of a bias-free network: (weight row, output weight).
type Unit = (Vec<f64>, f64);

/// `E[relu(⟨u, x⟩)] = ‖u‖ / √(2π)`.
fn relu_mean(u: &[f64]) -> f64 {
    norm(u) / (2.0 * std::f64::consts::PI).sqrt()
}

fn norm(u: &[f64]) -> f64 {
    u.iter().map(|v| v * v).sum::<f64>().sqrt()
}

/// `E[relu(⟨u, x⟩) relu(⟨v, x⟩)]` for x ~ N(0, I), the first-order
/// arc-cosine kernel: `‖u‖‖v‖ (sin θ + (π − θ) cos θ) / (2π)`.
#[must_use]
pub fn arc_cosine(u: &[f64], v: &[f64]) -> f64 {
    let (nu, nv) = (norm(u), norm(v));
    if nu == 0.0 || nv == 0.0 {
        return 0.0;
    }
    let cos = (u.iter().zip(v).map(|(p, q)| p * q).sum::<f64>() / (nu * nv)).clamp(-1.0, 1.0);
    let theta = cos.acos();
    nu * nv * (theta.sin() + (std::f64::consts::PI - theta) * cos) / (2.0 * std::f64::consts::PI)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::families::Family;
    use faer::{col, mat};

    #[test]
    fn exact_and_monte_carlo_errors_agree() {
        let t = Family::Signed { dim: 5, hidden: 3 }.plant(Seed(1)).unwrap();
        let m = Family::Random { dim: 5, hidden: 4 }.plant(Seed(2)).unwrap();
        let exact = exact_relative_l2_bias_free(&m, &t).unwrap();
        let mc = relative_l2_error(&m, &t, 200_000, Seed(3), Par::Seq).unwrap();
        // 5 standard errors of the Monte Carlo estimate.
        let tol = 5.0 * mc.relative_std_error;
        assert!(
            (exact.relative_error - mc.relative_error).abs() < tol,
            "exact {} vs MC {} ± {}",
            exact.relative_error,
            mc.relative_error,
            mc.relative_std_error
        );
        assert!(mc.relative_std_error < 0.05 * mc.relative_error);
    }

    #[test]
    fn a_network_has_zero_error_against_itself() {
        let t = Family::Random { dim: 4, hidden: 3 }.plant(Seed(1)).unwrap();
        // Exact cancellation up to rounding in the kernel sums.
        assert!(exact_relative_l2_bias_free(&t, &t).unwrap().relative_error < 1e-13);
        let mc = relative_l2_error(&t, &t, 1000, Seed(2), Par::Seq).unwrap();
        assert_eq!(mc.mse, 0.0);
        assert_eq!(mc.relative_error, 0.0);
    }

    #[test]
    fn arc_cosine_kernel_matches_known_values() {
        // θ = 0: E[relu(z)²] = 1/2; θ = π: relu(z) relu(−z) = 0; θ = π/2: 1/(2π).
        assert!((arc_cosine(&[1.0, 0.0], &[2.0, 0.0]) - 1.0).abs() < 1e-15);
        assert!(arc_cosine(&[1.0, 0.0], &[-1.0, 0.0]).abs() < 1e-15);
        let v = arc_cosine(&[1.0, 0.0], &[0.0, 1.0]);
        assert!((v - 1.0 / (2.0 * std::f64::consts::PI)).abs() < 1e-15);
    }

    #[test]
    fn exact_error_requires_bias_free_depth2() {
        let b = Network::depth2(mat![[1.0]].as_ref(), col![0.5].as_ref(), col![1.0].as_ref(), 0.0).unwrap();
        assert!(matches!(
            exact_relative_l2_bias_free(&b, &b),
            Err(NetError::NotBiasFree { .. })
        ));
    }

    #[test]
    fn many_models_compare_as_each_alone() {
        let t = Family::Random { dim: 4, hidden: 3 }.plant(Seed(1)).unwrap();
        let others: Vec<Network> = (2..5)
            .map(|s| Family::Signed { dim: 4, hidden: 2 }.plant(Seed(s)).unwrap())
            .collect();
        // Three chunks and a short one; noisy labels.
        let src = Planted::new(t.clone(), 3 * METRIC_CHUNK_ROWS + 17, 0.3, Seed(9)).unwrap();
        let models: Vec<&dyn Predictor> = std::iter::once(&t as &dyn Predictor)
            .chain(others.iter().map(|n| n as &dyn Predictor))
            .collect();
        for par in [Par::Seq, Par::rayon(2)] {
            let all = compare_many(&models, &src, par).unwrap();
            assert_eq!(all.len(), 4);
            for (m, c) in models.iter().zip(&all) {
                assert_eq!(*c, compare_on_samples(*m, &src, Par::Seq).unwrap());
            }
            // Different models, different errors: the sums are not shared.
            assert!(all[1].mse != all[2].mse && all[0].mse < all[1].mse);
            // Against the sums written out row by row (another order, so to
            // rounding): compare_on_samples shares compare_many's code.
            let (x, y) = src.materialize().into_parts();
            for (m, c) in models.iter().zip(&all) {
                let mut pred = Col::zeros(x.nrows());
                m.predict_into(x.as_ref(), pred.as_mut(), Par::Seq);
                let mse = (0..x.nrows()).map(|i| (pred[i] - y[i]).powi(2)).sum::<f64>() / x.nrows() as f64;
                assert!((c.mse - mse).abs() <= 1e-12 * mse, "{} vs {mse}", c.mse);
            }
        }
        assert!(compare_many(&[], &src, Par::Seq).unwrap().is_empty());
    }

    #[test]
    fn comparison_needs_two_samples_and_matching_dims() {
        let t = Family::Random { dim: 4, hidden: 3 }.plant(Seed(1)).unwrap();
        let one = Planted::new(t.clone(), 1, 0.0, Seed(0)).unwrap();
        assert!(matches!(
            compare_on_samples(&t, &one, Par::Seq),
            Err(NetError::TooFewSamples { .. })
        ));
        let other = Family::Random { dim: 3, hidden: 3 }.plant(Seed(1)).unwrap();
        let src = Planted::new(other, 10, 0.0, Seed(0)).unwrap();
        assert!(matches!(
            compare_on_samples(&t, &src, Par::Seq),
            Err(NetError::InputDim { .. })
        ));
    }
}
