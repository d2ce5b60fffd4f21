"""cuda_compat's main() in-process (the image path runs against a real engine in
tests/integration/test_modules_on_hosts.py)."""
import json

import pytest
from ansible.module_utils.testing import patch_module_args

import cuda_compat


def run(args, capsys):
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            cuda_compat.main()
    return json.loads(capsys.readouterr().out)


def test_minor_version_compat(capsys):
    out = run({"driver_version": "535.54.03", "cuda_version": "12.4"}, capsys)
    assert (out["compatible"], out["mode"], out["cuda_source"]) == (True, "minor_version", "parameter")
    assert out["changed"] is False


def test_fail_on_incompatible_says_what_to_do(capsys):
    out = run({"driver_version": "535.104.05", "cuda_version": "13.0",
               "fail_on_incompatible": True}, capsys)
    assert out["failed"] and out["mode"] == "forward_compat_required"
    assert "Upgrade the driver" in out["msg"]


def test_needs_a_version(capsys):
    out = run({"driver_version": "535.54.03"}, capsys)
    assert out["failed"] and "one of the following is required" in out["msg"]


def test_bad_version_is_a_clear_error(capsys):
    out = run({"driver_version": "latest", "cuda_version": "12.4"}, capsys)
    assert out["failed"] and "driver_version 'latest' is not a version" in out["msg"]
