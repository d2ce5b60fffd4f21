"""`gpufleet deploy --platform TARGET`: the same service description on Kubernetes or a cloud
container service (docs/cloud.md, Deploy).

The services are rendered here first (bad input fails before anything runs, naming the
service and the field); then either the rendered files are written (``dry_run``) or
playbooks/cloud_deploy.yml runs on localhost through ansible-runner and applies them with
the module the ``ansible`` package has for the target:

    kubernetes  kubernetes.core.k8s                     (kubeconfig: $KUBECONFIG or option)
    ecs         community.aws.ecs_taskdefinition        (boto3 credentials and region)
    batch       gpufleet.fleet.aws_batch_job_definition (community.aws.batch_job_definition
                                                         cannot request GPUs)

SageMaker, Cloud Run and Azure Container Apps have no module there: deploy refuses with the
provider command that applies the files ``--dry-run`` writes.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Mapping

from gpufleet import api

TARGETS = ("kubernetes", "ecs", "batch", "sagemaker", "cloud-run", "azure-container-apps")
# Targets a module of the `ansible` package (or this collection) applies.
APPLIED = {"kubernetes": "kubernetes.core.k8s", "ecs": "community.aws.ecs_taskdefinition",
           "batch": "gpufleet.fleet.aws_batch_job_definition"}
AWS_TARGETS = ("ecs", "batch", "sagemaker")
# Options for the deploy itself, not for the render: name -> extra var of the playbook.
DEPLOY_OPTIONS = {"endpoint_url": "gpufleet_cloud_endpoint_url",
                  "kubeconfig": "gpufleet_cloud_kubeconfig",
                  "context": "gpufleet_cloud_kube_context"}
PLAYBOOK = "playbooks/cloud_deploy.yml"


class CloudDeployError(api.GpufleetError):
    """The target cannot be deployed by gpufleet (no module): the message has the command."""

    kind = "usage"


@dataclass
class CloudDeployResult:
    """What ``deploy_cloud`` did: the files written (dry run) or the playbook run."""

    target: str
    dry_run: bool
    warnings: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)   # how to apply the files by hand
    run: api.RunResult | None = None

    @property
    def ok(self) -> bool:
        return self.run is None or self.run.ok

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["run"] = self.run.to_dict() if self.run is not None else None
        out["ok"] = self.ok
        return out


def split_options(options: Iterable[str] | Mapping[str, object] | None, target: str
                  ) -> tuple[dict[str, str], dict[str, str]]:
    """(render options, deploy options).  An AWS target's region is both: awslogs needs it
    in the request and the API calls go there; without it the environment's region is used."""
    api.content()
    from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_cloud_common import (
        ServiceError, parse_options)
    try:
        parsed = parse_options(options)
    except ServiceError as exc:
        raise api.GpufleetError(str(exc)) from exc
    deploy = {k: parsed.pop(k) for k in list(parsed) if k in DEPLOY_OPTIONS}
    if target in AWS_TARGETS:
        region = parsed.get("region") or os.environ.get("AWS_REGION") or \
            os.environ.get("AWS_DEFAULT_REGION")
        if region:
            deploy["region"] = parsed["region"] = region
    elif "endpoint_url" in deploy:
        raise api.GpufleetError("option 'endpoint_url' is for the AWS targets (ecs, batch, "
                                "sagemaker), not %s" % target)
    if target != "kubernetes" and ({"kubeconfig", "context"} & set(deploy)):
        raise api.GpufleetError("options kubeconfig and context are for --platform "
                                "kubernetes, not %s" % target)
    return parsed, deploy


def render(services: Mapping[str, Any], target: str, vendor: str,
           options: Mapping[str, object] | list[str] | None) -> tuple[Any, list[str]]:
    """render_target for the CLI and the API: errors as GpufleetError (exit 2)."""
    api.content()
    from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_cloud import (
        ServiceError, render_target)
    try:
        return render_target(dict(services), target, vendor=vendor, options=options)
    except ServiceError as exc:
        raise api.GpufleetError(str(exc)) from exc


def write_files(doc: Any, target: str, output: str) -> list[str]:
    """``OUTPUT/<target>.yaml`` (kubernetes: one YAML stream) or ``OUTPUT/<target>.json``,
    plus one file per service (per request for sagemaker) where the provider's command
    takes one resource: ``OUTPUT/<target>/<service>[.<Request>].json``."""
    import yaml
    os.makedirs(output, exist_ok=True)
    written = []
    if target == "kubernetes":
        path = os.path.join(output, "kubernetes.yaml")
        with open(path, "w") as fh:
            yaml.safe_dump_all(doc, fh, sort_keys=False, default_flow_style=False)
        return [path]
    path = os.path.join(output, target + ".json")
    with open(path, "w") as fh:
        json.dump(doc, fh, indent=2)
        fh.write("\n")
    written.append(path)
    if target in ("ecs", "batch"):
        return written
    folder = os.path.join(output, target)
    os.makedirs(folder, exist_ok=True)
    for name, body in doc.items():
        parts = body.items() if target == "sagemaker" else [(None, body)]
        for request, value in parts:
            one = os.path.join(folder, name + ("." + request if request else "") + ".json")
            with open(one, "w") as fh:
                json.dump(value, fh, indent=2)
                fh.write("\n")
            written.append(one)
    return written


def apply_commands(doc: Any, target: str, output: str, region: str | None,
                   jobs: Iterable[str] = ()) -> list[str]:
    """The provider's own commands that apply what ``write_files`` wrote (``jobs``: the
    services with ``kind: job``, which Cloud Run and Container Apps create as jobs)."""
    r = region or "REGION"
    jobs = set(jobs)
    from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_cloud_common import (
        dns_name)
    if target == "kubernetes":
        return ["kubectl apply -f %s" % os.path.join(output, "kubernetes.yaml")]
    cmds = []
    for name, body in doc.items():
        one = os.path.join(output, target, name + ".json")
        if target in ("ecs", "batch"):
            cmds.append("aws %s %s --region %s --cli-input-json \"$(jq '.[\"%s\"]' %s)\""
                        % (target, "register-task-definition" if target == "ecs"
                           else "register-job-definition", r, name,
                           os.path.join(output, target + ".json")))
        elif target == "sagemaker":
            base = os.path.join(output, "sagemaker", name)
            model = body["CreateModel"]["ModelName"]
            config = body["CreateEndpointConfig"]["EndpointConfigName"]
            cmds += ["aws sagemaker create-model --region %s --cli-input-json file://%s"
                     ".CreateModel.json" % (r, base),
                     "aws sagemaker create-endpoint-config --region %s --cli-input-json "
                     "file://%s.CreateEndpointConfig.json" % (r, base),
                     "aws sagemaker create-endpoint --region %s --endpoint-name %s "
                     "--endpoint-config-name %s" % (r, model, config)]
        elif target == "cloud-run":
            kind, key = ("jobs", "jobId") if name in jobs else ("services", "serviceId")
            cmds.append("curl -fsS -X POST -H \"Authorization: Bearer $(gcloud auth "
                        "print-access-token)\" -H 'Content-Type: application/json' --data @%s "
                        "'https://run.googleapis.com/v2/projects/PROJECT/locations/%s/%s?%s=%s'"
                        % (one, r, kind, key, dns_name(name)))
        elif target == "azure-container-apps":
            kind = "jobs" if name in jobs else "containerApps"
            cmds.append("az rest --method put --body @%s --url 'https://management.azure.com/"
                        "subscriptions/SUBSCRIPTION/resourceGroups/GROUP/providers/"
                        "Microsoft.App/%s/%s?api-version=2024-03-01'"
                        % (one, kind, dns_name(name)))
    return cmds


def deploy_cloud(services_file: str, target: str,
                 options: Iterable[str] | Mapping[str, object] | None = None,
                 dry_run: bool = False, vendor: str = "nvidia", output: str | None = None,
                 **kw: Any) -> CloudDeployResult:
    """Render ``services_file`` for ``target`` and apply it (playbooks/cloud_deploy.yml on
    localhost), or only write the files (``dry_run``, into ``output``, default a new
    temporary directory). ``kw`` goes to :func:`gpufleet.api.run` (on_event, ...).

    Raises GpufleetError before anything runs: bad input, or a target with no module
    (SageMaker, Cloud Run, Azure Container Apps; the message gives the provider command)."""
    if target not in TARGETS:
        raise api.GpufleetError("--platform %s: one of %s" % (target, ", ".join(TARGETS)))
    services = api.load_services(services_file)
    render_options, deploy_options = split_options(options, target)
    doc, warnings = render(services, target, vendor, render_options)
    region = deploy_options.get("region") or render_options.get("region")
    jobs = [n for n, svc in services.items() if isinstance(svc, dict) and svc.get("kind") == "job"]
    if dry_run:
        out = output or tempfile.mkdtemp(prefix="gpufleet-%s-" % target)
        files = write_files(doc, target, out)
        return CloudDeployResult(target=target, dry_run=True, warnings=warnings, files=files,
                                 commands=apply_commands(doc, target, out, region,
                                                         jobs))
    if target not in APPLIED:
        out = output or "DIR"
        raise CloudDeployError(
            "%s: the `ansible` package has no module that deploys it (%s), so gpufleet does "
            "not apply it. Write the files with `gpufleet deploy --platform %s --services %s "
            "--dry-run --output %s`, then run:\n  %s"
            % (target, {"sagemaker": "amazon.aws and community.aws have no SageMaker module",
                        "cloud-run": "google.cloud has no Cloud Run module",
                        "azure-container-apps": "azure.azcollection has no Container Apps "
                                                "module"}[target],
               target, services_file, out,
               "\n  ".join(apply_commands(doc, target, out, region, jobs))))
    extra_vars: dict[str, Any] = {"gpufleet_cloud_target": target,
                                  "gpufleet_cloud_services": services,
                                  "gpufleet_cloud_vendor": vendor,
                                  "gpufleet_cloud_options": render_options,
                                  "gpufleet_cloud_documents": doc}
    for key, var in DEPLOY_OPTIONS.items():
        if deploy_options.get(key):
            extra_vars[var] = deploy_options[key]
    if deploy_options.get("region"):
        extra_vars["gpufleet_cloud_region"] = deploy_options["region"]
    extra_vars.update(kw.pop("extra_vars", None) or {})
    with tempfile.TemporaryDirectory(prefix="gpufleet-cloud-") as tmp:
        inventory = os.path.join(tmp, "hosts.yml")
        with open(inventory, "w") as fh:
            json.dump({"all": {"hosts": {"localhost": {
                "ansible_connection": "local",
                "ansible_python_interpreter": os.path.abspath(sys.executable)}}}}, fh)
        result = api.run("deploy_cloud", inventory, None, extra_vars=extra_vars,
                         playbook=PLAYBOOK, **kw)
    return CloudDeployResult(target=target, dry_run=False, warnings=warnings, run=result)


# --------------------------------------------------------------------------- command line

def cmd_deploy_cloud(args: Any) -> int:
    """``gpufleet deploy --platform TARGET``: 0 deployed (or written), 1 the run failed,
    2 nothing ran (bad input, a target without module)."""
    for flag, value in (("-i/--inventory", args.inventory), ("-l/--limit", args.limit),
                        ("--service", args.service), ("--remove", args.remove),
                        ("--retry-failed", args.retry_failed)):
        if value:
            raise api.GpufleetError("%s is for fleet deploys; with --platform %s the "
                                    "services file is the whole input" % (flag, args.platform))
    if not args.services:
        raise api.GpufleetError("--platform %s needs --services FILE" % args.platform)
    console = None
    if not args.json:
        from gpufleet.cli import _console, progress_printer
        console = _console(False)
    result = deploy_cloud(args.services, args.platform, args.option, dry_run=args.dry_run,
                          vendor=args.vendor, output=args.output,
                          on_event=progress_printer(console) if console else None)
    for w in result.warnings:
        print("warning: " + w, file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, default=str))
    elif result.dry_run:
        for path in result.files:
            print("wrote %s" % path)
        print("\napply with:")
        for cmd in result.commands:
            print("  " + cmd)
    elif result.run is not None and console is not None:
        from gpufleet.cli import summary_table
        summary_table(result.run, console)
    if result.run is None:
        return 0
    return 0 if result.run.ok else (1 if result.run.hosts else 2)
