//! Step 4 of atv: the order-3 tensor `T̃ = T_3 + T_4(g₀, ·, ·, ·)` for
//! random units g₀, decomposed by the chosen backend (and the others when
//! every draw of it fails).

use faer::{Col, ColRef, Mat, Par};
use relu_net::{Network, Seed};
use tensor_decomp::{Decomposer, DenseSymTensor, Hints, SymTensor};

use super::Atv;
use super::algorithm::NAME;
use super::moments::AtvMoments;
use crate::Report;
use crate::error::LearnError;

/// A candidate network and how it was made.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// `draw <g₀ draw>, bias <estimator>, <proper|affine>`.
    pub tag: String,
    /// The network.
    pub network: Network,
    /// Units whose sign was not identifiable.
    pub ambiguous_units: usize,
}

/// `T̃ = T_3 + T_4(g₀, ·, ·, ·)`: an order-3 tensor with the factors of both.
struct Mixed<'a> {
    t3: &'a DenseSymTensor,
    t4: &'a DenseSymTensor,
    g0: Col<f64>,
}

impl SymTensor for Mixed<'_> {
    fn dim(&self) -> usize {
        self.t3.dim()
    }
    fn order(&self) -> usize {
        3
    }
    fn contract_to_matrix(&self, vs: &[ColRef<'_, f64>], par: Par) -> Mat<f64> {
        self.t3.contract_to_matrix(vs, par) + self.t4.contract_to_matrix(&[self.g0.as_ref(), vs[0]], par)
    }
    fn contract_to_vector(&self, vs: &[ColRef<'_, f64>], par: Par) -> Col<f64> {
        self.t3.contract_to_vector(vs, par)
            + self.t4.contract_to_vector(&[self.g0.as_ref(), vs[0], vs[1]], par)
    }
}

impl Atv {
    /// Steps 4–6: candidate networks from the moments.
    ///
    /// # Errors
    /// [`LearnError::Unidentifiable`] if every decomposition fails.
    pub fn candidates(
        &self,
        m: &AtvMoments,
        seed: Seed,
        par: Par,
        report: &mut Report,
    ) -> Result<Vec<Candidate>, LearnError> {
        let mut out = Vec::new();
        let mut failures = Vec::new();
        self.draws(
            self.decomposer.as_ref(),
            m,
            seed,
            par,
            report,
            &mut out,
            &mut failures,
        );
        // A fallback across backends: when every draw of the chosen backend
        // fails (Jennrich's pencil can return collinear factors at large k),
        // the other backends get the same draws before atv gives up.
        if out.is_empty() {
            // ALS first, with one start and 50 sweeps (on noisy moment tensors
            // its default tolerance is never met, and 5 × 1000 sweeps per draw
            // took minutes at d = 100, k = 20), then the power method, then
            // Jennrich with atv's contraction count.
            let fallbacks: Vec<(&str, Box<dyn Decomposer>)> = vec![
                (
                    "als",
                    Box::new(
                        tensor_decomp::AlsParams {
                            restarts: 1,
                            max_iters: 50,
                            ..tensor_decomp::AlsParams::default()
                        }
                        .validate()?,
                    ),
                ),
                ("tensor-power", Box::new(tensor_decomp::TensorPower::default())),
                (
                    "jennrich",
                    Box::new(
                        tensor_decomp::JennrichParams {
                            n_draws: super::params::JENNRICH_DRAWS,
                            ..tensor_decomp::JennrichParams::default()
                        }
                        .validate()?,
                    ),
                ),
            ];
            for (id, backend) in fallbacks.iter().filter(|(id, _)| *id != self.decomposer.name()) {
                let before = failures.len();
                self.draws(
                    backend.as_ref(),
                    m,
                    seed.derive(id),
                    par,
                    report,
                    &mut out,
                    &mut failures,
                );
                if !out.is_empty() {
                    report.notes.push(format!(
                        "every {} draw failed; the {id} backend recovered candidates ({} of its draws failed)",
                        self.decomposer.name(),
                        failures.len() - before
                    ));
                    report.metrics.insert("fallback_backend".to_owned(), 1.0);
                    break;
                }
            }
        }
        if out.is_empty() {
            let noise_note = report
                .notes
                .iter()
                .find(|n| n.contains("within"))
                .map_or(String::new(), |n| format!("; {n}"));
            return Err(LearnError::Unidentifiable {
                learner: NAME,
                reason: format!(
                    "all {} decompositions failed (first: {}){noise_note}",
                    failures.len(),
                    failures.first().map_or("none", String::as_str)
                ),
            });
        }
        report.notes.extend(failures);
        Ok(out)
    }

    /// The `mix_draws` decompositions of one backend (steps 4–6), appending
    /// candidates to `out` and failures to `failures`.
    #[allow(clippy::too_many_arguments)]
    fn draws(
        &self,
        decomposer: &dyn Decomposer,
        m: &AtvMoments,
        seed: Seed,
        par: Par,
        report: &mut Report,
        out: &mut Vec<Candidate>,
        failures: &mut Vec<String>,
    ) {
        let (t0, t1, u, proj) = (m.t0, m.t1.as_ref(), m.basis.as_ref(), &m.projected);
        let k = u.ncols();
        let reference = proj.t2.contract_to_matrix(&[], par);
        let mut rng = seed.derive("atv-mix").rng();
        for draw in 0..self.params.mix_draws {
            let g0 = unit(&mut rng, k);
            let mixed = Mixed {
                t3: &proj.t3,
                t4: &proj.t4,
                g0,
            };
            let hints = Hints {
                reference: Some(reference.as_ref()),
            };
            let decomposition =
                decomposer.decompose(&mixed, k, &hints, seed.derive_index(draw as u64).0, par);
            let (cp, rep) = match decomposition {
                Ok(r) => r,
                Err(e) => {
                    failures.push(format!("draw {draw}: {e}"));
                    continue;
                }
            };
            report
                .series
                .insert(format!("draw{draw}_eigengaps"), rep.eigengaps.clone());
            report
                .metrics
                .insert(format!("draw{draw}_decomposition_residual"), rep.residual);
            if !rep.converged {
                report.notes.push(format!(
                    "draw {draw}: the {} decomposition did not converge ({})",
                    rep.backend,
                    rep.notes.join("; ")
                ));
            }
            match self.recover(t0, t1, u, proj, cp.factors(), draw, seed, par, report) {
                Ok(mut c) => out.append(&mut c),
                Err(e) => failures.push(format!("draw {draw}: {e}")),
            }
        }
    }
}

/// A random unit vector of ℝ^k.
pub(super) fn unit(rng: &mut rand::rngs::ChaCha8Rng, k: usize) -> Col<f64> {
    tensor_decomp::fit::random_unit(rng, k)
}
