//! The `.npy` reader: any bytes give a matrix / vector or an error, never a
//! panic, an abort or an allocation the file cannot back.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = relu_learn::npy::parse_matrix(data) {
        // What the reader returns is what the CLI relies on: finite, ≥ 1 column.
        assert!(m.ncols() >= 1);
        for j in 0..m.ncols() {
            assert!(m.col(j).iter().all(|v| v.is_finite()));
        }
    }
    if let Ok(v) = relu_learn::npy::parse_vector(data) {
        assert!(v.iter().all(|x| x.is_finite()));
    }
});
