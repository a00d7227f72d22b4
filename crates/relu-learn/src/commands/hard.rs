//! `relu-learn hard`: verified hard instances.

use std::io::Write as _;

use anyhow::{Context, Result, bail};
use serde_json::json;

use crate::cli::HardArgs;
use crate::model_io::write_model;
use crate::npy::{write_matrix, write_vector};

/// `relu-learn hard`.
///
/// # Errors
/// Invalid family parameters (with the reason), unwritable files.
pub fn hard(a: &HardArgs, par: faer::Par) -> Result<()> {
    let params = lower_bounds::FamilyParams {
        dim: a.dim,
        k: a.k,
        lambda: a.lambda,
        offset: a.offset,
        vertices: a.vertices,
        edges: a.edges,
    };
    let fam = lower_bounds::family(&a.family, &params)?;
    let seed = relu_net::Seed(a.seed);
    let inst = fam.instance(seed)?;
    let check = fam.verify(&inst)?;
    std::fs::create_dir_all(&a.out).with_context(|| crate::io_context::cannot_create_dir(&a.out))?;
    let mut written = vec![a.out.join("instance.json")];
    if let Some(net) = &inst.network {
        write_model(&a.out.join("teacher.json"), net)?;
        written.push(a.out.join("teacher.json"));
    }
    if let Some((x, y)) = &inst.data {
        write_matrix(&a.out.join("x.npy"), x.as_ref())?;
        write_vector(&a.out.join("y.npy"), y.as_ref())?;
        written.push(a.out.join("x.npy"));
        written.push(a.out.join("y.npy"));
    } else if a.samples > 0
        && let Some(net) = &inst.network
    {
        let x = relu_net::gaussian_matrix(a.samples, net.input_dim(), seed.derive("samples"));
        let y = net.predict(x.as_ref(), par)?;
        write_matrix(&a.out.join("x.npy"), x.as_ref())?;
        write_vector(&a.out.join("y.npy"), y.as_ref())?;
        written.push(a.out.join("x.npy"));
        written.push(a.out.join("y.npy"));
    }
    let doc = json!({
        "family": inst.family,
        "seed": a.seed,
        "claim": inst.claim,
        "params": inst.params,
        "network": inst.network.is_some(),
        "verified": check.holds,
        "verification": check.details,
        "degree_norms": check.degree_norms.iter().take(21).collect::<Vec<_>>(),
    });
    std::fs::write(a.out.join("instance.json"), serde_json::to_string_pretty(&doc)?)
        .with_context(|| crate::io_context::cannot_write(&a.out.join("instance.json"), ""))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}: {}", inst.family, inst.claim)?;
    writeln!(out, "verified: {} — {}", check.holds, check.details)?;
    if inst.network.is_none() {
        writeln!(
            out,
            "no network fits this training set with zero loss, so no teacher.json is written"
        )?;
    }
    for p in written {
        writeln!(out, "wrote {}", p.display())?;
    }
    if !check.holds {
        bail!("the instance does not satisfy its claim; please report this seed");
    }
    Ok(())
}
