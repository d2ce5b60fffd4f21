"""The cloud renderers' shared rules: options, GPU counts, sizes, ports, names."""
import re

import pytest

from ansible_collections.gpufleet.fleet.plugins.module_utils import gpufleet_cloud_common as c
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_compose import ServiceError


@pytest.mark.parametrize("items,expected", [
    (None, {}),
    (["region=us-central1", "node_selector=a=b,c=d"], {"region": "us-central1", "node_selector": "a=b,c=d"}),
    ({"max_instances": 3, "external": True}, {"max_instances": "3", "external": "true"}),
], ids=["none", "list", "mapping"])
def test_parse_options(items, expected):
    assert c.parse_options(items) == expected


@pytest.mark.parametrize("items,message", [
    (["region"], "expected KEY=VALUE"),
    (["Region=x"], "keys are lowercase"),
    (["a=1", "a=2"], "given twice"),
    ("region=x", "a list of KEY=VALUE"),
    ({"a": [1]}, "expected a scalar"),
])
def test_parse_options_refuses(items, message):
    with pytest.raises(ServiceError, match=message):
        c.parse_options(items)


def test_option_helpers():
    opts = {"n": "4", "b": "yes", "s": ""}
    assert c.option_int(opts, "n", 1) == 4 and c.option_int(opts, "x", 7) == 7
    assert c.option_bool(opts, "b", False) is True and c.option_str(opts, "s", "d") == "d"
    with pytest.raises(ServiceError, match="at least 5"):
        c.option_int(opts, "n", 1, minimum=5)
    with pytest.raises(ServiceError, match="true or false"):
        c.option_bool({"b": "maybe"}, "b", False)
    with pytest.raises(ServiceError, match="unknown for ecs"):
        c.check_options({"zone": "a"}, {"region": ""}, "ecs")


@pytest.mark.parametrize("gpu,count", [
    (None, 0), ({"policy": "none", "count": 4}, 0), ({"count": 2}, 2), ({"policy": "required"}, 1),
])
def test_gpu_count(gpu, count):
    svc = c.normalize({"s": {"image": "i", **({"gpu": gpu} if gpu else {})}}, "ecs")["s"]
    assert c.gpu_count(svc, "s", "ecs") == count


def test_gpu_decision_required_fails_auto_warns():
    warnings = []
    svc = {"gpu": {"policy": "auto", "count": 1}}
    assert c.gpu_decision(svc, "s", "x", warnings, "no GPUs here") == 0
    assert warnings == ["service 's': no GPUs here; running on the CPU (gpu.policy auto)"]
    with pytest.raises(ServiceError, match=re.escape("service 's', field 'gpu': policy required, but no GPUs")):
        c.gpu_decision({"gpu": {"policy": "required"}}, "s", "x", [], "no GPUs here", "gpu")
    assert c.gpu_decision({"gpu": {"policy": "required", "count": 3}}, "s", "x", []) == 3


@pytest.mark.parametrize("gpu,field", [
    ({"count": "all"}, "gpu.count"), ({"device_ids": ["0"]}, "gpu.device_ids"),
    ({"count": 0}, "gpu.count"), ({"count": 1.5}, "gpu.count"),
])
def test_normalize_refuses_host_gpu_selection(gpu, field):
    with pytest.raises(ServiceError, match=re.escape("service 's', field '%s'" % field)):
        c.normalize({"s": {"image": "i", "gpu": gpu}}, "kubernetes")


def test_normalize_target_and_kind():
    with pytest.raises(ServiceError, match="target must be one of"):
        c.normalize({"s": {"image": "i"}}, "nomad")
    out = c.normalize({"s": {"image": "i"}, "t": {"image": "i", "kind": "job"}}, "batch")
    assert c.kind(out["s"]) == "service" and c.kind(out["t"]) == "job"
    with pytest.raises(ServiceError, match="vendor must be one of"):
        c.check_vendor("none")


def test_sizes_ports_commands_env():
    svc = c.normalize({"s": {"image": "i", "resources": {"cpus": 1.5, "memory": "1.5g"},
                             "ports": ["127.0.0.1:8080:80", "53/udp"], "command": "a 'b c'",
                             "environment": ["B=2", "A=x=y"], "volumes": ["data:/v", "/h:/h:ro"]}},
                      "kubernetes")["s"]
    assert c.memory_mib(svc, "s") == 1536 and c.cpus(svc) == 1.5
    assert c.ports(svc, "s", "k") == [(80, 8080, "tcp"), (53, 53, "udp")]
    assert c.command_list(svc, "s") == ["a", "b c"] and c.command_list(svc, "s", "entrypoint") is None
    assert c.environment(svc) == [("A", "x=y"), ("B", "2")]
    assert [v["source"] for v in c.named_volumes(svc)] == ["data"]
    assert [v["source"] for v in c.bind_mounts(svc)] == ["/h"]
    with pytest.raises(ServiceError, match=re.escape("service 's', field 'volumes': /h:/h is a bind mount")):
        c.refuse_bind_mounts(svc, "s", "cloud-run", "use a bucket")
    assert c.memory_mib({}, "s") is None and c.cpus({}) is None


@pytest.mark.parametrize("name,label", [
    ("api", "api"), ("My_API.v2", "my-api-v2"), ("7zip", "s-7zip"), ("a" * 80, "a" * 63),
])
def test_dns_name(name, label):
    assert c.dns_name(name) == label


def test_dns_name_collision_is_refused():
    with pytest.raises(ServiceError, match="the same as service 'a.b'"):
        c.normalize({"a.b": {"image": "i"}, "a_b": {"image": "i"}}, "cloud-run")


def test_compose_maps_kind_job_on_cloud():
    """kind is a compose-level field too: a job does not restart on a cloud VM."""
    from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_compose import render
    doc, _w, _g = render({"train": {"image": "t", "kind": "job"}, "api": {"image": "a"}},
                         "cloud", "p", path_exists=None)
    assert doc["services"]["train"]["restart"] == "no"
    assert doc["services"]["api"]["restart"] == "unless-stopped"
    assert "kind" not in doc["services"]["train"]
