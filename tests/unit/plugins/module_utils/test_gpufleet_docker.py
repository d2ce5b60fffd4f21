"""docker info and CDI spec parsing on real outputs."""
import pytest

from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_docker import (
    _parse_cdi_lines, parse_cdi_spec, parse_docker_info)


def test_docker_info_engine_20(fixture):
    info = parse_docker_info(fixture("docker-info", "engine-20.10.24_debian12_host.json"))
    assert info["server_version"] == "20.10.24+dfsg1"
    assert "runc" in info["runtimes"] and "nvidia" not in info["runtimes"]
    assert info["cdi_enabled"] is None  # Docker 20 knows no CDI
    assert info["cdi_spec_dirs"] == ["/etc/cdi", "/var/run/cdi"]
    assert info["server_error"] is None
    assert info["containers_running"] == 0 and info["live_restore"] is False


def test_docker_info_without_daemon(fixture):
    info = parse_docker_info(fixture("docker-info", "client-28.2.2_no-daemon.json"))
    assert info["server_version"] is None
    # The client prints ContainersRunning 0 / LiveRestoreEnabled false without a daemon:
    # unknown, not "nothing running".
    assert info["containers_running"] is None and info["live_restore"] is None


def test_docker_info_not_json():
    assert parse_docker_info("Cannot connect")["server_version"] is None


def test_docker_info_running_containers_and_live_restore():
    # Fields as Docker 26 prints them on a host running a training job, live-restore on.
    info = parse_docker_info('{"ServerVersion": "26.1.5+dfsg1", "Containers": 3, '
                             '"ContainersRunning": 2, "ContainersPaused": 0, '
                             '"ContainersStopped": 1, "LiveRestoreEnabled": true}')
    assert info["containers_running"] == 2 and info["live_restore"] is True


def test_docker_info_cdi_and_nvidia():
    # Fields as Docker 28 prints them with the toolkit registered.
    info = parse_docker_info('{"ServerVersion": "28.3.0", "Runtimes": {"nvidia": {"path": '
                             '"nvidia-container-runtime"}, "runc": {"path": "runc"}}, '
                             '"DefaultRuntime": "nvidia", "CDISpecDirs": ["/etc/cdi", '
                             '"/var/run/cdi"]}')
    assert info["runtimes"] == ["nvidia", "runc"]
    assert info["default_runtime"] == "nvidia"
    assert info["cdi_enabled"] is True


EXPECTED_CDI = ["nvidia.com/gpu=0", "nvidia.com/gpu=GPU-12345678-aaaa-bbbb-cccc-0123456789ab",
                "nvidia.com/gpu=all"]


def test_cdi_spec_yaml(fixture):
    assert parse_cdi_spec(fixture("cdi", "nvidia-ctk-generate_1.17.yaml")) == EXPECTED_CDI


def test_cdi_spec_line_parser_without_pyyaml(fixture):
    # Managed hosts may lack PyYAML: the fallback must agree with the YAML parser.
    assert _parse_cdi_lines(fixture("cdi", "nvidia-ctk-generate_1.17.yaml")) == EXPECTED_CDI


@pytest.mark.parametrize("text,expected", [
    ('{"cdiVersion": "0.6.0", "kind": "amd.com/gpu", "devices": [{"name": "0"}, {"name": "all"}]}',
     ["amd.com/gpu=0", "amd.com/gpu=all"]),
    ("kind: vendor.com/x\ndevices:\n- name: 'a'\n  containerEdits: {}\n", ["vendor.com/x=a"]),
    ("devices:\n- name: a\n", []),
    ("", []),
    ("{broken", []),
], ids=["json-amd", "name-first", "no-kind", "empty", "broken-json"])
def test_cdi_spec_variants(text, expected):
    assert parse_cdi_spec(text) == expected
