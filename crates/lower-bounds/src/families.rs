//! The correlational-SQ hard families (vanishing low-degree Hermite
//! moments) and the Lipschitz slab bump.

use std::collections::BTreeMap;

use faer::{Col, Mat};
use gaussian_moments::hermite::{norm_cdf, norm_pdf};
use relu_net::{Network, Seed, gaussian_matrix};

use crate::norms::{degree_norms, first_nonzero_degree, l2_norm_sq_bias_free};
use crate::{HardError, HardFamily, HardInstance, Verification};

/// A random `r × d` matrix with orthonormal rows (Gram–Schmidt, twice, on
/// Gaussian rows; seeded).
///
/// # Errors
/// [`HardError::InvalidParam`] if `r > d` or `r = 0`.
pub fn random_orthonormal(r: usize, d: usize, seed: Seed) -> Result<Mat<f64>, HardError> {
    if r == 0 || r > d {
        return Err(HardError::InvalidParam {
            family: "embedding",
            name: "rows",
            value: r as f64,
            expected: "between 1 and the input dimension d",
        });
    }
    let g = gaussian_matrix(r, d, seed);
    let mut rows: Vec<Vec<f64>> = Vec::with_capacity(r);
    for i in 0..r {
        let mut v: Vec<f64> = (0..d).map(|j| g[(i, j)]).collect();
        for _ in 0..2 {
            for q in &rows {
                let c: f64 = q.iter().zip(&v).map(|(a, b)| a * b).sum();
                v.iter_mut().zip(q).for_each(|(x, y)| *x -= c * y);
            }
        }
        let n = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        v.iter_mut().for_each(|x| *x /= n);
        rows.push(v);
    }
    Ok(Mat::from_fn(r, d, |i, j| rows[i][j]))
}

/// Degrees checked by the vanishing-moment verification.
const MAX_DEGREE: usize = 200;
/// A degree component counts as zero below this fraction of ‖f‖².
const ZERO_REL: f64 = 1e-12;

fn verify_vanishing(net: &Network, k: usize) -> Result<Verification, HardError> {
    let norms = degree_norms(net, MAX_DEGREE)?;
    let total = l2_norm_sq_bias_free(net)?;
    let first = first_nonzero_degree(&norms, total, ZERO_REL);
    let holds = first == Some(k);
    let below: f64 = norms[..k].iter().copied().fold(0.0, f64::max);
    Ok(Verification {
        holds,
        details: format!(
            "‖f‖² = {total:.6}; max over degrees < {k} of ‖f^[m]‖² = {below:.3e}; ‖f^[{k}]‖² = {:.3e}; first non-zero degree {}",
            norms[k],
            first.map_or_else(|| format!("> {MAX_DEGREE}"), |m| m.to_string())
        ),
        degree_norms: norms,
    })
}

/// Scales the output layer so that `E f² = 1`.
fn normalised(units: &[(Vec<f64>, f64)], d: usize) -> Result<(Network, f64), HardError> {
    let k = units.len();
    let w = Mat::from_fn(k, d, |i, j| units[i].0[j]);
    let raw = Network::depth2(
        w.as_ref(),
        Col::zeros(k).as_ref(),
        Col::from_fn(k, |i| units[i].1).as_ref(),
        0.0,
    )?;
    let norm_sq = l2_norm_sq_bias_free(&raw)?;
    let s = 1.0 / norm_sq.sqrt();
    let net = Network::depth2(
        w.as_ref(),
        Col::zeros(k).as_ref(),
        Col::from_fn(k, |i| s * units[i].1).as_ref(),
        0.0,
    )?;
    Ok((net, norm_sq))
}

/// The planar family of Diakonikolas, Kane, Kontonis & Zarifis (COLT 2020,
/// arXiv 2006.12476, Eq. (3) with σ = identity, φ = ReLU):
/// `f(x) = Σ_{m=1}^{2k} (−1)^m relu(⟨cos(πm/k) a + sin(πm/k) b, x⟩) / ‖f‖`
/// for a random orthonormal pair (a, b) — 2k ReLUs, output weights ±1.
/// For even k its Hermite components of degree < k vanish and degree k does
/// not (the "degree at most k" of the paper's Lemma 18 is off by one for
/// this instance; see `docs/math/lower-bounds.md`); for odd k, units m and
/// m + k cancel (`relu(t) − relu(−t) = t`, and the linear parts sum to 0),
/// so f ≡ 0 and the family is refused.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Planar {
    dim: usize,
    k: usize,
}

impl Planar {
    /// The family for input dimension `dim` and degree `k`.
    ///
    /// # Errors
    /// [`HardError::InvalidParam`] for odd k (f ≡ 0), k < 2, k > 64, or
    /// `dim < 2`.
    pub fn new(dim: usize, k: usize) -> Result<Self, HardError> {
        let bad = |name, value: usize, expected| HardError::InvalidParam {
            family: "planar",
            name,
            value: value as f64,
            expected,
        };
        if !(2..=64).contains(&k) {
            return Err(bad("k", k, "between 2 and 64"));
        }
        if k % 2 == 1 {
            return Err(bad(
                "k",
                k,
                "even: for odd k the 2k ReLUs cancel in pairs (relu(t) − relu(−t) = t, and the linear parts sum to zero), so f ≡ 0",
            ));
        }
        if dim < 2 {
            return Err(bad("dim", dim, "at least 2 (the construction lives in a plane)"));
        }
        Ok(Self { dim, k })
    }
}

impl HardFamily for Planar {
    fn name(&self) -> &'static str {
        "planar"
    }

    fn instance(&self, seed: Seed) -> Result<HardInstance, HardError> {
        let (d, k) = (self.dim, self.k);
        let q = random_orthonormal(2, d, seed.derive("planar-plane"))?;
        let units: Vec<(Vec<f64>, f64)> = (1..=2 * k)
            .map(|m| {
                let t = std::f64::consts::PI * m as f64 / k as f64;
                let (c, s) = (t.cos(), t.sin());
                let sign = if m % 2 == 0 { 1.0 } else { -1.0 };
                ((0..d).map(|j| c * q[(0, j)] + s * q[(1, j)]).collect(), sign)
            })
            .collect();
        let (network, norm_sq) = normalised(&units, d)?;
        let mut params = BTreeMap::new();
        params.insert("dim".into(), d as f64);
        params.insert("k".into(), k as f64);
        params.insert("units".into(), (2 * k) as f64);
        params.insert("raw_norm_sq".into(), norm_sq);
        Ok(HardInstance {
            family: "planar",
            network: Some(network),
            data: None,
            claim: format!("Hermite components of degree < {k} vanish and degree {k} does not (E f² = 1)"),
            params,
        })
    }

    fn verify(&self, instance: &HardInstance) -> Result<Verification, HardError> {
        let net = instance.network.as_ref().ok_or(HardError::InvalidParam {
            family: "planar",
            name: "network",
            value: f64::NAN,
            expected: "present",
        })?;
        verify_vanishing(net, self.k)
    }
}

/// The parity-of-signs family of Goel, Gollakota, Jin, Karmalkar & Klivans
/// (ICML 2020, arXiv 2006.12011), as reconstructed in
/// `docs/math/lower-bounds.md` (the construction's details are not from the
/// paper's text):
/// `f(x) = Σ_{w ∈ {±1}^k} χ(w) relu(⟨w, Q x⟩/√k) / ‖f‖`, `χ(w) = Π_i w_i`,
/// for a random `k × d` matrix Q with orthonormal rows (the paper's
/// coordinate subset S, rotated). Flipping one coordinate of Qx flips χ, so
/// f is odd in each and every Hermite component of degree < k vanishes;
/// members for different Q are nearly orthogonal. Even k only (for odd k
/// the pairs w, −w give `χ(w)·t` terms that cancel: f ≡ 0).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Parity {
    dim: usize,
    k: usize,
}

impl Parity {
    /// The family for input dimension `dim` and degree `k`.
    ///
    /// # Errors
    /// [`HardError::InvalidParam`] for odd k, k < 2, k > 12 (2^k units),
    /// or `dim < k`.
    pub fn new(dim: usize, k: usize) -> Result<Self, HardError> {
        let bad = |name, value: usize, expected| HardError::InvalidParam {
            family: "parity",
            name,
            value: value as f64,
            expected,
        };
        if !(2..=12).contains(&k) {
            return Err(bad("k", k, "between 2 and 12 (the network has 2^k units)"));
        }
        if k % 2 == 1 {
            return Err(bad(
                "k",
                k,
                "even: for odd k the units w and −w pair to χ(w)·⟨w, Qx⟩/√k, which sum to zero, so f ≡ 0",
            ));
        }
        if dim < k {
            return Err(bad("dim", dim, "at least k (Q has k orthonormal rows)"));
        }
        Ok(Self { dim, k })
    }
}

impl HardFamily for Parity {
    fn name(&self) -> &'static str {
        "parity"
    }

    fn instance(&self, seed: Seed) -> Result<HardInstance, HardError> {
        let (d, k) = (self.dim, self.k);
        let q = random_orthonormal(k, d, seed.derive("parity-q"))?;
        let scale = 1.0 / (k as f64).sqrt();
        let units: Vec<(Vec<f64>, f64)> = (0..1usize << k)
            .map(|mask| {
                let w: Vec<f64> = (0..k)
                    .map(|i| if mask >> i & 1 == 1 { -1.0 } else { 1.0 })
                    .collect();
                let chi: f64 = w.iter().product();
                (
                    (0..d)
                        .map(|j| scale * (0..k).map(|i| w[i] * q[(i, j)]).sum::<f64>())
                        .collect(),
                    chi,
                )
            })
            .collect();
        let (network, norm_sq) = normalised(&units, d)?;
        let mut params = BTreeMap::new();
        params.insert("dim".into(), d as f64);
        params.insert("k".into(), k as f64);
        params.insert("units".into(), (1usize << k) as f64);
        params.insert("raw_norm_sq".into(), norm_sq);
        Ok(HardInstance {
            family: "parity",
            network: Some(network),
            data: None,
            claim: format!("Hermite components of degree < {k} vanish and degree {k} does not (E f² = 1)"),
            params,
        })
    }

    fn verify(&self, instance: &HardInstance) -> Result<Verification, HardError> {
        let net = instance.network.as_ref().ok_or(HardError::InvalidParam {
            family: "parity",
            name: "network",
            value: f64::NAN,
            expected: "present",
        })?;
        verify_vanishing(net, self.k)
    }
}

/// The slab bump (ours, exhibiting CKM's "some dependence on Λ is
/// necessary"; the paper's own construction is not known to us, see
/// `docs/math/lower-bounds.md`): `g(x) = ρ(Λ(⟨v, x⟩ − c))` with
/// `ρ(s) = relu(s + 1) − 2 relu(s) + relu(s − 1)` — three biased ReLUs of
/// slope Λ along a random unit v. g is supported on the slab
/// `|⟨v, x⟩ − c| ≤ 1/Λ` of mass ≈ 2φ(c)/Λ, with `‖g‖² ≈ 2φ(c)/(3Λ)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lipschitz {
    dim: usize,
    lambda: f64,
    offset: f64,
}

impl Lipschitz {
    /// The family for input dimension `dim`, slope Λ and offset c.
    ///
    /// # Errors
    /// [`HardError::InvalidParam`] for `dim = 0`, Λ not in `[1, 10⁶]` or a
    /// non-finite c.
    pub fn new(dim: usize, lambda: f64, offset: f64) -> Result<Self, HardError> {
        if dim == 0 {
            return Err(HardError::InvalidParam {
                family: "lipschitz",
                name: "dim",
                value: 0.0,
                expected: "at least 1",
            });
        }
        if !(1.0..=1e6).contains(&lambda) {
            return Err(HardError::InvalidParam {
                family: "lipschitz",
                name: "lambda",
                value: lambda,
                expected: "in [1, 1e6] (the bump has width 2/Λ)",
            });
        }
        if !offset.is_finite() {
            return Err(HardError::InvalidParam {
                family: "lipschitz",
                name: "offset",
                value: offset,
                expected: "finite",
            });
        }
        Ok(Self { dim, lambda, offset })
    }

    /// `E g²` by composite Simpson on the slab (g vanishes outside it).
    fn norm_sq(&self) -> f64 {
        let (l, c) = (self.lambda, self.offset);
        let n = 20_000;
        let (a, b) = (c - 1.0 / l, c + 1.0 / l);
        let h = (b - a) / n as f64;
        let g = |t: f64| {
            let s = l * (t - c);
            let rho = (s + 1.0).max(0.0) - 2.0 * s.max(0.0) + (s - 1.0).max(0.0);
            rho * rho * norm_pdf(t)
        };
        let mut sum = g(a) + g(b);
        for i in 1..n {
            sum += g(a + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
        }
        sum * h / 3.0
    }
}

impl HardFamily for Lipschitz {
    fn name(&self) -> &'static str {
        "lipschitz"
    }

    fn instance(&self, seed: Seed) -> Result<HardInstance, HardError> {
        let (d, l, c) = (self.dim, self.lambda, self.offset);
        let v = random_orthonormal(1, d, seed.derive("lipschitz-v"))?;
        let w = Mat::from_fn(3, d, |_, j| l * v[(0, j)]);
        let b = Col::from_fn(3, |i| -l * c + [1.0, 0.0, -1.0][i]);
        let a = Col::from_fn(3, |i| [1.0, -2.0, 1.0][i]);
        let network = Network::depth2(w.as_ref(), b.as_ref(), a.as_ref(), 0.0)?;
        let mut params = BTreeMap::new();
        params.insert("dim".into(), d as f64);
        params.insert("lambda".into(), l);
        params.insert("offset".into(), c);
        params.insert("slab_mass".into(), norm_cdf(c + 1.0 / l) - norm_cdf(c - 1.0 / l));
        params.insert("norm_sq".into(), self.norm_sq());
        Ok(HardInstance {
            family: "lipschitz",
            network: Some(network),
            data: None,
            claim: format!(
                "g vanishes off the slab |⟨v, x⟩ − {c}| ≤ 1/{l} (mass {:.3e}); E g² ≈ 2φ(c)/(3Λ) = {:.3e}",
                norm_cdf(c + 1.0 / l) - norm_cdf(c - 1.0 / l),
                2.0 * norm_pdf(c) / (3.0 * l)
            ),
            params,
        })
    }

    fn verify(&self, instance: &HardInstance) -> Result<Verification, HardError> {
        let net = instance.network.as_ref().ok_or(HardError::InvalidParam {
            family: "lipschitz",
            name: "network",
            value: f64::NAN,
            expected: "present",
        })?;
        let (l, c) = (self.lambda, self.offset);
        // Off the slab the function is exactly 0: check on the line through
        // v at points outside, and the norm against the approximation.
        let p = net.as_depth2()?;
        let d = p.w.ncols();
        let vn = (0..d).map(|j| p.w[(0, j)].powi(2)).sum::<f64>().sqrt();
        let v: Vec<f64> = (0..d).map(|j| p.w[(0, j)] / vn).collect();
        let mut off_slab_max: f64 = 0.0;
        for t in [
            c - 5.0,
            c - 1.5 / l,
            c - 1.0001 / l,
            c + 1.0001 / l,
            c + 1.5 / l,
            c + 5.0,
        ] {
            let x = Mat::from_fn(1, d, |_, j| t * v[j]);
            off_slab_max = off_slab_max.max(net.predict(x.as_ref(), faer::Par::Seq)?[0].abs());
        }
        let exact = self.norm_sq();
        let approx = 2.0 * norm_pdf(c) / (3.0 * l);
        let rel = (exact - approx).abs() / approx;
        let degree = degree_norms(net, MAX_DEGREE)?;
        // ρ² is even, so the first-order term of φ around c cancels: the gap
        // is O((1 + c²)/Λ²).
        let allowed = (1.0 + c * c) / (l * l);
        let holds = off_slab_max <= 1e-9 && rel <= allowed;
        Ok(Verification {
            holds,
            details: format!(
                "max |g| off the slab {off_slab_max:.1e}; E g² = {exact:.4e} vs 2φ(c)/(3Λ) = {approx:.4e} (relative gap {rel:.1e}, allowed (1 + c²)/Λ² = {allowed:.1e})"
            ),
            degree_norms: degree,
        })
    }
}
