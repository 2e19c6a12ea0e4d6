"""pytest configuration: headless matplotlib, the hypothesis profile and shared fixtures.

Helper functions live in ``helpers.py`` (import them from there, never from this file).
"""

import os

import matplotlib

matplotlib.use("Agg")  # headless: every figure renders off-screen

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "reglab",
    max_examples=int(os.environ.get("REGLAB_HYPOTHESIS_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,  # the same examples on every run and machine
)
settings.load_profile("reglab")


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can react to failures (screenshots)."""
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)
