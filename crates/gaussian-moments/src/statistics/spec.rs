//! Statistics as data: what a worker rebuilds a moment pass from.
//!
//! A moment pass that runs on an executor's workers ([`relu_net::pass`])
//! ships its statistic as a [`StatisticSpec`] inside the job. The spec
//! carries the statistic's fields as they are (the unit vectors already
//! normalised), and [`StatisticSpec::build`] puts them back without
//! recomputing anything, so a worker's statistic is the caller's bit for
//! bit.

use faer::Col;
use serde::{Deserialize, Serialize};

use super::{DenseMoments, LabelMean, LowOrder, MatrixContractions, VectorContractions};
use crate::error::MomentError;
use crate::estimator::Statistic;

/// A statistic of this crate, by value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "statistic", rename_all = "kebab-case")]
pub enum StatisticSpec {
    /// [`VectorContractions`].
    VectorContractions {
        /// d.
        dim: usize,
        /// l.
        order: usize,
        /// The unit vectors g.
        gs: Vec<Vec<f64>>,
    },
    /// [`MatrixContractions`].
    MatrixContractions {
        /// d.
        dim: usize,
        /// l.
        order: usize,
        /// The unit vectors g.
        gs: Vec<Vec<f64>>,
    },
    /// [`LabelMean`].
    LabelMean {
        /// d.
        dim: usize,
    },
    /// [`LowOrder`].
    LowOrder {
        /// d.
        dim: usize,
    },
    /// [`DenseMoments`].
    DenseMoments {
        /// d.
        dim: usize,
        /// Highest order.
        max_order: usize,
    },
    /// The label-filtered second moment of [`crate::filtered_second_moment`].
    Filtered {
        /// d.
        dim: usize,
        /// The label set A.
        set: crate::LabelSet,
        /// The cell c (`None`: every x).
        cell: Option<crate::Cell>,
    },
}

pub(super) fn to_vecs(gs: &[Col<f64>]) -> Vec<Vec<f64>> {
    gs.iter().map(|g| g.iter().copied().collect()).collect()
}

fn to_cols(gs: &[Vec<f64>], dim: usize) -> Result<Vec<Col<f64>>, MomentError> {
    gs.iter()
        .map(|g| {
            if g.len() == dim {
                Ok(Col::from_fn(dim, |i| g[i]))
            } else {
                Err(MomentError::Dim {
                    what: "a contraction vector of the spec",
                    expected: dim,
                    got: g.len(),
                })
            }
        })
        .collect()
}

impl StatisticSpec {
    /// The statistic the spec describes, with the spec's numbers as they
    /// are.
    ///
    /// # Errors
    /// [`MomentError::Dim`] for a vector of the wrong length.
    pub fn build(&self) -> Result<Box<dyn Statistic>, MomentError> {
        Ok(match self {
            Self::VectorContractions { dim, order, gs } => Box::new(VectorContractions {
                dim: *dim,
                order: *order,
                gs: to_cols(gs, *dim)?,
            }),
            Self::MatrixContractions { dim, order, gs } => Box::new(MatrixContractions {
                dim: *dim,
                order: *order,
                gs: to_cols(gs, *dim)?,
            }),
            Self::LabelMean { dim } => Box::new(LabelMean::new(*dim)),
            Self::LowOrder { dim } => Box::new(LowOrder::new(*dim)),
            Self::DenseMoments { dim, max_order } => Box::new(DenseMoments {
                dim: *dim,
                max_order: *max_order,
            }),
            Self::Filtered { dim, set, cell } => {
                if let Some(c) = cell {
                    if c.basis.nrows() != *dim {
                        return Err(MomentError::Dim {
                            what: "the cell basis of the spec",
                            expected: *dim,
                            got: c.basis.nrows(),
                        });
                    }
                    if c.lo.len() != c.basis.ncols() || c.hi.len() != c.basis.ncols() {
                        return Err(MomentError::Dim {
                            what: "the cell bounds of the spec (one per basis vector)",
                            expected: c.basis.ncols(),
                            got: c.lo.len().min(c.hi.len()),
                        });
                    }
                }
                Box::new(crate::filtered::Filtered {
                    dim: *dim,
                    set: *set,
                    cell: cell.clone().map(std::borrow::Cow::Owned),
                })
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Estimator;
    use faer::Par;
    use relu_net::{Family, Planted, Seed};

    #[test]
    fn a_rebuilt_statistic_estimates_the_same_bits() {
        let teacher = Family::Biased {
            dim: 5,
            hidden: 3,
            bias_range: 1.0,
        }
        .plant(Seed(3))
        .unwrap();
        let src = Planted::new(teacher, 5000, 0.1, Seed(4)).unwrap();
        let gs: Vec<Col<f64>> = (0..2)
            .map(|j| Col::from_fn(5, |i| ((i * 7 + j * 3) % 5) as f64 - 1.7))
            .collect();
        let stats: Vec<Box<dyn Statistic>> = vec![
            Box::new(VectorContractions::new(5, 3, &gs).unwrap()),
            Box::new(MatrixContractions::new(5, 4, &gs).unwrap()),
            Box::new(LabelMean::new(5)),
            Box::new(LowOrder::new(5)),
            Box::new(DenseMoments::new(5, 3).unwrap()),
            Box::new(crate::filtered::Filtered {
                dim: 5,
                set: crate::LabelSet::AtLeast { tau: 0.2 },
                cell: None,
            }),
            Box::new(crate::filtered::Filtered {
                dim: 5,
                // Open ends travel too (JSON has no infinities).
                set: crate::LabelSet::Interval {
                    lo: f64::NEG_INFINITY,
                    hi: 1.5,
                },
                cell: Some(std::borrow::Cow::Owned(
                    crate::Cell::new(
                        faer::Mat::from_fn(5, 1, |i, _| if i == 2 { 1.0 } else { 0.0 }).as_ref(),
                        vec![-0.3],
                        vec![f64::INFINITY],
                    )
                    .unwrap(),
                )),
            }),
        ];
        let est = Estimator::default();
        for stat in &stats {
            let spec = stat.spec().expect("every statistic here has a spec");
            let wire: StatisticSpec = serde_json::from_str(&serde_json::to_string(&spec).unwrap()).unwrap();
            let rebuilt = wire.build().unwrap();
            assert_eq!(rebuilt.fingerprint(), stat.fingerprint());
            let a = est.estimate(stat.as_ref(), &src, Par::Seq).unwrap();
            let b = est.estimate(rebuilt.as_ref(), &src, Par::Seq).unwrap();
            assert_eq!(a, b, "{}", stat.fingerprint());
        }
        let bad = StatisticSpec::VectorContractions {
            dim: 5,
            order: 3,
            gs: vec![vec![1.0; 4]],
        };
        assert!(bad.build().is_err());
        // A cell whose bounds do not match its basis is refused, not used.
        let bad_cell: StatisticSpec = serde_json::from_value(serde_json::json!({
            "statistic": "filtered",
            "dim": 5,
            "set": { "kind": "at-least", "tau": "-inf" },
            "cell": { "basis": { "rows": 5, "cols": 1, "data": [1.0, 0.0, 0.0, 0.0, 0.0] },
                      "lo": [-1.0, 0.0], "hi": ["inf"] },
        }))
        .unwrap();
        assert!(bad_cell.build().is_err());
    }
}
