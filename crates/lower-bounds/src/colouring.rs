//! Training sets whose zero-loss realizability by a sum of k ReLUs is
//! equivalent to the k-colourability of an r-uniform hypergraph
//! (derived here in the pattern of Blum–Rivest, not taken from a paper;
//! proofs in `docs/math/lower-bounds.md`). r = 3, k = 2:
//! hypergraph 2-colouring (set splitting); r = 2: graph k-colouring.
//!
//! **Instance.** Vertices [n], edges E. Points in ℝ^n: `e_i` with label 1
//! for every vertex, `Σ_{i ∈ e} e_i` with label 0 for every edge, and the
//! origin with label 0. Hypothesis class: `h(x) = Σ_{c ≤ k} a_c relu(⟨w_c, x⟩)`
//! with `a_c > 0` and no biases.
//!
//! **Colouring ⇒ zero loss.** `(w_c)_i = 1` if i has colour c, else
//! `−(r − 1)` (= −2 for r = 3, −1 for r = 2), `a_c = 1`. Then `h(e_i) = 1`;
//! on an edge that is not monochromatic each unit sees at most
//! `(r − 1)·1 − (r − 1) = 0`, so `h = 0`.
//!
//! **Zero loss ⇒ colouring.** `h(e_i) = 1` forces some c with
//! `(w_c)_i > 0`: colour i by it. If an edge were monochromatic in c, unit c
//! would see a positive sum on it and, with `a_c > 0`, `h(edge) > 0`.

use std::collections::BTreeMap;

use faer::{Col, Mat};
use rand::RngExt;
use relu_net::stats::binomial;
use relu_net::{Network, Seed};

use crate::{HardError, HardFamily, HardInstance, Verification};

/// An r-uniform hypergraph on `n` vertices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hypergraph {
    /// Number of vertices.
    pub n: usize,
    /// Edges (sorted vertex lists, distinct).
    pub edges: Vec<Vec<usize>>,
}

impl Hypergraph {
    /// A uniformly random hypergraph with `m` distinct r-edges (seeded).
    ///
    /// # Errors
    /// [`HardError::InvalidParam`] if there are fewer than m possible edges.
    pub fn random(n: usize, m: usize, r: usize, seed: Seed) -> Result<Self, HardError> {
        let possible = binomial(n as u64, r as u64);
        if r < 2 || r > n || (m as u128) > possible {
            return Err(HardError::InvalidParam {
                family: "colouring",
                name: "edges",
                value: m as f64,
                expected: "at most C(vertices, r) distinct edges, with 2 <= r <= vertices",
            });
        }
        let mut rng = seed.rng();
        let mut edges: Vec<Vec<usize>> = Vec::with_capacity(m);
        while edges.len() < m {
            let mut e: Vec<usize> = Vec::with_capacity(r);
            while e.len() < r {
                let v = rng.random_range(0..n);
                if !e.contains(&v) {
                    e.push(v);
                }
            }
            e.sort_unstable();
            if !edges.contains(&e) {
                edges.push(e);
            }
        }
        edges.sort();
        Ok(Self { n, edges })
    }
}

/// A proper k-colouring (no monochromatic edge) by exhaustive search over
/// the `k^n` colourings in lexicographic order, or `None`. Vertex 0 gets
/// colour 0 (colours are symmetric), so `k^{n−1}` are tried.
#[must_use]
pub fn colourable(g: &Hypergraph, k: usize) -> Option<Vec<usize>> {
    if g.n == 0 {
        return Some(Vec::new());
    }
    if k == 0 {
        return None;
    }
    let mut colour = vec![0usize; g.n];
    loop {
        if g.edges
            .iter()
            .all(|e| e.iter().any(|&v| colour[v] != colour[e[0]]))
        {
            return Some(colour);
        }
        // Next colouring, vertex 0 fixed.
        let mut i = g.n - 1;
        loop {
            if i == 0 {
                return None;
            }
            colour[i] += 1;
            if colour[i] < k {
                break;
            }
            colour[i] = 0;
            i -= 1;
        }
    }
}

/// The certificate network of a colouring: `(w_c)_i = 1` on colour c,
/// `−(r − 1)` elsewhere; output weights 1; no biases.
///
/// # Errors
/// [`HardError::Net`] if the network cannot be built (k = 0 or n = 0).
pub fn colouring_network(n: usize, k: usize, r: usize, colour: &[usize]) -> Result<Network, HardError> {
    let neg = -((r - 1) as f64);
    let w = Mat::from_fn(k, n, |c, i| if colour[i] == c { 1.0 } else { neg });
    Ok(Network::depth2(
        w.as_ref(),
        Col::zeros(k).as_ref(),
        Col::from_fn(k, |_| 1.0).as_ref(),
        0.0,
    )?)
}

/// The reduction as a family: random r-uniform hypergraphs with the given
/// numbers of vertices and edges, k colours / ReLUs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Colouring {
    n: usize,
    m: usize,
    r: usize,
    k: usize,
}

impl Colouring {
    /// `n` vertices, `m` edges of size `r`, `k` colours.
    ///
    /// # Errors
    /// [`HardError::InvalidParam`] for n > 24 (brute force is k^n), k < 2,
    /// r < 2 or more edges than possible.
    pub fn new(n: usize, m: usize, r: usize, k: usize) -> Result<Self, HardError> {
        let bad = |name, value: usize, expected| HardError::InvalidParam {
            family: "colouring",
            name,
            value: value as f64,
            expected,
        };
        if !(1..=24).contains(&n) {
            return Err(bad(
                "vertices",
                n,
                "between 1 and 24 (the verifier tries k^(n-1) colourings)",
            ));
        }
        if !(2..=8).contains(&k) {
            return Err(bad("colours", k, "between 2 and 8"));
        }
        if r < 2 || r > n {
            return Err(bad("edge size", r, "between 2 and the number of vertices"));
        }
        if (m as u128) > binomial(n as u64, r as u64) {
            return Err(bad("edges", m, "at most C(vertices, edge size)"));
        }
        Ok(Self { n, m, r, k })
    }

    /// The training set of a hypergraph: rows `e_i` (label 1), edge sums
    /// (label 0), the origin (label 0).
    #[must_use]
    pub fn training_set(g: &Hypergraph) -> (Mat<f64>, Col<f64>) {
        let rows = g.n + g.edges.len() + 1;
        let mut x = Mat::zeros(rows, g.n);
        let mut y = Col::zeros(rows);
        for i in 0..g.n {
            x[(i, i)] = 1.0;
            y[i] = 1.0;
        }
        for (e, edge) in g.edges.iter().enumerate() {
            for &v in edge {
                x[(g.n + e, v)] = 1.0;
            }
        }
        (x, y)
    }
}

impl HardFamily for Colouring {
    fn name(&self) -> &'static str {
        if self.r == 3 && self.k == 2 {
            "hypergraph-2-colouring"
        } else {
            "graph-colouring"
        }
    }

    fn instance(&self, seed: Seed) -> Result<HardInstance, HardError> {
        let g = Hypergraph::random(self.n, self.m, self.r, seed.derive("hypergraph"))?;
        let colour = colourable(&g, self.k);
        let network = colour
            .as_ref()
            .map(|c| colouring_network(self.n, self.k, self.r, c))
            .transpose()?;
        let mut params = BTreeMap::new();
        params.insert("vertices".into(), self.n as f64);
        params.insert("edges".into(), self.m as f64);
        params.insert("edge_size".into(), self.r as f64);
        params.insert("colours".into(), self.k as f64);
        params.insert("colourable".into(), f64::from(u8::from(colour.is_some())));
        Ok(HardInstance {
            family: self.name(),
            network,
            data: Some(Self::training_set(&g)),
            claim: format!(
                "a sum of {} ReLUs with positive output weights and no biases fits the {} points with zero loss iff the {} is {}-colourable ({})",
                self.k,
                self.n + self.m + 1,
                if self.r == 2 { "graph" } else { "hypergraph" },
                self.k,
                if colour.is_some() { "it is" } else { "it is not" }
            ),
            params,
        })
    }

    fn verify(&self, instance: &HardInstance) -> Result<Verification, HardError> {
        let (x, y) = instance.data.as_ref().ok_or(HardError::InvalidParam {
            family: "colouring",
            name: "data",
            value: f64::NAN,
            expected: "present",
        })?;
        // Read the hypergraph back from the points (vertex rows e_i with
        // label 1, edge rows with label 0 and at least two ones) and decide
        // colourability again, independently of what `instance` recorded.
        let n = x.ncols();
        let edges: Vec<Vec<usize>> = (0..x.nrows())
            .filter(|&r| y[r] == 0.0)
            .map(|r| (0..n).filter(|&j| x[(r, j)] != 0.0).collect::<Vec<usize>>())
            .filter(|e| e.len() >= 2)
            .collect();
        let k = instance.params.get("colours").copied().unwrap_or(2.0) as usize;
        let found = colourable(&Hypergraph { n, edges }, k).is_some();
        let recorded = instance.params.get("colourable").copied() == Some(1.0);
        if found != recorded {
            return Ok(Verification {
                holds: false,
                details: format!(
                    "the instance records colourable = {recorded}, exhaustive search says {found}"
                ),
                degree_norms: Vec::new(),
            });
        }
        let (holds, details) = match (&instance.network, found) {
            (Some(net), true) => {
                // Integer weights and points: the forward pass is exact.
                let p = net.predict(x.as_ref(), faer::Par::Seq)?;
                let worst = (0..y.nrows()).map(|i| (p[i] - y[i]).abs()).fold(0.0, f64::max);
                (
                    worst == 0.0,
                    format!(
                        "colourable; the colouring network fits every point exactly (max residual {worst})"
                    ),
                )
            }
            (None, false) => (
                true,
                "not colourable (exhaustive search): by the reduction no sum of positive ReLUs has zero loss"
                    .to_owned(),
            ),
            _ => (false, "network and colourability disagree".to_owned()),
        };
        Ok(Verification {
            holds,
            details,
            degree_norms: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brute_force_colouring_on_known_graphs() {
        // A triangle is 3- but not 2-colourable; a 4-cycle is 2-colourable.
        let tri = Hypergraph {
            n: 3,
            edges: vec![vec![0, 1], vec![0, 2], vec![1, 2]],
        };
        assert!(colourable(&tri, 2).is_none());
        assert!(colourable(&tri, 3).is_some());
        let c4 = Hypergraph {
            n: 4,
            edges: vec![vec![0, 1], vec![1, 2], vec![2, 3], vec![0, 3]],
        };
        let col = colourable(&c4, 2).unwrap();
        assert!(c4.edges.iter().all(|e| col[e[0]] != col[e[1]]));
        // The Fano plane is the smallest 3-uniform hypergraph that is not
        // 2-colourable.
        let fano = Hypergraph {
            n: 7,
            edges: vec![
                vec![0, 1, 2],
                vec![0, 3, 4],
                vec![0, 5, 6],
                vec![1, 3, 5],
                vec![1, 4, 6],
                vec![2, 3, 6],
                vec![2, 4, 5],
            ],
        };
        assert!(colourable(&fano, 2).is_none());
        let mut minus = fano.clone();
        minus.edges.pop();
        assert!(colourable(&minus, 2).is_some());
    }
}
