//! `relu-learn regions`: activation regions of a network on a 2-D slice or
//! exactly in a cube, the known bounds, the tropical form, an SVG.

use std::io::Write as _;
use std::path::Path;

use anyhow::{Context, Result, bail};
use relu_net::Network;
use serde_json::{Value, json};
use tropical::{
    ConvertOptions, EnumerateOptions, Slice, SliceOptions, enumerate_regions, product_bound, serra_bound,
    slice, to_tropical,
};

use crate::cli::RegionsArgs;
use crate::model_io::read_model;

/// Parses `d` comma-separated finite numbers; `what` names them in errors.
fn parse_vec(s: &str, d: usize, what: &str) -> Result<Vec<f64>> {
    let v: Vec<f64> = s
        .split(',')
        .map(|t| t.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .with_context(|| format!("{what}: `{s}` is not a comma-separated list of numbers"))?;
    if v.len() != d {
        bail!(
            "{what} has {} entries but the network has {d} inputs; give {d} comma-separated numbers",
            v.len()
        );
    }
    if !v.iter().all(|x| x.is_finite()) {
        bail!("{what} contains a non-finite number; give finite numbers");
    }
    Ok(v)
}

/// `relu-learn regions`.
///
/// # Errors
/// Unreadable model, malformed slice or rectangle, limits exceeded.
pub fn regions(a: &RegionsArgs) -> Result<()> {
    let net = read_model(&a.model)?;
    let d = net.input_dim();
    let widths = net.hidden_widths();
    let mut doc = json!({
        "model": a.model.display().to_string(),
        "input_dim": d,
        "hidden_widths": widths,
        "serra_bound": serra_bound(d, &widths).to_string(),
        "product_bound": product_bound(d, &widths).to_string(),
    });
    let mut lines = vec![format!(
        "network: d = {d}, hidden widths {widths:?}; region bounds in ℝ^{d}: Serra et al. {}, product {}",
        serra_bound(d, &widths),
        product_bound(d, &widths)
    )];
    if let Some(r) = a.cube {
        cube_regions(&net, r, a.max_regions, &mut doc, &mut lines)?;
    } else {
        slice_regions(a, &net, &mut doc, &mut lines)?;
    }
    if a.tropical {
        let f = to_tropical(&net, &ConvertOptions::default())?;
        lines.push(format!(
            "tropical form G ⊘ H: {} + {} monomials (after LP simplification)",
            f.num.len(),
            f.den.len()
        ));
        doc["tropical"] = json!({ "numerator": f.num, "denominator": f.den });
    }
    let mut out = std::io::stdout().lock();
    if a.json {
        writeln!(out, "{doc}")?;
    } else {
        for l in lines {
            writeln!(out, "{l}")?;
        }
    }
    Ok(())
}

/// `--cube R`: enumerates the regions exactly in `[-R, R]^d`.
fn cube_regions(
    net: &Network,
    r: f64,
    max_regions: usize,
    doc: &mut Value,
    lines: &mut Vec<String>,
) -> Result<()> {
    if !(r.is_finite() && r > 0.0) {
        bail!("--cube needs a positive half-width, got {r}");
    }
    let d = net.input_dim();
    let mut opts = EnumerateOptions::cube(d, r);
    opts.max_regions = max_regions;
    let regions = enumerate_regions(net, &opts)?;
    lines.push(format!(
        "exact enumeration in [-{r}, {r}]^{d}: {} activation regions",
        regions.len()
    ));
    doc["cube"] = json!({ "half_width": r, "regions": regions.len(), "list": regions });
    Ok(())
}

/// The default (or `--slice`/`--rect`) 2-D slice: counts its cells and
/// writes the `--svg` picture.
fn slice_regions(a: &RegionsArgs, net: &Network, doc: &mut Value, lines: &mut Vec<String>) -> Result<()> {
    let widths = net.hidden_widths();
    let (o, u, v) = slice_plane(a.slice.as_deref(), net.input_dim())?;
    let rect = slice_rect(a.rect.as_deref())?;
    let opts = SliceOptions {
        max_cells: a.max_regions,
        ..SliceOptions::default()
    };
    let sl = slice(net, &o, &u, &v, rect, &opts)?;
    let area: f64 = sl.cells.iter().map(tropical::Cell::area).sum();
    lines.push(format!(
        "slice [{}, {}] x [{}, {}]: {} activation regions (Serra et al. bound for a plane: {}); mean cell area {:.4}",
        rect[0],
        rect[1],
        rect[2],
        rect[3],
        sl.count(),
        serra_bound(2, &widths),
        area / sl.count().max(1) as f64
    ));
    if let Some(path) = &a.svg {
        write_svg(&a.model, path, &sl)?;
        lines.push(format!("wrote {}", path.display()));
    }
    doc["slice"] = json!({
        "origin": o, "u": u, "v": v, "rect": rect,
        "regions": sl.count(),
        "plane_bound": serra_bound(2, &widths).to_string(),
        "cells": sl.cells.iter().map(|c| json!({
            "vertices": c.vertices, "pattern": c.pattern, "map": c.map, "area": c.area(),
        })).collect::<Vec<_>>(),
    });
    Ok(())
}

/// The slice's origin and directions: from `--slice O;U;V`, else the plane
/// of the first two coordinates through 0.
fn slice_plane(spec: Option<&str>, d: usize) -> Result<(Vec<f64>, Vec<f64>, Vec<f64>)> {
    if let Some(s) = spec {
        let parts: Vec<&str> = s.split(';').collect();
        if parts.len() != 3 {
            bail!(
                "--slice takes three vectors O;U;V separated by semicolons, got {}",
                parts.len()
            );
        }
        Ok((
            parse_vec(parts[0], d, "the slice origin")?,
            parse_vec(parts[1], d, "the slice direction U")?,
            parse_vec(parts[2], d, "the slice direction V")?,
        ))
    } else {
        if d < 2 {
            bail!("the default slice needs d >= 2; give --slice or --cube for d = 1");
        }
        let e = |i: usize| (0..d).map(|j| f64::from(u8::from(i == j))).collect::<Vec<f64>>();
        Ok((vec![0.0; d], e(0), e(1)))
    }
}

/// The slice's rectangle `[s0, s1] x [t0, t1]`: from `--rect`, else
/// `[-3, 3]²`.
fn slice_rect(spec: Option<&str>) -> Result<[f64; 4]> {
    Ok(match spec {
        Some(s) => {
            let v = parse_vec(s, 4, "--rect")?;
            [v[0], v[1], v[2], v[3]]
        }
        None => [-3.0, 3.0, -3.0, 3.0],
    })
}

/// Writes the slice's cells as an SVG titled with the model's file name.
fn write_svg(model: &Path, path: &Path, sl: &Slice) -> Result<()> {
    let title = model
        .file_name()
        .map_or_else(|| "model".into(), |f| f.to_string_lossy().into_owned());
    std::fs::write(path, tropical::svg::render(&[(&title, sl)], 480.0)).with_context(|| {
        format!(
            "cannot write {} (check that its directory exists and is writable)",
            path.display()
        )
    })
}
