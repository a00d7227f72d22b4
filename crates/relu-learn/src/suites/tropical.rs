//! The `tropical` suite: activation-region counts of random networks
//! against the known bounds, the size of the tropical form against the
//! network's size, and a picture of a planted and two learned networks on
//! the same 2-D slice.

use std::time::Instant;

use anyhow::Result;
use faer::{Col, Mat};
use learners::Learner;
use learners::gd::GdParams;
use relu_net::metrics::relative_l2_error;
use relu_net::{Family, Network, Planted, Seed, gaussian_matrix};
use serde_json::json;
use tropical::{
    ConvertOptions, EnumerateOptions, SliceOptions, enumerate_regions, product_bound, serra_bound, slice,
    to_tropical,
};

use super::{Size, Suite, SuiteContext};
use crate::output::{Cell, Column, Gate, SuiteOutput, Table, col, fmt_sig, recorded, shown};
use crate::progress::Progress;

/// See the module docs.
pub(super) struct TropicalSuite;

struct Grid {
    depths: &'static [usize],
    widths: &'static [usize],
    seeds: u64,
    half_width: f64,
    /// Exact LP enumeration for the first seed when the bound is at most this.
    enumerate_below: u128,
    sizes: &'static [&'static [usize]],
    picture_samples: usize,
    gd_epochs: usize,
}

fn grid(size: Size) -> Grid {
    match size {
        Size::Smoke => Grid {
            depths: &[1, 2],
            widths: &[2, 3],
            seeds: 2,
            half_width: 4.0,
            enumerate_below: 200,
            sizes: &[&[2], &[2, 2]],
            picture_samples: 5_000,
            gd_epochs: 2,
        },
        Size::Quick => Grid {
            depths: &[1, 2, 3],
            widths: &[2, 4, 8],
            seeds: 5,
            half_width: 4.0,
            enumerate_below: 5_000,
            sizes: &[
                &[2],
                &[4],
                &[8],
                &[2, 2],
                &[3, 3],
                &[4, 4],
                &[2, 2, 2],
                &[3, 3, 3],
            ],
            picture_samples: 100_000,
            gd_epochs: 30,
        },
        Size::Full => Grid {
            depths: &[1, 2, 3, 4],
            widths: &[2, 4, 8, 16],
            seeds: 20,
            half_width: 8.0,
            enumerate_below: 20_000,
            sizes: &[
                &[2],
                &[4],
                &[8],
                &[16],
                &[2, 2],
                &[3, 3],
                &[4, 4],
                &[5, 5],
                &[2, 2, 2],
                &[3, 3, 3],
                &[4, 4, 4],
            ],
            picture_samples: 1_000_000,
            gd_epochs: 100,
        },
    }
}

/// A random network on ℝ²: He-scaled Gaussian weights N(0, 2/fan_in),
/// biases N(0, 0.5²), one linear output.
fn random_net(widths: &[usize], seed: Seed) -> Result<Network> {
    let mut parts = Vec::new();
    let mut fan_in = 2;
    for (l, &w) in widths.iter().chain(std::iter::once(&1)).enumerate() {
        let g = gaussian_matrix(w, fan_in + 1, seed.derive_index(l as u64));
        let s = (2.0 / fan_in as f64).sqrt();
        parts.push((
            Mat::from_fn(w, fan_in, |i, j| s * g[(i, j)]),
            Col::from_fn(w, |i| 0.5 * g[(i, fan_in)]),
        ));
        fan_in = w;
    }
    Ok(Network::from_parts(parts)?)
}

struct CountRow {
    depth: usize,
    width: usize,
    counts: Vec<usize>,
    exact: Option<(usize, usize)>,
    serra: u128,
    product: u128,
}

struct SizeRow {
    widths: &'static [usize],
    params: usize,
    num: Option<usize>,
    den: Option<usize>,
    regions: usize,
    seconds: f64,
    note: String,
}

impl Suite for TropicalSuite {
    fn name(&self) -> &'static str {
        "tropical"
    }

    fn title(&self) -> &'static str {
        "linear regions against the bounds, tropical form sizes, a planted and learned network on a slice"
    }

    fn description(&self) -> &'static str {
        DESCRIPTION
    }

    fn run(&self, ctx: &SuiteContext) -> Result<SuiteOutput> {
        let g = grid(ctx.size);
        let seed = ctx.seed.derive("tropical-suite");
        let r = g.half_width;
        let rect = [-r, r, -r, r];
        let (o, u, v) = ([0.0, 0.0], [1.0, 0.0], [0.0, 1.0]);
        let bar = Progress::rows(
            (g.depths.len() * g.widths.len() + g.sizes.len() + 1) as u64,
            "tropical",
        );
        let mut counts = Vec::new();
        for &depth in g.depths {
            for &width in g.widths {
                bar.message(format!("regions depth={depth} width={width}"));
                let widths = vec![width; depth];
                let serra = serra_bound(2, &widths);
                let mut row = CountRow {
                    depth,
                    width,
                    counts: Vec::new(),
                    exact: None,
                    serra,
                    product: product_bound(2, &widths),
                };
                for s in 0..g.seeds {
                    let net = random_net(
                        &widths,
                        seed.derive("count")
                            .derive_index(s * 1000 + (depth * 100 + width) as u64),
                    )?;
                    let sl = slice(&net, &o, &u, &v, rect, &SliceOptions::default())?;
                    if s == 0 && serra <= g.enumerate_below {
                        let mut opts = EnumerateOptions::cube(2, r);
                        opts.max_regions = usize::try_from(g.enumerate_below).unwrap_or(usize::MAX);
                        let exact = enumerate_regions(&net, &opts)?;
                        row.exact = Some((exact.len(), sl.count()));
                    }
                    row.counts.push(sl.count());
                }
                counts.push(row);
                bar.inc(1);
            }
        }
        let mut sizes = Vec::new();
        for (i, &widths) in g.sizes.iter().enumerate() {
            bar.message(format!("tropical form {widths:?}"));
            let net = random_net(widths, seed.derive("size").derive_index(i as u64))?;
            let sl = slice(&net, &o, &u, &v, rect, &SliceOptions::default())?;
            let start = Instant::now();
            let f = to_tropical(&net, &ConvertOptions::default());
            let seconds = start.elapsed().as_secs_f64();
            let (num, den, note) = match f {
                Ok(f) => (Some(f.num.len()), Some(f.den.len()), String::new()),
                Err(e) => (None, None, format!("{widths:?}: {e}")),
            };
            sizes.push(SizeRow {
                widths,
                params: net.n_params(),
                num,
                den,
                regions: sl.count(),
                seconds,
                note,
            });
            bar.inc(1);
        }
        bar.message("picture".to_owned());
        let (figure, picture_notes) = picture(&g, ctx, seed.derive("picture"))?;
        bar.inc(1);
        bar.finish();
        Ok(output(ctx, &g, &counts, &sizes, figure, picture_notes))
    }
}

/// A `biased` teacher in d = 4 with k = 4 units, learned by `atv` and by
/// `gd`, all three drawn on the plane of the first two coordinates.
fn picture(g: &Grid, ctx: &SuiteContext, seed: Seed) -> Result<(String, Vec<String>)> {
    let teacher = Family::Biased {
        dim: 4,
        hidden: 4,
        bias_range: 1.0,
    }
    .plant(seed)?;
    let data = Planted::new(teacher.clone(), g.picture_samples, 0.0, seed.derive("data"))?.materialize();
    let atv = learners::learner("atv", Some(4))?;
    let gd = GdParams {
        hidden: Some(vec![4]),
        max_epochs: g.gd_epochs,
        ..GdParams::default()
    }
    .validate()?;
    let mut panels = vec![("teacher".to_owned(), teacher.clone())];
    let mut notes = Vec::new();
    for (name, learner) in [("atv", &*atv as &dyn Learner), ("gd", &gd as &dyn Learner)] {
        match learner.fit(&data, seed.derive(name), ctx.par) {
            Ok(f) => {
                if let Some(net) = f.network() {
                    let err = relative_l2_error(net, &teacher, 50_000, seed.derive("test"), ctx.par)?
                        .relative_error;
                    panels.push((format!("{name} (rel. error {})", fmt_sig(err, 2)), net.clone()));
                }
            }
            Err(e) => notes.push(format!("picture: {name} failed: {e}")),
        }
    }
    let (o, u, v) = ([0.0; 4], [1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]);
    let mut slices = Vec::new();
    for (title, net) in &panels {
        slices.push((
            title.clone(),
            slice(net, &o, &u, &v, [-3.0, 3.0, -3.0, 3.0], &SliceOptions::default())?,
        ));
        notes.push(format!(
            "picture: {title}: {} regions on the slice",
            slices.last().map_or(0, |s| s.1.count())
        ));
    }
    let refs: Vec<(&str, &tropical::Slice)> = slices.iter().map(|(t, s)| (t.as_str(), s)).collect();
    Ok((tropical::svg::render(&refs, 320.0), notes))
}

/// The columns of the region table: counts and bounds are exact.
const REGION_COLUMNS: [Column; 9] = [
    col("hidden layers", "hidden_layers", Gate::Equal),
    col("width", "width", Gate::Equal),
    recorded("counts", Gate::Equal),
    shown("regions (mean)"),
    shown("min"),
    shown("max"),
    col("exact LP enumeration = slice", "exact", Gate::Equal),
    col("Serra et al. bound", "serra_bound", Gate::Equal),
    col("product bound", "product_bound", Gate::Equal),
];

/// The columns of the tropical-size table: the sizes are exact.
const SIZE_COLUMNS: [Column; 6] = [
    col("hidden widths", "widths", Gate::Equal),
    col("parameters", "params", Gate::Equal),
    col("regions in the box", "regions", Gate::Equal),
    col("monomials of G", "numerator_monomials", Gate::Equal),
    col("monomials of H", "denominator_monomials", Gate::Equal),
    col("seconds", "seconds", Gate::Ignore),
];

fn output(
    ctx: &SuiteContext,
    g: &Grid,
    counts: &[CountRow],
    sizes: &[SizeRow],
    figure: String,
    picture_notes: Vec<String>,
) -> SuiteOutput {
    let mean = |v: &[usize]| v.iter().sum::<usize>() as f64 / v.len().max(1) as f64;
    let mut regions = Table::new(
        "tropical-regions",
        format!(
            "Activation regions of random networks on ℝ² in [−{0}, {0}]² ({1} networks each; He weights, biases N(0, 0.5²))",
            g.half_width, g.seeds
        ),
        &REGION_COLUMNS,
    );
    for r in counts {
        regions.push(vec![
            Cell::int(r.depth),
            Cell::int(r.width),
            Cell::shown(json!(r.counts), ""),
            Cell::text(format!("{:.1}", mean(&r.counts))),
            Cell::text(r.counts.iter().min().copied().unwrap_or(0).to_string()),
            Cell::text(r.counts.iter().max().copied().unwrap_or(0).to_string()),
            Cell::shown(
                json!(r.exact.map(|x| x.0)),
                r.exact.map_or_else(
                    || "–".to_owned(),
                    |(e, s)| format!("{} ({e} = {s})", if e == s { "yes" } else { "NO" }),
                ),
            ),
            Cell::text(r.serra.to_string()),
            Cell::text(r.product.to_string()),
        ]);
    }
    let mut size_table = Table::new(
        "tropical-size",
        "Size of the tropical form G ⊘ H (monomials after LP simplification) against the network's size, d = 2",
        &SIZE_COLUMNS,
    );
    let count = |x: Option<usize>| Cell::shown(json!(x), x.map_or_else(|| "–".to_owned(), |x| x.to_string()));
    for r in sizes {
        size_table.push(vec![
            Cell::shown(
                json!(r.widths),
                r.widths
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("-"),
            ),
            Cell::int(r.params),
            Cell::int(r.regions),
            count(r.num),
            count(r.den),
            Cell::fixed(r.seconds, 3),
        ]);
    }
    let agree = counts
        .iter()
        .filter_map(|r| r.exact)
        .filter(|(e, s)| e == s)
        .count();
    let checked = counts.iter().filter(|r| r.exact.is_some()).count();
    let above = counts
        .iter()
        .filter(|r| r.counts.iter().any(|&c| c as u128 > r.serra))
        .count();
    let mut notes = vec![
        format!("exact LP enumeration and polygon slicing agree on {agree} of {checked} networks checked."),
        format!("{above} network families exceed the Serra et al. bound (it must be 0)."),
    ];
    notes.extend(
        sizes
            .iter()
            .filter(|r| !r.note.is_empty())
            .map(|r| r.note.clone()),
    );
    notes.extend(picture_notes);
    SuiteOutput {
        suite: "tropical".into(),
        title: "linear regions against the bounds, tropical form sizes, a planted and learned network on a slice".into(),
        description: DESCRIPTION.into(),
        params: json!({
            "size": format!("{:?}", ctx.size).to_lowercase(),
            "seed": ctx.seed.0,
            "depths": g.depths,
            "widths": g.widths,
            "seeds": g.seeds,
            "half_width": g.half_width,
            "sizes": g.sizes,
            "picture_samples": g.picture_samples,
        }),
        tables: vec![regions, size_table],
        notes,
        figures: vec![(
            "slice".into(),
            "A biased teacher (d = 4, k = 4) and the networks learned by atv and gd, on the plane of the first two coordinates: cells coloured by activation pattern, the zero level set in black".into(),
            figure,
        )],
    }
}

const DESCRIPTION: &str = "\
Activation regions (sets of inputs with one on/off pattern of every hidden unit: convex polyhedra on which the
network is affine) of random networks on ℝ², counted exactly in a square by incremental polygon splitting
(`tropical::slice`) and, where the bound is small, also by exact LP enumeration (`tropical::enumerate_regions`,
a Chebyshev-centre LP per branch); both must agree. The bounds are Serra, Tjandraatmadja & Ramalingam (2018,
Thm. 1) and the product bound of Montúfar et al. (2014): random networks sit far below them, and depth adds
regions more slowly than the bound suggests (Hanin & Rolnick 2019). The second table converts networks into
tropical rational maps G ⊘ H (Zhang, Naitzat & Lim 2018; dominated monomials dropped by LP) and reports the
numbers of monomials against the numbers of parameters and regions. The figure draws a planted network and two
learned ones on the same plane. Times are wall-clock seconds on this machine; counts do not depend on them.";
