//! Unit tests of the `.npy` reader and writer on hand-written files.

use super::*;

/// A hand-written `.npy` file (format version 1.0).
fn npy_bytes(descr: &str, fortran: bool, shape: &str, data: &[u8]) -> Vec<u8> {
    let mut header = format!(
        "{{'descr': '{descr}', 'fortran_order': {}, 'shape': {shape}, }}",
        if fortran { "True" } else { "False" }
    );
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

fn f64s(v: &[f64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn f32s(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn temp(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("relu-learn-npy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn err(r: Result<impl std::fmt::Debug>) -> String {
    format!("{:#}", r.unwrap_err())
}

#[test]
fn reads_c_and_fortran_order_float64_and_float32() {
    let c = temp(
        "c.npy",
        &npy_bytes("<f8", false, "(2, 3)", &f64s(&[1., 2., 3., 4., 5., 6.])),
    );
    let f = temp(
        "f.npy",
        &npy_bytes("<f8", true, "(2, 3)", &f64s(&[1., 4., 2., 5., 3., 6.])),
    );
    let s = temp(
        "s.npy",
        &npy_bytes("<f4", false, "(2, 3)", &f32s(&[1., 2., 3., 4., 5., 6.])),
    );
    let b = temp(
        "b.npy",
        &npy_bytes(
            ">f8",
            false,
            "(2, 3)",
            &[1f64, 2., 3., 4., 5., 6.]
                .iter()
                .flat_map(|x| x.to_be_bytes())
                .collect::<Vec<_>>(),
        ),
    );
    let expected = faer::mat![[1., 2., 3.], [4., 5., 6.]];
    for p in [c, f, s, b] {
        assert_eq!(read_matrix(&p).unwrap(), expected, "{}", p.display());
    }
}

#[test]
fn reads_vectors_of_shape_n_and_n_by_1() {
    let a = temp("y1.npy", &npy_bytes("<f8", false, "(3,)", &f64s(&[1., 2., 3.])));
    let b = temp("y2.npy", &npy_bytes("<f8", false, "(3, 1)", &f64s(&[1., 2., 3.])));
    for p in [a, b] {
        assert_eq!(read_vector(&p).unwrap(), faer::col![1., 2., 3.]);
    }
}

#[test]
fn round_trips_through_the_writer() {
    let x = faer::mat![[1.5, -2.0], [0.1, 1e-300], [3.0, 4.0]];
    let p = std::env::temp_dir().join(format!("relu-learn-rt-{}.npy", std::process::id()));
    write_matrix(&p, x.as_ref()).unwrap();
    assert_eq!(read_matrix(&p).unwrap(), x);
    write_vector(&p, faer::col![1.0, 2.0].as_ref()).unwrap();
    assert_eq!(read_vector(&p).unwrap(), faer::col![1.0, 2.0]);
}

#[test]
fn refuses_headers_outside_numpys_plain_form() {
    let raw = |header: &str| {
        let mut h = header.to_owned();
        h.push('\n');
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend_from_slice(&(h.len() as u16).to_le_bytes());
        b.extend_from_slice(h.as_bytes());
        b.extend_from_slice(&f64s(&[1.0, 2.0]));
        b
    };
    let good = "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }";
    assert_eq!(parse_matrix(&raw(good)).unwrap().ncols(), 2);
    // Keys in another order, no trailing comma.
    let reordered = "{'shape': (2,), 'fortran_order': True, 'descr': '<f8'}";
    assert_eq!(parse_vector(&raw(reordered)).unwrap().nrows(), 2);
    let digits = format!(
        "{{'descr': '<f8', 'fortran_order': False, 'shape': ({}, 2), }}",
        "9".repeat(3000)
    );
    for header in [
        "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }",
        "{'descr': '<f8', 'fortran_order': False, 'shape': ((((((1,),),),),), 2), }",
        digits.as_str(),
        "{'descr': '<f8', 'shape': (1, 2), }",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), 'extra': 1}",
        "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (1, 2)}",
        "{'descr': '<f8', 'fortran_order': 0, 'shape': (1, 2)}",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (-1, 2)} trailing",
    ] {
        let e = format!("{:#}", parse_matrix(&raw(header)).unwrap_err());
        assert!(e.contains("header"), "{header}: {e}");
    }
}

#[test]
fn reports_each_problem_with_the_file_name() {
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("garbage.npy", b"hello world".to_vec(), "not a valid .npy file"),
        (
            "int.npy",
            npy_bytes("<i8", false, "(1, 1)", &7i64.to_le_bytes()),
            "dtype <i8 is not supported",
        ),
        (
            "trunc.npy",
            npy_bytes("<f8", false, "(2, 2)", &f64s(&[1., 2., 3.])),
            "truncated",
        ),
        (
            "trail.npy",
            npy_bytes("<f8", false, "(1, 1)", &f64s(&[1., 2.])),
            "trailing bytes",
        ),
        (
            "nan.npy",
            npy_bytes("<f8", false, "(1, 2)", &f64s(&[1., f64::NAN])),
            "non-finite value NaN at row 0, column 1",
        ),
        (
            "inf.npy",
            npy_bytes("<f8", true, "(2, 1)", &f64s(&[1., f64::INFINITY])),
            "row 1, column 0",
        ),
        (
            "huge.npy",
            npy_bytes("<f8", false, "(100000000000, 100000000000)", &[]),
            "too large",
        ),
        (
            "three.npy",
            npy_bytes("<f8", false, "(1, 1, 1)", &f64s(&[1.])),
            "expected a 2-D array",
        ),
        ("nocols.npy", npy_bytes("<f8", false, "(3, 0)", &[]), "0 columns"),
    ];
    for (name, bytes, needle) in cases {
        let p = temp(name, &bytes);
        let msg = err(read_matrix(&p));
        assert!(msg.contains(name) && msg.contains(needle), "{name}: {msg}");
        assert!(!msg.contains('\n'), "{msg}");
    }
    let p = temp(
        "ymat.npy",
        &npy_bytes("<f8", false, "(2, 2)", &f64s(&[1., 2., 3., 4.])),
    );
    assert!(err(read_vector(&p)).contains("expected shape (n,) or (n, 1)"));
    assert!(err(read_matrix(Path::new("/nonexistent/x.npy"))).contains("cannot open"));
}
