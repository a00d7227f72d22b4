//! ReLU networks ⇄ tropical rational maps.
//!
//! **Network → `G ⊘ H`** (Zhang, Naitzat & Lim 2018, Thm. 5.4's
//! construction): write every unit of layer l as a difference
//! `P_j − N_j` of tropical polynomials. For the inputs, `x_i = x_i ⊘ 0`.
//! Given inputs `G_i − H_i` and weights `W = W⁺ − W⁻` (positive parts),
//!
//! ```text
//! W_j·(G − H) + b_j = [Σ_i W⁺_ji G_i + W⁻_ji H_i + b⁺_j] − [Σ_i W⁺_ji H_i + W⁻_ji G_i + b⁻_j] = P_j − N_j,
//! ```
//!
//! where every bracket is a tropical polynomial (sums are tropical products,
//! non-negative multiples tropical powers). The ReLU then gives
//! `max(P_j − N_j, 0) = (P_j ⊕ N_j) − N_j`, so the unit is again a
//! tropical rational function; the affine output layer gives `G ⊘ H`.
//! Monomials are merged at every step and, optionally, dominated monomials
//! are dropped by LP ([`TropicalPolynomial::simplify`]).
//!
//! **`G ⊘ H` → network**: `max(a, b) = relu(a − b) + relu(b) − relu(−b)`,
//! so a balanced tree of pairwise maxima computes each tropical polynomial
//! with `⌈log₂ M⌉` hidden layers (a depth-2 network when both parts have at
//! most two monomials); the output is their difference. This inverts the
//! first construction as functions, not as parameters.

use faer::{Col, Mat};
use relu_net::Network;

use crate::error::TropicalError;
use crate::poly::{TropicalPolynomial, TropicalRational};

/// Options of the conversion to a tropical rational map.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConvertOptions {
    /// Largest number of monomials any intermediate product may have.
    /// Default 200 000.
    pub max_monomials: usize,
    /// Drop dominated monomials (one small LP each) after every unit.
    /// Default true.
    pub simplify: bool,
}

impl Default for ConvertOptions {
    fn default() -> Self {
        Self {
            max_monomials: 200_000,
            simplify: true,
        }
    }
}

fn weighted_product(
    terms: &[(&TropicalPolynomial, f64)],
    constant: f64,
    dim: usize,
    opts: &ConvertOptions,
) -> Result<TropicalPolynomial, TropicalError> {
    let mut acc = TropicalPolynomial::constant(dim, constant);
    for (p, w) in terms {
        if *w > 0.0 {
            acc = acc.tropical_mul(&p.tropical_pow(*w)?, opts.max_monomials)?;
            if opts.simplify && acc.len() > 2 {
                acc = acc.simplify()?;
            }
        }
    }
    Ok(acc)
}

/// The tropical rational map `G ⊘ H` of a network with one output.
///
/// # Errors
/// [`TropicalError::Invalid`] for several outputs;
/// [`TropicalError::TooLarge`] when an intermediate product exceeds
/// `max_monomials`; [`TropicalError::Lp`] if a simplification LP fails.
pub fn to_tropical(net: &Network, opts: &ConvertOptions) -> Result<TropicalRational, TropicalError> {
    let d = net.input_dim();
    let layers = net.layers();
    let last = layers.len() - 1;
    if layers[last].fan_out() != 1 {
        return Err(TropicalError::Invalid {
            reason: format!(
                "the tropical form is built for networks with one output, this one has {}",
                layers[last].fan_out()
            ),
        });
    }
    let mut reps: Vec<(TropicalPolynomial, TropicalPolynomial)> = (0..d)
        .map(|i| (TropicalPolynomial::variable(d, i), TropicalPolynomial::one(d)))
        .collect();
    for (l, layer) in layers.iter().enumerate() {
        let (w, b) = (layer.weight(), layer.bias());
        let mut next = Vec::with_capacity(layer.fan_out());
        for j in 0..layer.fan_out() {
            let mut pos = Vec::new();
            let mut neg = Vec::new();
            for (i, (g, h)) in reps.iter().enumerate() {
                let wji = w[(j, i)];
                pos.push((g, wji.max(0.0)));
                pos.push((h, (-wji).max(0.0)));
                neg.push((h, wji.max(0.0)));
                neg.push((g, (-wji).max(0.0)));
            }
            let p = weighted_product(&pos, b[j].max(0.0), d, opts)?;
            let n = weighted_product(&neg, (-b[j]).max(0.0), d, opts)?;
            if l == last {
                next.push((p, n));
            } else {
                let mut g = p.tropical_add(&n)?;
                if opts.simplify && g.len() > 2 {
                    g = g.simplify()?;
                }
                next.push((g, n));
            }
        }
        reps = next;
    }
    let (num, den) = reps.pop().expect("one output");
    Ok(TropicalRational { num, den })
}

/// An affine expression in the previous layer's units: coefficients and a
/// constant.
type Expr = (Vec<f64>, f64);

/// A ReLU network computing `G − H` (see the module docs).
///
/// # Errors
/// [`TropicalError::Invalid`] if G or H is the tropical zero (−∞).
pub fn to_network(f: &TropicalRational) -> Result<Network, TropicalError> {
    if f.num.is_empty() || f.den.is_empty() {
        return Err(TropicalError::Invalid {
            reason: "a tropical zero (−∞) numerator or denominator has no network".into(),
        });
    }
    let d = f.num.dim();
    let affine = |p: &TropicalPolynomial| -> Vec<Expr> {
        p.monomials().iter().map(|m| (m.exp.clone(), m.coef)).collect()
    };
    let mut groups = [affine(&f.num), affine(&f.den)];
    let mut width_in = d;
    let mut parts: Vec<(Mat<f64>, Col<f64>)> = Vec::new();
    loop {
        // One hidden layer: pairwise maxima (or pass-through for a lone value).
        let mut rows: Vec<Expr> = Vec::new();
        let mut new_groups: [Vec<Expr>; 2] = [Vec::new(), Vec::new()];
        for (gi, g) in groups.iter().enumerate() {
            for pair in g.chunks(2) {
                let base = rows.len();
                let sub = |a: &Expr, b: &Expr| -> Expr {
                    (a.0.iter().zip(&b.0).map(|(x, y)| x - y).collect(), a.1 - b.1)
                };
                let negate = |a: &Expr| -> Expr { (a.0.iter().map(|x| -x).collect(), -a.1) };
                match pair {
                    [a, b] => {
                        // max(a, b) = relu(a − b) + relu(b) − relu(−b).
                        rows.push(sub(a, b));
                        rows.push(b.clone());
                        rows.push(negate(b));
                        new_groups[gi].push((vec![1.0, 1.0, -1.0], base as f64));
                    }
                    [a] => {
                        // a = relu(a) − relu(−a).
                        rows.push(a.clone());
                        rows.push(negate(a));
                        new_groups[gi].push((vec![1.0, -1.0], base as f64));
                    }
                    _ => unreachable!("chunks of 1 or 2"),
                }
            }
        }
        let width = rows.len();
        parts.push((
            Mat::from_fn(width, width_in, |r, c| rows[r].0[c]),
            Col::from_fn(width, |r| rows[r].1),
        ));
        // New values were written as (pattern, index of their first unit);
        // expand them into expressions over the new units.
        for g in &mut new_groups {
            for e in g.iter_mut() {
                let first = e.1 as usize;
                let mut coefs = vec![0.0; width];
                for (t, c) in e.0.iter().enumerate() {
                    coefs[first + t] = *c;
                }
                *e = (coefs, 0.0);
            }
        }
        groups = new_groups;
        width_in = width;
        if groups[0].len() == 1 && groups[1].len() == 1 {
            break;
        }
    }
    let (g, h) = (&groups[0][0], &groups[1][0]);
    let out = Mat::from_fn(1, width_in, |_, c| g.0[c] - h.0[c]);
    parts.push((out, Col::from_fn(1, |_| g.1 - h.1)));
    Ok(Network::from_parts(parts)?)
}
