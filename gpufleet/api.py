"""gpufleet's Python API: run the fleet playbooks through ansible-runner, get typed results.

    from gpufleet import api
    result = api.provision("inventory/prod", limit="linux", on_event=print)
    for host in result.failed_hosts:
        print(host, result.hosts[host].failures)

Every entry point takes an inventory, a limit, extra vars and tags, runs through
``ansible_runner`` (an argv, never a shell string), streams events to ``on_event`` and returns
a :class:`RunResult`.  Bad input raises a :class:`GpufleetError` subclass before anything runs.
"""
from __future__ import annotations

import fnmatch
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterable

# The checkout this package sits in (a development install); see content().
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLAYBOOKS = {
    "provision": "playbooks/site.yml",
    "plan": "playbooks/site.yml",
    "doctor": "playbooks/doctor.yml",
    "deploy": "playbooks/workloads.yml",
    "status": "playbooks/status.yml",
}


# --------------------------------------------------------------------------- content

# Settings of the checkout's ansible.cfg that runs from an installed wheel need too (that
# file's paths are the checkout's; an installed collection needs none of them).
INSTALLED_SETTINGS = {
    "ANSIBLE_INTERPRETER_PYTHON": "auto_silent", "ANSIBLE_FORKS": "20",
    "ANSIBLE_GATHERING": "implicit", "ANSIBLE_GATHER_SUBSET": "!all,min",
    "ANSIBLE_RETRY_FILES_ENABLED": "False", "ANSIBLE_PIPELINING": "True",
    "ANSIBLE_CALLBACK_RESULT_FORMAT": "yaml",
}


@dataclass(frozen=True)
class Content:
    """Where gpufleet's playbooks are and how Ansible must be set up to run them."""

    root: str               # the collection gpufleet.fleet: a checkout or an installed copy
    kind: str               # "checkout" or "installed"
    env: dict               # ANSIBLE_* settings for runs

    def path(self, *parts: str) -> str:
        return os.path.join(self.root, *parts)


def content() -> Content:
    """The checkout when this package runs from one (development), else the collection the
    wheel installed as ``site-packages/ansible_collections/gpufleet/fleet``.

    A checkout is recognised by its galaxy.yml and playbooks/; it brings its ansible.cfg
    and makes the collection's FQCN imports resolve through .collections/."""
    if os.path.isfile(os.path.join(ROOT, "galaxy.yml")) and \
            os.path.isdir(os.path.join(ROOT, "playbooks")):
        collections = os.path.join(ROOT, ".collections")
        if collections not in sys.path:
            sys.path.append(collections)
        return Content(ROOT, "checkout", {"ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg")})
    try:
        spec = importlib.util.find_spec("ansible_collections.gpufleet.fleet")
    except ImportError:
        spec = None
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        if os.path.isdir(os.path.join(location, "playbooks")):
            return Content(location, "installed", dict(INSTALLED_SETTINGS))
    raise GpufleetError(
        "gpufleet's playbooks were not found: neither a checkout (%s has no galaxy.yml) nor "
        "the collection the wheel installs (ansible_collections/gpufleet/fleet on sys.path). "
        "Reinstall gpufleet (pip install gpufleet), or run from a checkout." % ROOT)


# --------------------------------------------------------------------------- errors

class GpufleetError(Exception):
    """Base class: a problem the caller must fix; nothing was run."""


class RunnerMissingError(GpufleetError):
    pass


class InventoryError(GpufleetError):
    pass


class UnknownTargetError(GpufleetError):
    pass


class PrivateDataDirError(GpufleetError):
    pass


# --------------------------------------------------------------------------- results

@dataclass
class HostResult:
    host: str
    ok: int = 0
    changed: int = 0
    failed: int = 0
    unreachable: int = 0
    skipped: int = 0
    changed_tasks: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)
    facts: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    # docker_engine left a daemon.json change unapplied: containers were running, live-restore
    # was off and the run did not consent (facts docker_engine_restart_pending / _reason).
    restart_pending: bool = False
    restart_pending_reason: str = ""
    # The rollout stopped (a failed batch, max_fail_percentage) before this host ran any
    # task (reached False), or while its batch was running (stopped True).
    reached: bool = True
    stopped: bool = False

    @property
    def status(self) -> str:
        if self.unreachable:
            return "unreachable"
        if self.failed:
            return "failed"
        if not self.reached:
            return "not_reached"
        if self.stopped:
            return "stopped"
        return "changed" if self.changed else "ok"


@dataclass
class RunResult:
    action: str
    playbook: str
    limit: str | None
    rc: int
    status: str
    duration_s: float
    hosts: dict[str, HostResult] = field(default_factory=dict)

    @property
    def failed_hosts(self) -> list[str]:
        return sorted(h for h, r in self.hosts.items() if r.status in ("failed", "unreachable"))

    @property
    def changed_hosts(self) -> list[str]:
        return sorted(h for h, r in self.hosts.items() if r.status == "changed")

    @property
    def not_reached_hosts(self) -> list[str]:
        """Hosts the rollout stopped before (no task ran) or during their batch."""
        return sorted(h for h, r in self.hosts.items() if r.status in ("not_reached", "stopped"))

    @property
    def restart_pending_hosts(self) -> list[str]:
        return sorted(h for h, r in self.hosts.items() if r.restart_pending)

    @property
    def ok(self) -> bool:
        return self.rc == 0 and not self.failed_hosts and not self.not_reached_hosts

    def to_dict(self) -> dict:
        out = asdict(self)
        out["failed_hosts"] = self.failed_hosts
        out["changed_hosts"] = self.changed_hosts
        out["not_reached_hosts"] = self.not_reached_hosts
        out["restart_pending_hosts"] = self.restart_pending_hosts
        for name, host in self.hosts.items():
            out["hosts"][name]["status"] = host.status
        return out


# --------------------------------------------------------------------------- checks

def _runner():
    try:
        import ansible_runner  # noqa: F401
    except ImportError as exc:  # pragma: no cover - exercised by a test with a fake import
        raise RunnerMissingError(
            "ansible-runner is not installed in this Python (%s): install gpufleet with its "
            "dependencies (`bash scripts/dev setup`, or pip install -e .)" % exc)
    return ansible_runner


def load_inventory(inventory: str) -> dict:
    """Parse an inventory with ansible-inventory; InventoryError when it does not parse."""
    if not inventory or not os.path.exists(inventory):
        raise InventoryError("inventory %r does not exist" % (inventory,))
    exe = shutil.which("ansible-inventory", path=os.path.dirname(sys.executable) + os.pathsep
                       + os.environ.get("PATH", ""))
    if not exe:
        raise RunnerMissingError("ansible-inventory not found: install gpufleet's dependencies")
    found = content()
    env = dict(os.environ, **found.env)
    env.update(ANSIBLE_INVENTORY_UNPARSED_FAILED="1", ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED="1")
    proc = subprocess.run([exe, "-i", os.path.abspath(inventory), "--list"], cwd=found.root,
                          capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        detail = " ".join(line.strip() for line in proc.stderr.splitlines() if line.strip())
        raise InventoryError("inventory %s does not parse: %s" % (inventory, detail[:800]))
    return json.loads(proc.stdout)


def inventory_names(data: dict) -> tuple[set[str], set[str]]:
    groups = {g for g in data if g != "_meta"}
    hosts = set(data.get("_meta", {}).get("hostvars", {}))
    for g in groups:
        hosts.update(data[g].get("hosts", []) if isinstance(data[g], dict) else [])
    return groups, hosts


def check_limit(limit: str | None, data: dict) -> None:
    """Every plain name in the limit must be a group or host of the inventory."""
    if not limit:
        return
    groups, hosts = inventory_names(data)
    for part in limit.replace(",", ":").split(":"):
        name = part.strip().lstrip("!&")
        if not name or any(c in name for c in "*?[~@") or name in ("all", "ungrouped"):
            continue
        if name not in groups and name not in hosts:
            raise UnknownTargetError(
                "%r is neither a group nor a host of the inventory (groups: %s)"
                % (name, ", ".join(sorted(groups - {"all", "ungrouped"})) or "none"))


# --------------------------------------------------------------------------- rollout

ROLLOUT_KEYS = ("gpufleet_serial", "gpufleet_max_fail_percentage", "gpufleet_order")
PLATFORM_GROUPS = ("linux", "cloud", "wsl", "windows", "macos")


def group_members(data: dict, group: str) -> list[str]:
    seen, out, todo = set(), [], [group]
    while todo:
        g = todo.pop()
        if g in seen or not isinstance(data.get(g), dict):
            continue
        seen.add(g)
        out.extend(h for h in data[g].get("hosts", []) if h not in out)
        todo.extend(data[g].get("children", []))
    return out


def rollout_vars(data: dict) -> dict:
    """Per-group rollout policy from inventory variables, as extra vars for the plays.

    Ansible templates play keywords (serial, max_fail_percentage, order) without host or
    group variables, so a group_vars value never reaches them. The API reads each platform
    group's values (from its first host, where group_vars have been applied) and passes
    them as gpufleet_serial_<group> etc., which the platform playbooks use.
    """
    hostvars = data.get("_meta", {}).get("hostvars", {})
    out = {}
    for group in PLATFORM_GROUPS:
        members = group_members(data, group)
        if not members:
            continue
        values = hostvars.get(members[0], {})
        for key in ROLLOUT_KEYS:
            if key in values:
                out["%s_%s" % (key, group)] = values[key]
    return out


# The host patterns of each playbook's plays (var, default), as in their `hosts:` lines:
# when a failed batch ends the run, later plays never start and send no event, yet their
# hosts were targeted. (cloud.yml imports linux.yml with gpufleet_linux_hosts: cloud.)
PLAY_HOSTS = {
    "playbooks/site.yml": (("gpufleet_linux_hosts", "linux"), ("gpufleet_linux_hosts", "cloud"),
                 ("gpufleet_wsl_hosts", "wsl"), ("gpufleet_windows_hosts", "windows"),
                 ("gpufleet_macos_hosts", "macos")),
    "playbooks/doctor.yml": (("gpufleet_doctor_hosts", "all:!windows"),),
    "playbooks/status.yml": (("gpufleet_status_hosts", "all:!windows"),),
    "playbooks/workloads.yml": (("gpufleet_workload_hosts", "linux:cloud:wsl"),),
}


def resolve_pattern(data: dict, pattern: str | None) -> set[str] | None:
    """The hosts an Ansible host pattern selects in an ``ansible-inventory --list`` document.

    Groups (recursively) and hosts by name or glob, ``~regex``, ``all``/``*``, unions
    (``a:b``, ``a,b``), intersections (``&a``) and exclusions (``!a``) in Ansible's order.
    None when the pattern uses what this does not model (``@file``, ``host[0:2]``): callers
    then do not claim which hosts were targeted.
    """
    if pattern is None:
        pattern = "all"
    groups, hosts = inventory_names(data)
    # Ansible splits on commas, else on colons outside [] (host[0:2] is one term).
    terms = [t.strip() for t in (pattern.split(",") if "," in pattern
                                 else re.split(r":(?![^\[]*\])", pattern))]
    terms = [t for t in terms if t]
    regular = [t for t in terms if t[0] not in "&!"] or ["all"]
    ordered = regular + [t for t in terms if t[0] == "&"] + [t for t in terms if t[0] == "!"]
    selected: set[str] = set()
    for term in ordered:
        name = term[1:] if term[0] in "&!" else term
        if not name or name.startswith("@") or (name.endswith("]") and "[" in name
                                                and not name.startswith("~")):
            return None
        if name in ("all", "*"):
            that = set(hosts)
        elif name in hosts:
            that = {name}
        else:
            if name.startswith("~"):
                try:
                    rx = re.compile(name[1:])
                except re.error:
                    return None
                match = rx.match
            else:
                match = lambda n, _p=name: fnmatch.fnmatchcase(n, _p)  # noqa: E731
            that = set()
            for g in groups:
                if match(g):
                    that.update(group_members(data, g))
            if not that or name.startswith("~") or any(c in name for c in ".?*["):
                that.update(h for h in hosts if match(h))
        if term[0] == "!":
            selected -= that
        elif term[0] == "&":
            selected &= that
        else:
            selected |= that
    return selected


def targeted_hosts(data: dict, playbook: str, limit: str | None, extra_vars: dict,
                   play_patterns: Iterable[str] = ()) -> set[str] | None:
    """Hosts the playbook's plays select within the limit; None when that is not known."""
    patterns = [str(extra_vars.get(var, default)) for var, default in PLAY_HOSTS.get(playbook, ())]
    patterns += list(play_patterns)
    within = resolve_pattern(data, limit) if limit else None
    if limit and within is None:
        return None
    out: set[str] = set()
    for pattern in patterns:
        hosts = resolve_pattern(data, pattern)
        if hosts is None:
            return None
        out |= hosts if within is None else hosts & within
    return out


# --------------------------------------------------------------------------- running

EventCallback = Callable[[dict], Any]


def run(action: str, inventory: str, limit: str | None = None,
        extra_vars: dict | None = None, tags: Iterable[str] | None = None,
        on_event: EventCallback | None = None, private_data_dir: str | None = None,
        check: bool = False, diff: bool = False, playbook: str | None = None,
        forks: int | None = None) -> RunResult:
    """Run one of gpufleet's playbooks and collect a typed result."""
    runner = _runner()
    playbook = playbook or PLAYBOOKS[action]
    data = load_inventory(inventory)
    check_limit(limit, data)
    if private_data_dir is not None and not os.path.isdir(private_data_dir):
        raise PrivateDataDirError("private data dir %s does not exist; create it or leave it "
                                  "out for a temporary one" % private_data_dir)
    cmdline = []
    if check:
        cmdline.append("--check")
    if diff:
        cmdline.append("--diff")
    hosts: dict[str, HostResult] = {}
    state: dict = {}
    extravars = dict(rollout_vars(data), **(extra_vars or {}))

    def host(name):
        return hosts.setdefault(name, HostResult(host=name))

    def handler(event):
        collect_event(event, host, state)
        if on_event is not None:
            on_event(event)
        return True

    found = content()
    tmp = None
    if private_data_dir is None:
        tmp = private_data_dir = tempfile.mkdtemp(prefix="gpufleet-run-")
    started = time.monotonic()
    try:
        r = runner.run(
            private_data_dir=private_data_dir, project_dir=found.root, playbook=playbook,
            inventory=os.path.abspath(inventory), limit=limit,
            extravars=extravars,
            tags=",".join(tags) if tags else None, cmdline=" ".join(cmdline) or None,
            event_handler=handler, quiet=True, forks=forks,
            envvars=dict(found.env, ANSIBLE_FORCE_COLOR="0",
                         PATH=os.path.dirname(sys.executable) + os.pathsep
                         + os.environ.get("PATH", "")),
            settings={"suppress_ansible_output": True})
        stats = r.stats or {}
        for key, attr in (("ok", "ok"), ("changed", "changed"), ("failures", "failed"),
                          ("dark", "unreachable"), ("skipped", "skipped")):
            for name, count in (stats.get(key) or {}).items():
                setattr(host(name), attr, count)
        if r.rc != 0:
            # The run ended early (a batch that failed, max_fail_percentage): the hosts it
            # targeted and never reached get a result that says so.
            targets = targeted_hosts(data, playbook, limit, extravars,
                                     state.get("play_patterns", ()))
            for name in sorted(targets or ()):
                if name not in hosts:
                    hosts[name] = HostResult(host=name, reached=False)
        return RunResult(action=action, playbook=playbook, limit=limit, rc=r.rc,
                         status=r.status, duration_s=round(time.monotonic() - started, 2),
                         hosts=dict(sorted(hosts.items())))
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def _truthy(value) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1", "on")
    return bool(value)


def collect_event(event: dict, host: Callable[[str], HostResult],
                  state: dict | None = None) -> None:
    """Fold one ansible-runner event into the per-host results (pure, unit-tested).

    ``state`` (a dict the caller keeps for one run) follows the plays and batches: the host
    patterns of the plays, and which hosts the current batch runs, so that a batch cut
    short (``playbook_on_no_hosts_remaining``: max_fail_percentage, or every host of the
    batch failed) marks its hosts that had not failed as stopped.
    """
    kind = event.get("event", "")
    data = event.get("event_data") or {}
    name = data.get("host")
    state = {} if state is None else state
    if kind == "playbook_on_play_start":
        state["batch"] = []
        pattern = data.get("play_pattern") or data.get("pattern")
        if pattern:
            state.setdefault("play_patterns", [])
            if pattern not in state["play_patterns"]:
                state["play_patterns"].append(pattern)
        return
    if kind == "playbook_on_no_hosts_remaining":
        for n in state.get("batch", []):
            h = host(n)
            if not h.failures:
                h.stopped = True
        return
    if name and kind == "runner_on_start" and name not in state.setdefault("batch", []):
        state["batch"].append(name)
    if not name or kind not in ("runner_on_ok", "runner_on_failed", "runner_on_unreachable",
                                "runner_item_on_failed"):
        return
    res = data.get("res") or {}
    task = data.get("task") or data.get("task_action") or "?"
    h = host(name)
    if kind == "runner_on_ok":
        if res.get("changed"):
            h.changed_tasks.append(task)
        facts = (res.get("ansible_facts") or {}).get("gpufleet")
        if facts:
            h.facts = facts
            h.problems = facts.get("problems", [])
        for key in ("gpufleet_status", "gpu_workload_results"):
            if key in (res.get("ansible_facts") or {}):
                h.data[key] = res["ansible_facts"][key]
        set_facts = res.get("ansible_facts") or {}
        if "docker_engine_restart_pending" in set_facts:
            h.restart_pending = _truthy(set_facts["docker_engine_restart_pending"])
            h.restart_pending_reason = (str(set_facts.get("docker_engine_restart_pending_reason")
                                            or "").strip() if h.restart_pending else "")
    elif kind in ("runner_on_failed", "runner_item_on_failed"):
        if data.get("ignore_errors"):
            return
        h.failures.append("%s: %s" % (task, (res.get("msg") or res.get("stderr") or "failed")
                                      .strip()[:1000]))
    elif kind == "runner_on_unreachable":
        h.failures.append("unreachable: %s" % (res.get("msg") or "").strip()[:500])


# --------------------------------------------------------------------------- entry points

def provision(inventory: str, limit: str | None = None, **kw) -> RunResult:
    """Provision hosts (site.yml)."""
    return run("provision", inventory, limit, **kw)


def plan(inventory: str, limit: str | None = None, **kw) -> RunResult:
    """What provision would change: check mode with diff."""
    return run("plan", inventory, limit, check=True, diff=True, **kw)


def doctor(inventory: str, limit: str | None = None, **kw) -> RunResult:
    """GPU facts and problems per host; changes nothing."""
    return run("doctor", inventory, limit, **kw)


def deploy(inventory: str, limit: str | None = None, services: Iterable[str] | None = None,
           **kw) -> RunResult:
    """Deploy the GPU workloads (optionally only the named services)."""
    if services:
        kw["extra_vars"] = dict(kw.get("extra_vars") or {}, gpu_workload_select=list(services))
    return run("deploy", inventory, limit, **kw)


def status(inventory: str, limit: str | None = None, **kw) -> RunResult:
    """Containers of gpufleet projects and GPU use per host; changes nothing."""
    return run("status", inventory, limit, **kw)
