//! Sample sources: in-memory data and planted teachers streamed chunk by
//! chunk, and the deterministic chunked fold that every estimator uses.
//!
//! A [`SampleSource`] fills any row range on request, so estimators never
//! need all samples in memory: [`fold_chunks`] walks the rows in fixed
//! chunks, folds each chunk into a fresh accumulator (in parallel when
//! allowed) and merges the partial results in chunk order. The result
//! therefore depends on the chunk size but never on the thread count.

use faer::{Col, ColMut, ColRef, Mat, MatMut, MatRef, Par};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::NetError;
use crate::inputs::InputLaw;
use crate::network::{Network, Predictor, first_non_finite, first_non_finite_col};
use crate::seed::{GaussianRows, Seed};

/// Samples `(x_i, y_i)`, `x_i ∈ ℝ^d`, `y_i ∈ ℝ`, addressable by row range.
pub trait SampleSource: Sync {
    /// The input dimension d.
    fn dim(&self) -> usize;

    /// The number of samples n.
    fn len(&self) -> usize;

    /// Whether the source has no samples.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fills `x` (m × d) and `y` (m) with samples `[start, start + m)`.
    ///
    /// Deterministic: the same rows are returned whatever the chunking and
    /// the thread count of the caller.
    ///
    /// # Panics
    /// If `start + m > self.len()`, `x.ncols() != self.dim()` or
    /// `y.nrows() != x.nrows()` (programming errors).
    fn chunk(&self, start: usize, x: MatMut<'_, f64>, y: ColMut<'_, f64>);
}

/// Samples held in memory: `x` (n × d) and `y` (n), validated finite.
#[derive(Clone, Debug)]
pub struct InMemory {
    // Invariant: x.nrows() == y.nrows(), x.ncols() >= 1, all entries finite.
    x: Mat<f64>,
    y: Col<f64>,
}

impl InMemory {
    /// In-memory samples.
    ///
    /// # Errors
    /// [`NetError::SampleCount`] if `x` and `y` have different numbers of
    /// samples, [`NetError::ZeroDim`] if `x` has no columns,
    /// [`NetError::NonFinite`] for NaN or infinite values.
    pub fn new(x: Mat<f64>, y: Col<f64>) -> Result<Self, NetError> {
        if x.nrows() != y.nrows() {
            return Err(NetError::SampleCount {
                x_rows: x.nrows(),
                y_len: y.nrows(),
            });
        }
        if x.ncols() == 0 {
            return Err(NetError::ZeroDim {
                what: "the input dimension of x",
            });
        }
        if let Some((i, j)) = first_non_finite(x.as_ref()) {
            return Err(NetError::NonFinite {
                what: "x",
                location: format!("row {i}, column {j}"),
            });
        }
        if let Some(i) = first_non_finite_col(y.as_ref()) {
            return Err(NetError::NonFinite {
                what: "y",
                location: format!("entry {i}"),
            });
        }
        Ok(Self { x, y })
    }

    /// The inputs (n × d).
    #[must_use]
    pub fn x(&self) -> MatRef<'_, f64> {
        self.x.as_ref()
    }

    /// The labels (n).
    #[must_use]
    pub fn y(&self) -> ColRef<'_, f64> {
        self.y.as_ref()
    }

    /// Splits into `(x, y)`.
    #[must_use]
    pub fn into_parts(self) -> (Mat<f64>, Col<f64>) {
        (self.x, self.y)
    }
}

impl SampleSource for InMemory {
    fn dim(&self) -> usize {
        self.x.ncols()
    }

    fn len(&self) -> usize {
        self.x.nrows()
    }

    fn chunk(&self, start: usize, mut x: MatMut<'_, f64>, mut y: ColMut<'_, f64>) {
        let m = x.nrows();
        assert!(start + m <= self.len(), "InMemory::chunk: rows out of range");
        assert_eq!(y.nrows(), m, "InMemory::chunk: y length");
        x.copy_from(self.x.as_ref().subrows(start, m));
        y.copy_from(self.y.as_ref().subrows(start, m));
    }
}

/// A teacher network labelling a stream of Gaussian inputs:
/// `x ~ N(0, I_d)` (or any [`InputLaw`], see [`Planted::with_inputs`]),
/// `y = F(x) + σ ξ`, `ξ ~ N(0, 1)`.
///
/// Inputs come from [`GaussianRows`] with seed `seed.derive("x")` and the
/// label noise from a separate stream `seed.derive("noise")`, so the same
/// seed gives the same inputs whatever the noise level. Nothing is stored:
/// 10^8 samples cost no more memory than 10^3.
#[derive(Clone, Debug)]
pub struct Planted {
    teacher: Network,
    n_samples: usize,
    noise_std: f64,
    x_rows: GaussianRows,
    noise_rows: GaussianRows,
    inputs: Option<InputLaw>,
}

impl Planted {
    /// `n_samples` samples of `teacher` with label noise of standard
    /// deviation `noise_std`, drawn from `seed`.
    ///
    /// # Errors
    /// [`NetError::InvalidParam`] if `noise_std` is negative or not finite.
    pub fn new(teacher: Network, n_samples: usize, noise_std: f64, seed: Seed) -> Result<Self, NetError> {
        if !(noise_std.is_finite() && noise_std >= 0.0) {
            return Err(NetError::InvalidParam {
                name: "noise",
                value: noise_std,
                expected: "a finite number >= 0",
            });
        }
        let d = teacher.input_dim();
        Ok(Self {
            teacher,
            n_samples,
            noise_std,
            x_rows: GaussianRows::new(d, seed.derive("x")),
            noise_rows: GaussianRows::new(1, seed.derive("noise")),
            inputs: None,
        })
    }

    /// The same stream with inputs `x = μ + L z` of the law `law` instead
    /// of `x = z ~ N(0, I_d)` (the standard rows `z` are those of
    /// [`Planted::new`] with the same seed); the teacher acts on `x`.
    ///
    /// # Errors
    /// [`NetError::InputDim`] when the law's dimension is not the
    /// teacher's.
    pub fn with_inputs(mut self, law: InputLaw) -> Result<Self, NetError> {
        if law.dim() != self.dim() {
            return Err(NetError::InputDim {
                expected: self.dim(),
                got: law.dim(),
            });
        }
        self.inputs = (!law.is_standard()).then_some(law);
        Ok(self)
    }

    /// The input law, `None` for `N(0, I_d)`.
    #[must_use]
    pub fn inputs(&self) -> Option<&InputLaw> {
        self.inputs.as_ref()
    }

    /// The teacher network.
    #[must_use]
    pub fn teacher(&self) -> &Network {
        &self.teacher
    }

    /// The label-noise standard deviation σ.
    #[must_use]
    pub fn noise_std(&self) -> f64 {
        self.noise_std
    }

    /// All samples in memory (for small n).
    #[must_use]
    pub fn materialize(&self) -> InMemory {
        let mut x = Mat::zeros(self.n_samples, self.dim());
        let mut y = Col::zeros(self.n_samples);
        self.chunk(0, x.as_mut(), y.as_mut());
        InMemory { x, y }
    }
}

impl SampleSource for Planted {
    fn dim(&self) -> usize {
        self.teacher.input_dim()
    }

    fn len(&self) -> usize {
        self.n_samples
    }

    fn chunk(&self, start: usize, mut x: MatMut<'_, f64>, mut y: ColMut<'_, f64>) {
        let m = x.nrows();
        assert!(start + m <= self.len(), "Planted::chunk: rows out of range");
        self.x_rows.fill(start, x.as_mut());
        if let Some(law) = &self.inputs {
            law.transform_rows(x.as_mut());
        }
        self.teacher.predict_into(x.as_ref(), y.as_mut(), Par::Seq);
        if self.noise_std > 0.0 {
            let mut noise = Mat::zeros(m, 1);
            self.noise_rows.fill(start, noise.as_mut());
            for i in 0..m {
                y[i] += self.noise_std * noise[(i, 0)];
            }
        }
    }
}

/// A node of a [`ChunkTree`]: the reduction of the aligned dyadic block of
/// chunks `[index · 2^level, (index + 1) · 2^level)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TreeNode<A> {
    /// Height of the block: it covers `2^level` chunks.
    pub level: u32,
    /// Position of the block among blocks of its height.
    pub index: u64,
    /// The reduction of the block's chunks.
    pub value: A,
}

impl<A> TreeNode<A> {
    fn start(&self) -> u64 {
        self.index << self.level
    }

    fn end(&self) -> u64 {
        (self.index + 1) << self.level
    }
}

/// A canonical pairwise reduction over chunk indices, mergeable across
/// shards.
///
/// The value of chunks `[0, N)` is defined by a fixed binary tree: an
/// aligned block of `2^(h+1)` chunks is `left ⊕ right` of its two halves, a
/// block whose right half lies beyond N is its left half, and the total is
/// the block of height ⌈log₂ N⌉. A tree holds the maximal aligned blocks
/// computed so far (at most two per height), so:
///
/// * chunks pushed in order give that value whatever the thread count
///   that produced them;
/// * trees of contiguous shards (`[0, a)` and `[a, b)`, computed in other
///   processes or on other machines) [`merge`](ChunkTree::merge) into
///   exactly the tree of `[0, b)`, bit for bit;
/// * rounding errors grow like log N rather than N (pairwise summation).
///
/// `⊕` is the `merge` closure passed to each call, `merge(&mut left,
/// right)`; it must be the same function everywhere.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChunkTree<A> {
    // Invariant: nodes sorted by start, contiguous, each an aligned
    // dyadic block, no two adjacent siblings left unmerged.
    nodes: Vec<TreeNode<A>>,
}

impl<A> Default for ChunkTree<A> {
    fn default() -> Self {
        Self { nodes: Vec::new() }
    }
}

impl<A> ChunkTree<A> {
    /// An empty tree.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The chunks covered, `[start, end)`, or `None` if empty.
    #[must_use]
    pub fn range(&self) -> Option<(u64, u64)> {
        Some((self.nodes.first()?.start(), self.nodes.last()?.end()))
    }

    /// The nodes (maximal aligned blocks), in chunk order.
    #[must_use]
    pub fn nodes(&self) -> &[TreeNode<A>] {
        &self.nodes
    }

    fn carry(&mut self, merge: &mut impl FnMut(&mut A, A)) {
        let mut i = 0;
        while i + 1 < self.nodes.len() {
            let (l, r) = (&self.nodes[i], &self.nodes[i + 1]);
            if l.level == r.level && l.index % 2 == 0 && r.index == l.index + 1 {
                let right = self.nodes.remove(i + 1);
                let left = &mut self.nodes[i];
                merge(&mut left.value, right.value);
                left.level += 1;
                left.index /= 2;
                // The new block may now pair with its left neighbour.
                i = i.saturating_sub(1);
            } else {
                i += 1;
            }
        }
    }

    /// Appends the value of chunk `chunk`, which must follow the last chunk
    /// covered (any chunk if the tree is empty).
    ///
    /// # Errors
    /// [`NetError::ShardsNotContiguous`] otherwise.
    pub fn push(&mut self, chunk: u64, value: A, mut merge: impl FnMut(&mut A, A)) -> Result<(), NetError> {
        if let Some((_, end)) = self.range().filter(|&(_, end)| end != chunk) {
            return Err(NetError::ShardsNotContiguous { end, start: chunk });
        }
        self.nodes.push(TreeNode {
            level: 0,
            index: chunk,
            value,
        });
        self.carry(&mut merge);
        Ok(())
    }

    /// Combines with the tree of the shard that follows this one.
    ///
    /// # Errors
    /// [`NetError::ShardsNotContiguous`] if `next` does not start where `self`
    /// ends.
    pub fn merge(mut self, next: Self, mut merge: impl FnMut(&mut A, A)) -> Result<Self, NetError> {
        match (self.range(), next.range()) {
            (Some((_, end)), Some((start, _))) if end != start => {
                return Err(NetError::ShardsNotContiguous { end, start });
            }
            (None, _) => return Ok(next),
            _ => {}
        }
        self.nodes.extend(next.nodes);
        self.carry(&mut merge);
        Ok(self)
    }

    /// The reduction of chunks `[0, N)`; `None` for an empty tree.
    ///
    /// # Errors
    /// [`NetError::ShardNotFromZero`] if the tree does not start at chunk 0.
    pub fn finish(self, mut merge: impl FnMut(&mut A, A)) -> Result<Option<A>, NetError> {
        if let Some((start, _)) = self.range().filter(|&(start, _)| start != 0) {
            return Err(NetError::ShardNotFromZero { start });
        }
        let mut nodes = self.nodes;
        let Some(last) = nodes.pop() else {
            return Ok(None);
        };
        let mut acc = last.value;
        while let Some(mut left) = nodes.pop() {
            merge(&mut left.value, acc);
            acc = left.value;
        }
        Ok(Some(acc))
    }
}

/// Folds the chunks `chunks` of `src` (chunk c = rows
/// `[c · chunk_rows, (c + 1) · chunk_rows)`, the last one shorter) into a
/// [`ChunkTree`]: each chunk is loaded with [`SampleSource::chunk`] and
/// folded by `fold` into a fresh accumulator from `init`; chunks run in
/// parallel when `par` allows, and enter the tree in order. Shards of one
/// data set computed this way [`merge`](ChunkTree::merge) into exactly the
/// result of one pass.
///
/// # Panics
/// If `chunk_rows == 0` or the range goes beyond the source's chunks.
pub fn fold_chunk_range<A, I, F, M>(
    src: &dyn SampleSource,
    chunk_rows: usize,
    chunks: std::ops::Range<usize>,
    init: I,
    fold: F,
    mut merge: M,
    par: Par,
) -> ChunkTree<A>
where
    A: Send,
    I: Fn() -> A + Sync,
    F: Fn(&mut A, MatRef<'_, f64>, ColRef<'_, f64>) + Sync,
    M: FnMut(&mut A, A),
{
    assert!(chunk_rows > 0, "fold_chunk_range: chunk_rows must be positive");
    let n = src.len();
    let d = src.dim();
    assert!(
        chunks.end <= n.div_ceil(chunk_rows),
        "fold_chunk_range: chunks out of range"
    );
    let mut tree = ChunkTree::new();
    let one_chunk = |buf: &mut (Mat<f64>, Col<f64>), c: usize| {
        let start = c * chunk_rows;
        let m = chunk_rows.min(n - start);
        let (x, y) = buf;
        let mut xs = x.as_mut().subrows_mut(0, m);
        let mut ys = y.as_mut().subrows_mut(0, m);
        src.chunk(start, xs.as_mut(), ys.as_mut());
        let mut acc = init();
        fold(&mut acc, xs.as_ref(), ys.as_ref());
        acc
    };
    let rows = chunk_rows.min(n);
    let new_buf = || (Mat::zeros(rows, d), Col::zeros(rows));
    let mut push = |c: usize, part: A| {
        tree.push(c as u64, part, &mut merge)
            .expect("chunks are pushed in order");
    };
    match par {
        Par::Seq => {
            let mut buf = new_buf();
            for c in chunks {
                let part = one_chunk(&mut buf, c);
                push(c, part);
            }
        }
        Par::Rayon(threads) => {
            let wave = 2 * threads.get().max(rayon::current_num_threads());
            let mut first = chunks.start;
            while first < chunks.end {
                let last = (first + wave).min(chunks.end);
                let parts: Vec<A> = (first..last)
                    .into_par_iter()
                    .map_init(new_buf, one_chunk)
                    .collect();
                for (c, part) in (first..last).zip(parts) {
                    push(c, part);
                }
                first = last;
            }
        }
    }
    tree
}

/// Folds every sample of `src` into an accumulator, chunk by chunk.
///
/// The rows are cut into chunks of `chunk_rows` (the last may be shorter);
/// each chunk is folded by `fold` into a fresh accumulator from `init`,
/// in parallel when `par` allows, and the per-chunk accumulators are
/// reduced by `merge` along the canonical pairwise tree of [`ChunkTree`].
/// The result is therefore bit-identical for every thread count (it
/// depends on `chunk_rows`), and equals the merge of shards computed with
/// [`fold_chunk_range`]. An empty source gives `init()`.
///
/// Memory: one chunk buffer and one accumulator per worker, at most
/// `2 × threads` accumulators waiting, and two per tree level.
///
/// # Panics
/// If `chunk_rows == 0`.
pub fn fold_chunks<A, I, F, M>(
    src: &dyn SampleSource,
    chunk_rows: usize,
    init: I,
    fold: F,
    mut merge: M,
    par: Par,
) -> A
where
    A: Send,
    I: Fn() -> A + Sync,
    F: Fn(&mut A, MatRef<'_, f64>, ColRef<'_, f64>) + Sync,
    M: FnMut(&mut A, A),
{
    assert!(chunk_rows > 0, "fold_chunks: chunk_rows must be positive");
    let n_chunks = src.len().div_ceil(chunk_rows);
    let tree = fold_chunk_range(src, chunk_rows, 0..n_chunks, &init, fold, &mut merge, par);
    tree.finish(&mut merge)
        .expect("a full pass starts at chunk 0")
        .unwrap_or_else(init)
}

#[cfg(test)]
mod tests {
    use super::*;
    use faer::{col, mat};

    fn teacher() -> Network {
        Network::depth2(
            mat![[1.0, 0.0, 0.0], [0.0, 1.0, -1.0]].as_ref(),
            col![0.5, -0.2].as_ref(),
            col![1.0, -2.0].as_ref(),
            0.1,
        )
        .unwrap()
    }

    #[test]
    fn in_memory_rejects_mismatch_and_non_finite() {
        let e = InMemory::new(Mat::zeros(3, 2), Col::zeros(2));
        assert!(matches!(e, Err(NetError::SampleCount { x_rows: 3, y_len: 2 })));
        let e = InMemory::new(mat![[1.0, f64::INFINITY]], col![0.0]);
        assert!(matches!(e, Err(NetError::NonFinite { .. })));
        let e = InMemory::new(mat![[1.0, 1.0]], col![f64::NAN]);
        assert!(matches!(e, Err(NetError::NonFinite { .. })));
        let e = InMemory::new(Mat::zeros(2, 0), Col::zeros(2));
        assert!(matches!(e, Err(NetError::ZeroDim { .. })));
    }

    #[test]
    fn planted_labels_equal_teacher_forward_pass() {
        let src = Planted::new(teacher(), 1000, 0.0, Seed(4)).unwrap();
        let data = src.materialize();
        let y = teacher().predict(data.x(), Par::Seq).unwrap();
        for i in 0..1000 {
            assert_eq!(y[i].to_bits(), data.y()[i].to_bits());
        }
    }

    #[test]
    fn planted_noise_does_not_change_inputs() {
        let a = Planted::new(teacher(), 200, 0.0, Seed(4)).unwrap().materialize();
        let b = Planted::new(teacher(), 200, 0.5, Seed(4)).unwrap().materialize();
        assert_eq!(a.x(), b.x());
        let resid: f64 = (0..200).map(|i| (a.y()[i] - b.y()[i]).powi(2)).sum::<f64>() / 200.0;
        // The residual variance is 0.25 with standard error 0.25 * sqrt(2/200) = 0.025.
        assert!((resid - 0.25).abs() < 0.1, "noise variance {resid}");
        assert!(Planted::new(teacher(), 1, -1.0, Seed(0)).is_err());
        assert!(Planted::new(teacher(), 1, f64::NAN, Seed(0)).is_err());
    }

    /// Sums of chunk ids through a tree, as strings, to see the bracketing.
    fn brackets(chunks: std::ops::Range<u64>) -> ChunkTree<String> {
        let mut t = ChunkTree::new();
        for c in chunks {
            t.push(c, c.to_string(), |l: &mut String, r| *l = format!("({l}+{r})"))
                .unwrap();
        }
        t
    }

    #[test]
    fn chunk_tree_brackets_canonically_and_merges_shards_exactly() {
        let cat = |l: &mut String, r: String| *l = format!("({l}+{r})");
        assert_eq!(brackets(0..5).finish(cat).unwrap().unwrap(), "(((0+1)+(2+3))+4)");
        assert_eq!(
            brackets(0..7).finish(cat).unwrap().unwrap(),
            "(((0+1)+(2+3))+((4+5)+6))"
        );
        for n in 1..20u64 {
            let whole = brackets(0..n).finish(cat).unwrap();
            for a in 0..=n {
                for b in a..=n {
                    let t = brackets(0..a)
                        .merge(brackets(a..b), cat)
                        .unwrap()
                        .merge(brackets(b..n), cat)
                        .unwrap();
                    assert_eq!(t.finish(cat).unwrap(), whole, "n = {n}, shards at {a}, {b}");
                }
            }
        }
        assert!(matches!(
            brackets(0..3).merge(brackets(4..6), cat),
            Err(NetError::ShardsNotContiguous { end: 3, start: 4 })
        ));
        assert!(matches!(
            brackets(2..6).finish(cat),
            Err(NetError::ShardNotFromZero { start: 2 })
        ));
        let mut t = brackets(0..2);
        assert!(t.push(5, "5".into(), cat).is_err());
    }

    #[test]
    fn fold_chunks_is_identical_on_one_and_two_threads() {
        let src = Planted::new(teacher(), 10_007, 0.3, Seed(9)).unwrap();
        let run = |par| {
            fold_chunks(
                &src,
                1000,
                || (0.0f64, 0.0f64, 0usize),
                |acc, x, y| {
                    for i in 0..x.nrows() {
                        acc.0 += y[i] * x[(i, 1)];
                        acc.1 += y[i] * y[i];
                        acc.2 += 1;
                    }
                },
                |t, p| {
                    t.0 += p.0;
                    t.1 += p.1;
                    t.2 += p.2;
                },
                par,
            )
        };
        let seq = run(Par::Seq);
        let two = run(Par::rayon(2));
        assert_eq!(seq.2, 10_007);
        assert_eq!(seq.0.to_bits(), two.0.to_bits());
        assert_eq!(seq.1.to_bits(), two.1.to_bits());
    }
}
