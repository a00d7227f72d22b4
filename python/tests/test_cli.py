"""A Python fit is the command line's fit: same data and seed, same model."""

import json
import os
import subprocess

import numpy as np
import pytest

import relu_learn

BIN = os.environ.get("RELU_LEARN_BIN")


@pytest.mark.skipif(not BIN or not os.path.exists(BIN), reason="RELU_LEARN_BIN (set by cargo xtask test) not given")
@pytest.mark.parametrize("learner,hidden", [("atv", 4), ("narrow", 4)])
def test_python_and_command_line_fits_are_bit_identical(tmp_path, learner, hidden):
    X, y, teacher = relu_learn.generate("biased", dim=10, hidden=4, samples=50_000, seed=3)
    # The command line's generate writes the same data.
    subprocess.run([BIN, "generate", "--family", "biased", "--dim", "10", "--hidden", "4", "--samples", "50000",
                    "--seed", "3", "--out", str(tmp_path)], check=True, capture_output=True)
    assert np.array_equal(np.load(tmp_path / "x.npy"), X) and np.array_equal(np.load(tmp_path / "y.npy"), y)
    assert relu_learn.load(tmp_path / "teacher.json").to_json() == teacher.to_json()
    subprocess.run([BIN, "fit", "--learner", learner, "--hidden", str(hidden), "--x", str(tmp_path / "x.npy"),
                    "--y", str(tmp_path / "y.npy"), "--seed", "4", "--out", str(tmp_path / "cli.json"),
                    "--report", str(tmp_path / "report.json")], check=True, capture_output=True)
    est = getattr(relu_learn, {"atv": "ATV", "narrow": "Narrow"}[learner])(hidden=hidden, random_state=4).fit(X, y)
    assert est.model_.to_json() == (tmp_path / "cli.json").read_text()
    cli_report = json.loads((tmp_path / "report.json").read_text())["report"]
    assert cli_report == est.report_
