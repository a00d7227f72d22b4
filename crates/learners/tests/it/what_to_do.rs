//! The check that an error message says what to do, shared by the
//! bad-input matrices of `learners` and `relu-learn` (the latter includes
//! this file by path).

/// Whether a message tells the user what to change: an instruction
/// ("supply more data", "raise max_order", "check the label file") or the
/// range a value must lie in.
pub(crate) fn says_what_to_do(msg: &str) -> bool {
    const CUES: [&str; 26] = [
        "supply",
        "use ",
        "raise",
        "lower",
        "ask for",
        "check",
        "clean",
        "must be",
        "must have",
        "must describe",
        "remove",
        "pass ",
        "set ",
        "choose",
        "increase",
        "reduce",
        "request",
        "give ",
        "drop",
        "try ",
        "fewer",
        "more ",
        "save ",
        "add ",
        "write ",
        "see ",
    ];
    let lower = msg.to_lowercase();
    CUES.iter().any(|c| lower.contains(c))
}
