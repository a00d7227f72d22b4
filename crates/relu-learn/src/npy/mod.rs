//! Reading and writing `.npy` files (through the `npyz` crate): float64 or
//! float32, C or Fortran order, with every problem reported as an error
//! that names the file.
//!
//! The header is parsed first and the data length checked against the file
//! size before anything is allocated, so a truncated file or a header that
//! promises 10^12 rows fails fast with a clear message instead of an
//! out-of-memory abort.

mod header;
#[cfg(test)]
mod tests;

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Cursor, Read, Seek, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};
use faer::{Col, ColRef, Mat, MatRef};
use npyz::{DType, NpyFile, NpyHeader, Order, TypeChar, WriterBuilder};

use self::header::precheck_shape;

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
