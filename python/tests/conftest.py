"""Shared fixtures: planted data sets, generated once per test session."""

import pytest

import relu_learn


@pytest.fixture(scope="session")
def biased():
    """A biased depth-2 teacher, d = 10, k = 4, 10⁵ noise-free samples."""
    return relu_learn.generate("biased", dim=10, hidden=4, samples=100_000, seed=3)


@pytest.fixture(scope="session")
def single():
    """One ReLU unit, d = 10, 5000 samples."""
    return relu_learn.generate("single", dim=10, samples=5000, seed=3)
