"""gpu_compose's main() in-process: atomic write, check mode, diff, idempotence, errors."""
import json
import os

import pytest

import gpu_compose

SERVICES = {"web": {"image": "nginx:1", "ports": ["8080:80"]},
            "train": {"image": "trainer:1", "gpu": {"policy": "auto", "count": 2}}}


@pytest.fixture
def run(run_module):
    return lambda args, check=False, diff=False: run_module(gpu_compose, args, check=check, diff=diff)


def test_write_then_no_change(tmp_path, run):
    dest = tmp_path / "proj" / "compose.yaml"
    args = {"services": SERVICES, "platform": "linux", "project_name": "proj", "dest": str(dest)}
    first = run(args)
    assert first["changed"] and first["gpu_services"] == ["train"]
    text = dest.read_text()
    assert text.startswith("# Managed by gpufleet")
    doc = json.loads(text.split("\n", 1)[1])
    assert doc["services"]["train"]["deploy"]["resources"]["reservations"]["devices"][0]["count"] == 2
    assert oct(os.stat(dest).st_mode & 0o777) == "0o644"
    assert run(args)["changed"] is False


def test_check_mode_with_diff_writes_nothing(tmp_path, run):
    dest = tmp_path / "compose.yaml"
    out = run({"services": SERVICES, "platform": "cloud", "project_name": "p",
               "dest": str(dest)}, check=True, diff=True)
    assert out["changed"] and not dest.exists()
    assert '"restart": "unless-stopped"' in out["diff"]["after"]


def test_invalid_service_fails_and_writes_nothing(tmp_path, run):
    dest = tmp_path / "compose.yaml"
    dest.write_text("old")
    out = run({"services": {"x": {"image": "i", "gpu": {"count": 1, "device_ids": ["0"]}}},
               "platform": "linux", "project_name": "p", "dest": str(dest)})
    assert out["failed"]
    assert "service 'x', field 'gpu': count and device_ids are mutually exclusive" in out["msg"]
    assert "Nothing was written" in out["msg"]
    assert dest.read_text() == "old"


def test_macos_warns(run, monkeypatch):
    # The module hands each render warning to AnsibleModule.warn (shown as a task warning).
    # Checked at that call, not in the printed JSON: once controller code is imported in
    # this process (the integration tests, the action-plugin tests), ansible-core routes
    # module warnings to the controller's display instead of the result.
    from ansible.module_utils.basic import AnsibleModule
    warned = []
    monkeypatch.setattr(AnsibleModule, "warn", lambda self, msg: warned.append(msg))
    out = run({"services": SERVICES, "platform": "macos", "project_name": "p"})
    assert out["gpu_services"] == []
    assert any("Linux containers on macOS get no GPU" in w for w in out["render_warnings"])
    assert any("Linux containers on macOS" in w for w in warned)


# --------------------------------------------------------------------------- image lock, GIDs

DIGEST = "sha256:" + "ab" * 32
WRONG_ID = "sha256:" + "0" * 64
NODES = [{"path": "/dev/kfd", "uid": 0, "gid": 44, "group": "video", "mode": "0660"},
         {"path": "/dev/dri/renderD128", "uid": 0, "gid": 993, "group": "render", "mode": "0660"}]


def test_device_node_gids_reach_group_add(run):
    services = {"viz": {"image": "viz:1", "gpu": {"policy": "auto", "vendor": "intel"}},
                "train": {"image": "trainer:1", "gpu": {"policy": "auto"}}}
    out = run({"services": services, "platform": "rocm", "project_name": "p",
               "device_node_access": NODES})
    assert out["compose"]["services"]["viz"]["group_add"] == ["44", "993"]
    assert out["compose"]["services"]["viz"]["devices"] == ["/dev/dri"]
    assert out["compose"]["services"]["train"]["devices"] == ["/dev/kfd", "/dev/dri"]
    # explicit options win over the nodes; without either the names stay
    out = run({"services": services, "platform": "rocm", "project_name": "p",
               "device_node_access": NODES, "render_gid": 109, "video_gid": 27})
    assert out["compose"]["services"]["train"]["group_add"] == ["27", "109"]
    out = run({"services": services, "platform": "rocm", "project_name": "p"})
    assert out["compose"]["services"]["train"]["group_add"] == ["video", "render"]


def test_lock_digest_pins_the_image(tmp_path, run):
    lock = {"train": {"image": "trainer:1", "recipe": "r", "digest": DIGEST, "ids": {}}}
    out = run({"services": SERVICES, "platform": "linux", "project_name": "p",
               "image_lock": lock, "host": "gpu-1", "dest": str(tmp_path / "c.yaml")})
    assert out["images"] == {"web": "nginx:1", "train": "trainer@" + DIGEST}
    doc = json.loads((tmp_path / "c.yaml").read_text().split("\n", 1)[1])
    assert doc["services"]["train"]["image"] == "trainer@" + DIGEST
    assert out["image_checks"] == []


def test_malformed_lock_fails_and_writes_nothing(tmp_path, run):
    dest = tmp_path / "c.yaml"
    out = run({"services": SERVICES, "platform": "linux", "project_name": "p",
               "image_lock": {"train": {"image": "trainer:1", "digest": "v1"}}, "dest": str(dest)})
    assert out["failed"] and "service 'train', field 'digest'" in out["msg"]
    assert "Nothing was written" in out["msg"] and not dest.exists()


def _docker_image():
    """A local image of the test bed and its ID, or skip."""
    import shutil
    import subprocess
    if not shutil.which("docker"):
        pytest.skip("no docker CLI")
    for image in ("gpufleet-host:bookworm", "gpufleet-host:trixie"):
        proc = subprocess.run(["docker", "image", "inspect", "--format", "{{.Id}}", image],
                              capture_output=True, text=True, check=False)
        if proc.returncode == 0:
            return image, proc.stdout.strip()
    pytest.skip("no test-bed image in the local engine")


@pytest.mark.docker
def test_lock_id_checked_against_the_local_image(tmp_path, run):
    image, image_id = _docker_image()
    services = {"app": {"image": image}, "web": {"image": "nginx:1"}}
    dest = tmp_path / "c.yaml"
    args = {"services": services, "platform": "linux", "project_name": "p", "host": "gpu-1",
            "dest": str(dest), "image_lock": {"app": {"image": image, "digest": None,
                                                       "ids": {"gpu-1": image_id}}}}
    out = run(args, check=True)
    assert out["changed"] and not dest.exists()
    assert out["image_checks"] == [{"service": "app", "image": image, "expected_id": image_id,
                                    "found_id": image_id}]
    out = run(args)
    assert out["changed"] and out["images"]["app"] == image  # the tag, checked
    # another ID recorded for this host: refused, naming both IDs and the remedy
    dest.unlink()
    args["image_lock"]["app"]["ids"]["gpu-1"] = WRONG_ID
    out = run(args)
    assert out["failed"] and not dest.exists()
    assert "service 'app': image %s on gpu-1 is %s" % (image, image_id) in out["msg"]
    assert "records %s" % WRONG_ID in out["msg"] and "playbooks/images.yml" in out["msg"]
    # an image that is not on this host at all
    args["services"]["app"]["image"] = args["image_lock"]["app"]["image"] = "gpufleet/absent:0"
    out = run(args)
    assert out["failed"] and "gpufleet/absent:0 on gpu-1 is not present" in out["msg"]


def test_lock_id_check_without_docker_says_what_to_install(tmp_path, run, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    dest = tmp_path / "c.yaml"
    out = run({"services": SERVICES, "platform": "linux", "project_name": "p", "host": "h",
               "dest": str(dest), "image_lock": {"web": {"image": "nginx:1",
                                                         "ids": {"h": "sha256:" + "1" * 64}}}})
    assert out["failed"] and "no docker CLI" in out["msg"] and "docker_engine" in out["msg"]
    assert not dest.exists()
