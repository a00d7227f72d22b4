//! The context of a failed file operation, with what to do about it: every
//! command words these errors the same way.

use std::path::Path;

/// `<path>: cannot write<what> (check that its directory exists and is
/// writable)`; `what` is empty or names the file (" the report").
pub(crate) fn cannot_write(path: &Path, what: &str) -> String {
    format!(
        "{}: cannot write{what} (check that its directory exists and is writable)",
        path.display()
    )
}

/// `<path>: cannot create the directory (check the path and its
/// permissions)`.
pub(crate) fn cannot_create_dir(path: &Path) -> String {
    format!(
        "{}: cannot create the directory (check the path and its permissions)",
        path.display()
    )
}

/// `<path>: cannot read<what> (check the path)`.
pub(crate) fn cannot_read(path: &Path, what: &str) -> String {
    format!("{}: cannot read{what} (check the path)", path.display())
}
