"""daemon.json edit semantics (plugins/module_utils/gpufleet_docker.py), as a table of real cases."""
import pytest

from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_docker import (
    ConfigError, changed_keys, load_daemon_json, merge_settings, remove_settings,
    render_daemon_json)

# What `nvidia-ctk runtime configure --runtime=docker` adds (REFERENCE.md 4).
NVIDIA = {"runtimes": {"nvidia": {"args": [], "path": "nvidia-container-runtime"}}}

MERGE_CASES = [
    ({}, NVIDIA, "replace", NVIDIA),
    ({"log-driver": "journald", "runtimes": {"runc-v2": {"path": "runc"}}}, NVIDIA, "replace",
     {"log-driver": "journald",
      "runtimes": {"runc-v2": {"path": "runc"}, "nvidia": NVIDIA["runtimes"]["nvidia"]}}),
    (NVIDIA, NVIDIA, "replace", NVIDIA),
    ({"features": {"buildkit": True}}, {"features": {"cdi": True}}, "replace",
     {"features": {"buildkit": True, "cdi": True}}),
    ({"registry-mirrors": ["https://a"]}, {"registry-mirrors": ["https://b"]}, "replace",
     {"registry-mirrors": ["https://b"]}),
    ({"registry-mirrors": ["https://a"]}, {"registry-mirrors": ["https://b", "https://a"]},
     "union", {"registry-mirrors": ["https://a", "https://b"]}),
    ({"default-runtime": "runc"}, {"default-runtime": "nvidia"}, "replace",
     {"default-runtime": "nvidia"}),
    ({"log-opts": "oops"}, {"log-opts": {"max-size": "10m"}}, "replace",
     {"log-opts": {"max-size": "10m"}}),
]


@pytest.mark.parametrize("current,settings,list_merge,expected", MERGE_CASES,
                         ids=["fresh", "keeps-other-keys-and-runtimes", "idempotent",
                              "nested-feature", "list-replace", "list-union",
                              "scalar-replace", "type-change"])
def test_merge(current, settings, list_merge, expected):
    before = repr(current)
    assert merge_settings(current, settings, list_merge) == expected
    assert repr(current) == before  # input untouched


REMOVE_CASES = [
    ({"default-runtime": "nvidia", "debug": True}, {"default-runtime": None}, {"debug": True}),
    ({"runtimes": {"nvidia": {"path": "x"}}}, {"runtimes": {"nvidia": None}}, {}),
    ({"runtimes": {"nvidia": {"path": "x"}, "crun": {"path": "crun"}}},
     {"runtimes": {"nvidia": True}}, {"runtimes": {"crun": {"path": "crun"}}}),
    ({"insecure-registries": ["a", "b"]}, {"insecure-registries": ["a"]},
     {"insecure-registries": ["b"]}),
    ({"debug": True}, {"not-there": None}, {"debug": True}),
    ({"features": {"cdi": True}}, {"features": {}}, {}),
]


@pytest.mark.parametrize("current,settings,expected", REMOVE_CASES,
                         ids=["scalar", "prune-empty-parent", "sibling-kept", "list-items",
                              "absent-key", "empty-object-removes-key"])
def test_remove(current, settings, expected):
    assert remove_settings(current, settings) == expected


def test_changed_keys_are_dotted_paths():
    before = {"runtimes": {"runc": {"path": "runc"}}, "debug": False}
    after = merge_settings(before, dict(NVIDIA, debug=True))
    assert changed_keys(before, after) == ["debug", "runtimes.nvidia"]


@pytest.mark.parametrize("text,expected", [("", {}), ("  \n", {}), ('{"a": 1}', {"a": 1})],
                         ids=["empty", "blank", "object"])
def test_load(text, expected):
    assert load_daemon_json(text) == expected


@pytest.mark.parametrize("text,match", [
    ('{"a": 1,}', r"/etc/docker/daemon.json is not valid JSON .*left untouched"),
    ("[1]", "JSON object at the top level"),
], ids=["trailing-comma", "array"])
def test_load_rejects_with_file_name(text, match):
    with pytest.raises(ConfigError, match=match):
        load_daemon_json(text, "/etc/docker/daemon.json")


def test_render_is_nvidia_ctk_style_and_keeps_order():
    text = render_daemon_json({"z": 1, "a": {"b": []}})
    assert text == '{\n    "z": 1,\n    "a": {\n        "b": []\n    }\n}\n'


def test_bad_list_merge():
    with pytest.raises(ConfigError):
        merge_settings({}, {}, "append")
