"""The failure catalog (plugins/module_utils/gpufleet_failures.py) holds together: unique ids,
every field filled, every regex compiles and has a literal word to prefilter on, the ids of
the shared catalog are all there, and every doctor rule's failure ids exist."""
import json
import os
import re

import pytest

from ansible_collections.gpufleet.fleet.plugins.module_utils import gpufleet_gpu_problems
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_explain import (
    MIN_KEY, compile_pattern, doctor_index, literal_key)
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_failures import (
    FAILURES, by_id)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
LINES = os.path.join(ROOT, "tests", "fixtures", "explain", "catalog_lines.json")
IDS = [e["id"] for e in FAILURES]
PLATFORMS = {"linux", "wsl2", "docker-desktop-windows", "rocm", "intel", "macos"}

# The 36 failure modes of the catalog this one started from (the failures.json):
# each must keep its id.
ORIGINAL_IDS = {
    "no_gpu_device_driver_toolkit_missing", "docker_desktop_linux_context", "snap_docker",
    "unknown_runtime_nvidia", "libnvidia_ml_load_failed", "nvidia_kernel_module_not_loaded",
    "driver_library_version_mismatch", "nvml_unknown_error_after_daemon_reload",
    "cgroup_v2_devices_subsystem_not_found", "rootless_device_cgroup_permission",
    "cuda_requirement_unsatisfied", "cuda_driver_insufficient", "forward_compat_unsupported_hw",
    "cuda_803_unsupported_driver_combination", "image_bundles_driver_libs_file_exists",
    "ldconfig_path_wrong", "toolkit_repo_unsupported_distribution", "apt_repo_gpg_no_pubkey",
    "nvidia_uvm_not_loaded", "fabric_manager_not_running_802", "nvidia_smi_not_in_container",
    "cdi_unresolvable_devices", "podman_rootless_insufficient_permissions",
    "kernel_module_flavor_open_vs_proprietary", "compose_gpu_reservation_invalid",
    "wsl_libcuda_not_symlink", "wsl_gpu_access_blocked", "wsl_no_adapters_found",
    "wsl_driver_rpc_failed_windows_build", "wsl_linux_driver_shadowing",
    "docker_desktop_windows_wsl2_backend_required", "rocm_kfd_permission_denied",
    "rocm_kfd_device_missing", "rocm_unsupported_gfx_arch", "intel_render_node_permission",
    "intel_gpu_wsl_no_dri",
}


def test_ids_unique_and_snake_case():
    assert len(IDS) == len(set(IDS))
    assert all(re.match(r"^[a-z0-9]+(_[a-z0-9]+)*$", i) for i in IDS)
    assert set(by_id()) == set(IDS)


def test_every_original_failure_mode_is_there():
    assert ORIGINAL_IDS <= set(IDS), sorted(ORIGINAL_IDS - set(IDS))
    assert len(IDS) > len(ORIGINAL_IDS)  # gpufleet added modes of its own


@pytest.mark.parametrize("entry", FAILURES, ids=IDS)
def test_entry_is_complete(entry):
    for field in ("title", "cause", "remedy"):
        assert isinstance(entry[field], str) and len(entry[field]) > 20, field
    assert entry["platforms"] and set(entry["platforms"]) <= PLATFORMS
    assert entry["checks"] and all(c["check"] and c["command"] for c in entry["checks"])
    assert entry["patterns"]
    assert entry["sources"] and all(s.startswith("https://") for s in entry["sources"])
    assert len(set(entry["sources"])) == len(entry["sources"])
    # the remedy is concrete: it names a command, a setting or a package in backquotes
    assert "`" in entry["remedy"], "remedy without a concrete command"


@pytest.mark.parametrize("entry", FAILURES, ids=IDS)
def test_patterns_compile_and_prefilter(entry):
    for source, weight in entry["patterns"]:
        assert 0 < weight <= 100
        rx = compile_pattern(source)
        assert rx.flags & re.IGNORECASE
        # a primary pattern always has a literal word for the cheap prefilter
        assert len(literal_key(source)) >= MIN_KEY, source
        assert "^" not in source.replace("[^", "") and not source.endswith("$")
        assert ".*" not in source and ".+" not in source, "unbounded gap in %s" % source
    for source, bonus in entry.get("context", ()):
        compile_pattern(source)
        assert -100 <= bonus <= 100 and bonus != 0


@pytest.mark.parametrize("source,key", [
    (r'could not select device driver ["\']{0,2}(nvidia)?["\']{0,2} with', "select"),
    (r"load library failed: libnvidia-ml\.so(\.1)?", "libnvidia-ml.so"),
    (r"unknown runtime specified:? ?[\"']?nvidia", "specified"),
    (r"devices?", "device"),
    (r"a|b", ""),
    (r"\bError 804\b", "error"),
])
def test_literal_key(source, key):
    assert literal_key(source) == key


def test_space_in_a_pattern_matches_wrapped_or_missing_whitespace():
    rx = compile_pattern(r"could not select device driver")
    assert rx.search("could not select devicedriver")
    assert rx.search("could  not\n select device driver")
    assert compile_pattern(r"[\w .-]{1,5}x").search("a b x")  # spaces in a class stay


def test_catalog_lines_fixture_names_catalog_ids():
    with open(LINES, encoding="utf-8") as fh:
        doc = json.load(fh)
    ids = {item["id"] for item in doc["lines"]}
    assert ids <= set(IDS)
    assert ORIGINAL_IDS <= ids  # every original mode has its lines in the fixture
    assert all(item["source"].startswith("https://") for item in doc["lines"])


def test_every_doctor_rule_names_catalog_failures():
    rules = getattr(gpufleet_gpu_problems, "RULES", None)
    if not rules:
        pytest.skip("the rulebook has no RULES table yet")
    for rule in rules:
        for fid in rule.get("failures", ()):
            assert fid in IDS, "rule %s names unknown failure %s" % (rule["id"], fid)


def test_doctor_index_is_the_reverse_of_the_rules():
    rules = [{"id": "a_rule", "failures": ["snap_docker", "unknown_runtime_nvidia"]},
             {"id": "b_rule", "failures": ["snap_docker"]}, {"id": "c_rule"}]
    index = doctor_index(rules)
    assert index == {"snap_docker": ["a_rule", "b_rule"], "unknown_runtime_nvidia": ["a_rule"]}
