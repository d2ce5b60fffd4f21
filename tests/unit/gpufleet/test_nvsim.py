"""The simulated NVIDIA host's stand-ins (gpufleet/testbed/nvsim): what they print and write must
match the real tools' formats in the parts the roles use. Docker itself checks the CDI spec
in the *_simulated_gpu Molecule scenarios; these tests pin the shapes."""
import glob
import json
import os
import sys

import pytest

from gpufleet import testbed

sys.path.insert(0, str(testbed.NVSIM_DIR))
import nvsim  # noqa: E402

CAPTURES = sorted(glob.glob(str(testbed.CAPTURES_DIR / "*.xml")))


def gpus_of(name):
    with open(str(testbed.CAPTURES_DIR / name), "rb") as fh:
        return nvsim.read_gpus(fh.read())


@pytest.mark.parametrize("path", CAPTURES, ids=os.path.basename)
def test_every_capture_renders_and_round_trips_as_a_cdi_spec(path):
    with open(path, "rb") as fh:
        driver, cuda, gpus = nvsim.read_gpus(fh.read())
    listing = nvsim.render_list(gpus)
    assert listing.count("\n") == len(gpus)
    assert all(line.startswith("GPU %d: " % i) for i, line in enumerate(listing.splitlines()))
    table = nvsim.render_table(driver, cuda, gpus).splitlines()
    assert {len(line) for line in table[:-1]} == {91} and "SIMULATION" in table[-1]
    spec = nvsim.cdi_spec(gpus)
    assert nvsim._parse_yaml(nvsim.to_yaml(spec)) == spec


def test_cdi_spec_names_devices_like_nvidia_ctk():
    _, _, gpus = gpus_of("dual-rtx-a5000_590.44.01.xml")
    spec = nvsim.cdi_spec(gpus)
    assert spec["cdiVersion"] == "0.5.0" and spec["kind"] == "nvidia.com/gpu"
    names = [d["name"] for d in spec["devices"]]
    assert names == ["0", "GPU-12345678-aaaa-bbbb-cccc-0123456789ab", "1",
                     "GPU-12345678-aaaa-bbbb-cccc-0123456789cd", "all"]
    # minor numbers from the capture (out of order there), not indexes
    assert spec["devices"][0]["containerEdits"]["deviceNodes"] == [{"path": "/dev/nvidia1"}]
    assert {m["containerPath"] for m in spec["containerEdits"]["mounts"]} == {
        "/usr/bin/nvidia-smi", "/usr/share/gpufleet-sim/current"}


def test_mig_devices_are_named_gpu_colon_mig():
    _, _, gpus = gpus_of("a100-sxm4-80gb-mig_535.54.03.xml")
    names = [d["name"] for d in nvsim.cdi_spec(gpus)["devices"]]
    assert names[:2] == ["0", "GPU-513536b6-7d19-9063-b049-1e69664bb298"]
    assert ["0:0", "0:1", "0:2", "0:3"] == [n for n in names if ":" in n]


def test_yaml_quotes_what_yaml_would_misread():
    text = nvsim.to_yaml({"a": "0", "b": "true", "c": "x y", "d": ["1"]})
    assert text == 'a: "0"\nb: "true"\nc: "x y"\nd:\n- "1"'


def test_runtime_applies_the_cdi_edits_for_visible_devices(tmp_path, monkeypatch):
    _, _, gpus = gpus_of("dual-rtx-a5000_590.44.01.xml")
    spec = nvsim.cdi_spec(gpus)
    for node in spec["containerEdits"]["deviceNodes"] + spec["devices"][-1]["containerEdits"]["deviceNodes"]:
        node["path"] = "/dev/null"  # a character device that exists everywhere (1:3)
    monkeypatch.setattr(nvsim, "cdi_devices", lambda: {
        "nvidia.com/gpu=" + d["name"]: (spec, d) for d in spec["devices"]})
    config = {"process": {"env": ["PATH=/bin", "NVIDIA_VISIBLE_DEVICES=all"]},
              "hooks": {"prestart": [{"path": "/usr/bin/nvidia-container-runtime-hook",
                                      "args": ["nvidia-container-runtime-hook", "prestart"]}]}}
    (tmp_path / "config.json").write_text(json.dumps(config))
    assert nvsim.modify_bundle(str(tmp_path)) == 0
    out = json.loads((tmp_path / "config.json").read_text())
    assert "NVIDIA_VISIBLE_DEVICES=void" in out["process"]["env"]
    assert out["hooks"]["prestart"] == []
    assert out["hooks"]["createContainer"][0]["path"] == "/usr/bin/nvidia-cdi-hook"
    assert {m["destination"] for m in out["mounts"]} == {"/usr/bin/nvidia-smi",
                                                         "/usr/share/gpufleet-sim/current"}
    assert out["linux"]["devices"][0]["major"] == 1 and out["linux"]["devices"][0]["minor"] == 3
    assert out["linux"]["resources"]["devices"][0]["allow"] is True


def test_runtime_refuses_an_unknown_device(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(nvsim, "cdi_devices", lambda: {})
    (tmp_path / "config.json").write_text(json.dumps(
        {"process": {"env": ["NVIDIA_VISIBLE_DEVICES=3"]}}))
    assert nvsim.modify_bundle(str(tmp_path)) == 1
    assert "unresolvable CDI devices nvidia.com/gpu=3" in capsys.readouterr().err


def test_runtime_leaves_containers_without_gpus_alone(tmp_path):
    config = {"process": {"env": ["PATH=/bin"]}}
    (tmp_path / "config.json").write_text(json.dumps(config))
    assert nvsim.modify_bundle(str(tmp_path)) == 0
    assert json.loads((tmp_path / "config.json").read_text()) == config
