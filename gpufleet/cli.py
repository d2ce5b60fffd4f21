"""gpufleet command line: drive a whole fleet from one place.

    gpufleet up       -i INV [-l LIMIT]     provision (site.yml)
    gpufleet plan     -i INV [-l LIMIT]     what `up` would change (check mode + diff)
    gpufleet doctor   -i INV [-l LIMIT]     GPU facts and problems with remedies
    gpufleet deploy   -i INV [-l LIMIT] [--service NAME]... [--remove]
    gpufleet status   -i INV [-l LIMIT]     gpufleet containers and GPU use per host
    gpufleet render   --services FILE --platform P [--project NAME]

The seeds' scripts map to it: `deploy-to-windows.sh --gpu --service aiml-dev` is
`gpufleet deploy -l windows --service aiml-dev`; `monitor-workloads.sh --platform windows` is
`gpufleet status -l windows`.  Exit status: 0 all hosts fine, 1 a host failed or was
unreachable, 2 bad input (nothing ran).
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from gpufleet import api

LAST_RUN = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
                        "gpufleet", "last-run.json")


def _console(json_mode):
    from rich.console import Console
    return Console(stderr=json_mode, highlight=False)


def parse_extra_vars(items):
    out = {}
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


def progress_printer(console):
    """One line per host per task that changed or failed, as it happens."""
    def on_event(event):
        kind = event.get("event")
        data = event.get("event_data") or {}
        host, task = data.get("host"), data.get("task")
        if kind == "playbook_on_play_start":
            console.print("[bold]play[/bold] %s" % data.get("name", ""))
        elif kind == "runner_on_ok" and (data.get("res") or {}).get("changed"):
            console.print("  [yellow]changed[/yellow] %-24s %s" % (host, task))
        elif kind == "runner_on_failed" and not data.get("ignore_errors"):
            msg = ((data.get("res") or {}).get("msg") or "").strip().splitlines()
            console.print("  [red]failed[/red]  %-24s %s: %s" % (host, task, msg[0] if msg else ""))
        elif kind == "runner_on_unreachable":
            console.print("  [red]unreachable[/red] %s" % host)
    return on_event


def summary_table(result, console):
    from rich.table import Table
    table = Table(title="%s: %s (%.1f s)" % (result.action, result.status, result.duration_s))
    for col in ("host", "status", "ok", "changed", "failed", "problems", "why"):
        table.add_column(col)
    for name, h in result.hosts.items():
        colour = {"ok": "green", "changed": "yellow"}.get(h.status, "red")
        table.add_row(name, "[%s]%s[/%s]" % (colour, h.status, colour), str(h.ok),
                      str(h.changed), str(h.failed + h.unreachable),
                      ", ".join(p["id"] for p in h.problems) or "-",
                      (h.failures[-1] if h.failures else "")[:120])
    console.print(table)
    if result.action == "status":
        status_table(result, console)
    if result.action == "doctor":
        for name, h in result.hosts.items():
            for p in h.problems:
                console.print("[bold]%s[/bold] %s: %s\n    remedy: %s"
                              % (name, p["id"], p["message"], p["remedy"]))


def status_table(result, console):
    from rich.table import Table
    table = Table(title="containers and GPUs")
    for col in ("host", "container", "state", "status", "gpu", "util %", "memory MiB"):
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


def cmd_render(args):
    import yaml
    sys.path.insert(0, os.path.join(api.ROOT, "module_utils"))
    from gpufleet_compose import ServiceError, render
    with open(args.services) as fh:
        services = yaml.safe_load(fh) or {}
    services = services.get("gpu_workload_services", services)
    try:
        doc, warnings, gpu_services = render(
            services, args.platform, args.project, gpu_vendor=args.vendor,
            gpu_mode=args.gpu_mode, container_platform=args.container_platform,
            path_exists=None)
    except ServiceError as exc:
        raise api.GpufleetError(str(exc))
    for w in warnings:
        print("warning: " + w, file=sys.stderr)
    print(json.dumps(doc, indent=2))
    return 0


def build_parser():
    ap = argparse.ArgumentParser(prog="gpufleet", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    for name, helptext in (("up", "provision hosts"), ("plan", "check mode + diff"),
                           ("doctor", "GPU problems and remedies"),
                           ("deploy", "deploy GPU workloads"),
                           ("status", "containers and GPU use")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("-i", "--inventory", default=os.path.join(api.ROOT, "inventory",
                                                                  "local", "hosts.yml"))
        p.add_argument("-l", "--limit")
        p.add_argument("-e", "--extra-vars", action="append", default=[])
        p.add_argument("-t", "--tags", action="append")
        p.add_argument("--json", action="store_true", help="print the result as JSON")
        p.add_argument("--retry-failed", action="store_true",
                       help="limit to the hosts that failed in the last run")
        p.add_argument("--forks", type=int)
        if name == "deploy":
            p.add_argument("--service", action="append", help="only this service (repeat)")
            p.add_argument("--remove", action="store_true", help="stop and remove instead")
    r = sub.add_parser("render", help="render a compose file locally")
    r.add_argument("--services", required=True, help="YAML file of service descriptions")
    r.add_argument("--platform", required=True,
                   choices=["linux", "cloud", "wsl2", "windows", "macos", "rocm", "intel"])
    r.add_argument("--project", default="gpufleet")
    r.add_argument("--vendor", default="nvidia", choices=["nvidia", "amd", "intel", "none"])
    r.add_argument("--gpu-mode", default="runtime", choices=["runtime", "cdi"])
    r.add_argument("--container-platform")
    return ap


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        if args.command == "render":
            return cmd_render(args)
        console = _console(args.json)
        limit = args.limit
        if args.retry_failed:
            try:
                with open(LAST_RUN) as fh:
                    failed = json.load(fh).get("failed_hosts") or []
            except (OSError, ValueError):
                failed = []
            if not failed:
                raise api.GpufleetError("no failed hosts recorded in %s" % LAST_RUN)
            limit = ",".join(failed)
        kw = dict(extra_vars=parse_extra_vars(args.extra_vars), tags=args.tags,
                  forks=args.forks, on_event=None if args.json else progress_printer(console))
        if args.command == "deploy":
            if args.remove:
                kw["extra_vars"]["gpu_workload_state"] = "absent"
            result = api.deploy(args.inventory, limit, services=args.service, **kw)
        else:
            fn = {"up": api.provision, "plan": api.plan, "doctor": api.doctor,
                  "status": api.status}[args.command]
            result = fn(args.inventory, limit, **kw)
    except api.GpufleetError as exc:
        print("gpufleet: %s" % exc, file=sys.stderr)
        return 2
    os.makedirs(os.path.dirname(LAST_RUN), exist_ok=True)
    with open(LAST_RUN, "w") as fh:
        json.dump({"action": result.action, "failed_hosts": result.failed_hosts}, fh)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, default=str))
    else:
        summary_table(result, console)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
