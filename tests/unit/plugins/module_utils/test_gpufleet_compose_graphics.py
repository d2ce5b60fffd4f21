"""Graphics workloads in the service description: gpu.vendor (device rules per service,
videocore for a Raspberry Pi), display (X11 or Wayland socket), numeric host group IDs, and
the xhost warning. (The compose files pass the real `docker-compose config` in
tests/integration/test_image_build.py.)"""
import pytest

from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_compose import (
    ServiceError, render)


def svc(**kw):
    base = {"image": "registry.example/viz:1", "gpu": {"policy": "auto"}}
    base.update(kw)
    return {"viz": base}


def one(platform="linux", gpu_vendor="nvidia", **kw):
    services = kw.pop("services")
    doc, warnings, gpus = render(services, platform, "p", gpu_vendor=gpu_vendor,
                                 path_exists=None, **kw)
    return doc["services"]["viz"], warnings, gpus


def test_videocore_gets_dri_and_vchiq_with_numeric_groups():
    out, warnings, gpus = one(gpu_vendor="none", render_gid=105, video_gid=44,
                              services=svc(gpu={"policy": "required", "vendor": "videocore"}))
    assert out["devices"] == ["/dev/dri", "/dev/vchiq"]
    assert out["group_add"] == ["44", "105"]
    assert out["labels"]["gpufleet.gpu"] == "videocore"
    assert gpus == ["viz"] and warnings == []


def test_intel_service_on_an_nvidia_host_uses_dri():
    out, dummy, dummy2 = one(services=svc(gpu={"vendor": "intel"}), render_gid=993)
    assert out["devices"] == ["/dev/dri"] and out["group_add"] == ["video", "993"]
    assert "deploy" not in out


def test_x11_display_mounts_the_socket_and_warns_about_xhost():
    out, warnings, dummy = one(gpu_vendor="intel", platform="intel", services=svc(
        display={"protocol": "x11", "display": ":1", "xauthority": "/home/me/.Xauthority"}))
    assert "/tmp/.X11-unix:/tmp/.X11-unix:ro" in out["volumes"]
    assert "/home/me/.Xauthority:/tmp/.Xauthority:ro" in out["volumes"]
    assert out["environment"] == {"DISPLAY": ":1", "XAUTHORITY": "/tmp/.Xauthority"}
    assert out["devices"] == ["/dev/dri"]
    assert len(warnings) == 1
    assert "xhost +SI:localuser:<user>" in warnings[0] and "xhost +local:" in warnings[0]


def test_wayland_display():
    out, warnings, dummy = one(services=svc(display={"protocol": "wayland",
                                                     "runtime_dir": "/run/user/1001/"}))
    assert out["volumes"] == ["/run/user/1001/wayland-0:/tmp/wayland/wayland-0:ro"]
    assert out["environment"] == {"XDG_RUNTIME_DIR": "/tmp/wayland", "WAYLAND_DISPLAY": "wayland-0"}
    assert warnings == []


def test_nvidia_display_adds_graphics_capabilities():
    out, dummy, dummy2 = one(services=svc(display="x11"))
    caps = out["deploy"]["resources"]["reservations"]["devices"][0]["capabilities"]
    assert caps == ["gpu", "graphics", "display"]
    assert out["environment"]["DISPLAY"] == ":0"


def test_display_without_gpu_still_gets_the_socket():
    out, warnings, gpus = one(services=svc(gpu={"policy": "none"}, display="x11"))
    assert gpus == [] and "devices" not in out and "deploy" not in out
    assert "/tmp/.X11-unix:/tmp/.X11-unix:ro" in out["volumes"]


@pytest.mark.parametrize("kw,field", [
    (dict(services=svc(gpu={"vendor": "matrox"})), "gpu.vendor"),
    (dict(services=svc(display="vnc")), "display.protocol"),
    (dict(services=svc(display=3)), "display"),
    (dict(services=svc(display={"protocol": "x11", "display": "host:0"})), "display.display"),
    (dict(services=svc(display={"protocol": "x11", "xauthority": "~/.Xauthority"})),
     "display.xauthority"),
    (dict(services=svc(display={"protocol": "wayland", "runtime_dir": "run/user"})),
     "display.runtime_dir"),
    (dict(services=svc(display={"protocol": "wayland", "socket": "a/b"})), "display.socket"),
    (dict(services=svc(display={"proto": "x11"})), "display.proto"),
    (dict(services=svc(display="x11"), platform="macos"), "display"),
    (dict(services=svc(display="x11"), platform="windows"), "display"),
], ids=["vendor", "protocol", "type", "tcp-display", "xauthority", "runtime_dir", "socket",
        "unknown", "macos", "windows"])
def test_bad_graphics_fields(kw, field):
    with pytest.raises(ServiceError, match="field '%s'" % field.replace(".", r"\.")):
        one(**kw)
