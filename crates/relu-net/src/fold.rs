//! The deterministic chunked fold that every estimator uses, and the
//! canonical pairwise reduction tree behind it.
//!
//! [`fold_chunks`] walks the rows of a [`SampleSource`] in fixed chunks,
//! folds each chunk into a fresh accumulator (in parallel when allowed) and
//! merges the partial results in chunk order along a [`ChunkTree`]. The
//! result therefore depends on the chunk size but never on the thread count.

use faer::{Col, ColRef, Mat, MatRef, Par};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::NetError;
use crate::source::SampleSource;

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
    use crate::seed::Seed;
    use crate::source::Planted;
    use crate::source::tests::teacher;

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
