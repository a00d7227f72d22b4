//! The [`SymTensor`] trait: symmetric tensors known through contractions.

use faer::{Col, ColRef, Mat, Par};

/// A symmetric order-l tensor on ℝ^d, known through its contractions.
///
/// Implementations include dense tensors (small d) and empirical moment
/// tensors that are computed from samples on demand and never stored.
/// Contractions of a symmetric tensor do not depend on the order of the
/// contraction vectors.
pub trait SymTensor: Sync {
    /// The dimension d.
    fn dim(&self) -> usize;

    /// The order l (≥ 2).
    fn order(&self) -> usize;

    /// `T(v_1, …, v_{l-2}, I, I)`: a symmetric d × d matrix.
    ///
    /// # Panics
    /// If `vs.len() != self.order() - 2` or a vector has the wrong length
    /// (programming errors).
    fn contract_to_matrix(&self, vs: &[ColRef<'_, f64>], par: Par) -> Mat<f64>;

    /// `T(v_1, …, v_{l-1}, I)`: a vector of length d.
    ///
    /// # Panics
    /// If `vs.len() != self.order() - 1` or a vector has the wrong length
    /// (programming errors).
    fn contract_to_vector(&self, vs: &[ColRef<'_, f64>], par: Par) -> Col<f64>;
}
