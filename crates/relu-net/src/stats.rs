//! Small statistics used to check distributions: moments, quantiles, the
//! two-sample Kolmogorov–Smirnov test, and the binomial coefficient that the
//! counting bounds of the other crates share.

use serde::{Deserialize, Serialize};

/// Mean, standard deviation and quantiles of a sample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Number of values.
    pub n: usize,
    /// Sample mean.
    pub mean: f64,
    /// Sample standard deviation (divisor n − 1).
    pub std: f64,
    /// 5 % quantile.
    pub q05: f64,
    /// Median.
    pub q50: f64,
    /// 95 % quantile.
    pub q95: f64,
}

/// The `p`-quantile of sorted values, by linear interpolation between order
/// statistics (type 7 of Hyndman & Fan, numpy's default).
///
/// # Panics
/// If `sorted` is empty.
#[must_use]
pub fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    assert!(!sorted.is_empty(), "quantile of an empty sample");
    let h = p.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// The median of `values` (the mean of the two middle ones for an even
/// count), NaN for none; values are ordered by `f64::total_cmp`.
#[must_use]
pub fn median(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        0.5 * (v[m - 1] + v[m])
    }
}

/// Summary statistics of `values` (NaNs sort last; callers pass finite
/// values). Returns `None` for an empty slice.
#[must_use]
pub fn summarize(values: &[f64]) -> Option<Summary> {
    if values.is_empty() {
        return None;
    }
    let n = values.len();
    let mean = values.iter().sum::<f64>() / n as f64;
    let var = if n > 1 {
        values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64
    } else {
        0.0
    };
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    Some(Summary {
        n,
        mean,
        std: var.sqrt(),
        q05: quantile_sorted(&sorted, 0.05),
        q50: quantile_sorted(&sorted, 0.5),
        q95: quantile_sorted(&sorted, 0.95),
    })
}

/// The result of a two-sample Kolmogorov–Smirnov test.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct KsTest {
    /// `D = sup_t |F_a(t) − F_b(t)|`.
    pub statistic: f64,
    /// Asymptotic p-value `Q_KS((√nₑ + 0.12 + 0.11/√nₑ) D)`,
    /// `nₑ = n m / (n + m)` (Stephens' correction, as in Numerical Recipes
    /// §14.3).
    pub p_value: f64,
}

/// The two-sample Kolmogorov–Smirnov test of `a` against `b`.
///
/// Ties are handled exactly: both empirical CDFs are advanced past a
/// repeated value before they are compared. Returns `None` if either
/// sample is empty.
#[must_use]
pub fn ks_two_sample(a: &[f64], b: &[f64]) -> Option<KsTest> {
    if a.is_empty() || b.is_empty() {
        return None;
    }
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (n, m) = (a.len(), b.len());
    let (mut i, mut j) = (0, 0);
    let mut d: f64 = 0.0;
    while i < n && j < m {
        let t = a[i].min(b[j]);
        while i < n && a[i] <= t {
            i += 1;
        }
        while j < m && b[j] <= t {
            j += 1;
        }
        d = d.max((i as f64 / n as f64 - j as f64 / m as f64).abs());
    }
    let ne = (n * m) as f64 / (n + m) as f64;
    let lambda = (ne.sqrt() + 0.12 + 0.11 / ne.sqrt()) * d;
    Some(KsTest {
        statistic: d,
        p_value: kolmogorov_q(lambda),
    })
}

/// `Q_KS(λ) = 2 Σ_{j≥1} (−1)^{j−1} exp(−2 j² λ²)`, the Kolmogorov survival
/// function.
#[must_use]
pub fn kolmogorov_q(lambda: f64) -> f64 {
    if lambda < 0.2 {
        return 1.0;
    }
    let mut sum = 0.0;
    let mut sign = 1.0;
    for j in 1..=100 {
        let term = (-2.0 * (j * j) as f64 * lambda * lambda).exp();
        sum += sign * term;
        if term < 1e-16 {
            break;
        }
        sign = -sign;
    }
    (2.0 * sum).clamp(0.0, 1.0)
}

/// The binomial coefficient `C(n, k)` (0 for k > n), saturating at
/// `u128::MAX` (exact below it: each partial product `C(n, i)` is an
/// integer).
#[must_use]
pub fn binomial(n: u64, k: u64) -> u128 {
    if k > n {
        return 0;
    }
    let k = k.min(n - k);
    let mut r: u128 = 1;
    for i in 0..k {
        let Some(m) = r.checked_mul(u128::from(n - i)) else {
            return u128::MAX;
        };
        r = m / u128::from(i + 1);
    }
    r
}

/// One pass's sums about the labels of a source, and its count of
/// non-finite entries: what every fit checks first (enough rows, finite
/// values, labels that vary) and the labels' mean and spread.
///
/// The labels are kept about `shift` (the first label), so that chunk means
/// are offsets of the spread's size: at |y| ≈ 10¹² raw means would carry
/// ulp(10¹²) ≈ 10⁻⁴ each into the merges' δ². Each chunk's moments come
/// from the corrected two-pass formula over rows in cache (`c` the chunk's
/// mean of `y − shift`, `s₁ = Σ(y − shift − c)`, `M₂ = Σ(y − shift − c)² −
/// s₁²/m`, mean `c + s₁/m`); chunks are combined by Chan–Golub–LeVeque's
/// pairwise update `M₂ = M₂ᵃ + M₂ᵇ + δ² nₐ n_b / n`, `δ = μ_b − μ_a`, in
/// the fixed order of [`crate::pass`]: no cancellation at any label
/// magnitude, and bit-identical for every thread count.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LabelSums {
    /// The offset the moments are kept about.
    pub shift: f64,
    /// Rows summed.
    pub rows: usize,
    /// Smallest label.
    pub lo: f64,
    /// Largest label.
    pub hi: f64,
    /// Non-finite entries of the inputs.
    pub bad_x: usize,
    /// Non-finite labels.
    pub bad_y: usize,
    /// Mean of `y − shift`.
    pub mean: f64,
    /// Sum of squared deviations from the mean.
    pub m2: f64,
}

impl LabelSums {
    /// No rows yet, about `shift`.
    #[must_use]
    pub fn new(shift: f64) -> Self {
        Self {
            shift,
            rows: 0,
            lo: f64::INFINITY,
            hi: f64::NEG_INFINITY,
            bad_x: 0,
            bad_y: 0,
            mean: 0.0,
            m2: 0.0,
        }
    }

    /// Adds one chunk of rows: its labels ([`LabelSums::add_labels`]) and
    /// the count of its non-finite inputs.
    pub fn add(&mut self, x: faer::MatRef<'_, f64>, y: faer::ColRef<'_, f64>) {
        for j in 0..x.ncols() {
            self.bad_x += x.col(j).iter().filter(|v| !v.is_finite()).count();
        }
        self.add_labels(y);
    }

    /// Adds one chunk of labels only, for a pass that checks the inputs
    /// itself (`bad_x` is left as it is).
    pub fn add_labels(&mut self, y: faer::ColRef<'_, f64>) {
        for i in 0..y.nrows() {
            self.lo = self.lo.min(y[i]);
            self.hi = self.hi.max(y[i]);
            self.bad_y += usize::from(!y[i].is_finite());
        }
        let m = y.nrows();
        if m > 0 {
            // Corrected two-pass (Björck): deviations from the rounded
            // mean c, with their sum s₁ correcting both c and M₂.
            let shift = self.shift;
            let c = (0..m).map(|i| y[i] - shift).sum::<f64>() / m as f64;
            let (s1, s2) = (0..m).fold((0.0, 0.0), |(s1, s2), i| {
                let v = (y[i] - shift) - c;
                (s1 + v, s2 + v * v)
            });
            self.merge_moments(m, c + s1 / m as f64, (s2 - s1 * s1 / m as f64).max(0.0));
        }
    }

    /// Adds the sums of the rows that follow (the same `shift`).
    pub fn merge(&mut self, b: Self) {
        self.lo = self.lo.min(b.lo);
        self.hi = self.hi.max(b.hi);
        self.bad_x += b.bad_x;
        self.bad_y += b.bad_y;
        self.merge_moments(b.rows, b.mean, b.m2);
    }

    /// Chan–Golub–LeVeque: adds `rows` labels of mean `mean` and M₂ `m2`.
    fn merge_moments(&mut self, rows: usize, mean: f64, m2: f64) {
        if rows == 0 {
            return;
        }
        if self.rows == 0 {
            (self.rows, self.mean, self.m2) = (rows, mean, m2);
            return;
        }
        let (na, nb) = (self.rows as f64, rows as f64);
        let n = na + nb;
        let delta = mean - self.mean;
        self.mean += delta * nb / n;
        self.m2 += m2 + delta * delta * na * nb / n;
        self.rows += rows;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_like_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_sorted(&v, 0.5), 2.5);
        assert_eq!(quantile_sorted(&v, 0.0), 1.0);
        assert_eq!(quantile_sorted(&v, 1.0), 4.0);
        let s = summarize(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
        assert_eq!(s.mean, 5.0);
        assert!((s.std - (32.0f64 / 7.0).sqrt()).abs() < 1e-15);
        assert!(summarize(&[]).is_none());
    }

    #[test]
    fn ks_statistic_of_known_samples() {
        // Identical samples: D = 0. Disjoint samples: D = 1.
        assert_eq!(ks_two_sample(&[1.0, 2.0], &[2.0, 1.0]).unwrap().statistic, 0.0);
        let t = ks_two_sample(&[0.0, 1.0, 2.0], &[10.0, 11.0]).unwrap();
        assert_eq!(t.statistic, 1.0);
        // a = {1,2,3,4}, b = {3,4,5,6}: the CDFs differ by 1/2 at t = 2.
        assert_eq!(
            ks_two_sample(&[1.0, 2.0, 3.0, 4.0], &[3.0, 4.0, 5.0, 6.0])
                .unwrap()
                .statistic,
            0.5
        );
        assert!(ks_two_sample(&[], &[1.0]).is_none());
    }

    #[test]
    fn kolmogorov_survival_function_matches_tables() {
        // Q(1.36) ≈ 0.049, Q(1.63) ≈ 0.0098 (classical critical values).
        assert!((kolmogorov_q(1.358) - 0.05).abs() < 1e-3);
        assert!((kolmogorov_q(1.628) - 0.01).abs() < 1e-3);
        assert_eq!(kolmogorov_q(0.0), 1.0);
    }
}
