//! The check that an error message says what to do, shared by the
//! bad-input matrices of `learners` and `relu-learn` (the latter includes
//! this file by path).

/// Whether a message tells the user what to change: an instruction
/// ("supply more data", "raise max_order", "check the label file") or the
/// range a value must lie in.
pub(crate) fn says_what_to_do(msg: &str) -> bool {
    const CUES: [&str; 25] = [
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
        "save ",
        "add ",
        "write ",
        "see ",
        "split ",
    ];
    // A cue counts only at the start of a word: "use " must not match
    // "because ", nor "set " match "subset ".
    let lower = msg.to_lowercase();
    CUES.iter().any(|c| {
        lower
            .match_indices(c)
            .any(|(i, _)| !lower[..i].chars().next_back().is_some_and(char::is_alphanumeric))
    })
}

#[test]
fn cues_count_only_at_the_start_of_a_word() {
    assert!(says_what_to_do("too few rows; supply more samples"));
    assert!(says_what_to_do("Check the path"));
    assert!(!says_what_to_do("failed because the subset was empty"));
    assert!(!says_what_to_do("x.npy has 400 rows but y.npy has 399 entries"));
    // Descriptive comparisons are not instructions.
    assert!(!says_what_to_do(
        "the header has 70000 bytes, more than any array needs"
    ));
}
