"""gpufleet command line: drive a whole fleet from one place.

    gpufleet init     DIR [--force]         write a starter inventory (hosts.yml, group_vars/)
    gpufleet up       -i INV [-l LIMIT]     provision (site.yml)
    gpufleet plan     -i INV [-l LIMIT]     what `up` would change (check mode + diff)
    gpufleet doctor   -i INV [-l LIMIT]     GPU facts and problems with remedies
    gpufleet deploy   -i INV [-l LIMIT] [--service NAME]... [--remove]
    gpufleet status   -i INV [-l LIMIT]     gpufleet containers and GPU use per host
    gpufleet render   --services FILE --platform P [--project NAME]
                      [--vendor V] [--option KEY=VALUE]...   (P: a compose platform or a
                      cloud target: kubernetes, ecs, batch, sagemaker, cloud-run,
                      azure-container-apps; see docs/cloud.md)
    gpufleet image    render|build RECIPE [--base IMAGE] [--tag TAG] [--json]   images from
                      recipes with BuildKit (docs/images.md)

The original scripts map to it (docs/windows.md, docs/macos.md):
  ./scripts/deploy-to-windows.sh --gpu --service aiml-dev
      gpufleet deploy -l windows --service aiml-dev     (add --check to see what would change)
  ./scripts/deploy-to-mac.sh
      gpufleet deploy -l macos
  ./scripts/monitor-workloads.sh --platform windows
      gpufleet status -l windows                        (and gpufleet doctor -l windows)

A run that fails says why: above the table (or instead of it, when no host ran) and as
``error`` (with ``error_kind``) in ``--json``: the failed, unreachable and not-reached hosts
with their first reason; a limit that matches no host, with the inventory's groups and
hosts; an inventory that does not parse, with the parser's message; ansible-playbook's own
error (a playbook syntax error, a missing role) when it stopped before any host.

Exit status:
  0  the run finished and every host is fine
  1  the run reached hosts and one failed, was unreachable or was not reached (the rollout
     stopped), or ansible-playbook stopped partway
  2  nothing ran: bad usage (options, --retry-failed with nothing recorded, `init` onto
     existing files), an inventory that is missing or does not parse, no host matched, or
     ansible-playbook stopped before any host (playbook error); `hosts` is then empty
Errors found before anything runs go to stderr as ``gpufleet: ...`` (and, with --json, as
the same JSON document on stdout with "status": "not_run").

Each run's failed and not-reached hosts are kept per inventory and command
(``$XDG_CACHE_HOME/gpufleet/runs/<inventory hash>-<command>.json``) for ``--retry-failed``:
``gpufleet doctor`` or a run on another inventory never replaces what ``gpufleet up`` left;
a run that reached no host (exit 2) leaves the record as it was.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

from gpufleet import api

if TYPE_CHECKING:
    from rich.console import Console

RESTART_HOWTO = ("apply it: rerun with -e docker_engine_restart_running_containers=true "
                 "(the containers stop), or set live-restore: true in "
                 "docker_engine_daemon_settings and rerun (they keep running), or run "
                 "`systemctl restart docker` on the host in a maintenance window")


# --------------------------------------------------------------------------- run state

def state_dir() -> str:
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.join(cache, "gpufleet", "runs")


def state_path(inventory: str, command: str) -> str:
    """Where the last ``command`` run on ``inventory`` is recorded: one file per inventory
    (by its resolved absolute path) and command."""
    key = hashlib.sha256(os.path.realpath(inventory).encode()).hexdigest()[:16]
    return os.path.join(state_dir(), "%s-%s.json" % (key, command))


def save_run_state(inventory: str, command: str, result: api.RunResult) -> str:
    path = state_path(inventory, command)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    doc = {"inventory": os.path.realpath(inventory), "command": command,
           "limit": result.limit, "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
           "failed_hosts": result.failed_hosts, "not_reached_hosts": result.not_reached_hosts,
           "restart_pending_hosts": result.restart_pending_hosts}
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".run-")
    with os.fdopen(fd, "w") as fh:
        json.dump(doc, fh, indent=2)
    os.replace(tmp, path)
    return path


def hosts_to_retry(inventory: str, command: str) -> list[str]:
    """Failed and not-reached hosts of the last ``command`` run on ``inventory``."""
    path = state_path(inventory, command)
    try:
        with open(path) as fh:
            doc = json.load(fh)
    except (OSError, ValueError):
        doc = {}
    hosts = list(doc.get("failed_hosts") or [])
    hosts += [h for h in doc.get("not_reached_hosts") or [] if h not in hosts]
    if not hosts:
        raise api.GpufleetError(
            "no failed or not-reached hosts recorded for `gpufleet %s` on inventory %s (%s)"
            % (command, os.path.realpath(inventory),
               "last run: all fine" if doc else "no run recorded"))
    return hosts


def _console(json_mode: bool) -> Console:
    from rich.console import Console
    return Console(stderr=json_mode, highlight=False)


def _esc(text: object) -> str:
    """Text from hosts and Ansible, shown literally (``[gpu-01]`` is not rich markup)."""
    from rich.markup import escape
    return escape(str(text))


# The API action each run command calls.
ACTIONS = {"up": "provision", "plan": "plan", "doctor": "doctor", "deploy": "deploy",
           "status": "status"}


def exit_code(result: api.RunResult) -> int:
    """0 fine; 1 hosts ran and something failed; 2 no host ran (``error`` says why)."""
    if result.ok:
        return 0
    return 1 if result.hosts else 2


def not_run_result(command: str, limit: str | None, exc: Exception) -> api.RunResult:
    """The result document of a run refused before anything ran (--json prints it)."""
    action = ACTIONS.get(command, command)
    return api.RunResult(action=action, playbook=api.PLAYBOOKS.get(action, ""), limit=limit,
                         rc=None, status="not_run", duration_s=0.0, hosts={},
                         error=str(exc), error_kind=getattr(exc, "kind", "usage"))


def cmd_init(args: argparse.Namespace) -> int:
    written = api.init(args.directory, force=args.force)
    for path in written:
        print("wrote %s" % path)
    print("\nnext:")
    from gpufleet import starter
    for line in starter.next_steps(args.directory):
        print("  " + line)
    return 0


def parse_extra_vars(items: Iterable[str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items or []:
        item = item.strip()
        if item.startswith("@"):
            import yaml
            with open(item[1:]) as fh:
                out.update(yaml.safe_load(fh) or {})
        elif item.startswith("{"):
            out.update(json.loads(item))
        elif "=" in item:
            key, _, value = item.partition("=")
            out[key] = value
        else:
            raise api.GpufleetError("extra var %r: use key=value, a JSON object or @file" % item)
    return out


def progress_printer(console: Console) -> Callable[[dict], None]:
    """One line per host per task that changed or failed, as it happens."""
    def on_event(event: dict) -> None:
        kind = event.get("event")
        data = event.get("event_data") or {}
        host, task = data.get("host"), data.get("task")
        if kind == "playbook_on_play_start":
            console.print("[bold]play[/bold] %s" % _esc(data.get("name", "")))
        elif kind == "runner_on_ok" and (data.get("res") or {}).get("changed"):
            console.print("  [yellow]changed[/yellow] %-24s %s" % (_esc(host), _esc(task)))
        if kind == "runner_on_ok" and api._truthy(
                ((data.get("res") or {}).get("ansible_facts") or {})
                .get("docker_engine_restart_pending", False)):
            reason = data["res"]["ansible_facts"].get("docker_engine_restart_pending_reason")
            console.print("  [yellow]restart pending[/yellow] %-16s %s"
                          % (_esc(host), _esc(reason or "")))
        elif kind == "runner_on_failed" and not data.get("ignore_errors"):
            msg = api.failure_message(data.get("res") or {}).splitlines()
            console.print("  [red]failed[/red]  %-24s %s: %s"
                          % (_esc(host), _esc(task), _esc(msg[0] if msg else "")))
        elif kind == "runner_on_unreachable":
            lines = api._strip_prefix(
                str((data.get("res") or {}).get("msg") or "").strip()).splitlines()
            console.print("  [red]unreachable[/red] %-20s %s"
                          % (_esc(host), _esc(lines[0] if lines else "")))
    return on_event


def print_error(result: api.RunResult, console: Console) -> None:
    """The run's ``error``: above the table, or alone when no host ran."""
    if not result.error:
        return
    label = {"hosts": "failed", "no_hosts": "no hosts", "playbook": "playbook error",
             "inventory": "inventory error"}.get(result.error_kind or "", "error")
    console.print("[bold red]%s[/bold red]: %s" % (label, _esc(result.error)))


def summary_table(result: api.RunResult, console: Console) -> None:
    from rich.table import Table
    print_error(result, console)
    if not result.hosts:
        console.print("%s: %s (%.1f s), rc %s: no host ran"
                      % (result.action, result.status, result.duration_s, result.rc))
        return
    table = Table(title="%s: %s (%.1f s)" % (result.action, result.status, result.duration_s))
    for col in ("host", "status", "ok", "changed", "failed"):
        table.add_column(col, no_wrap=True)
    table.add_column("problems")
    table.add_column("restart", no_wrap=True)  # docker restart pending (consent needed)
    table.add_column("why", ratio=1)
    for name, h in result.hosts.items():
        colour = {"ok": "green", "changed": "yellow"}.get(h.status, "red")
        if h.failures:
            why = h.failures[-1]
        elif h.status == "not_reached":
            why = "not reached: the rollout stopped before this host (a batch failed)"
        elif h.status == "stopped":
            why = "stopped mid-run: a host of its batch failed (max_fail_percentage)"
        else:
            why = h.restart_pending_reason
        table.add_row(_esc(name), "[%s]%s[/%s]" % (colour, h.status.replace("_", " "), colour),
                      str(h.ok), str(h.changed), str(h.failed + h.unreachable),
                      _esc(", ".join(p["id"] for p in h.problems) or "-"),
                      "[yellow]pending[/yellow]" if h.restart_pending else "-",
                      _esc(why[:160]))
    console.print(table)
    for name in result.restart_pending_hosts:
        console.print("[yellow]restart pending[/yellow] %s: %s; %s."
                      % (_esc(name), _esc(result.hosts[name].restart_pending_reason),
                         RESTART_HOWTO))
    for name, h in result.hosts.items():
        for d in h.diagnosis:
            console.print("[red]diagnosis[/red] %s%s: %s: %s\n    remedy: %s"
                          % (_esc(name), " (%s)" % _esc(d["service"]) if d.get("service") else "",
                             _esc(d["id"]), _esc(d.get("cause", "")), _esc(d.get("remedy", ""))))
    for name, h in result.hosts.items():
        for warning in h.warnings:
            console.print("[yellow]warning[/yellow] %s: %s" % (_esc(name), _esc(warning)))
    if result.not_reached_hosts:
        console.print("[red]not reached[/red]: %s (the rollout stopped; fix the failed hosts, "
                      "then rerun or use --retry-failed)" % ", ".join(result.not_reached_hosts))
    if result.action == "status":
        status_table(result, console)
    if result.action == "doctor":
        for name, h in result.hosts.items():
            for p in h.problems:
                console.print("[bold]%s[/bold] %s: %s\n    remedy: %s"
                              % (name, p["id"], p["message"], p["remedy"]))


def status_table(result: api.RunResult, console: Console) -> None:
    from rich.table import Table
    table = Table(title="containers and GPUs")
    table.add_column("host", no_wrap=True)
    for col in ("container", "state", "status", "gpu", "util %", "memory MiB"):
        table.add_column(col)
    for name, h in result.hosts.items():
        st = h.data.get("gpufleet_status") or {}
        for c in st.get("containers", []):
            table.add_row(name, c.get("Names", "?"), c.get("State", "?"), c.get("Status", "?"),
                          "", "", "")
        for g in st.get("gpus", []):
            table.add_row(name, "", "", "", g.get("name") or "?",
                          str(g.get("utilization_gpu_percent", "")),
                          "%s / %s" % (g.get("memory_used_mib", "?"), g.get("memory_total_mib", "?")))
    console.print(table)
    for name, h in result.hosts.items():  # Windows hosts: Docker Desktop's state
        d = (h.data.get("gpufleet_status") or {}).get("desktop")
        if d:
            console.print("%s: Docker Desktop %s (%s), engine %s, backend %s, WSL integration "
                          "for %s %s, WSL %s, via %s" % (
                              _esc(name), "running" if d.get("running") else "not running",
                              _esc(d.get("version") or "?"), _esc(d.get("engine") or "?"),
                              _esc(d.get("backend") or "?"), _esc(d.get("distro") or "?"),
                              "on" if d.get("wsl_integration") else "off",
                              _esc(d.get("wsl") or "?"), _esc(d.get("via") or "?")))


def cmd_render_cloud(args: argparse.Namespace) -> int:
    """Render for a cloud target: YAML stream (kubernetes) or JSON on stdout; any error
    before a byte is printed."""
    from gpufleet import cloud_deploy
    doc, warnings = cloud_deploy.render(api.load_services(args.services), args.platform,
                                        args.vendor, args.option or [])
    from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_cloud import (
        OUTPUT_FORMAT)  # importable now: render found the collection
    if OUTPUT_FORMAT[args.platform] == "yaml":
        import yaml
        text = yaml.safe_dump_all(doc, sort_keys=False, default_flow_style=False)
    else:
        text = json.dumps(doc, indent=2) + "\n"
    for w in warnings:
        print("warning: " + w, file=sys.stderr)
    sys.stdout.write(text)
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    if args.platform in CLOUD_TARGETS:
        return cmd_render_cloud(args)
    if args.option:
        raise api.GpufleetError("--option is for the cloud targets (%s), not --platform %s"
                                % (", ".join(CLOUD_TARGETS), args.platform))
    api.content()  # makes the collection importable from a checkout too
    from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_compose import (
        ServiceError, render)
    services = api.load_services(args.services)
    try:
        doc, warnings, gpu_services = render(
            services, args.platform, args.project, gpu_vendor=args.vendor,
            gpu_mode=args.gpu_mode, container_platform=args.container_platform,
            path_exists=None)
    except ServiceError as exc:
        raise api.GpufleetError(str(exc)) from exc
    for w in warnings:
        print("warning: " + w, file=sys.stderr)
    print(json.dumps(doc, indent=2))
    return 0


# gpufleet_cloud_common.TARGETS, spelled out: the parser is built without importing the
# collection (tests/unit/gpufleet/test_cli_render_cloud.py checks the two agree).
CLOUD_TARGETS = ("kubernetes", "ecs", "batch", "sagemaker", "cloud-run", "azure-container-apps")


# Subcommands that live in modules of their own: each has ``add_parser(sub)`` (adds its
# parser to argparse's subparsers and sets ``func``) and the ``func`` it set returns the
# exit status. Imported only to build the parser: keep their top-level imports light.
SUBCOMMAND_MODULES: tuple[str, ...] = (
    "gpufleet.cmd_image",
    "gpufleet.cmd_explain",
)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="gpufleet", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    i = sub.add_parser("init", help="write a starter inventory into DIR")
    i.add_argument("directory", metavar="DIR")
    i.add_argument("--force", action="store_true",
                   help="overwrite the starter's files where they exist")
    for name, helptext in (("up", "provision hosts"), ("plan", "check mode + diff"),
                           ("doctor", "GPU problems and remedies"),
                           ("deploy", "deploy GPU workloads"),
                           ("status", "containers and GPU use")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("-i", "--inventory", default=None,
                       help="inventory file or directory (default in a checkout: its local "
                            "fleet, inventory/local/hosts.yml)")
        p.add_argument("-l", "--limit")
        p.add_argument("-e", "--extra-vars", action="append", default=[])
        p.add_argument("-t", "--tags", action="append")
        p.add_argument("--json", action="store_true", help="print the result as JSON")
        p.add_argument("--retry-failed", action="store_true",
                       help="limit to the hosts that failed or were not reached in the last "
                            "run of this command on this inventory")
        p.add_argument("--forks", type=int)
        if name == "deploy":
            p.add_argument("--service", action="append", help="only this service (repeat)")
            p.add_argument("--remove", action="store_true", help="stop and remove instead")
            p.add_argument("--platform", choices=CLOUD_TARGETS,
                           help="deploy --services to Kubernetes or a cloud container service "
                                "instead of the fleet (no inventory; docs/cloud.md)")
            p.add_argument("--services", help="with --platform: YAML file of service "
                                              "descriptions")
            p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                           help="with --platform: a target option (repeat), also endpoint_url "
                                "(AWS), kubeconfig and context (kubernetes)")
            p.add_argument("--vendor", default="nvidia", choices=["nvidia", "amd", "intel"],
                           help="with --platform: the GPU vendor of the target's nodes")
            p.add_argument("--dry-run", action="store_true",
                           help="with --platform: only write the rendered files (--output)")
            p.add_argument("--output", metavar="DIR",
                           help="with --dry-run: where to write them (default a new temp dir)")
            p.add_argument("--check", action="store_true",
                           help="show what would change (check mode with diff); changes nothing")
    r = sub.add_parser("render", help="render a compose file, Kubernetes objects or cloud "
                                      "service definitions locally")
    r.add_argument("--services", required=True, help="YAML file of service descriptions")
    r.add_argument("--platform", required=True,
                   choices=["linux", "cloud", "wsl2", "windows", "macos", "rocm", "intel",
                            *CLOUD_TARGETS])
    r.add_argument("--project", default="gpufleet")
    r.add_argument("--vendor", default="nvidia", choices=["nvidia", "amd", "intel", "none"])
    r.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="a cloud target's option (repeat): namespace, region, "
                        "workload_profile, ... (docs/cloud.md)")
    r.add_argument("--gpu-mode", default="runtime", choices=["runtime", "cdi"])
    r.add_argument("--container-platform")
    import importlib
    for modname in SUBCOMMAND_MODULES:
        importlib.import_module(modname).add_parser(sub)
    return ap


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    limit = getattr(args, "limit", None)
    try:
        if getattr(args, "func", None) is not None:
            return int(args.func(args))
        if args.command == "render":
            return cmd_render(args)
        if args.command == "init":
            return cmd_init(args)
        if args.command == "deploy" and args.platform:
            from gpufleet.cloud_deploy import cmd_deploy_cloud
            return cmd_deploy_cloud(args)
        if args.command == "deploy" and (args.services or args.option or args.dry_run
                                         or args.output):
            raise api.GpufleetError("--services, --option, --dry-run and --output go with "
                                    "--platform (a cloud target); a fleet deploy takes -i "
                                    "INVENTORY (use `gpufleet plan` for a dry run)")
        console = _console(args.json)
        if args.inventory is None:
            local = os.path.join(api.ROOT, "inventory", "local", "hosts.yml")
            if api.content().kind != "checkout" or not os.path.exists(local):
                raise api.InventoryError("no inventory given: pass -i INVENTORY (a file or "
                                         "a directory with hosts.yml and group_vars/)")
            args.inventory = local
        limit = args.limit
        if args.retry_failed:
            limit = ",".join(hosts_to_retry(args.inventory, args.command))
        kw: dict[str, Any] = dict(extra_vars=parse_extra_vars(args.extra_vars), tags=args.tags,
                  forks=args.forks, on_event=None if args.json else progress_printer(console))
        if args.command == "deploy":
            if args.remove:
                kw["extra_vars"]["gpu_workload_state"] = "absent"
            if args.check:
                kw.update(check=True, diff=True)
            result = api.deploy(args.inventory, limit, services=args.service, **kw)
        else:
            fn = {"up": api.provision, "plan": api.plan, "doctor": api.doctor,
                  "status": api.status}[args.command]
            result = fn(args.inventory, limit, **kw)
    except api.GpufleetError as exc:
        print("gpufleet: %s" % exc, file=sys.stderr)
        if getattr(args, "json", False):
            print(json.dumps(not_run_result(args.command, limit, exc).to_dict(), indent=2,
                             default=str))
        return 2
    if result.hosts:  # a run that reached no host keeps the last record for --retry-failed
        save_run_state(args.inventory, args.command, result)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        summary_table(result, console)
    return exit_code(result)


if __name__ == "__main__":
    sys.exit(main())
