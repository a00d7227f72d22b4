//! Linear regions of ReLU networks: exact enumeration in low dimension,
//! exact counting on lines and 2-D slices, and the known upper bounds.
//!
//! An *activation region* is the set of inputs with a fixed on/off pattern
//! of every hidden unit. For a fixed pattern every pre-activation is affine
//! in x, so the region is a convex polyhedron and the network is affine on
//! it. (Linear regions in the sense of maximal pieces of the function can be
//! unions of activation regions; the counts here are activation regions, as
//! in Serra, Tjandraatmadja & Ramalingam 2018 and Hanin & Rolnick 2019.)

use relu_net::Network;
use relu_net::stats::binomial;
use serde::{Deserialize, Serialize};

use crate::error::TropicalError;
use crate::lp::{Lp, maximize};

/// An affine map `x ↦ ⟨g, x⟩ + c`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Affine {
    /// Gradient g.
    pub grad: Vec<f64>,
    /// Constant c.
    pub constant: f64,
}

impl Affine {
    /// Its value at x.
    #[must_use]
    pub fn eval(&self, x: &[f64]) -> f64 {
        self.constant + self.grad.iter().zip(x).map(|(g, v)| g * v).sum::<f64>()
    }
}

/// One activation region found by [`enumerate_regions`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Region {
    /// The on/off pattern, layer by layer (hidden layers only).
    pub pattern: Vec<Vec<bool>>,
    /// A point deep inside the region (its Chebyshev centre within the box).
    pub point: Vec<f64>,
    /// Radius of the largest ball around `point` inside the region and box.
    pub inradius: f64,
    /// The network's affine map on the region.
    pub map: Affine,
}

/// Affine maps of a layer's units on a region: one row per unit.
type Maps = Vec<Affine>;

fn layer_maps(net: &Network, l: usize, inputs: &Maps) -> Maps {
    let layer = &net.layers()[l];
    let (w, b) = (layer.weight(), layer.bias());
    let d = inputs.first().map_or(0, |a| a.grad.len());
    (0..layer.fan_out())
        .map(|j| {
            let mut grad = vec![0.0; d];
            let mut constant = b[j];
            for (i, a) in inputs.iter().enumerate() {
                let wji = w[(j, i)];
                if wji != 0.0 {
                    for (g, ag) in grad.iter_mut().zip(&a.grad) {
                        *g += wji * ag;
                    }
                    constant += wji * a.constant;
                }
            }
            Affine { grad, constant }
        })
        .collect()
}

fn identity_maps(d: usize) -> Maps {
    (0..d)
        .map(|i| {
            let mut grad = vec![0.0; d];
            grad[i] = 1.0;
            Affine { grad, constant: 0.0 }
        })
        .collect()
}

/// Chebyshev centre of `{x : a_r·x ≤ b_r} ∩ box`: `(point, radius)`, or
/// `None` if the set has no interior (radius ≤ `tol`).
fn chebyshev(
    rows: &[(Vec<f64>, f64)],
    bounds: &[(f64, f64)],
    tol: f64,
) -> Result<Option<(Vec<f64>, f64)>, TropicalError> {
    let d = bounds.len();
    let mut a = Vec::with_capacity(rows.len() + 2 * d + 1);
    let mut b = Vec::with_capacity(rows.len() + 2 * d + 1);
    for (g, c) in rows {
        let n = g.iter().map(|v| v * v).sum::<f64>().sqrt();
        if n == 0.0 {
            if *c < 0.0 {
                return Ok(None);
            }
            continue;
        }
        let mut row = g.clone();
        row.push(n);
        a.push(row);
        b.push(*c);
    }
    for (i, (lo, hi)) in bounds.iter().enumerate() {
        let mut row = vec![0.0; d + 1];
        row[i] = 1.0;
        row[d] = 1.0;
        a.push(row.clone());
        b.push(*hi);
        row[i] = -1.0;
        a.push(row);
        b.push(-lo);
    }
    let mut c = vec![0.0; d + 1];
    c[d] = 1.0;
    match maximize(&c, &a, &b, "region feasibility")? {
        Lp::Optimal(x, r) if r > tol => Ok(Some((x[..d].to_vec(), r))),
        Lp::Optimal(..) | Lp::Infeasible => Ok(None),
        Lp::Unbounded => Err(TropicalError::Lp {
            what: "region feasibility",
            status: "unbounded inside a box".into(),
        }),
    }
}

/// Options of [`enumerate_regions`].
#[derive(Clone, Debug, PartialEq)]
pub struct EnumerateOptions {
    /// The box `[lo_i, hi_i]` in which regions are enumerated.
    pub bounds: Vec<(f64, f64)>,
    /// Stop with [`TropicalError::TooLarge`] beyond this many regions.
    /// Default 100 000.
    pub max_regions: usize,
    /// Regions whose inscribed ball has a radius at most this (relative to
    /// the box) are treated as empty. Default 1e-9.
    pub min_radius: f64,
}

impl EnumerateOptions {
    /// The box `[−r, r]^d`.
    #[must_use]
    pub fn cube(d: usize, r: f64) -> Self {
        Self {
            bounds: vec![(-r, r); d],
            max_regions: 100_000,
            min_radius: 1e-9,
        }
    }
}

/// Every activation region meeting the box, exactly: a depth-first search
/// over the hidden units, each branch kept iff its polyhedron has an
/// interior (a Chebyshev-centre LP). The branch containing the parent's
/// centre needs no LP. Regions are returned in the order of the search
/// (active before inactive, layer by layer).
///
/// # Errors
/// [`TropicalError::Dimension`] if the box does not match the input
/// dimension, [`TropicalError::Invalid`] for an empty or non-finite box,
/// [`TropicalError::TooLarge`] beyond `max_regions`, [`TropicalError::Lp`].
pub fn enumerate_regions(net: &Network, opts: &EnumerateOptions) -> Result<Vec<Region>, TropicalError> {
    let d = net.input_dim();
    if opts.bounds.len() != d {
        return Err(TropicalError::Dimension {
            what: "the enumeration box",
            expected: d,
            got: opts.bounds.len(),
        });
    }
    if !opts
        .bounds
        .iter()
        .all(|(lo, hi)| lo.is_finite() && hi.is_finite() && lo < hi)
    {
        return Err(TropicalError::Invalid {
            reason: "the enumeration box needs finite bounds with lo < hi in every coordinate".into(),
        });
    }
    let scale = opts.bounds.iter().map(|(lo, hi)| hi - lo).fold(0.0, f64::max);
    let tol = opts.min_radius * scale;
    let Some((p0, r0)) = chebyshev(&[], &opts.bounds, tol)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    let mut state = Search {
        net,
        opts,
        tol,
        out: &mut out,
    };
    let hidden = net.layers().len() - 1;
    let pre = layer_maps(net, 0, &identity_maps(d));
    if hidden == 0 {
        // An affine network: one region, the whole box.
        return Ok(vec![Region {
            pattern: Vec::new(),
            point: p0,
            inradius: r0,
            map: pre[0].clone(),
        }]);
    }
    state.dfs(
        0,
        0,
        pre,
        Vec::new(),
        vec![Vec::new(); hidden],
        Vec::new(),
        p0,
        r0,
    )?;
    Ok(out)
}

struct Search<'a> {
    net: &'a Network,
    opts: &'a EnumerateOptions,
    tol: f64,
    out: &'a mut Vec<Region>,
}

impl Search<'_> {
    /// Decides unit `j` of hidden layer `l` (pre-activations `pre`), with
    /// the post-activation maps of the layer so far in `post`.
    #[allow(clippy::too_many_arguments)]
    fn dfs(
        &mut self,
        l: usize,
        j: usize,
        pre: Maps,
        post: Maps,
        pattern: Vec<Vec<bool>>,
        rows: Vec<(Vec<f64>, f64)>,
        point: Vec<f64>,
        radius: f64,
    ) -> Result<(), TropicalError> {
        let hidden = self.net.layers().len() - 1;
        if j == pre.len() {
            // Next layer.
            let next_pre = layer_maps(self.net, l + 1, &post);
            if l + 1 == hidden {
                // Output: record the region.
                let map = next_pre[0].clone();
                if self.out.len() >= self.opts.max_regions {
                    return Err(TropicalError::TooLarge {
                        what: "region enumeration",
                        size: self.out.len() as u128 + 1,
                        unit: "regions",
                        limit: self.opts.max_regions as u128,
                        advice: "use a smaller box, a smaller network or count on a 2-D slice",
                    });
                }
                self.out.push(Region {
                    pattern,
                    point,
                    inradius: radius,
                    map,
                });
                return Ok(());
            }
            return self.dfs(l + 1, 0, next_pre, Vec::new(), pattern, rows, point, radius);
        }
        let z = &pre[j];
        let at = z.eval(&point);
        for active in [true, false] {
            // Constraint: active ⇔ z ≥ 0 ⇔ −z ≤ 0.
            let (g, c): (Vec<f64>, f64) = if active {
                (z.grad.clone(), z.constant)
            } else {
                (z.grad.iter().map(|v| -v).collect(), -z.constant)
            };
            let row = (g.iter().map(|v| -v).collect::<Vec<f64>>(), c);
            let n = g.iter().map(|v| v * v).sum::<f64>().sqrt();
            let side = if active { at } else { -at };
            let (np, nr) = if n == 0.0 {
                // Constant pre-activation: only one side is possible.
                if c > 0.0 || (c == 0.0 && !active) {
                    (point.clone(), radius)
                } else {
                    continue;
                }
            } else if side >= radius * n {
                // The parent's ball lies on this side: feasible, same centre.
                (point.clone(), radius)
            } else {
                let mut r2 = rows.clone();
                r2.push(row.clone());
                match chebyshev(&r2, &self.opts.bounds, self.tol)? {
                    Some(pr) => pr,
                    None => continue,
                }
            };
            let mut rows2 = rows.clone();
            if n > 0.0 {
                rows2.push(row);
            }
            let mut post2 = post.clone();
            post2.push(if active {
                z.clone()
            } else {
                Affine {
                    grad: vec![0.0; z.grad.len()],
                    constant: 0.0,
                }
            });
            let mut pat2 = pattern.clone();
            pat2[l].push(active);
            self.dfs(l, j + 1, pre.clone(), post2, pat2, rows2, np, nr)?;
        }
        Ok(())
    }
}

/// Pieces of a 1-D line `x(t) = origin + t·dir`, `t ∈ [t0, t1]`, on which
/// the activation pattern is constant: breakpoints `t0 < … < t1` and the
/// pattern of each piece (hidden units flattened).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LinePieces {
    /// Piece boundaries (`pieces + 1` values).
    pub breaks: Vec<f64>,
    /// Activation pattern on each piece.
    pub patterns: Vec<Vec<bool>>,
}

impl LinePieces {
    /// Number of activation regions the segment crosses (each region is
    /// convex, so it is crossed at most once).
    #[must_use]
    pub fn count(&self) -> usize {
        self.patterns.len()
    }
}

/// The activation regions crossed by a segment, exactly: the
/// pre-activations are piecewise affine in t; each layer's zero crossings
/// split the pieces.
///
/// # Errors
/// [`TropicalError::Dimension`] for wrong vector lengths,
/// [`TropicalError::Invalid`] for non-finite input or `t0 ≥ t1`.
pub fn regions_on_line(
    net: &Network,
    origin: &[f64],
    dir: &[f64],
    t0: f64,
    t1: f64,
) -> Result<LinePieces, TropicalError> {
    let d = net.input_dim();
    check_vec(origin, d, "the line's origin")?;
    check_vec(dir, d, "the line's direction")?;
    if !(t0.is_finite() && t1.is_finite() && t0 < t1) {
        return Err(TropicalError::Invalid {
            reason: "the line segment needs finite t0 < t1".into(),
        });
    }
    // Each piece: [a, b], the current layer inputs as (slope, intercept) in t, and the pattern.
    struct Piece {
        a: f64,
        b: f64,
        vals: Vec<(f64, f64)>,
        pattern: Vec<bool>,
    }
    let mut pieces = vec![Piece {
        a: t0,
        b: t1,
        vals: (0..d).map(|i| (dir[i], origin[i])).collect(),
        pattern: Vec::new(),
    }];
    let layers = net.layers();
    for layer in &layers[..layers.len() - 1] {
        let (w, bias) = (layer.weight(), layer.bias());
        let mut next = Vec::new();
        for p in pieces {
            let pre: Vec<(f64, f64)> = (0..layer.fan_out())
                .map(|j| {
                    let mut s = 0.0;
                    let mut c = bias[j];
                    for (i, (vs, vc)) in p.vals.iter().enumerate() {
                        s += w[(j, i)] * vs;
                        c += w[(j, i)] * vc;
                    }
                    (s, c)
                })
                .collect();
            let mut cuts: Vec<f64> = pre
                .iter()
                .filter(|(s, _)| *s != 0.0)
                .map(|(s, c)| -c / s)
                .filter(|t| *t > p.a && *t < p.b)
                .collect();
            cuts.sort_by(f64::total_cmp);
            let mut edges = vec![p.a];
            edges.extend(cuts);
            edges.push(p.b);
            for e in edges.windows(2) {
                if e[1] - e[0] <= 1e-14 * (1.0 + e[0].abs()) {
                    continue;
                }
                let mid = 0.5 * (e[0] + e[1]);
                let mut pattern = p.pattern.clone();
                let vals = pre
                    .iter()
                    .map(|(s, c)| {
                        let on = s * mid + c > 0.0;
                        pattern.push(on);
                        if on { (*s, *c) } else { (0.0, 0.0) }
                    })
                    .collect();
                next.push(Piece {
                    a: e[0],
                    b: e[1],
                    vals,
                    pattern,
                });
            }
        }
        pieces = next;
    }
    // Merge neighbours with equal patterns (a cut of a unit that was
    // already decided can split a region's crossing in two).
    let mut breaks = vec![t0];
    let mut patterns: Vec<Vec<bool>> = Vec::new();
    for p in pieces {
        if patterns.last() == Some(&p.pattern) {
            *breaks.last_mut().expect("non-empty") = p.b;
        } else {
            patterns.push(p.pattern);
            breaks.push(p.b);
        }
    }
    Ok(LinePieces { breaks, patterns })
}

pub(crate) fn check_vec(v: &[f64], d: usize, what: &'static str) -> Result<(), TropicalError> {
    if v.len() != d {
        return Err(TropicalError::Dimension {
            what,
            expected: d,
            got: v.len(),
        });
    }
    if !v.iter().all(|x| x.is_finite()) {
        return Err(TropicalError::NonFinite { what });
    }
    Ok(())
}

/// Zaslavsky's count for one hidden layer of `n1` units on `n0` inputs in
/// general position: `Σ_{j ≤ n0} C(n1, j)` (the maximum for one layer).
#[must_use]
pub fn one_layer_bound(n0: usize, n1: usize) -> u128 {
    (0..=n0.min(n1))
        .map(|j| binomial(n1 as u64, j as u64))
        .fold(0u128, u128::saturating_add)
}

/// The bound of Serra, Tjandraatmadja & Ramalingam (ICML 2018, Thm. 1) on
/// the number of activation regions of a network with input dimension `n0`
/// and hidden widths `widths`:
/// `Σ_{(j_1..j_L) ∈ J} Π_l C(n_l, j_l)`,
/// `J = {0 ≤ j_l ≤ min(n0, n_1 − j_1, …, n_{l−1} − j_{l−1}, n_l)}`.
#[must_use]
pub fn serra_bound(n0: usize, widths: &[usize]) -> u128 {
    fn rec(l: usize, cap: usize, widths: &[usize]) -> u128 {
        if l == widths.len() {
            return 1;
        }
        let n = widths[l];
        let mut total: u128 = 0;
        for j in 0..=cap.min(n) {
            let next_cap = cap.min(n - j);
            total = total.saturating_add(binomial(n as u64, j as u64).saturating_mul(rec(
                l + 1,
                next_cap,
                widths,
            )));
        }
        total
    }
    rec(0, n0, widths)
}

/// The product bound `Π_l Σ_{j ≤ min(n0, n_1, …, n_{l−1})} C(n_l, j)`
/// (Montúfar, Pascanu, Cho & Bengio 2014; Raghu et al. 2017), weaker than
/// [`serra_bound`].
#[must_use]
pub fn product_bound(n0: usize, widths: &[usize]) -> u128 {
    let mut cap = n0;
    let mut total: u128 = 1;
    for &n in widths {
        total = total.saturating_mul(one_layer_bound(cap, n));
        cap = cap.min(n);
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::{Col, Mat};

    fn net(parts: Vec<(Vec<Vec<f64>>, Vec<f64>)>) -> Network {
        Network::from_parts(
            parts
                .into_iter()
                .map(|(w, b)| {
                    (
                        Mat::from_fn(w.len(), w[0].len(), |i, j| w[i][j]),
                        Col::from_fn(b.len(), |i| b[i]),
                    )
                })
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn three_lines_in_general_position_make_seven_regions() {
        let n = net(vec![
            (
                vec![vec![1.0, 0.0], vec![0.0, 1.0], vec![1.0, 1.0]],
                vec![0.0, 0.0, -1.0],
            ),
            (vec![vec![1.0, -1.0, 2.0]], vec![0.5]),
        ]);
        let regions = enumerate_regions(&n, &EnumerateOptions::cube(2, 10.0)).unwrap();
        assert_eq!(regions.len(), 7);
        assert_eq!(one_layer_bound(2, 3), 7);
        // The affine map is the network on each region.
        for r in &regions {
            let x = Mat::from_fn(1, 2, |_, j| r.point[j]);
            let y = n.predict(x.as_ref(), faer::Par::Seq).unwrap()[0];
            assert!((y - r.map.eval(&r.point)).abs() < 1e-9);
        }
        // A line through all three lines crosses four regions.
        let line = regions_on_line(&n, &[-5.0, -2.0], &[1.0, 0.5], 0.0, 10.0).unwrap();
        assert_eq!(line.count(), 4, "{line:?}");
    }

    #[test]
    fn bounds_match_known_values() {
        assert_eq!(one_layer_bound(2, 4), 11);
        assert_eq!(serra_bound(2, &[4]), 11);
        assert!(serra_bound(2, &[4, 4]) <= product_bound(2, &[4, 4]));
        assert_eq!(product_bound(1, &[3, 3]), 16);
        // A bottleneck of width 1 caps everything after it.
        assert!(serra_bound(2, &[1, 8]) <= 2 * 9);
    }
}
