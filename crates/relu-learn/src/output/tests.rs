//! Unit tests of the tables, the formatting and the gate.

use super::*;

fn gated(values: &[(&str, Value)], gates: &[Column]) -> SuiteOutput {
    let mut t = Table::new("t", "T", gates);
    t.push(values.iter().map(|(_, v)| Cell::shown(v.clone(), "")).collect());
    SuiteOutput {
        suite: "s".into(),
        tables: vec![t],
        ..SuiteOutput::default()
    }
}

/// The two degradations the gate exists for: a rate that falls from
/// n^−1.03 to n^−0.11, and exact recovery that falls from 1e-23 to 1e-9;
/// a time that doubles and an error within the factor pass.
#[test]
fn the_gate_fails_on_a_degraded_rate_and_on_lost_exactness() {
    let cols = [
        col("learner", "learner", Gate::Equal),
        col("slope", "slope", SLOPE),
        col("error", "error", ERROR),
        col("s", "seconds", Gate::Ignore),
    ];
    let run = |slope: f64, err: f64, secs: f64| {
        gated(
            &[
                ("learner", json!("atv")),
                ("slope", json!(slope)),
                ("error", json!(err)),
                ("seconds", json!(secs)),
            ],
            &cols,
        )
    };
    let base = run(-1.03, 1e-23, 1.0).baseline_json();
    assert!(run(-1.03, 1e-23, 2.0).check_against(&base).is_empty());
    assert!(run(-0.98, 3e-20, 1.0).check_against(&base).is_empty());
    let rate = run(-0.11, 1e-23, 1.0).check_against(&base);
    assert_eq!(rate.len(), 1, "{rate:?}");
    assert!(rate[0].contains("slope"), "{rate:?}");
    let exact = run(-1.03, 1e-9, 1.0).check_against(&base);
    assert_eq!(exact.len(), 1, "{exact:?}");
    assert!(exact[0].contains("error"), "{exact:?}");
    // Above exactness: within a factor 3 either way.
    let base = run(-1.0, 1e-3, 1.0).baseline_json();
    assert!(run(-1.0, 2.9e-3, 1.0).check_against(&base).is_empty());
    assert!(run(-1.0, 3.5e-4, 1.0).check_against(&base).is_empty());
    assert_eq!(run(-1.0, 3.1e-3, 1.0).check_against(&base).len(), 1);
    // A failed fit (null) that now returns a number moved: the baseline
    // must be refreshed on purpose.
    assert_eq!(
        run(-1.0, 1e-3, 1.0)
            .check_against(&run(-1.0, f64::NAN, 1.0).baseline_json())
            .len(),
        1
    );
}

#[test]
fn formats_significant_digits() {
    assert_eq!(fmt_sig(1.23456, 3), "1.23");
    assert_eq!(fmt_sig(0.0012345, 3), "0.00123");
    assert_eq!(fmt_sig(123456.0, 3), "1.23e5");
    assert_eq!(fmt_sig(-0.0, 3), "0");
    assert_eq!(fmt_sig(-1e-9, 2), "-1.0e-9");
    assert_eq!(fmt_sig(f64::INFINITY, 2), "inf");
}

#[test]
fn renders_markdown_and_csv() {
    let mut t = Table::new(
        "t",
        "T",
        &[
            col("a", "a", Gate::Equal),
            col("b", "b", Gate::Equal),
            shown("c"),
            recorded("d", Gate::Ignore),
        ],
    );
    t.push(vec![
        Cell::shown(json!(1.5), "1"),
        Cell::text("x,y"),
        Cell::text("only shown"),
        Cell::secs(2.0),
    ]);
    assert_eq!(
        t.to_markdown(),
        "| a | b | c |\n|---|---|---|\n| 1 | x,y | only shown |\n"
    );
    assert_eq!(t.to_csv(), "a,b,d\n1.5,\"x,y\",2.0\n");
}
