"""gpu_workload's decisions: the image lock applied to services, and the host's GPU GIDs."""
import pytest

from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_workload import (
    LockError, check_image_ids, host_group_ids, pin_images, split_reference)

DIGEST = "sha256:" + "ab" * 32
ID_HERE = "sha256:" + "12" * 32
ID_OTHER = "sha256:" + "34" * 32
SERVICES = {"api": {"image": "registry.example:5000/team/api:1.4.0", "ports": ["8080:80"]},
            "worker": {"image": "worker:2", "gpu": {"policy": "auto"}},
            "web": {"image": "nginx:1"}}


@pytest.mark.parametrize("ref, expected", [
    ("nginx", ("nginx", None, None)),
    ("nginx:1", ("nginx", "1", None)),
    ("registry.example:5000/team/api:1.4.0", ("registry.example:5000/team/api", "1.4.0", None)),
    ("registry.example:5000/team/api", ("registry.example:5000/team/api", None, None)),
    ("api:1@" + DIGEST, ("api", "1", DIGEST)),
])
def test_split_reference(ref, expected):
    assert split_reference(ref) == expected


def test_digest_pins_the_repository_without_its_tag():
    lock = {"api": {"image": "registry.example:5000/team/api:1.4.0", "recipe": "cdfa",
                    "digest": DIGEST, "ids": {"gpu-1": ID_HERE}}}
    services, checks, warnings = pin_images(SERVICES, lock, "gpu-1")
    assert services["api"]["image"] == "registry.example:5000/team/api@" + DIGEST
    assert services["api"]["ports"] == ["8080:80"]
    # the digest wins over the ID: nothing left to check locally
    assert checks == [] and warnings == []
    # services without an entry, and the input itself, are unchanged
    assert services["worker"] == SERVICES["worker"] and services["web"] == SERVICES["web"]
    assert SERVICES["api"]["image"] == "registry.example:5000/team/api:1.4.0"


def test_a_repo_digest_is_used_as_recorded():
    # docker's RepoDigests form (what gpu_image and `gpufleet image build` record)
    lock = {"api": {"image": "registry.example:5000/team/api:1.4.0",
                    "digest": "registry.example:5000/team/api@" + DIGEST, "ids": {}}}
    services, checks, _w = pin_images(SERVICES, lock, "gpu-1")
    assert services["api"]["image"] == "registry.example:5000/team/api@" + DIGEST
    assert checks == []


def test_without_digest_this_hosts_id_becomes_a_check():
    lock = {"worker": {"image": "worker:2", "recipe": "r", "digest": None,
                       "ids": {"gpu-1": ID_HERE, "gpu-2": ID_OTHER}}}
    services, checks, warnings = pin_images(SERVICES, lock, "gpu-2")
    assert services["worker"]["image"] == "worker:2"
    assert checks == [{"service": "worker", "image": "worker:2", "expected_id": ID_OTHER}]
    assert warnings == []


def test_no_digest_and_no_id_for_this_host_warns_and_keeps_the_tag():
    lock = {"worker": {"image": "worker:2", "digest": None, "ids": {"gpu-1": ID_HERE}}}
    services, checks, warnings = pin_images(SERVICES, lock, "gpu-9")
    assert services["worker"]["image"] == "worker:2" and checks == []
    assert len(warnings) == 1
    assert "no image ID for host gpu-9 (built on gpu-1)" in warnings[0]
    assert "Push the image" in warnings[0]


def test_empty_or_missing_lock_changes_nothing():
    for lock in ({}, None):
        assert pin_images(SERVICES, lock, "h") == (SERVICES, [], [])


def test_a_lock_for_another_image_is_refused():
    lock = {"worker": {"image": "worker:1", "digest": DIGEST, "ids": {}}}
    with pytest.raises(LockError) as exc:
        pin_images(SERVICES, lock, "h")
    msg = str(exc.value)
    assert "service 'worker'" in msg and "records image worker:1" in msg
    assert "runs worker:2" in msg and "playbooks/images.yml" in msg


def test_no_tag_reads_as_latest():
    services = {"s": {"image": "app"}}
    lock = {"s": {"image": "app:latest", "digest": DIGEST}}
    assert pin_images(services, lock, "h")[0]["s"]["image"] == "app@" + DIGEST


@pytest.mark.parametrize("lock, field", [
    ({"api": "api:1"}, "service 'api': expected a mapping"),
    ({"api": {"image": "registry.example:5000/team/api:1.4.0", "sha": 1}}, "field 'sha': unknown"),
    ({"api": {"digest": "latest"}}, "field 'digest': 'latest' is not sha256"),
    ({"api": {"digest": "sha256:abc"}}, "field 'digest'"),
    ({"api": {"ids": ["gpu-1"]}}, "field 'ids': a mapping"),
    ({"api": {"ids": {"gpu-1": "not-an-id"}}}, "field 'ids.gpu-1'"),
    (["api"], "gpu_image_lock: expected a mapping"),
])
def test_malformed_lock_names_the_field(lock, field):
    with pytest.raises(LockError) as exc:
        pin_images(SERVICES, lock, "gpu-1")
    assert field in str(exc.value)


def test_matching_id_passes_full_or_short():
    checks = [{"service": "worker", "image": "worker:2", "expected_id": ID_HERE}]
    assert check_image_ids(checks, {"worker": ID_HERE}, "gpu-1") == []
    short = [{"service": "worker", "image": "worker:2", "expected_id": ID_HERE[:19]}]
    assert check_image_ids(short, {"worker": ID_HERE}, "gpu-1") == []
    bare = [{"service": "worker", "image": "worker:2", "expected_id": ID_HERE[7:]}]
    assert check_image_ids(bare, {"worker": ID_HERE}, "gpu-1") == []


def test_mismatched_or_missing_id_names_service_ids_and_remedy():
    checks = [{"service": "worker", "image": "worker:2", "expected_id": ID_HERE},
              {"service": "api", "image": "api:1", "expected_id": ID_HERE}]
    errors = check_image_ids(checks, {"worker": ID_OTHER, "api": None}, "gpu-1")
    assert len(errors) == 2
    assert errors[0].startswith("service 'worker': image worker:2 on gpu-1 is %s" % ID_OTHER)
    assert "records %s" % ID_HERE in errors[0]
    assert "nothing was started" in errors[0]
    assert "playbooks/images.yml" in errors[0] and "gpufleet image build" in errors[0]
    assert "--service worker" in errors[0]
    assert "image api:1 on gpu-1 is not present" in errors[1]


def test_group_ids_from_render_nodes_and_kfd():
    nodes = [{"path": "/dev/kfd", "uid": 0, "gid": 44, "group": "video", "mode": "0660"},
             {"path": "/dev/dri/renderD128", "uid": 0, "gid": 993, "group": "render",
              "mode": "0660"}]
    assert host_group_ids(nodes) == (993, 44)


def test_kfd_in_render_group_leaves_video_unknown():
    nodes = [{"path": "/dev/kfd", "gid": 105, "group": "render"},
             {"path": "/dev/dri/renderD128", "gid": 105, "group": "render"}]
    assert host_group_ids(nodes) == (105, None)


def test_kfd_in_an_unnamed_group_is_added_as_the_second_gid():
    nodes = [{"path": "/dev/kfd", "gid": 1234, "group": None},
             {"path": "/dev/dri/renderD128", "gid": 109, "group": "render"}]
    assert host_group_ids(nodes) == (109, 1234)


@pytest.mark.parametrize("nodes", [[], None, "x", [{"path": "/dev/kfd", "gid": True}],
                                   [{"path": "/dev/dri/renderD128", "gid": "993"}]])
def test_no_usable_nodes_gives_no_gids(nodes):
    assert host_group_ids(nodes) == (None, None)
