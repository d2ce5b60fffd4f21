"""cloud_render's main() in-process: renders, read-only in check mode, fails naming the field."""
import yaml

import cloud_render

SERVICES = {"llm": {"image": "vllm:1", "ports": ["8000:8000"], "gpu": {"policy": "required", "count": 1}}}


def test_kubernetes_documents_and_text(run_module):
    out = run_module(cloud_render, {"services": SERVICES, "target": "kubernetes",
                                    "options": {"namespace": "aiml", "replicas": 2}})
    assert out["changed"] is False
    kinds = [d["kind"] for d in out["documents"]]
    assert kinds == ["Deployment", "Service"]
    assert out["documents"][0]["metadata"]["namespace"] == "aiml"
    assert out["documents"][0]["spec"]["replicas"] == 2
    assert list(yaml.safe_load_all(out["text"])) == out["documents"]


def test_check_mode_renders_the_same(run_module):
    args = {"services": SERVICES, "target": "cloud-run", "options": {"region": "europe-west4"}}
    assert run_module(cloud_render, args, check=True)["documents"] == \
        run_module(cloud_render, args)["documents"]


def test_auto_fallback_is_a_warning(run_module):
    out = run_module(cloud_render, {"services": {"x": {"image": "i", "gpu": {"count": 1}}},
                                    "target": "azure-container-apps",
                                    "options": {"region": "eastus"}})
    assert out["documents"]["x"]["properties"]["workloadProfileName"] == "Consumption"
    assert any("eastus" in w for w in out["render_warnings"])


def test_bad_input_fails_naming_service_and_field(run_module):
    out = run_module(cloud_render, {"services": SERVICES, "target": "cloud-run",
                                    "options": {"region": "us-west1"}})
    assert out["failed"]
    assert "service 'llm', field 'gpu': policy required, but region us-west1" in out["msg"]
    assert "nothing was rendered" in out["msg"]
    assert "documents" not in out
