//! The raw-header checks made before `npyz` parses a header: its length,
//! its grammar (numpy's plain-array dictionary) and the size of its shape.

use std::io::{Read, Seek, SeekFrom};

use anyhow::{Context, Result, bail};

use super::{MAX_ELEMENTS, REWRITE};

/// Reads the shape tuple from the raw header, before `npyz` sees it:
/// `npyz` multiplies the dimensions without overflow checks, so a header
/// with absurd dimensions must be refused here. Returns `None` when the
/// header cannot be parsed this way, `npyz` reports the problem later.
pub(super) fn precheck_shape<R: Read + Seek>(file: &mut R) -> Result<()> {
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
