//! Deterministic nets of the unit sphere with a computed covering angle, for
//! every dimension: narrow's net over V's sphere (step 3) and ckm's nets of
//! hidden units (the search in the filtered-PCA subspace).
//!
//! The net is the set of cell centres of a grid with g cells per axis on
//! the m faces `{v : v_j = 1, |v_i| ≤ 1}` of the cube, normalised. Every
//! direction has, up to sign, a representative on one of those faces (scale
//! it so its largest |coordinate| is 1, positive), the nearest cell centre is
//! within `(h/2)√(m − 1)` of it on the face (h = 2/g), and normalising is the
//! projection onto the unit ball, which does not increase distances between
//! points outside it. So every unit vector is within the chord
//! `ρ = √(m − 1)/g`, the angle `2 asin(ρ/2)`, of a net point up to sign. The
//! net's size is `m g^{m−1}` up to sign, `2 m g^{m−1}` for the whole sphere.
//! Its size grows like `(C/angle)^{m−1}`: exponential in m, as in the papers.

use faer::Col;

/// The net of V's unit sphere (up to sign) with at most `budget` points for
/// m ≥ 3, and its covering angle in radians. m = 1: the one direction
/// (angle 0); m = 2: `min(budget, 720)` equally spaced angles on the half
/// circle (covering angle π / (2N)).
pub(crate) fn sphere_net(m: usize, budget: usize) -> (Vec<Col<f64>>, f64) {
    match m {
        0 => (Vec::new(), 0.0),
        1 => (vec![Col::from_fn(1, |_| 1.0)], 0.0),
        2 => {
            let n = budget.clamp(1, 720);
            let pts = (0..n)
                .map(|i| {
                    let t = std::f64::consts::PI * i as f64 / n as f64;
                    Col::from_fn(2, |j| if j == 0 { t.cos() } else { t.sin() })
                })
                .collect();
            (pts, std::f64::consts::PI / (2 * n) as f64)
        }
        _ => {
            let g = cells_per_axis(m, budget);
            let mut pts = Vec::with_capacity(m * g.pow(m as u32 - 1));
            let mut idx = vec![0usize; m - 1];
            for face in 0..m {
                idx.iter_mut().for_each(|i| *i = 0);
                let mut v = Col::<f64>::zeros(m);
                loop {
                    let mut p = vec![0.0; m];
                    cube_face_point(g, face, &idx, &mut v, &mut p);
                    pts.push(Col::from_fn(m, |j| p[j]));
                    // Odometer over the m − 1 free coordinates.
                    let Some(p) = (0..m - 1).find(|&p| idx[p] + 1 < g) else {
                        break;
                    };
                    idx[p] += 1;
                    idx[..p].iter_mut().for_each(|i| *i = 0);
                }
            }
            let chord = ((m - 1) as f64).sqrt() / g as f64;
            (pts, 2.0 * (chord / 2.0).min(1.0).asin())
        }
    }
}

/// The normalised centre of cell `idx` (m − 1 cell indices, the first
/// varying fastest) on face `face` of the cube-face grid of ℝ^m with g cells
/// per axis, written to `out`; `v` (m entries) is scratch, a faer column so
/// that the norm is the same computation wherever the point is made.
fn cube_face_point(g: usize, face: usize, idx: &[usize], v: &mut Col<f64>, out: &mut [f64]) {
    let m = v.nrows();
    let mut r = 0;
    for j in 0..m {
        v[j] = if j == face {
            1.0
        } else {
            let c = -1.0 + (2 * idx[r] + 1) as f64 / g as f64;
            r += 1;
            c
        };
    }
    let n = v.norm_l2();
    for j in 0..m {
        out[j] = v[j] / n;
    }
}

/// The largest g ≥ 1 with `m g^{m−1} ≤ budget` (g = 1 if none).
fn cells_per_axis(m: usize, budget: usize) -> usize {
    let fits = |g: usize| {
        (g as u128)
            .checked_pow(m as u32 - 1)
            .and_then(|p| p.checked_mul(m as u128))
            .is_some_and(|n| n <= budget as u128)
    };
    let mut g = 1;
    while fits(g + 1) {
        g += 1;
    }
    g
}

/// The net of the whole unit sphere of ℝ^f of [`full_sphere_net`], without
/// building it: point i is made on demand ([`FullSphereNet::point_into`]),
/// so that a net of millions of points (a hidden unit of fan-in 8 at
/// 0.5 rad has 3·10⁷) costs nothing until its points are drawn.
pub(crate) struct FullSphereNet {
    f: usize,
    /// Cells per axis (f ≥ 3) or points on the circle (f = 2).
    cells: usize,
    len: usize,
    angle: f64,
}

impl FullSphereNet {
    /// The net of ℝ^f with covering angle at most `angle`; `None` when it
    /// has more points than a `usize` counts.
    pub(crate) fn new(f: usize, angle: f64) -> Option<Self> {
        let (cells, len, covering) = match f {
            0 => (0, 0, 0.0),
            1 => (1, 2, 0.0),
            2 => {
                let n = circle_points(angle);
                (n, n, std::f64::consts::PI / n as f64)
            }
            _ => {
                let g = cells_for_angle(f, angle);
                let len = g.checked_pow(f as u32 - 1)?.checked_mul(2 * f)?;
                let chord = ((f - 1) as f64).sqrt() / g as f64;
                (g, len, 2.0 * (chord / 2.0).min(1.0).asin())
            }
        };
        Some(Self {
            f,
            cells,
            len,
            angle: covering,
        })
    }

    /// The number of points.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The covering angle (radians).
    pub(crate) fn angle(&self) -> f64 {
        self.angle
    }

    /// Point `i < len` (the order of [`full_sphere_net`]: for f ≥ 3 each
    /// cube-face point of [`sphere_net`] followed by its negative) written
    /// to `out` (f entries); `v` is an f-entry scratch column.
    pub(crate) fn point_into(&self, i: usize, v: &mut Col<f64>, out: &mut [f64]) {
        match self.f {
            0 => {}
            1 => out[0] = if i == 0 { 1.0 } else { -1.0 },
            2 => {
                let t = 2.0 * std::f64::consts::PI * i as f64 / self.cells as f64;
                out[0] = t.cos();
                out[1] = t.sin();
            }
            f => {
                let g = self.cells;
                let per_face = self.len / (2 * f);
                let (half, negative) = (i / 2, i % 2 == 1);
                let (face, mut rem) = (half / per_face, half % per_face);
                let mut idx = [0usize; 32];
                for d in idx.iter_mut().take(f - 1) {
                    *d = rem % g;
                    rem /= g;
                }
                cube_face_point(g, face, &idx[..f - 1], v, out);
                if negative {
                    out.iter_mut().take(f).for_each(|o| *o = -*o);
                }
            }
        }
    }
}

/// The net of the whole unit sphere of ℝ^f (not up to sign) whose covering
/// angle is at most `angle` (radians, in (0, π/2]), and that covering angle:
/// f = 1: {±1} (angle 0); f = 2: N = ⌈π/angle⌉ equally spaced points on the
/// circle (angle π/N); f ≥ 3: the cube-face net of [`sphere_net`] with
/// `g = ⌈√(f − 1) / (2 sin(angle/2))⌉` cells per axis and its negatives,
/// `2 f g^{f−1}` points (angle `2 asin(√(f − 1)/(2g))`). The size is
/// [`full_sphere_net_size`]. Built in full for the tests; the fits use
/// [`FullSphereNet`].
#[cfg(test)]
pub(crate) fn full_sphere_net(f: usize, angle: f64) -> (Vec<Col<f64>>, f64) {
    match f {
        0 => (Vec::new(), 0.0),
        1 => (vec![Col::from_fn(1, |_| 1.0), Col::from_fn(1, |_| -1.0)], 0.0),
        2 => {
            let n = circle_points(angle);
            let pts = (0..n)
                .map(|i| {
                    let t = 2.0 * std::f64::consts::PI * i as f64 / n as f64;
                    Col::from_fn(2, |j| if j == 0 { t.cos() } else { t.sin() })
                })
                .collect();
            (pts, std::f64::consts::PI / n as f64)
        }
        _ => {
            let g = cells_for_angle(f, angle);
            let budget = f * g.pow(f as u32 - 1);
            let (half, covering) = sphere_net(f, budget);
            let mut pts = Vec::with_capacity(2 * half.len());
            for p in &half {
                pts.push(p.clone());
                pts.push(-p);
            }
            (pts, covering)
        }
    }
}

/// The number of points of [`full_sphere_net`]`(f, angle)`, as a float (it
/// can exceed every integer type for large f) without building it.
pub(crate) fn full_sphere_net_size(f: usize, angle: f64) -> f64 {
    match f {
        0 => 0.0,
        1 => 2.0,
        2 => circle_points(angle) as f64,
        _ => 2.0 * f as f64 * (cells_for_angle(f, angle) as f64).powi(f as i32 - 1),
    }
}

/// Points on the circle for a covering angle at most `angle`.
fn circle_points(angle: f64) -> usize {
    ((std::f64::consts::PI / angle).ceil() as usize).max(2)
}

/// Cells per axis of the cube-face net of ℝ^f for a covering angle at most
/// `angle`.
fn cells_for_angle(f: usize, angle: f64) -> usize {
    let chord = 2.0 * (angle.min(std::f64::consts::FRAC_PI_2) / 2.0).sin();
    (((f - 1) as f64).sqrt() / chord).ceil().max(1.0) as usize
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::ChaCha8Rng;
    use tensor_decomp::fit::random_unit;

    use super::*;

    /// The stated covering angle holds: 2 000 random directions in m = 3, 4,
    /// 5 each lie within it of a net point, up to sign; and the angle is not
    /// loose by more than 3× (the farthest of them is at least a third of it).
    #[test]
    fn the_net_covers_the_sphere_within_its_stated_angle() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for (m, budget) in [(3, 4000), (4, 20_000), (5, 20_000)] {
            let (pts, angle) = sphere_net(m, budget);
            assert!(
                pts.len() <= budget && pts.len() * 2 > budget / 4,
                "m {m}: {}",
                pts.len()
            );
            let mut worst: f64 = 0.0;
            for _ in 0..2000 {
                let x = random_unit(&mut rng, m);
                let best = pts
                    .iter()
                    .map(|p| (p.transpose() * &x).abs())
                    .fold(0.0, f64::max)
                    .min(1.0)
                    .acos();
                worst = worst.max(best);
            }
            assert!(
                worst <= angle && worst >= angle / 3.0,
                "m {m}: worst {worst} vs {angle}"
            );
        }
    }

    /// The on-demand net makes the same points, in the same order and to
    /// the last bit, as the built one.
    #[test]
    fn the_on_demand_net_is_the_built_net() {
        for (f, angle) in [(1, 0.3), (2, 0.1), (3, 0.3), (4, 0.5), (5, 0.45)] {
            let (pts, covering) = full_sphere_net(f, angle);
            let lazy = FullSphereNet::new(f, angle).unwrap();
            assert_eq!((lazy.len(), lazy.angle()), (pts.len(), covering));
            let mut v = Col::zeros(f);
            let mut out = vec![0.0; f];
            for (i, p) in pts.iter().enumerate() {
                lazy.point_into(i, &mut v, &mut out);
                assert!(
                    (0..f).all(|j| out[j].to_bits() == p[j].to_bits()),
                    "f {f}, point {i}"
                );
            }
        }
        // Fan-in 8 at 0.5 rad: 3·10⁷ points, none built.
        assert_eq!(FullSphereNet::new(9, 0.5).unwrap().len(), 2 * 9 * 6usize.pow(8));
    }

    /// The whole-sphere net covers every direction (not up to sign) within
    /// its stated angle, which is at most the asked one, with the size the
    /// formula states.
    #[test]
    fn the_full_net_covers_the_sphere_within_the_asked_angle() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        for (f, asked) in [(1, 0.3), (2, 0.1), (3, 0.3), (4, 0.5)] {
            let (pts, angle) = full_sphere_net(f, asked);
            assert_eq!(pts.len() as f64, full_sphere_net_size(f, asked));
            assert!(angle <= asked, "f {f}: {angle} > {asked}");
            let mut worst: f64 = 0.0;
            for _ in 0..2000 {
                let x = random_unit(&mut rng, f);
                let best = pts
                    .iter()
                    .map(|p| p.transpose() * &x)
                    .fold(-1.0, f64::max)
                    .min(1.0)
                    .acos();
                worst = worst.max(best);
            }
            assert!(worst <= angle + 1e-12, "f {f}: worst {worst} vs {angle}");
        }
    }
}
