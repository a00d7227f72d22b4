//! Planted families: random teacher networks with documented structure,
//! used by tests, the `generate` command and the experiment suites.
//!
//! Unless a family says otherwise a depth-2 teacher is
//! `f(x) = Σ_i a_i relu(⟨w_i, x⟩ + b_i)` with unit rows `w_i` uniform on the
//! sphere, zero biases, positive output weights `a_i ~ U[0.5, 1.5]` and
//! output bias 0. Positive output weights are the assumption of several
//! papers (and of the easiest recovery problem); [`Family::Signed`] drops
//! it.

use serde::{Deserialize, Serialize};

use crate::error::NetError;
use crate::network::Network;
use crate::seed::Seed;

mod deep;
mod depth2;
mod rows;
#[cfg(test)]
mod tests;
mod variation;

pub use variation::{Signs, Variation};

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
        variation::vary(net, seed.derive("variation"), variation)
    }

    /// Draws a teacher network of the family.
    ///
    /// # Errors
    /// [`NetError::ZeroDim`] for zero dimensions,
    /// [`NetError::InvalidParam`] for parameters outside their ranges
    /// (κ < 1, k > d for `conditioned`, θ ∉ (0, π], d < 2 for `close`,
    /// negative or non-finite ranges, depth < 2 for `deep`).
    pub fn plant(&self, seed: Seed) -> Result<Network, NetError> {
        let mut rng = seed.derive("family").rng();
        let rng = &mut rng;
        match self {
            Family::Random { dim, hidden } => depth2::plant_random(rng, *dim, *hidden),
            Family::Conditioned { dim, hidden, kappa } => {
                depth2::plant_conditioned(rng, seed, *dim, *hidden, *kappa)
            }
            Family::Biased {
                dim,
                hidden,
                bias_range,
            } => depth2::plant_biased(rng, *dim, *hidden, *bias_range),
            Family::Close { dim, hidden, angle } => depth2::plant_close(rng, *dim, *hidden, *angle),
            Family::Signed { dim, hidden } => depth2::plant_signed(rng, *dim, *hidden),
            Family::Deep {
                dim,
                widths,
                bias_std,
            } => deep::plant_deep(rng, *dim, widths, *bias_std),
            Family::Single { dim } => depth2::plant_single(rng, *dim),
            Family::Cluster {
                dim,
                hidden,
                group,
                angle,
            } => depth2::plant_cluster(rng, *dim, *hidden, *group, *angle),
            Family::Generic {
                dim,
                hidden,
                bias_range,
                row_scale,
            } => depth2::plant_generic(rng, *dim, *hidden, *bias_range, *row_scale),
        }
    }
}
