"""gpu_compose rendering: golden files per platform and vendor, and validation errors.

The golden files are checked by the real `docker compose config` in
tests/integration/test_compose_config.py.  Regenerate after an intended change with
GPUFLEET_UPDATE_GOLDEN=1 pytest tests/unit/plugins/module_utils/test_gpufleet_compose.py (and review the diff).
"""
import json
import os

import pytest
import yaml

from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_compose import ServiceError, render

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "..", "..", "..", "fixtures", "compose")
with open(os.path.join(FIX, "services.yml")) as fh:
    SERVICES = yaml.safe_load(fh)
WINDOWS_EXTRA = {"notebook": {"image": "registry.example/gpufleet/notebook:7",
                              "volumes": ["C:\\Users\\alice\\models:/models:ro",
                                          "D:\\data:/data"],
                              "ports": ["8888:8888"], "profiles": ["core"],
                              "gpu": {"policy": "auto"}}}

CASES = {
    "linux-nvidia": dict(platform="linux"),
    "linux-nvidia-cdi": dict(platform="linux", gpu_mode="cdi"),
    "cloud-nvidia": dict(platform="cloud"),
    "wsl2-nvidia": dict(platform="wsl2"),
    "windows-nvidia": dict(platform="windows", extra=WINDOWS_EXTRA),
    "macos-arm64": dict(platform="macos", container_platform="linux/arm64"),
    "rocm": dict(platform="rocm", render_gid=109),
    "intel": dict(platform="intel"),
    "linux-no-gpu-path": dict(platform="linux", gpu_available=False,
                              drop=["llm"]),  # llm is 'required': see the error test
}


def render_case(case):
    kw = dict(CASES[case])
    services = dict(SERVICES, **kw.pop("extra", {}))
    for name in kw.pop("drop", []):
        services.pop(name)
    return render(services, project_name="aiml", path_exists=None, **kw)


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case):
    doc, warnings, gpu_services = render_case(case)
    path = os.path.join(FIX, "golden", case + ".json")
    got = {"compose": doc, "warnings": warnings, "gpu_services": gpu_services}
    if os.environ.get("GPUFLEET_UPDATE_GOLDEN"):
        with open(path, "w") as fh:
            json.dump(got, fh, indent=2, sort_keys=False)
            fh.write("\n")
    with open(path) as fh:
        assert got == json.load(fh)


def test_nvidia_request_shapes():
    doc, _, gpus = render_case("linux-nvidia")
    assert gpus == ["llm", "embeddings"]
    llm = doc["services"]["llm"]["deploy"]["resources"]
    assert llm["reservations"]["devices"] == [
        {"driver": "nvidia", "capabilities": ["gpu", "compute", "utility"], "count": 1}]
    assert llm["limits"] == {"memory": str(24 * 1024 ** 3)}
    emb = doc["services"]["embeddings"]["deploy"]["resources"]["reservations"]["devices"][0]
    assert emb["device_ids"] == ["0", "GPU-12345678-aaaa-bbbb-cccc-0123456789ab"]
    assert "count" not in emb
    assert "deploy" not in doc["services"]["nlp"]


def _cdi_request(service):
    (request,) = service["deploy"]["resources"]["reservations"]["devices"]
    return request


def test_cdi_names_as_a_cdi_device_request():
    # driver cdi + device_ids, as `docker run --device nvidia.com/gpu=0` sends it; never
    # the short `devices:` form, which Compose < 2.30 sends as a device path.
    doc, _, _ = render_case("linux-nvidia-cdi")
    llm = _cdi_request(doc["services"]["llm"])
    assert llm["driver"] == "cdi" and llm["device_ids"] == ["nvidia.com/gpu=0"]
    assert "gpu" in llm["capabilities"] and "count" not in llm
    assert _cdi_request(doc["services"]["embeddings"])["device_ids"] == [
        "nvidia.com/gpu=0", "nvidia.com/gpu=GPU-12345678-aaaa-bbbb-cccc-0123456789ab"]
    assert all("devices" not in s for s in doc["services"].values())


def test_macos_never_asks_for_a_gpu():
    doc, warnings, gpus = render_case("macos-arm64")
    assert gpus == []
    text = json.dumps(doc)
    assert "nvidia" not in text and "/dev/dri" not in text and "reservations" not in text
    assert all(s["platform"] == "linux/arm64" for s in doc["services"].values())
    assert len(warnings) == 2 and all("Model Runner" in w for w in warnings)


def test_rocm_and_intel_devices():
    doc, _, _ = render_case("rocm")
    assert doc["services"]["llm"]["devices"] == ["/dev/kfd", "/dev/dri"]
    assert doc["services"]["llm"]["group_add"] == ["video", "109"]
    doc, _, _ = render_case("intel")
    assert doc["services"]["llm"]["devices"] == ["/dev/dri"]


def test_cloud_adds_restart_and_logging():
    doc, _, _ = render_case("cloud-nvidia")
    assert doc["services"]["llm"]["restart"] == "unless-stopped"
    assert doc["services"]["api"]["restart"] == "unless-stopped"
    assert doc["services"]["llm"]["logging"]["options"]["max-size"] == "50m"


def test_windows_paths_translated():
    doc, _, _ = render_case("windows-nvidia")
    assert doc["services"]["notebook"]["volumes"] == [
        {"type": "bind", "source": "C:/Users/alice/models", "target": "/models",
         "read_only": True},
        {"type": "bind", "source": "D:/data", "target": "/data"}]


def test_auto_falls_back_to_cpu_with_a_warning():
    doc, warnings, gpus = render_case("linux-no-gpu-path")
    assert gpus == [] and "deploy" not in doc["services"]["embeddings"]
    assert warnings == ["service 'embeddings': no working GPU path on this host, falling back "
                        "to the CPU (policy auto)"]


def one(**desc):
    return {"svc": dict({"image": "x:1"}, **desc)}


ERRORS = [
    (one(imagee="typo"), "linux", "service 'svc', field 'imagee': unknown field"),
    ({"svc": {"command": "x"}}, "linux", "field 'image': required"),
    (one(gpu={"count": 1, "device_ids": ["0"]}), "linux", "mutually exclusive"),
    (one(gpu={"count": 0}), "linux", "field 'gpu.count': must be a positive integer"),
    (one(gpu={"policy": "maybe"}), "linux", "field 'gpu.policy'"),
    (one(gpu={"capabilities": ["gpu", "teleport"]}), "linux", "field 'gpu.capabilities'"),
    (one(resources={"memory": "-4g"}), "linux", "field 'resources.memory'"),
    (one(resources={"memory": 0}), "linux", "must be positive"),
    (one(resources={"cpus": -1}), "linux", "field 'resources.cpus'"),
    (one(resources={"gpus": 1}), "linux", "field 'resources.gpus': unknown field"),
    (one(volumes=["/definitely/not/here:/data"]), "linux", "does not exist on this linux host"),
    (one(volumes=["C:\\models:/models"]), "linux", "is a Windows path, which does not exist"),
    (one(volumes=["C:\\models:/models"]), "wsl2", "use /mnt/c/models"),
    (one(volumes=["/srv/models:/models"]), "windows", "is a Linux path; on Windows"),
    (one(volumes=["models"]), "linux", "is not 'source:target"),
    (one(volumes=["models:relative"]), "linux", "container path must be absolute"),
    (one(ports=["80:eighty"]), "linux", "field 'ports'"),
    (one(restart="sometimes"), "linux", "field 'restart'"),
    (one(healthcheck={"interval": "5s"}), "linux", "field 'healthcheck.test': required"),
    (one(environment=["NOEQUALS"]), "linux", "field 'environment'"),
    (one(profiles=["has space"]), "linux", "field 'profiles'"),
    (one(gpu={"policy": "required"}), "wsl2-amd", "only NVIDIA GPUs reach containers"),
    ({"bad name": {"image": "x"}}, "linux", "service name 'bad name'"),
    (one(), "solaris", "platform must be one of"),
]


@pytest.mark.parametrize("services,platform,match", ERRORS,
                         ids=[m.split("'")[-2] if "'" in m else m for _, _, m in ERRORS])
def test_bad_input_is_refused_with_service_and_field(services, platform, match):
    vendor = "nvidia"
    if platform == "wsl2-amd":
        platform, vendor = "wsl2", "amd"
    with pytest.raises(ServiceError, match=match.replace("(", r"\(").replace("\\", "\\\\")):
        render(services, platform, "p", gpu_vendor=vendor)


def test_required_without_gpu_path_fails_before_rendering():
    with pytest.raises(ServiceError, match="service 'llm', field 'gpu.policy': required, but "
                                           "this host has no working GPU path"):
        render(SERVICES, "linux", "aiml", gpu_available=False, path_exists=None)


def test_bad_project_name():
    with pytest.raises(ServiceError, match="project_name"):
        render(one(), "linux", "Bad Name")


def test_no_gpu_vendor():
    doc, warnings, gpus = render(one(gpu={"policy": "auto"}), "linux", "p", gpu_vendor="none")
    assert gpus == [] and "deploy" not in doc["services"]["svc"]
    assert "this host has no GPU" in warnings[0]
    with pytest.raises(ServiceError, match="no GPU \\(gpu_vendor none\\)"):
        render(one(gpu={"policy": "required"}), "linux", "p", gpu_vendor="none")
