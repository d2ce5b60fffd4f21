"""cuda_compat's main() in-process (the image path runs against a real engine in
tests/integration/test_modules_on_hosts.py)."""

import pytest

import cuda_compat


@pytest.fixture
def run(run_module):
    return lambda args: run_module(cuda_compat, args)


def test_minor_version_compat(run):
    out = run({"driver_version": "535.54.03", "cuda_version": "12.4"})
    assert (out["compatible"], out["mode"], out["cuda_source"]) == (True, "minor_version", "parameter")
    assert out["changed"] is False


def test_fail_on_incompatible_says_what_to_do(run):
    out = run({"driver_version": "535.104.05", "cuda_version": "13.0",
               "fail_on_incompatible": True})
    assert out["failed"] and out["mode"] == "forward_compat_required"
    assert "Upgrade the driver" in out["msg"]


def test_needs_a_version(run):
    out = run({"driver_version": "535.54.03"})
    assert out["failed"] and "one of the following is required" in out["msg"]


def test_bad_version_is_a_clear_error(run):
    out = run({"driver_version": "latest", "cuda_version": "12.4"})
    assert out["failed"] and "driver_version 'latest' is not a version" in out["msg"]
