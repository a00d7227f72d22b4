//! Activation regions on a 2-D slice `x(s, t) = o + s·u + t·v`, exactly, by
//! incremental splitting of convex polygons.
//!
//! Start from the rectangle `[s0, s1] × [t0, t1]`. Layer by layer, every
//! current polygon carries the affine maps (in (s, t)) of the layer's
//! inputs; each unit's pre-activation is affine there, so the line where it
//! vanishes cuts the polygon into at most two convex pieces, each with a
//! fixed sign. After the last hidden layer every polygon is the
//! intersection of one activation region with the slice (activation regions
//! are convex, so each appears once), with the network's affine map on it.

use relu_net::Network;
use serde::{Deserialize, Serialize};

use crate::error::TropicalError;
use crate::regions::check_vec;

/// An affine function of the slice coordinates: `a·s + b·t + c`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plane {
    /// Coefficient of s.
    pub a: f64,
    /// Coefficient of t.
    pub b: f64,
    /// Constant.
    pub c: f64,
}

impl Plane {
    /// Its value at (s, t).
    #[must_use]
    pub fn at(&self, p: [f64; 2]) -> f64 {
        self.a * p[0] + self.b * p[1] + self.c
    }
}

/// One region of a slice.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    /// Vertices of the convex polygon, counter-clockwise, in (s, t).
    pub vertices: Vec<[f64; 2]>,
    /// Activation pattern (hidden units flattened, layer by layer).
    pub pattern: Vec<bool>,
    /// The network on the cell, in (s, t).
    pub map: Plane,
}

impl Cell {
    /// The polygon's area (shoelace formula).
    #[must_use]
    pub fn area(&self) -> f64 {
        area(&self.vertices)
    }

    /// The centroid of the vertices (an interior point of the convex cell).
    #[must_use]
    pub fn center(&self) -> [f64; 2] {
        let n = self.vertices.len() as f64;
        let (s, t) = self
            .vertices
            .iter()
            .fold((0.0, 0.0), |a, v| (a.0 + v[0], a.1 + v[1]));
        [s / n, t / n]
    }

    /// The segment of the network's zero level set inside the cell, if any.
    #[must_use]
    pub fn zero_segment(&self) -> Option<[[f64; 2]; 2]> {
        let (pos, _) = clip(&self.vertices, self.map, 1.0);
        if pos.len() < 2 || (self.map.a == 0.0 && self.map.b == 0.0) {
            return None;
        }
        let on: Vec<[f64; 2]> = pos
            .iter()
            .copied()
            .filter(|p| self.map.at(*p).abs() <= 1e-9 * (1.0 + self.map.c.abs()))
            .collect();
        (on.len() >= 2).then(|| [on[0], on[on.len() - 1]])
    }
}

/// A 2-D slice of a network: its cells.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Slice {
    /// The rectangle `[s0, s1] × [t0, t1]`.
    pub rect: [f64; 4],
    /// The cells (activation regions met by the slice).
    pub cells: Vec<Cell>,
}

impl Slice {
    /// Number of activation regions met by the slice.
    #[must_use]
    pub fn count(&self) -> usize {
        self.cells.len()
    }

    /// The network's value at (s, t), from the cell containing it.
    #[must_use]
    pub fn eval(&self, p: [f64; 2]) -> Option<f64> {
        self.cells
            .iter()
            .find(|c| contains(&c.vertices, p))
            .map(|c| c.map.at(p))
    }
}

pub(crate) fn area(v: &[[f64; 2]]) -> f64 {
    let n = v.len();
    0.5 * (0..n)
        .map(|i| {
            let (a, b) = (v[i], v[(i + 1) % n]);
            a[0] * b[1] - a[1] * b[0]
        })
        .sum::<f64>()
}

fn contains(v: &[[f64; 2]], p: [f64; 2]) -> bool {
    let n = v.len();
    (0..n).all(|i| {
        let (a, b) = (v[i], v[(i + 1) % n]);
        (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]) >= -1e-12
    })
}

/// Splits a convex polygon by the sign of an affine function:
/// (part where `sign·f ≥ 0`, part where `sign·f ≤ 0`).
pub(crate) fn clip(v: &[[f64; 2]], f: Plane, sign: f64) -> (Vec<[f64; 2]>, Vec<[f64; 2]>) {
    let mut pos = Vec::new();
    let mut neg = Vec::new();
    let n = v.len();
    for i in 0..n {
        let (a, b) = (v[i], v[(i + 1) % n]);
        let (fa, fb) = (sign * f.at(a), sign * f.at(b));
        if fa >= 0.0 {
            pos.push(a);
        }
        if fa <= 0.0 {
            neg.push(a);
        }
        if (fa > 0.0 && fb < 0.0) || (fa < 0.0 && fb > 0.0) {
            let t = fa / (fa - fb);
            let p = [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
            pos.push(p);
            neg.push(p);
        }
    }
    (pos, neg)
}

/// Options of [`slice()`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SliceOptions {
    /// Stop with [`TropicalError::TooLarge`] beyond this many cells.
    /// Default 1 000 000.
    pub max_cells: usize,
    /// Cells with area at most this fraction of the rectangle are dropped as
    /// slivers of rounding. Default 1e-14.
    pub min_area: f64,
}

impl Default for SliceOptions {
    fn default() -> Self {
        Self {
            max_cells: 1_000_000,
            min_area: 1e-14,
        }
    }
}

/// The activation regions of `net` on the slice `o + s·u + t·v`,
/// `(s, t) ∈ [s0, s1] × [t0, t1]` (`rect = [s0, s1, t0, t1]`).
///
/// # Errors
/// [`TropicalError::Dimension`] / [`TropicalError::NonFinite`] for bad
/// vectors, [`TropicalError::Invalid`] for an empty rectangle,
/// [`TropicalError::TooLarge`] beyond `max_cells`.
pub fn slice(
    net: &Network,
    origin: &[f64],
    u: &[f64],
    v: &[f64],
    rect: [f64; 4],
    opts: &SliceOptions,
) -> Result<Slice, TropicalError> {
    check_slice(net.input_dim(), origin, u, v, rect)?;
    let [s0, s1, t0, t1] = rect;
    let min_area = opts.min_area * (s1 - s0) * (t1 - t0);
    let mut cells = vec![Work::rectangle(rect, origin, u, v)];
    let layers = net.layers();
    for layer in &layers[..layers.len() - 1] {
        cells = split_layer(layer, cells, min_area, opts.max_cells)?;
    }
    output_cells(&layers[layers.len() - 1], cells, rect)
}

/// Checks the slice's vectors (dimension `d`, finite) and its rectangle
/// (finite, non-empty).
fn check_slice(d: usize, origin: &[f64], u: &[f64], v: &[f64], rect: [f64; 4]) -> Result<(), TropicalError> {
    check_vec(origin, d, "the slice's origin")?;
    check_vec(u, d, "the slice's first direction")?;
    check_vec(v, d, "the slice's second direction")?;
    let [s0, s1, t0, t1] = rect;
    if !(rect.iter().all(|x| x.is_finite()) && s0 < s1 && t0 < t1) {
        return Err(TropicalError::Invalid {
            reason: "the slice rectangle needs finite s0 < s1 and t0 < t1".into(),
        });
    }
    Ok(())
}

/// A cell under construction: its polygon, the current layer's inputs as
/// affine maps of (s, t), and the activation pattern so far.
struct Work {
    vertices: Vec<[f64; 2]>,
    vals: Vec<Plane>,
    pattern: Vec<bool>,
}

impl Work {
    /// The whole rectangle, whose layer inputs are the coordinates of
    /// `o + s·u + t·v`.
    fn rectangle(rect: [f64; 4], origin: &[f64], u: &[f64], v: &[f64]) -> Self {
        let [s0, s1, t0, t1] = rect;
        Work {
            vertices: vec![[s0, t0], [s1, t0], [s1, t1], [s0, t1]],
            vals: (0..origin.len())
                .map(|i| Plane {
                    a: u[i],
                    b: v[i],
                    c: origin[i],
                })
                .collect(),
            pattern: Vec::new(),
        }
    }
}

/// The pre-activations of `layer` as affine maps of (s, t), from its inputs
/// `vals`.
fn pre_activations(layer: &relu_net::Layer, vals: &[Plane]) -> Vec<Plane> {
    let (w, bias) = (layer.weight(), layer.bias());
    (0..layer.fan_out())
        .map(|j| {
            let mut p = Plane {
                a: 0.0,
                b: 0.0,
                c: bias[j],
            };
            for (i, q) in vals.iter().enumerate() {
                let wji = w[(j, i)];
                p.a += wji * q.a;
                p.b += wji * q.b;
                p.c += wji * q.c;
            }
            p
        })
        .collect()
}

/// The cells of the next layer: every current cell split by the zero lines
/// of the layer's units, each piece with its layer outputs and pattern.
fn split_layer(
    layer: &relu_net::Layer,
    cells: Vec<Work>,
    min_area: f64,
    max_cells: usize,
) -> Result<Vec<Work>, TropicalError> {
    let mut next = Vec::new();
    for cell in cells {
        let pre = pre_activations(layer, &cell.vals);
        for (poly, signs) in split_by_units(cell.vertices, &pre, min_area) {
            let mut pattern = cell.pattern.clone();
            pattern.extend(&signs);
            next.push(Work {
                vertices: poly,
                vals: activate(&pre, &signs),
                pattern,
            });
            if next.len() > max_cells {
                return Err(TropicalError::TooLarge {
                    what: "the 2-D slice",
                    size: next.len() as u128,
                    unit: "cells",
                    limit: max_cells as u128,
                    advice: "use a smaller rectangle or a smaller network",
                });
            }
        }
    }
    Ok(next)
}

/// Splits a polygon by every unit of a layer in turn (pre-activations
/// `pre`); each piece records the signs of the units, and pieces of area at
/// most `min_area` are dropped.
fn split_by_units(vertices: Vec<[f64; 2]>, pre: &[Plane], min_area: f64) -> Vec<(Vec<[f64; 2]>, Vec<bool>)> {
    let mut pieces: Vec<(Vec<[f64; 2]>, Vec<bool>)> = vec![(vertices, Vec::new())];
    for z in pre {
        let mut split = Vec::with_capacity(pieces.len() * 2);
        for (poly, signs) in pieces {
            let (p, n) = clip(&poly, *z, 1.0);
            for (part, on) in [(p, true), (n, false)] {
                if part.len() >= 3 && area(&part) > min_area {
                    let mut s = signs.clone();
                    s.push(on);
                    split.push((part, s));
                }
            }
        }
        pieces = split;
    }
    pieces
}

/// The layer's outputs on a piece: the pre-activation of an active unit,
/// zero for an inactive one.
fn activate(pre: &[Plane], signs: &[bool]) -> Vec<Plane> {
    pre.iter()
        .zip(signs)
        .map(|(z, on)| {
            if *on {
                *z
            } else {
                Plane {
                    a: 0.0,
                    b: 0.0,
                    c: 0.0,
                }
            }
        })
        .collect()
}

/// The slice from the cells after the last hidden layer, each with the
/// network's map from the (single-output) output layer.
fn output_cells(
    out_layer: &relu_net::Layer,
    cells: Vec<Work>,
    rect: [f64; 4],
) -> Result<Slice, TropicalError> {
    if out_layer.fan_out() != 1 {
        return Err(TropicalError::Invalid {
            reason: format!(
                "slices are drawn for one output, this network has {}",
                out_layer.fan_out()
            ),
        });
    }
    Ok(Slice {
        rect,
        cells: cells
            .into_iter()
            .map(|w| Cell {
                map: pre_activations(out_layer, &w.vals)[0],
                vertices: w.vertices,
                pattern: w.pattern,
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::{Col, Mat};

    #[test]
    fn three_lines_make_seven_cells_whose_areas_fill_the_box() {
        let net = Network::from_parts(vec![
            (
                Mat::from_fn(3, 2, |i, j| [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]][i][j]),
                Col::from_fn(3, |i| [0.0, 0.0, -1.0][i]),
            ),
            (
                Mat::from_fn(1, 3, |_, j| [1.0, -1.0, 2.0][j]),
                Col::from_fn(1, |_| 0.5),
            ),
        ])
        .unwrap();
        let s = slice(
            &net,
            &[0.0, 0.0],
            &[1.0, 0.0],
            &[0.0, 1.0],
            [-10.0, 10.0, -10.0, 10.0],
            &SliceOptions::default(),
        )
        .unwrap();
        assert_eq!(s.count(), 7);
        let total: f64 = s.cells.iter().map(Cell::area).sum();
        assert!((total - 400.0).abs() < 1e-9);
        for p in [[0.3, -2.0], [4.0, 4.0], [-7.0, 1.0]] {
            let x = Mat::from_fn(1, 2, |_, j| p[j]);
            let y = net.predict(x.as_ref(), faer::Par::Seq).unwrap()[0];
            assert!((s.eval(p).unwrap() - y).abs() < 1e-9);
        }
    }
}
