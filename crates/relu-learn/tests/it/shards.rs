//! Shard and merge across processes: two `relu-learn moments --shard`
//! processes running at the same time, merged by a third, give exactly the
//! output of one process over all samples.

use std::process::Command;

use crate::{ok, relu_learn, scratch};

#[test]
fn two_processes_merge_to_the_single_process_result_bit_for_bit() {
    let dir = scratch("shards");
    let p = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    ok(&[
        "generate",
        "--family",
        "biased",
        "--dim",
        "6",
        "--hidden",
        "3",
        "--samples",
        "0",
        "--seed",
        "5",
        "--out",
        &p("t"),
    ]);
    let teacher = p("t/teacher.json");
    // 30 001 samples: 8 chunks of 4096 rows, the last one partial.
    let common = [
        "moments",
        "--teacher",
        &teacher,
        "--samples",
        "30001",
        "--noise",
        "0.1",
        "--data-seed",
        "9",
        "--order",
        "3",
        "--vectors",
        "2",
    ];
    let mut single: Vec<&str> = common.to_vec();
    let whole = p("whole.json");
    single.extend(["--out", &whole]);
    ok(&single);
    // Two processes at once, each on its own thread count.
    let spawn = |shard: &str, acc: &str, threads: &str| {
        let mut args = vec!["--threads", threads];
        args.extend(common);
        args.extend(["--shard", shard, "--accumulator", acc]);
        Command::new(env!("CARGO_BIN_EXE_relu-learn"))
            .args(&args)
            .spawn()
            .expect("the binary starts")
    };
    let (a, b) = (p("a.json"), p("b.json"));
    let mut pa = spawn("0/2", &a, "1");
    let mut pb = spawn("1/2", &b, "2");
    assert!(pa.wait().unwrap().success() && pb.wait().unwrap().success());
    // Merge in either order.
    let merged = p("merged.json");
    ok(&["moments", "--merge", &b, &a, "--out", &merged]);
    let one = std::fs::read_to_string(&whole).unwrap();
    let two = std::fs::read_to_string(&merged).unwrap();
    assert!(
        one.contains("\"n_samples\":30001"),
        "{}",
        &one[..200.min(one.len())]
    );
    assert_eq!(one, two, "merged shards differ from one pass");
    // A missing shard is refused with a message that says so.
    let out = relu_learn(&["moments", "--merge", &b, "--out", &merged]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is one missing"), "{err}");
    // So are shards of different moments.
    let c = p("c.json");
    let mut other: Vec<&str> = common.to_vec();
    let last = other.len() - 1;
    other[last] = "3";
    other.extend(["--shard", "1/2", "--accumulator", &c]);
    ok(&other);
    let out = relu_learn(&["moments", "--merge", &a, &c, "--out", &merged]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("different moments"));
}
