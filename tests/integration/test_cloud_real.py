"""Opt-in: `gpufleet deploy --platform kubernetes` against a real cluster given by KUBECONFIG
(kubernetes.core.k8s applies what gpufleet.fleet.cloud_render rendered). Without it the test
is skipped and the reason is printed in the summary (-ra).

The example service descriptions go into a namespace of their own, created and deleted here;
GPU pods may stay Pending on a cluster without GPU nodes: the test checks what the API server
stored (the GPU limits), not that the pods ran."""
import json
import os
import subprocess
import sys
import uuid

import pytest

from conftest import ROOT

EXAMPLE = os.path.join(ROOT, "docs", "examples", "gpu-models.yml")


@pytest.fixture
def namespace():
    if not os.environ.get("KUBECONFIG"):
        pytest.skip("no cluster for gpufleet deploy --platform kubernetes: set KUBECONFIG "
                    "(and optionally GPUFLEET_KUBE_CONTEXT)")
    from kubernetes import client, config
    config.load_kube_config(context=os.environ.get("GPUFLEET_KUBE_CONTEXT") or None)
    core = client.CoreV1Api()
    name = "gpufleet-test-" + uuid.uuid4().hex[:8]
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    try:
        yield name
    finally:
        core.delete_namespace(name)


def test_deploy_to_kubernetes(namespace):
    from kubernetes import client
    args = [sys.executable, "-m", "gpufleet.cli", "deploy", "--platform", "kubernetes",
            "--services", EXAMPLE, "--option", "namespace=" + namespace,
            "--option", "kubeconfig=" + os.environ["KUBECONFIG"], "--json"]
    if os.environ.get("GPUFLEET_KUBE_CONTEXT"):
        args += ["--option", "context=" + os.environ["GPUFLEET_KUBE_CONTEXT"]]
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert json.loads(proc.stdout)["run"]["hosts"]["localhost"]["changed"] >= 1
    deployments = client.AppsV1Api().list_namespaced_deployment(namespace).items
    assert deployments, "no Deployment was created in %s" % namespace
    for deployment in deployments:
        limits = deployment.spec.template.spec.containers[0].resources.limits or {}
        assert limits.get("nvidia.com/gpu") == "1", deployment.metadata.name
    # Applying the same objects again changes nothing.
    again = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-4000:]
    assert json.loads(again.stdout)["run"]["hosts"]["localhost"]["changed"] == 0


def test_deploy_to_kubernetes_reaches_the_module_without_a_cluster(tmp_path):
    """Runs everywhere: kubernetes.core.k8s takes the task's arguments and the rendered
    objects, and fails on the connection to a cluster that is not there (port 9, nothing
    listens), which the result says."""
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\n"
        "clusters: [{name: none, cluster: {server: 'https://127.0.0.1:9'}}]\n"
        "users: [{name: none, user: {token: x}}]\n"
        "contexts: [{name: none, context: {cluster: none, user: none}}]\n"
        "current-context: none\n")
    proc = subprocess.run([sys.executable, "-m", "gpufleet.cli", "deploy", "--platform",
                           "kubernetes", "--services", EXAMPLE, "--option",
                           "kubeconfig=%s" % kubeconfig, "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    run = json.loads(proc.stdout)["run"]
    assert run["error"].startswith("1 host failed or unreachable: localhost (Apply the "
                                   "Kubernetes objects: ")
    assert "127.0.0.1" in run["error"]
