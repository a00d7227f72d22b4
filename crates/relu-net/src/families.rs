//! Planted families: random teacher networks with documented structure,
//! used by tests, the `generate` command and the experiment suites.
//!
//! Unless a family says otherwise a depth-2 teacher is
//! `f(x) = Σ_i a_i relu(⟨w_i, x⟩ + b_i)` with unit rows `w_i` uniform on the
//! sphere, zero biases, positive output weights `a_i ~ U[0.5, 1.5]` and
//! output bias 0. Positive output weights are the assumption of several
//! papers (and of the easiest recovery problem); [`Family::Signed`] drops
//! it.

use faer::{Col, Mat};
use rand::RngExt;
use rand::rngs::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::NetError;
use crate::init::haar_orthogonal;
use crate::network::Network;
use crate::seed::{Seed, gaussian_vec};

/// A family of planted teacher networks and its parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "family", rename_all = "kebab-case")]
pub enum Family {
    /// Unit rows uniform on the sphere, zero biases, `a_i ~ U[0.5, 1.5]`.
    Random {
        /// Input dimension d.
        dim: usize,
        /// Hidden units k.
        hidden: usize,
    },
    /// `W = U diag(s) Vᵀ` with Haar `U` (k × k), `V` (d × k) and singular
    /// values geometric from 1 down to `1/kappa`, rescaled so that the rows
    /// have mean squared norm 1: the condition number of `W` is exactly
    /// `kappa`. Rows are not unit-norm (the canonical form of
    /// [`crate::matching`] normalises them). Needs `hidden <= dim`.
    Conditioned {
        /// Input dimension d.
        dim: usize,
        /// Hidden units k (≤ d).
        hidden: usize,
        /// Condition number κ ≥ 1 of W.
        kappa: f64,
    },
    /// As [`Family::Random`] with biases `b_i ~ U[−bias_range, bias_range]`.
    Biased {
        /// Input dimension d.
        dim: usize,
        /// Hidden units k.
        hidden: usize,
        /// Half-width β of the bias interval.
        bias_range: f64,
    },
    /// Units in pairs at angle `angle` (radians): pair j has rows
    /// `cos(θ/2) u_j ± sin(θ/2) v_j` with `u_j` random unit and `v_j ⊥ u_j`
    /// random unit; for odd k the last unit is unpaired. The small-angle
    /// case is what defeats condition-number-based methods.
    Close {
        /// Input dimension d (≥ 2).
        dim: usize,
        /// Hidden units k.
        hidden: usize,
        /// Angle θ between the two units of a pair, in (0, π].
        angle: f64,
    },
    /// As [`Family::Random`] with output weights of random sign,
    /// `a_i = ±U[0.5, 1.5]`; when k ≥ 2 both signs occur.
    Signed {
        /// Input dimension d.
        dim: usize,
        /// Hidden units k.
        hidden: usize,
    },
    /// Groups of `group` units whose rows lie within angle `angle` of each
    /// other: group j has a random unit centre `c_j`, and each of its units
    /// is `cos(θ/2) c_j + sin(θ/2) v` with `v ⊥ c_j` random unit, so every
    /// unit is at angle θ/2 from its centre and any two units of a group are
    /// within θ. Zero biases. The last group is smaller when `group` does not
    /// divide k. Generalises [`Family::Close`] (pairs) to clusters of any
    /// size.
    Cluster {
        /// Input dimension d (≥ 2).
        dim: usize,
        /// Hidden units k.
        hidden: usize,
        /// Units per group r ≥ 1.
        group: usize,
        /// Largest angle θ between two units of a group, in (0, π].
        angle: f64,
    },
    /// Networks as users plant them: rows `w_i = s_i u_i` with `u_i` uniform
    /// on the sphere and norms `s_i` log-uniform in `[1/row_scale,
    /// row_scale]`, biases `b_i = s_i β_i` with `β_i ~ U[−bias_range,
    /// bias_range]` (so the bias relative to the row norm is at most
    /// `bias_range`), and output weights `±U[0.5, 1.5]` with random signs
    /// (both signs occur when k ≥ 2). Any k, also k > d.
    Generic {
        /// Input dimension d.
        dim: usize,
        /// Hidden units k.
        hidden: usize,
        /// Half-width of the relative bias interval.
        bias_range: f64,
        /// Largest ratio of a row norm to 1 (≥ 1; 1 gives unit rows).
        row_scale: f64,
    },
    /// A deep network: unit first-layer rows (uniform on the sphere),
    /// deeper hidden layers `N(0, 2 / fan_in)` (He), output layer
    /// `N(0, 1 / fan_in)`, and hidden biases `N(0, bias_std²)`.
    Deep {
        /// Input dimension d.
        dim: usize,
        /// Hidden widths, first layer first (the first is k).
        widths: Vec<usize>,
        /// Standard deviation of the hidden biases.
        bias_std: f64,
    },
    /// One ReLU `relu(⟨w, x⟩)` with a unit w, output weight 1.
    Single {
        /// Input dimension d.
        dim: usize,
    },
}

/// The family names accepted by [`Family::from_name`].
pub const FAMILY_NAMES: &[&str] = &[
    "random",
    "conditioned",
    "biased",
    "close",
    "signed",
    "deep",
    "single",
    "cluster",
    "generic",
];

/// Signs of a planted network's output weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Signs {
    /// Keep the family's own output weights (positive for the depth-2
    /// families but `signed` and `generic`).
    #[default]
    Positive,
    /// Multiply each output weight by an independent random sign; when
    /// there are at least two, both signs occur.
    Mixed,
}

/// Changes applied to a planted teacher after its family drew it: output
/// signs, an output offset and a label scale,
/// `f(x) = label_scale · (Σ_i σ_i a_i h_i(x) + c) + offset` for the last
/// hidden layer `h` and signs `σ_i`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Variation {
    /// Output-weight signs.
    pub signs: Signs,
    /// Added to the output bias.
    pub offset: f64,
    /// Multiplies the output layer (weights and bias), applied before the
    /// offset is added.
    pub label_scale: f64,
}

impl Default for Variation {
    fn default() -> Self {
        Self {
            signs: Signs::Positive,
            offset: 0.0,
            label_scale: 1.0,
        }
    }
}

/// Knobs of [`Family::from_name`]; unused ones are ignored.
#[derive(Clone, Debug, PartialEq)]
pub struct FamilyOptions {
    /// Input dimension d.
    pub dim: usize,
    /// Hidden units k (first hidden width for `deep`).
    pub hidden: usize,
    /// Depth L (number of layers) for `deep`; default 3.
    pub depth: usize,
    /// κ for `conditioned`; default 10.
    pub kappa: f64,
    /// β for `biased`; default 1.
    pub bias_range: f64,
    /// θ for `close`, in radians; default 0.1.
    pub angle: f64,
    /// Hidden-bias standard deviation for `deep`; default 0.5.
    pub bias_std: f64,
    /// Units per group for `cluster`; default 2.
    pub group: usize,
    /// Row-norm spread for `generic`; default 1 (unit rows).
    pub row_scale: f64,
    /// Hidden widths of `deep` (first layer first); when empty, `depth − 1`
    /// layers of width `hidden`.
    pub widths: Vec<usize>,
}

impl FamilyOptions {
    /// Options with the documented defaults for dimension `dim` and `hidden`
    /// units.
    #[must_use]
    pub fn new(dim: usize, hidden: usize) -> Self {
        Self {
            dim,
            hidden,
            depth: 3,
            kappa: 10.0,
            bias_range: 1.0,
            angle: 0.1,
            bias_std: 0.5,
            group: 2,
            row_scale: 1.0,
            widths: Vec::new(),
        }
    }
}

fn positive(name: &'static str, value: f64, expected: &'static str) -> Result<(), NetError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(NetError::InvalidParam {
            name,
            value,
            expected,
        })
    }
}

impl Family {
    /// The family called `name` (one of [`FAMILY_NAMES`]) with the given
    /// options; `None` for an unknown name.
    #[must_use]
    pub fn from_name(name: &str, o: &FamilyOptions) -> Option<Self> {
        let (dim, hidden) = (o.dim, o.hidden);
        Some(match name {
            "random" => Family::Random { dim, hidden },
            "conditioned" => Family::Conditioned {
                dim,
                hidden,
                kappa: o.kappa,
            },
            "biased" => Family::Biased {
                dim,
                hidden,
                bias_range: o.bias_range,
            },
            "close" => Family::Close {
                dim,
                hidden,
                angle: o.angle,
            },
            "signed" => Family::Signed { dim, hidden },
            "deep" => Family::Deep {
                dim,
                widths: if o.widths.is_empty() {
                    vec![hidden; o.depth.saturating_sub(1)]
                } else {
                    o.widths.clone()
                },
                bias_std: o.bias_std,
            },
            "single" => Family::Single { dim },
            "cluster" => Family::Cluster {
                dim,
                hidden,
                group: o.group,
                angle: o.angle,
            },
            "generic" => Family::Generic {
                dim,
                hidden,
                bias_range: o.bias_range,
                row_scale: o.row_scale,
            },
            _ => return None,
        })
    }

    /// The family's name, as accepted by [`Family::from_name`].
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Family::Random { .. } => "random",
            Family::Conditioned { .. } => "conditioned",
            Family::Biased { .. } => "biased",
            Family::Close { .. } => "close",
            Family::Signed { .. } => "signed",
            Family::Deep { .. } => "deep",
            Family::Single { .. } => "single",
            Family::Cluster { .. } => "cluster",
            Family::Generic { .. } => "generic",
        }
    }

    /// Draws a teacher of the family and applies `variation` to it (see
    /// [`Variation`]); `Variation::default()` gives [`Family::plant`]'s
    /// network. The signs come from their own stream, so the hidden layers
    /// are those of [`Family::plant`] with the same seed.
    ///
    /// # Errors
    /// As [`Family::plant`]; [`NetError::InvalidParam`] for a non-finite
    /// offset or a non-finite or zero label scale.
    pub fn plant_varied(&self, seed: Seed, variation: &Variation) -> Result<Network, NetError> {
        let net = self.plant(seed)?;
        vary(net, seed.derive("variation"), variation)
    }

    /// Draws a teacher network of the family.
    ///
    /// # Errors
    /// [`NetError::ZeroDim`] for zero dimensions,
    /// [`NetError::InvalidParam`] for parameters outside their ranges
    /// (κ < 1, k > d for `conditioned`, θ ∉ (0, π], d < 2 for `close`,
    /// negative or non-finite ranges, depth < 2 for `deep`).
    // Over 100 lines: to be split into named parts (for a fit: one per step).
    #[allow(clippy::too_many_lines)]
    pub fn plant(&self, seed: Seed) -> Result<Network, NetError> {
        let mut rng = seed.derive("family").rng();
        match self {
            Family::Random { dim, hidden } => {
                check_dims(*dim, *hidden)?;
                let w = unit_rows(&mut rng, *hidden, *dim);
                let a = positive_weights(&mut rng, *hidden);
                depth2(w, Col::zeros(*hidden), a)
            }
            Family::Conditioned { dim, hidden, kappa } => {
                check_dims(*dim, *hidden)?;
                if !(kappa.is_finite() && *kappa >= 1.0) {
                    return Err(NetError::InvalidParam {
                        name: "kappa",
                        value: *kappa,
                        expected: "a finite number >= 1",
                    });
                }
                if hidden > dim {
                    return Err(NetError::InvalidParam {
                        name: "hidden",
                        value: *hidden as f64,
                        expected: "at most dim for a full-rank W with a finite condition number",
                    });
                }
                let w = conditioned(*hidden, *dim, *kappa, seed.derive("conditioned"));
                let a = positive_weights(&mut rng, *hidden);
                depth2(w, Col::zeros(*hidden), a)
            }
            Family::Biased {
                dim,
                hidden,
                bias_range,
            } => {
                check_dims(*dim, *hidden)?;
                check_bias_range(*bias_range)?;
                let w = unit_rows(&mut rng, *hidden, *dim);
                let a = positive_weights(&mut rng, *hidden);
                let b = Col::from_fn(*hidden, |_| bias_range * (2.0 * rng.random::<f64>() - 1.0));
                depth2(w, b, a)
            }
            Family::Close { dim, hidden, angle } => {
                check_dims(*dim, *hidden)?;
                if *dim < 2 {
                    return Err(NetError::InvalidParam {
                        name: "dim",
                        value: *dim as f64,
                        expected: "at least 2 for pairs of close units",
                    });
                }
                check_angle(*angle)?;
                let w = close_pairs(&mut rng, *hidden, *dim, *angle);
                let a = positive_weights(&mut rng, *hidden);
                depth2(w, Col::zeros(*hidden), a)
            }
            Family::Signed { dim, hidden } => {
                check_dims(*dim, *hidden)?;
                let w = unit_rows(&mut rng, *hidden, *dim);
                let mut a = positive_weights(&mut rng, *hidden);
                random_signs(&mut rng, a.as_mut());
                depth2(w, Col::zeros(*hidden), a)
            }
            Family::Deep {
                dim,
                widths,
                bias_std,
            } => deep(&mut rng, *dim, widths, *bias_std),
            Family::Single { dim } => {
                check_dims(*dim, 1)?;
                let w = unit_rows(&mut rng, 1, *dim);
                depth2(w, Col::zeros(1), Col::from_fn(1, |_| 1.0))
            }
            Family::Cluster {
                dim,
                hidden,
                group,
                angle,
            } => {
                check_dims(*dim, *hidden)?;
                if *dim < 2 {
                    return Err(NetError::InvalidParam {
                        name: "dim",
                        value: *dim as f64,
                        expected: "at least 2 for clusters of close units",
                    });
                }
                if *group == 0 {
                    return Err(NetError::ZeroDim { what: "group" });
                }
                check_angle(*angle)?;
                let w = clusters(&mut rng, *hidden, *dim, *group, *angle);
                let a = positive_weights(&mut rng, *hidden);
                depth2(w, Col::zeros(*hidden), a)
            }
            Family::Generic {
                dim,
                hidden,
                bias_range,
                row_scale,
            } => {
                check_dims(*dim, *hidden)?;
                check_bias_range(*bias_range)?;
                if !(row_scale.is_finite() && *row_scale >= 1.0) {
                    return Err(NetError::InvalidParam {
                        name: "row_scale",
                        value: *row_scale,
                        expected: "a finite number >= 1",
                    });
                }
                let mut w = unit_rows(&mut rng, *hidden, *dim);
                let mut b = Col::zeros(*hidden);
                let log_s = row_scale.ln();
                for i in 0..*hidden {
                    let s = (log_s * (2.0 * rng.random::<f64>() - 1.0)).exp();
                    for j in 0..*dim {
                        w[(i, j)] *= s;
                    }
                    b[i] = s * bias_range * (2.0 * rng.random::<f64>() - 1.0);
                }
                let mut a = positive_weights(&mut rng, *hidden);
                random_signs(&mut rng, a.as_mut());
                depth2(w, b, a)
            }
        }
    }
}

fn check_bias_range(bias_range: f64) -> Result<(), NetError> {
    if bias_range.is_finite() && bias_range >= 0.0 {
        Ok(())
    } else {
        Err(NetError::InvalidParam {
            name: "bias_range",
            value: bias_range,
            expected: "a finite number >= 0",
        })
    }
}

fn check_angle(angle: f64) -> Result<(), NetError> {
    positive("angle", angle, "in (0, pi] radians")?;
    if angle > std::f64::consts::PI {
        return Err(NetError::InvalidParam {
            name: "angle",
            value: angle,
            expected: "in (0, pi] radians",
        });
    }
    Ok(())
}

/// Multiplies the entries of `a` by independent random signs, flipping the
/// last one when all came out equal and there are at least two.
fn random_signs(rng: &mut ChaCha8Rng, mut a: faer::ColMut<'_, f64>) {
    let k = a.nrows();
    let mut signs: Vec<f64> = (0..k)
        .map(|_| if rng.random::<bool>() { 1.0 } else { -1.0 })
        .collect();
    if k >= 2 && signs.iter().all(|&s| s == signs[0]) {
        signs[k - 1] = -signs[0];
    }
    for (i, s) in signs.iter().enumerate() {
        a[i] *= s;
    }
}

/// Applies a [`Variation`] to the output layer of `net`.
fn vary(net: Network, seed: Seed, v: &Variation) -> Result<Network, NetError> {
    if !v.offset.is_finite() {
        return Err(NetError::InvalidParam {
            name: "offset",
            value: v.offset,
            expected: "a finite number",
        });
    }
    if !(v.label_scale.is_finite() && v.label_scale != 0.0) {
        return Err(NetError::InvalidParam {
            name: "label_scale",
            value: v.label_scale,
            expected: "a finite non-zero number",
        });
    }
    let mut parts: Vec<(Mat<f64>, Col<f64>)> = net
        .layers()
        .iter()
        .map(|l| (l.weight().to_owned(), l.bias().to_owned()))
        .collect();
    let (w, b) = parts.last_mut().expect("a network has an output layer");
    if v.signs == Signs::Mixed {
        let mut rng = seed.rng();
        let mut row = Col::from_fn(w.ncols(), |j| w[(0, j)].abs());
        random_signs(&mut rng, row.as_mut());
        for j in 0..w.ncols() {
            w[(0, j)] = row[j];
        }
    }
    for j in 0..w.ncols() {
        w[(0, j)] *= v.label_scale;
    }
    b[0] = v.label_scale * b[0] + v.offset;
    Network::from_parts(parts)
}

fn check_dims(dim: usize, hidden: usize) -> Result<(), NetError> {
    if dim == 0 {
        return Err(NetError::ZeroDim { what: "dim" });
    }
    if hidden == 0 {
        return Err(NetError::ZeroDim { what: "hidden" });
    }
    Ok(())
}

fn depth2(w: Mat<f64>, b: Col<f64>, a: Col<f64>) -> Result<Network, NetError> {
    Network::depth2(w.as_ref(), b.as_ref(), a.as_ref(), 0.0)
}

/// `k` rows uniform on the unit sphere of ℝ^d.
fn unit_rows(rng: &mut ChaCha8Rng, k: usize, d: usize) -> Mat<f64> {
    let mut w = Mat::zeros(k, d);
    for i in 0..k {
        loop {
            let g = gaussian_vec(rng, d);
            let norm = g.iter().map(|v| v * v).sum::<f64>().sqrt();
            if norm > 1e-12 {
                for j in 0..d {
                    w[(i, j)] = g[j] / norm;
                }
                break;
            }
        }
    }
    w
}

fn positive_weights(rng: &mut ChaCha8Rng, k: usize) -> Col<f64> {
    Col::from_fn(k, |_| 0.5 + rng.random::<f64>())
}

fn conditioned(k: usize, d: usize, kappa: f64, seed: Seed) -> Mat<f64> {
    let u = haar_orthogonal(k, k, seed.derive("u"));
    let v = haar_orthogonal(d, k, seed.derive("v"));
    let s: Vec<f64> = (0..k)
        .map(|i| {
            if k == 1 {
                1.0
            } else {
                kappa.powf(-(i as f64) / (k - 1) as f64)
            }
        })
        .collect();
    // Rescale so that Σ s_i² = k, i.e. the rows have mean squared norm 1.
    let scale = (k as f64 / s.iter().map(|x| x * x).sum::<f64>()).sqrt();
    Mat::from_fn(k, d, |i, j| {
        (0..k).map(|m| u[(i, m)] * scale * s[m] * v[(j, m)]).sum()
    })
}

fn close_pairs(rng: &mut ChaCha8Rng, k: usize, d: usize, angle: f64) -> Mat<f64> {
    let mut w = Mat::zeros(k, d);
    let (c, s) = ((angle / 2.0).cos(), (angle / 2.0).sin());
    let mut i = 0;
    while i < k {
        let pair = unit_rows(rng, 2, d);
        let u: Vec<f64> = (0..d).map(|j| pair[(0, j)]).collect();
        // v: the second random row made orthogonal to u.
        let dot: f64 = (0..d).map(|j| pair[(1, j)] * u[j]).sum();
        let mut v: Vec<f64> = (0..d).map(|j| pair[(1, j)] - dot * u[j]).collect();
        let nv = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if nv < 1e-8 {
            continue;
        }
        v.iter_mut().for_each(|x| *x /= nv);
        for j in 0..d {
            w[(i, j)] = c * u[j] + s * v[j];
        }
        if i + 1 < k {
            for j in 0..d {
                w[(i + 1, j)] = c * u[j] - s * v[j];
            }
        } else {
            // An unpaired last unit is a plain random unit row.
            for j in 0..d {
                w[(i, j)] = u[j];
            }
        }
        i += 2;
    }
    w
}

/// Groups of `r` rows within angle `angle` of each other (see
/// [`Family::Cluster`]).
fn clusters(rng: &mut ChaCha8Rng, k: usize, d: usize, r: usize, angle: f64) -> Mat<f64> {
    let mut w = Mat::zeros(k, d);
    let (c, s) = ((angle / 2.0).cos(), (angle / 2.0).sin());
    let mut i = 0;
    while i < k {
        let centre = unit_rows(rng, 1, d);
        let size = r.min(k - i);
        for _ in 0..size {
            // A random unit direction orthogonal to the centre.
            let v = loop {
                let g = gaussian_vec(rng, d);
                let dot: f64 = (0..d).map(|j| g[j] * centre[(0, j)]).sum();
                let v: Vec<f64> = (0..d).map(|j| g[j] - dot * centre[(0, j)]).collect();
                let nv = v.iter().map(|x| x * x).sum::<f64>().sqrt();
                if nv > 1e-8 {
                    break v.into_iter().map(|x| x / nv).collect::<Vec<f64>>();
                }
            };
            for j in 0..d {
                w[(i, j)] = if size == 1 {
                    centre[(0, j)]
                } else {
                    c * centre[(0, j)] + s * v[j]
                };
            }
            i += 1;
        }
    }
    w
}

fn deep(rng: &mut ChaCha8Rng, dim: usize, widths: &[usize], bias_std: f64) -> Result<Network, NetError> {
    if dim == 0 {
        return Err(NetError::ZeroDim { what: "dim" });
    }
    if widths.is_empty() {
        return Err(NetError::InvalidParam {
            name: "depth",
            value: 1.0,
            expected: "at least 2 (one hidden layer and the output layer)",
        });
    }
    if widths.contains(&0) {
        return Err(NetError::ZeroDim {
            what: "a hidden width",
        });
    }
    if !(bias_std.is_finite() && bias_std >= 0.0) {
        return Err(NetError::InvalidParam {
            name: "bias_std",
            value: bias_std,
            expected: "a finite number >= 0",
        });
    }
    let mut all = vec![dim];
    all.extend_from_slice(widths);
    all.push(1);
    let n_layers = all.len() - 1;
    let mut parts = Vec::with_capacity(n_layers);
    for l in 1..=n_layers {
        let (fan_in, fan_out) = (all[l - 1], all[l]);
        let w = if l == 1 {
            unit_rows(rng, fan_out, fan_in)
        } else {
            let var = if l == n_layers { 1.0 } else { 2.0 } / fan_in as f64;
            let g = gaussian_vec(rng, fan_out * fan_in);
            Mat::from_fn(fan_out, fan_in, |i, j| var.sqrt() * g[i * fan_in + j])
        };
        let b = if l == n_layers {
            Col::zeros(1)
        } else {
            let g = gaussian_vec(rng, fan_out);
            Col::from_fn(fan_out, |i| bias_std * g[i])
        };
        parts.push((w, b));
    }
    Network::from_parts(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn singular_values(w: faer::MatRef<'_, f64>) -> Vec<f64> {
        let mut s = w.singular_values().unwrap();
        s.sort_by(|a, b| b.total_cmp(a));
        s
    }

    #[test]
    fn every_named_family_plants_a_valid_network() {
        for name in FAMILY_NAMES {
            let f = Family::from_name(name, &FamilyOptions::new(6, 4)).unwrap();
            let net = f.plant(Seed(1)).unwrap();
            assert_eq!(net.input_dim(), 6, "{name}");
            assert_eq!(f.name(), *name);
            assert_eq!(net, f.plant(Seed(1)).unwrap(), "{name} is deterministic");
        }
        assert!(Family::from_name("nope", &FamilyOptions::new(6, 4)).is_none());
    }

    #[test]
    fn conditioned_family_has_the_requested_condition_number() {
        let net = Family::Conditioned {
            dim: 8,
            hidden: 5,
            kappa: 30.0,
        }
        .plant(Seed(2))
        .unwrap();
        let s = singular_values(net.as_depth2().unwrap().w);
        assert!((s[0] / s[4] - 30.0).abs() < 1e-8, "{s:?}");
        assert!(
            Family::Conditioned {
                dim: 3,
                hidden: 5,
                kappa: 2.0
            }
            .plant(Seed(2))
            .is_err()
        );
        assert!(
            Family::Conditioned {
                dim: 5,
                hidden: 3,
                kappa: 0.5
            }
            .plant(Seed(2))
            .is_err()
        );
    }

    #[test]
    fn close_family_has_pairs_at_the_requested_angle() {
        let net = Family::Close {
            dim: 7,
            hidden: 5,
            angle: 0.2,
        }
        .plant(Seed(3))
        .unwrap();
        let w = net.as_depth2().unwrap().w;
        for p in [0, 2] {
            let dot: f64 = (0..7).map(|j| w[(p, j)] * w[(p + 1, j)]).sum();
            assert!((dot.acos() - 0.2).abs() < 1e-10);
        }
        for i in 0..5 {
            let n: f64 = (0..7).map(|j| w[(i, j)].powi(2)).sum();
            assert!((n - 1.0).abs() < 1e-12);
        }
        assert!(
            Family::Close {
                dim: 7,
                hidden: 2,
                angle: 0.0
            }
            .plant(Seed(3))
            .is_err()
        );
        assert!(
            Family::Close {
                dim: 1,
                hidden: 2,
                angle: 0.5
            }
            .plant(Seed(3))
            .is_err()
        );
    }

    #[test]
    fn signed_and_biased_families_have_their_structure() {
        let net = Family::Signed { dim: 4, hidden: 3 }.plant(Seed(4)).unwrap();
        let a = net.as_depth2().unwrap().a;
        assert!((0..3).any(|i| a[i] < 0.0) && (0..3).any(|i| a[i] > 0.0));
        let net = Family::Biased {
            dim: 4,
            hidden: 50,
            bias_range: 0.7,
        }
        .plant(Seed(4))
        .unwrap();
        let b = net.as_depth2().unwrap().b;
        assert!((0..50).all(|i| b[i].abs() <= 0.7) && (0..50).any(|i| b[i].abs() > 0.3));
    }

    #[test]
    fn deep_family_has_the_requested_architecture() {
        let f = Family::from_name(
            "deep",
            &FamilyOptions {
                depth: 4,
                ..FamilyOptions::new(5, 3)
            },
        )
        .unwrap();
        let net = f.plant(Seed(5)).unwrap();
        assert_eq!(net.depth(), 4);
        assert_eq!(net.hidden_widths(), vec![3, 3, 3]);
        let bad = Family::from_name(
            "deep",
            &FamilyOptions {
                depth: 1,
                ..FamilyOptions::new(5, 3)
            },
        )
        .unwrap();
        assert!(bad.plant(Seed(5)).is_err());
    }

    #[test]
    fn cluster_family_has_groups_within_the_angle() {
        let (k, r, theta) = (7, 3, 0.02);
        let net = Family::Cluster {
            dim: 9,
            hidden: k,
            group: r,
            angle: theta,
        }
        .plant(Seed(6))
        .unwrap();
        let w = net.as_depth2().unwrap().w;
        let angle = |p: usize, q: usize| {
            let dot: f64 = (0..9).map(|j| w[(p, j)] * w[(q, j)]).sum();
            dot.clamp(-1.0, 1.0).acos()
        };
        for g in 0..2 {
            for p in 3 * g..3 * g + 3 {
                for q in p + 1..3 * g + 3 {
                    assert!(angle(p, q) <= theta + 1e-12 && angle(p, q) > 1e-4, "{p} {q}");
                }
            }
        }
        // Units of different groups are far apart (random centres in d = 9).
        assert!(angle(0, 3) > 0.1 && angle(2, 6) > 0.1);
        assert!(
            Family::Cluster {
                dim: 9,
                hidden: 4,
                group: 0,
                angle: 0.1
            }
            .plant(Seed(6))
            .is_err()
        );
    }

    #[test]
    fn generic_family_spreads_norms_biases_and_signs() {
        let net = Family::Generic {
            dim: 5,
            hidden: 40,
            bias_range: 2.0,
            row_scale: 3.0,
        }
        .plant(Seed(7))
        .unwrap();
        let p = net.as_depth2().unwrap();
        let norms: Vec<f64> = (0..40)
            .map(|i| (0..5).map(|j| p.w[(i, j)].powi(2)).sum::<f64>().sqrt())
            .collect();
        assert!(
            norms
                .iter()
                .all(|&s| (1.0 / 3.0 - 1e-12..=3.0 + 1e-12).contains(&s))
        );
        assert!(norms.iter().any(|&s| s > 2.0) && norms.iter().any(|&s| s < 0.5));
        assert!((0..40).all(|i| p.b[i].abs() <= 2.0 * norms[i] + 1e-12));
        assert!((0..40).any(|i| p.b[i].abs() > 1.5 * norms[i]));
        assert!((0..40).any(|i| p.a[i] < 0.0) && (0..40).any(|i| p.a[i] > 0.0));
        assert!((0..40).all(|i| (0.5..=1.5).contains(&p.a[i].abs())));
    }

    #[test]
    fn variation_flips_signs_scales_and_offsets_the_output_only() {
        let family = Family::Biased {
            dim: 6,
            hidden: 5,
            bias_range: 1.0,
        };
        let plain = family.plant(Seed(8)).unwrap();
        assert_eq!(
            plain,
            family.plant_varied(Seed(8), &Variation::default()).unwrap()
        );
        let v = Variation {
            signs: Signs::Mixed,
            offset: 0.7,
            label_scale: -2.0,
        };
        let varied = family.plant_varied(Seed(8), &v).unwrap();
        let (p, q) = (plain.as_depth2().unwrap(), varied.as_depth2().unwrap());
        assert_eq!(p.w, q.w);
        assert_eq!(p.b, q.b);
        assert!((0..5).all(|i| (q.a[i].abs() - 2.0 * p.a[i].abs()).abs() < 1e-12));
        assert!((0..5).any(|i| q.a[i] > 0.0) && (0..5).any(|i| q.a[i] < 0.0));
        assert!((q.c - 0.7).abs() < 1e-15);
        let bad = Variation {
            label_scale: 0.0,
            ..Variation::default()
        };
        assert!(family.plant_varied(Seed(8), &bad).is_err());
    }
}
