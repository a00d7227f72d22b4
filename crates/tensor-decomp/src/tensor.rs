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

/// `T(W ·, …, W ·)`: a tensor seen through a d × k matrix W, as a tensor on
/// ℝ^k. With `W = U |Λ|^{−1/2}` from a second moment `Σ ρ_i u_i u_iᵀ`
/// (ρ_i of one sign) the components of the whitened tensor are orthogonal.
pub struct Whitened<'a> {
    base: &'a dyn SymTensor,
    // Invariant: w.nrows() == base.dim().
    w: Mat<f64>,
}

impl<'a> Whitened<'a> {
    /// The tensor `base(W ·, …)`.
    ///
    /// # Panics
    /// If `w.nrows() != base.dim()`.
    #[must_use]
    pub fn new(base: &'a dyn SymTensor, w: Mat<f64>) -> Self {
        assert_eq!(w.nrows(), base.dim(), "Whitened: W must have d rows");
        Self { base, w }
    }

    fn lift(&self, vs: &[ColRef<'_, f64>]) -> Vec<Col<f64>> {
        vs.iter().map(|v| &self.w * v).collect()
    }
}

impl SymTensor for Whitened<'_> {
    fn dim(&self) -> usize {
        self.w.ncols()
    }

    fn order(&self) -> usize {
        self.base.order()
    }

    fn contract_to_matrix(&self, vs: &[ColRef<'_, f64>], par: Par) -> Mat<f64> {
        let lifted = self.lift(vs);
        let refs: Vec<ColRef<'_, f64>> = lifted.iter().map(Col::as_ref).collect();
        let m = self.base.contract_to_matrix(&refs, par);
        self.w.transpose() * &m * &self.w
    }

    fn contract_to_vector(&self, vs: &[ColRef<'_, f64>], par: Par) -> Col<f64> {
        let lifted = self.lift(vs);
        let refs: Vec<ColRef<'_, f64>> = lifted.iter().map(Col::as_ref).collect();
        self.w.transpose() * self.base.contract_to_vector(&refs, par)
    }
}

/// `T − Σ_j λ_j θ_j^{⊗l}`: a tensor with found components removed, without
/// touching the base tensor (deflation for implicit tensors).
pub struct Deflated<'a> {
    base: &'a dyn SymTensor,
    found: &'a [(f64, Col<f64>)],
}

impl<'a> Deflated<'a> {
    /// The deflation of `base` by the components `(λ_j, θ_j)`.
    #[must_use]
    pub fn new(base: &'a dyn SymTensor, found: &'a [(f64, Col<f64>)]) -> Self {
        Self { base, found }
    }

    fn coefficient(&self, j: usize, vs: &[ColRef<'_, f64>]) -> f64 {
        let (lambda, theta) = &self.found[j];
        lambda
            * vs.iter()
                .map(|v| (0..v.nrows()).map(|k| v[k] * theta[k]).sum::<f64>())
                .product::<f64>()
    }
}

impl SymTensor for Deflated<'_> {
    fn dim(&self) -> usize {
        self.base.dim()
    }

    fn order(&self) -> usize {
        self.base.order()
    }

    fn contract_to_matrix(&self, vs: &[ColRef<'_, f64>], par: Par) -> Mat<f64> {
        let mut m = self.base.contract_to_matrix(vs, par);
        for j in 0..self.found.len() {
            let c = self.coefficient(j, vs);
            let theta = &self.found[j].1;
            m -= faer::Scale(c) * (theta * theta.transpose());
        }
        m
    }

    fn contract_to_vector(&self, vs: &[ColRef<'_, f64>], par: Par) -> Col<f64> {
        let mut v = self.base.contract_to_vector(vs, par);
        for j in 0..self.found.len() {
            let c = self.coefficient(j, vs);
            v -= faer::Scale(c) * &self.found[j].1;
        }
        v
    }
}
