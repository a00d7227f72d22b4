//! Reading and writing `.npy` files (through the `npyz` crate): float64 or
//! float32, C or Fortran order, with every problem reported as an error
//! that names the file.
//!
//! The header is parsed first and the data length checked against the file
//! size before anything is allocated, so a truncated file or a header that
//! promises 10^12 rows fails fast with a clear message instead of an
//! out-of-memory abort.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Cursor, Read, Seek, SeekFrom, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};
use faer::{Col, ColRef, Mat, MatRef};
use npyz::{DType, NpyFile, NpyHeader, Order, TypeChar, WriterBuilder};

/// Counts the bytes read through it (to know the header's length).
struct Counting<R> {
    inner: R,
    count: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

/// The element type of a float array.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Float {
    F32,
    F64,
}

/// A parsed array: shape, order, and values in file order.
struct Array {
    shape: Vec<u64>,
    order: Order,
    values: Vec<f64>,
}

/// Largest number of elements we agree to read (2^34 ≈ 1.7 · 10^10, i.e.
/// 128 GiB of float64): beyond this the file is surely not meant for us.
const MAX_ELEMENTS: u64 = 1 << 34;

/// What to do about a file this reader cannot read: every format error
/// ends with it.
const REWRITE: &str = "write the array again with numpy.save (a plain float64 or float32 array)";

/// Reads the shape tuple from the raw header, before `npyz` sees it:
/// `npyz` multiplies the dimensions without overflow checks, so a header
/// with absurd dimensions must be refused here. Returns `None` when the
/// header cannot be parsed this way, `npyz` reports the problem later.
fn precheck_shape<R: Read + Seek>(file: &mut R) -> Result<()> {
    let mut prefix = [0u8; 12];
    let n = file.read(&mut prefix).unwrap_or(0);
    file.seek(SeekFrom::Start(0)).context("cannot rewind the file")?;
    if n < 10 || &prefix[..6] != b"\x93NUMPY" {
        return Ok(());
    }
    let (len, start) = if prefix[6] == 1 {
        (u64::from(u16::from_le_bytes([prefix[8], prefix[9]])), 10)
    } else if n == 12 {
        (
            u64::from(u32::from_le_bytes([prefix[8], prefix[9], prefix[10], prefix[11]])),
            12,
        )
    } else {
        return Ok(());
    };
    if len > MAX_HEADER {
        bail!(
            "not a supported .npy file: its header has {len} bytes, more than any plain float array needs ({MAX_HEADER}); {REWRITE}"
        );
    }
    let mut header = vec![0u8; len as usize];
    file.seek(SeekFrom::Start(start))
        .context("cannot read the header")?;
    file.read_exact(&mut header)
        .with_context(|| format!("not a valid .npy file (the header is cut short); {REWRITE}"))?;
    file.seek(SeekFrom::Start(0)).context("cannot rewind the file")?;
    let text = String::from_utf8_lossy(&header);
    check_header_grammar(&text)?;
    let Some(tuple) = text
        .split_once("'shape'")
        .and_then(|(_, rest)| rest.split_once('('))
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(t, _)| t.to_owned())
    else {
        return Ok(());
    };
    let dims: Vec<u64> = tuple.split(',').filter_map(|t| t.trim().parse().ok()).collect();
    if dims
        .iter()
        .try_fold(1u64, |acc, &s| acc.checked_mul(s))
        .is_none_or(|n| n > MAX_ELEMENTS)
    {
        bail!(
            "shape {dims:?} is too large (more than {MAX_ELEMENTS} elements): if the header is not corrupt, split the data into smaller files"
        );
    }
    Ok(())
}

/// Longest header accepted. numpy writes plain-dtype headers of 118 bytes
/// or so (padded to a multiple of 64); structured dtypes, which we do not
/// read, are the only reason for more.
const MAX_HEADER: u64 = 4096;

/// Checks that the header is the dictionary numpy writes for a plain
/// array, `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }`
/// (keys in any order, spaces and a trailing comma free), before `npyz`'s
/// general Python-literal parser sees it: fuzzing found headers on which
/// that parser runs for minutes (docs/fuzzing.md).
fn check_header_grammar(text: &str) -> Result<()> {
    let bad = |what: &str| anyhow::anyhow!("not a valid .npy file (header: {what}); {REWRITE}");
    let mut rest = text.trim_end_matches(['\n', ' ', '\0']).trim_start();
    let eat = |rest: &mut &str, token: &str| -> bool {
        *rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix(token) {
            *rest = r;
            true
        } else {
            false
        }
    };
    if !eat(&mut rest, "{") {
        return Err(bad("expected a dictionary"));
    }
    let mut seen = [false; 3];
    loop {
        if eat(&mut rest, "}") {
            break;
        }
        let key = ["'descr'", "'fortran_order'", "'shape'"]
            .iter()
            .position(|k| eat(&mut rest, k))
            .ok_or_else(|| bad("unknown key"))?;
        if std::mem::replace(&mut seen[key], true) {
            return Err(bad("repeated key"));
        }
        if !eat(&mut rest, ":") {
            return Err(bad("expected ':'"));
        }
        rest = rest.trim_start();
        match key {
            0 => {
                // A short dtype string such as '<f8'; lists (structured
                // dtypes) are not supported.
                let r = rest
                    .strip_prefix('\'')
                    .ok_or_else(|| bad("descr must be a plain dtype string"))?;
                let end = r.find('\'').filter(|e| *e <= 16).ok_or_else(|| bad("descr"))?;
                if !r[..end]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "<>|=".contains(c))
                {
                    return Err(bad("descr"));
                }
                rest = &r[end + 1..];
            }
            1 => {
                if !(eat(&mut rest, "True") || eat(&mut rest, "False")) {
                    return Err(bad("fortran_order must be True or False"));
                }
            }
            _ => {
                let r = rest
                    .strip_prefix('(')
                    .ok_or_else(|| bad("shape must be a tuple"))?;
                let end = r.find(')').ok_or_else(|| bad("shape"))?;
                let inner = &r[..end];
                let dims: Vec<&str> = inner.split(',').map(str::trim).collect();
                let (last, init) = dims.split_last().expect("split gives one piece");
                if dims.len() > 33
                    || init
                        .iter()
                        .any(|t| t.is_empty() || t.len() > 20 || !t.bytes().all(|b| b.is_ascii_digit()))
                    || !(last.is_empty() || (last.len() <= 20 && last.bytes().all(|b| b.is_ascii_digit())))
                {
                    return Err(bad("shape must be a tuple of non-negative integers"));
                }
                rest = &r[end + 1..];
            }
        }
        if !eat(&mut rest, ",") {
            if eat(&mut rest, "}") {
                break;
            }
            return Err(bad("expected ',' or '}'"));
        }
    }
    if !rest.trim().is_empty() {
        return Err(bad("text after the dictionary"));
    }
    if seen != [true; 3] {
        return Err(bad("descr, fortran_order and shape are all required"));
    }
    Ok(())
}

fn read_array(path: &Path) -> Result<Array> {
    let file = File::open(path).context("cannot open the file (check the path)")?;
    let file_len = file.metadata().context("cannot read the file's size")?.len();
    read_array_from(BufReader::new(file), file_len)
}

/// Parses an `.npy` stream of `file_len` bytes.
fn read_array_from<R: Read + Seek>(mut file: R, file_len: u64) -> Result<Array> {
    precheck_shape(&mut file)?;
    let mut reader = Counting {
        inner: file,
        count: 0,
    };
    let header = NpyHeader::from_reader(&mut reader)
        .map_err(|e| anyhow::anyhow!("not a valid .npy file ({e}); {REWRITE}"))?;
    let header_len = reader.count;
    let npy = NpyFile::with_header(header, reader);
    let float = match npy.dtype() {
        DType::Plain(ts) if ts.type_char() == TypeChar::Float && ts.size_field() == 8 => Float::F64,
        DType::Plain(ts) if ts.type_char() == TypeChar::Float && ts.size_field() == 4 => Float::F32,
        DType::Plain(ts) => bail!("dtype {ts} is not supported: save the array as float64 or float32"),
        _ => bail!("structured or nested dtypes are not supported: save a plain float64 array"),
    };
    let shape = npy.shape().to_vec();
    let order = npy.order();
    let n_elements = shape
        .iter()
        .try_fold(1u64, |acc, &s| acc.checked_mul(s))
        .filter(|&n| n <= MAX_ELEMENTS)
        .with_context(|| format!("shape {shape:?} is too large (more than {MAX_ELEMENTS} elements)"))?;
    let item = if float == Float::F64 { 8 } else { 4 };
    let expected = n_elements * item;
    let available = file_len.saturating_sub(header_len);
    if available < expected {
        bail!(
            "truncated: shape {shape:?} needs {expected} bytes of data but the file has {available}; {REWRITE}"
        );
    }
    if available > expected {
        bail!(
            "corrupt: shape {shape:?} needs {expected} bytes of data but the file has {available} (trailing bytes); {REWRITE}"
        );
    }
    let values: Vec<f64> = match float {
        Float::F64 => npy
            .data::<f64>()
            .map_err(|e| anyhow::anyhow!("cannot read float64 data ({e}); {REWRITE}"))?
            .collect::<io::Result<_>>()
            .context("cannot read the data")?,
        Float::F32 => npy
            .data::<f32>()
            .map_err(|e| anyhow::anyhow!("cannot read float32 data ({e}); {REWRITE}"))?
            .map(|v| v.map(f64::from))
            .collect::<io::Result<_>>()
            .context("cannot read the data")?,
    };
    Ok(Array { shape, order, values })
}

fn check_finite(values: &[f64], describe: impl Fn(usize) -> String) -> Result<()> {
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        bail!(
            "non-finite value {} at {}: remove or impute it",
            values[i],
            describe(i)
        );
    }
    Ok(())
}

/// Reads an (n, d) float array as a matrix.
///
/// # Errors
/// Missing or unreadable file, not an `.npy` file, unsupported dtype,
/// a shape that is not 2-D, truncated or trailing data, NaN or infinite
/// values. Messages name the file.
pub fn read_matrix(path: &Path) -> Result<Mat<f64>> {
    read_array(path)
        .and_then(to_matrix)
        .with_context(|| path.display().to_string())
}

/// [`read_matrix`] on the bytes of an `.npy` file (for data that is not in
/// a file; the fuzz target's entry point).
///
/// # Errors
/// As [`read_matrix`], without the file name.
pub fn parse_matrix(bytes: &[u8]) -> Result<Mat<f64>> {
    read_array_from(Cursor::new(bytes), bytes.len() as u64).and_then(to_matrix)
}

/// [`read_vector`] on the bytes of an `.npy` file.
///
/// # Errors
/// As [`read_vector`], without the file name.
pub fn parse_vector(bytes: &[u8]) -> Result<Col<f64>> {
    read_array_from(Cursor::new(bytes), bytes.len() as u64).and_then(to_vector)
}

fn to_matrix(a: Array) -> Result<Mat<f64>> {
    if a.shape.len() != 2 {
        bail!(
            "expected a 2-D array of shape (n, d) but found shape {:?}; save x with one row per sample (x.reshape(-1, 1) for a single feature)",
            a.shape
        );
    }
    let (n, d) = (a.shape[0] as usize, a.shape[1] as usize);
    if d == 0 {
        bail!("the array has 0 columns: x needs at least one feature; save x with one column per feature");
    }
    let index = |i: usize, j: usize| match a.order {
        Order::C => i * d + j,
        Order::Fortran => j * n + i,
    };
    check_finite(&a.values, |k| {
        let (i, j) = match a.order {
            Order::C => (k / d, k % d),
            Order::Fortran => (k % n, k / n),
        };
        format!("row {i}, column {j}")
    })?;
    Ok(Mat::from_fn(n, d, |i, j| a.values[index(i, j)]))
}

fn to_vector(a: Array) -> Result<Col<f64>> {
    let ok = matches!(a.shape.as_slice(), [_] | [_, 1]);
    if !ok {
        bail!(
            "expected shape (n,) or (n, 1) but found shape {:?}; save y as a vector of n labels",
            a.shape
        );
    }
    check_finite(&a.values, |k| format!("entry {k}"))?;
    Ok(Col::from_fn(a.values.len(), |i| a.values[i]))
}

/// Reads a float array of shape (n,) or (n, 1) as a vector.
///
/// # Errors
/// As [`read_matrix`], with the shape rule above.
pub fn read_vector(path: &Path) -> Result<Col<f64>> {
    read_array(path)
        .and_then(to_vector)
        .with_context(|| path.display().to_string())
}

fn writer(path: &Path) -> Result<BufWriter<File>> {
    // The callers add the path: "<path>: cannot write: cannot create the file: …".
    let file = File::create(path).context("cannot create the file")?;
    Ok(BufWriter::new(file))
}

/// Streams an (n, d) float64 array in C order to `path`, rows produced by
/// `fill(start, rows)` in blocks, so that huge arrays never sit in memory.
///
/// # Errors
/// IO errors, with the file name.
pub fn write_matrix_streaming(
    path: &Path,
    n: usize,
    d: usize,
    block_rows: usize,
    mut fill: impl FnMut(usize, usize) -> Mat<f64>,
) -> Result<()> {
    (|| -> Result<()> {
        let mut out = writer(path)?;
        let mut w = npyz::WriteOptions::new()
            .default_dtype()
            .shape(&[n as u64, d as u64])
            .writer(&mut out)
            .begin_nd()?;
        let mut start = 0;
        while start < n {
            let m = block_rows.min(n - start);
            let block = fill(start, m);
            for i in 0..m {
                for j in 0..d {
                    w.push(&block[(i, j)])?;
                }
            }
            start += m;
        }
        w.finish()?;
        out.flush()?;
        Ok(())
    })()
    .with_context(|| crate::io_context::cannot_write(path, ""))
}

/// Writes an (n, d) float64 array in C order.
///
/// # Errors
/// IO errors, with the file name.
pub fn write_matrix(path: &Path, x: MatRef<'_, f64>) -> Result<()> {
    let (n, d) = (x.nrows(), x.ncols());
    write_matrix_streaming(path, n, d, n.max(1), |s, m| x.subrows(s, m).to_owned())
}

/// Writes a float64 vector of shape (n,).
///
/// # Errors
/// IO errors, with the file name.
pub fn write_vector(path: &Path, y: ColRef<'_, f64>) -> Result<()> {
    (|| -> Result<()> {
        let mut out = writer(path)?;
        let mut w = npyz::WriteOptions::new()
            .default_dtype()
            .shape(&[y.nrows() as u64])
            .writer(&mut out)
            .begin_nd()?;
        for i in 0..y.nrows() {
            w.push(&y[i])?;
        }
        w.finish()?;
        out.flush()?;
        Ok(())
    })()
    .with_context(|| crate::io_context::cannot_write(path, ""))
}

#[cfg(test)]
mod tests {
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
}
