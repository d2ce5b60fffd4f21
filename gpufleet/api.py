"""gpufleet's Python API: run the fleet playbooks through ansible-runner, get typed results.

    from gpufleet import api
    result = api.provision("inventory/prod", limit="linux", on_event=print)
    for host in result.failed_hosts:
        print(host, result.hosts[host].failures)

Every entry point takes an inventory, a limit, extra vars and tags, runs through
``ansible_runner`` (an argv, never a shell string), streams events to ``on_event`` and returns
a :class:`RunResult`.  Bad input raises a :class:`GpufleetError` subclass before anything runs
(its ``kind`` says which: usage, inventory, no_hosts, setup).  A run that fails says why in
``RunResult.error`` (with ``error_kind``): the failed hosts and their reasons, or, when no
host ran anything, ansible-playbook's own error (a playbook syntax error, a missing role).

    api.init("inventory/prod")      # the starter inventory `gpufleet init` writes
"""
from __future__ import annotations

import fnmatch
import functools
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
from types import ModuleType
from typing import TYPE_CHECKING, Any, Callable, Iterable

if TYPE_CHECKING:
    from ansible_runner import Runner

# The checkout this package sits in (a development install); see content().
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLAYBOOKS = {
    "provision": "playbooks/site.yml",
    "plan": "playbooks/site.yml",
    "doctor": "playbooks/doctor.yml",
    "deploy": "playbooks/workloads.yml",
    "deploy_cloud": "playbooks/cloud_deploy.yml",
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
    # The roles hand results on as public role variables (ansible.cfg says why).
    "ANSIBLE_PRIVATE_ROLE_VARS": "False",
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
    """Base class: a problem the caller must fix; nothing was run.

    ``kind`` is what ``RunResult.error_kind`` and ``gpufleet --json`` report for it."""

    kind = "usage"


class RunnerMissingError(GpufleetError):
    kind = "setup"


class InventoryError(GpufleetError):
    """The inventory is missing or does not parse (the message has the parser's words)."""

    kind = "inventory"


class UnknownTargetError(GpufleetError):
    """The limit names a group or host the inventory does not have."""

    kind = "no_hosts"


class NoHostsError(UnknownTargetError):
    """The inventory, the limit and the playbook's host patterns leave no host to run on."""


class PrivateDataDirError(GpufleetError):
    pass


class InitError(GpufleetError):
    """``init`` would overwrite files (and force was not given)."""


def load_services(path: str) -> dict[str, Any]:
    """A service-description file (``--services``): a mapping of service name ->
    description, or one under ``gpu_workload_services:`` (an inventory vars file).
    Unreadable, unparsable or not a mapping: GpufleetError naming the file."""
    import yaml
    try:
        with open(path) as fh:
            doc = yaml.safe_load(fh) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise GpufleetError("--services %s: %s" % (path, exc)) from exc
    if not isinstance(doc, dict):
        raise GpufleetError("--services %s: expected a mapping of service name -> "
                            "description (or gpu_workload_services: ...)" % path)
    services = doc.get("gpu_workload_services", doc)
    if not isinstance(services, dict):
        raise GpufleetError("--services %s: gpu_workload_services must be a mapping" % path)
    return services


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
    # What gpufleet's failure catalog names as the cause of a failed GPU smoke test or
    # container start ([{id, cause, remedy, service?}]; the gpu_workload role's
    # gpu_workload_diagnosis fact, or a failed task's own ``diagnosis``).
    diagnosis: list[dict] = field(default_factory=list)
    # The modules' warnings on this host, each once (e.g. macOS: a GPU service runs on the
    # CPU; an image not pinned by digest).
    warnings: list[str] = field(default_factory=list)
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
    rc: int | None           # ansible-playbook's exit status; None when it never ran
    status: str
    duration_s: float
    hosts: dict[str, HostResult] = field(default_factory=dict)
    # Why the run failed, in words (None when it did not): the failed/unreachable/not
    # reached hosts with their first reason, or ansible-playbook's own error when no host
    # ran anything. error_kind: "hosts", "playbook", "no_hosts" (and, for errors raised
    # before anything runs, in the CLI's JSON: "usage", "inventory", "setup").
    error: str | None = None
    error_kind: str | None = None

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
        return (self.rc == 0 and not self.failed_hosts and not self.not_reached_hosts
                and not self.error)

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

def _runner() -> ModuleType:
    try:
        import ansible_runner  # noqa: F401
    except ImportError as exc:  # pragma: no cover - exercised by a test with a fake import
        raise RunnerMissingError(
            "ansible-runner is not installed in this Python (%s): install gpufleet with its "
            "dependencies (`bash scripts/dev setup`, or pip install -e .)" % exc) from exc
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
        raise InventoryError("inventory %s does not parse: %s"
                             % (inventory, inventory_parse_error(proc.stderr, inventory)))
    return json.loads(proc.stdout)


_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_PLUGIN_FAILED = re.compile(r"^\[WARNING\]: Failed to parse inventory with '([^']+)' plugin: (.*)$")
# What inventory plugins say about a file that is simply not theirs: not the reason.
_NOT_MINE = ("no root 'plugin' key found", "does not have a valid YAML extension",
             "not a valid YAML inventory plugin", "Invalid host pattern 'all:' supplied",
             "is not a valid file", "not a valid inventory file", "does not have one of the "
             "valid extensions")


def _plain(text: str) -> str:
    return _ANSI.sub("", text or "").replace("\r\n", "\n").replace("\r", "\n")


def inventory_parse_error(stderr: str, inventory: str = "") -> str:
    """The parser's message out of ``ansible-inventory``'s stderr, with where it happened.

    ansible-inventory tries every inventory plugin and prints each one's failure; the
    plugin that matches the file's kind (yaml for .yml/.yaml/.json, ini otherwise) has the
    real message, the others say the file is not theirs. A YAML error in group_vars comes
    without a file name: the inventory's group_vars/host_vars files are then read here to
    name the one that does not parse."""
    lines = [line.rstrip() for line in _plain(stderr).split("\n")]
    tries: list[tuple[str, str, str]] = []          # (plugin, message, origin)
    errors: list[str] = []
    for i, line in enumerate(lines):
        m = _PLUGIN_FAILED.match(line.strip())
        if m:
            origin = ""
            for nxt in lines[i + 1:]:
                if nxt.startswith(("[WARNING]", "[ERROR]")):
                    break
                if nxt.startswith("Origin: ") and not origin:
                    origin = nxt[len("Origin: "):].strip()
            tries.append((m.group(1), m.group(2).strip(), origin))
        elif line.startswith("[ERROR]: "):
            errors.append(line[len("[ERROR]: "):].strip())
    relevant = [t for t in tries if not any(n in t[1] for n in _NOT_MINE)]
    yaml_like = any(t[2].endswith((".yml", ".yaml", ".json")) or
                    re.search(r"\.(ya?ml|json)(:\d+)*$", t[2]) for t in tries) or \
        inventory.endswith((".yml", ".yaml", ".json")) or os.path.isdir(inventory)
    order = ("yaml", "auto", "ini", "toml") if yaml_like else ("ini", "yaml", "auto", "toml")
    relevant.sort(key=lambda t: order.index(t[0]) if t[0] in order else len(order))
    parts = []
    if relevant:
        plugin, message, origin = relevant[0]
        # the same message from another plugin may carry the file:line:column
        for other in relevant:
            if other[1] == message and re.search(r":\d+:\d+$", other[2]):
                origin = other[2]
        parts.append(message + (" (%s)" % origin if origin and not origin.startswith("<")
                                else ""))
    for e in errors:
        if e.startswith("Completely failed to parse inventory source"):
            parts.append(e)
        elif not parts:
            where = _vars_file_that_does_not_parse(inventory)
            parts.append(e + (" (%s)" % where if where else ""))
    if not parts:
        tail = [line.strip() for line in lines if line.strip()]
        parts.append(" ".join(tail)[-800:] or "ansible-inventory failed with no message")
    return "; ".join(parts)


def _vars_file_that_does_not_parse(inventory: str) -> str:
    """``path:line:column: problem`` of the first group_vars/host_vars YAML file next to the
    inventory that YAML cannot read ("" when they all parse)."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    # !vault and other Ansible tags are fine here: only the syntax matters
    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    base = inventory if os.path.isdir(inventory) else os.path.dirname(inventory)
    for sub in ("group_vars", "host_vars"):
        for dirpath, _, files in sorted(os.walk(os.path.join(base, sub))):
            for name in sorted(files):
                if not name.endswith((".yml", ".yaml", ".json")) and "." in name:
                    continue
                path = os.path.join(dirpath, name)
                try:
                    with open(path) as fh:
                        yaml.load(fh, Loader=Loader)  # noqa: S506 - SafeLoader subclass
                except yaml.YAMLError as exc:
                    mark = getattr(exc, "problem_mark", None)
                    where = "%s:%d:%d" % (path, mark.line + 1, mark.column + 1) if mark else path
                    return "%s: %s" % (where, getattr(exc, "problem", None) or exc)
                except (OSError, UnicodeDecodeError):
                    continue
    return ""


def inventory_names(data: dict) -> tuple[set[str], set[str]]:
    # ansible-inventory --list leaves an empty group out of the top level, but lists it
    # among its parent's children: it is a group all the same.
    groups = {g for g in data if g != "_meta"}
    for g in list(groups):
        if isinstance(data[g], dict):
            groups.update(data[g].get("children", []))
    hosts = set(data.get("_meta", {}).get("hostvars", {}))
    for g in groups:
        hosts.update(data[g].get("hosts", []) if isinstance(data.get(g), dict) else [])
    return groups, hosts


def describe_inventory(data: dict, most: int = 20) -> str:
    """``groups: linux (2 hosts), windows (0 hosts); hosts: a, b`` for messages."""
    groups, hosts = inventory_names(data)
    shown = []
    for g in sorted(groups - {"all", "ungrouped"}):
        n = len(group_members(data, g))
        shown.append("%s (%d host%s)" % (g, n, "" if n == 1 else "s"))
    names = sorted(hosts)
    listed = ", ".join(names[:most]) + (" and %d more" % (len(names) - most)
                                         if len(names) > most else "")
    return "groups: %s; hosts: %s" % (", ".join(shown) or "none", listed or "none")


def check_limit(limit: str | None, data: dict) -> None:
    """Every plain name in the limit must be a group or host of the inventory."""
    if not limit:
        return
    groups, hosts = inventory_names(data)
    for part in split_pattern(limit):
        name = part.lstrip("!&")
        if not name or any(c in name for c in "*?[~@") or name in ("all", "ungrouped"):
            continue
        if name not in groups and name not in hosts:
            raise UnknownTargetError(
                "limit %r: %r is neither a group nor a host of the inventory (%s)"
                % (limit, name, describe_inventory(data)))


def no_hosts_message(data: dict, playbook: str, limit: str | None, extra_vars: dict,
                     inventory: str = "the inventory") -> str:
    """Why a run of ``playbook`` has no host: an empty inventory, a limit matching nothing,
    or a limit outside the groups the playbook's plays run on."""
    _, hosts = inventory_names(data)
    if not hosts:
        return ("the inventory %s has no hosts (%s): add hosts under the groups in its "
                "hosts.yml" % (inventory, describe_inventory(data)))
    within = resolve_pattern(data, limit) if limit else None
    if limit and within is not None and not within:
        return "no host matches the limit %r (%s)" % (limit, describe_inventory(data))
    patterns = list(dict.fromkeys(play_patterns(playbook, extra_vars)))
    runs_on = " and ".join(repr(p) for p in patterns) or "its plays' hosts"
    if limit:
        selected = ", ".join(sorted(within)) if within is not None else "hosts"
        return ("no host to run on: %s runs on %s, and the limit %r selects %s, none of "
                "them there (%s)" % (playbook, runs_on, limit, selected,
                                     describe_inventory(data)))
    return ("no host to run on: %s runs on %s, and no host of the inventory is there (%s)"
            % (playbook, runs_on, describe_inventory(data)))


# --------------------------------------------------------------------------- rollout

ROLLOUT_KEYS = ("gpufleet_serial", "gpufleet_max_fail_percentage", "gpufleet_order")
PLATFORM_GROUPS = ("linux", "cloud", "wsl", "windows", "macos")


def _fnmatch(name: str, pattern: str) -> bool:
    return fnmatch.fnmatchcase(name, pattern)


def group_members(data: dict, group: str) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    todo = [group]
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


ORDERS = ("inventory", "reverse_inventory", "sorted", "reverse_sorted", "shuffle")
_BATCH = re.compile(r"^\s*\d+(\.\d+)?\s*%?\s*$")


def check_rollout(extra_vars: dict) -> None:
    """The rollout values the plays will get must be ones Ansible takes: a value it cannot
    use ends ansible-playbook before any host with "Unexpected Exception, this is probably
    a bug: invalid literal for int()", which names neither the variable nor the group.
    Templates ("{{ ... }}") are left to Ansible."""
    def templated(value: object) -> bool:
        return isinstance(value, str) and "{{" in value

    def batch_ok(value: object) -> bool:
        if isinstance(value, bool):
            return False
        if isinstance(value, int):
            return value >= 0
        return isinstance(value, str) and (templated(value) or bool(_BATCH.match(value)))

    for name, value in sorted(extra_vars.items()):
        key = next((k for k in ROLLOUT_KEYS if name == k or name.startswith(k + "_")), None)
        if key is None or templated(value):
            continue
        group = name[len(key) + 1:]
        where = ("group %s (group_vars/%s.yml)" % (group, group) if group
                 else "the extra vars (-e)")
        if key == "gpufleet_serial":
            ok = all(batch_ok(v) for v in value) if isinstance(value, list) else batch_ok(value)
            hint = 'a number of hosts, a percentage ("25%"), or a list of them ([1, "100%"])'
        elif key == "gpufleet_max_fail_percentage":
            ok = (not isinstance(value, bool) and isinstance(value, (int, float))
                  and 0 <= value <= 100) or (isinstance(value, str) and bool(
                      re.match(r"^\s*\d+(\.\d+)?\s*$", value)) and float(value) <= 100)
            hint = "a number from 0 to 100"
        else:
            ok = value in ORDERS
            hint = "one of " + ", ".join(ORDERS)
        if not ok:
            raise GpufleetError("%s is %r in %s: use %s" % (key, value, where, hint))


# The host patterns of each playbook's plays (var, default), as in their `hosts:` lines:
# when a failed batch ends the run, later plays never start and send no event, yet their
# hosts were targeted. (cloud.yml imports linux.yml with gpufleet_linux_hosts: cloud.)
PLAY_HOSTS = {
    "playbooks/site.yml": (("gpufleet_linux_hosts", "linux"), ("gpufleet_linux_hosts", "cloud"),
                 ("gpufleet_wsl_hosts", "wsl"), ("gpufleet_windows_hosts", "windows"),
                 ("gpufleet_macos_hosts", "macos")),
    "playbooks/doctor.yml": (("gpufleet_doctor_hosts", "all:!windows"),
                             ("gpufleet_doctor_windows_hosts", "windows")),
    "playbooks/status.yml": (("gpufleet_status_hosts", "all:!windows"),
                             ("gpufleet_status_windows_hosts", "windows")),
    "playbooks/workloads.yml": (("gpufleet_workload_hosts", "linux:cloud:wsl"),
                                ("gpufleet_workload_windows_hosts", "windows"),
                                ("gpufleet_workload_macos_hosts", "macos")),
}


def split_pattern(pattern: str) -> list[str]:
    """An Ansible host pattern's terms, as Ansible splits them: on commas, else on colons
    outside [] (``host[0:2]`` is one term)."""
    terms = pattern.split(",") if "," in pattern else re.split(r":(?![^\[]*\])", pattern)
    return [t.strip() for t in terms if t.strip()]


def play_patterns(playbook: str, extra_vars: dict) -> list[str]:
    """The host patterns of ``playbook``'s plays (PLAY_HOSTS), with extra vars applied."""
    return [str(extra_vars.get(var, default)) for var, default in PLAY_HOSTS.get(playbook, ())]


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
    terms = split_pattern(pattern)
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
                match: Callable[[str], object] = rx.match
            else:
                match = functools.partial(_fnmatch, pattern=name)
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
                   extra_patterns: Iterable[str] = ()) -> set[str] | None:
    """Hosts the playbook's plays select within the limit; None when that is not known."""
    patterns = play_patterns(playbook, extra_vars) + list(extra_patterns)
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
    if playbook not in (PLAYBOOKS["doctor"], PLAYBOOKS["status"]):  # those have no rollout
        check_rollout(extravars)
    if playbook in PLAY_HOSTS and targeted_hosts(data, playbook, limit, extravars) == set():
        raise NoHostsError(no_hosts_message(data, playbook, limit, extravars, inventory))

    def host(name: str) -> HostResult:
        return hosts.setdefault(name, HostResult(host=name))

    def handler(event: dict) -> bool:
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
        if r.rc != 0 and r.stats is not None:
            # The run ended early (a batch that failed, max_fail_percentage) and Ansible
            # said so in its recap: the hosts it targeted and never reached get a result
            # that says so. (No recap: ansible-playbook itself stopped; `error` says why.)
            targets = targeted_hosts(data, playbook, limit, extravars,
                                     state.get("play_patterns", ()))
            for name in sorted(targets or ()):
                if name not in hosts:
                    hosts[name] = HostResult(host=name, reached=False)
        result = RunResult(action=action, playbook=playbook, limit=limit, rc=r.rc,
                           status=r.status, duration_s=round(time.monotonic() - started, 2),
                           hosts=dict(sorted(hosts.items())))
        result.error, result.error_kind = explain_failure(
            result, lambda: _runner_output(r),
            no_hosts=lambda: no_hosts_message(data, playbook, limit, extravars, inventory))
        return result
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def _runner_output(r: Runner) -> str:
    """ansible-playbook's output of a finished ansible-runner run ("" when there is none)."""
    try:
        handle = r.stdout
        try:
            return handle.read()
        finally:
            handle.close()
    except Exception:  # noqa: BLE001 - no artifacts: nothing to explain with
        return ""


# --------------------------------------------------------------------------- why a run failed

_ERROR_START = ("[ERROR]:", "ERROR!")
_BLOCK_END = ("[ERROR]:", "ERROR!", "[WARNING]:", "[DEPRECATION WARNING]", "PLAY [",
              "PLAY RECAP", "TASK [", "fatal:", "Traceback (most recent call last)")


def ansible_errors(output: str) -> list[str]:
    """The error blocks of ansible-playbook's output: each ``[ERROR]: ...`` line with the
    lines that follow it (Origin, the source excerpt, what caused it), colours and
    tracebacks left out, and the play it happened in when one had started."""
    blocks, play = [], None
    lines = _plain(output).split("\n")
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        if line.startswith("PLAY [") and not line.startswith("PLAY RECAP"):
            play = line[len("PLAY ["):].split("]")[0]
        if not line.startswith(_ERROR_START):
            i += 1
            continue
        block = [line]
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(_BLOCK_END):
            block.append(lines[i].rstrip())
            i += 1
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(block).strip())
        text = "\n".join(text.split("\n")[:25])
        if play:
            text += "\n(in the play %r)" % play
        if text not in blocks:
            blocks.append(text)
    return blocks


def _one_line(text: str, most: int = 240) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= most else text[:most - 3] + "..."


def explain_failure(result: RunResult, output: str | Callable[[], str] = "",
                    no_hosts: Callable[[], str] | None = None) -> tuple[str | None, str | None]:
    """``(error, error_kind)`` for a finished run (pure, unit-tested).

    (None, None) when the run is fine. Hosts that failed, were unreachable or were not
    reached: "hosts", with each one's first reason. No host results at all: the run never
    reached a host, and ansible-playbook's own error text (``output``: its stdout) says
    why: "no_hosts" when nothing matched, else "playbook" (a syntax error, a missing
    role, a play keyword that does not template). ``no_hosts`` describes the inventory
    for the nothing-matched case. ``output`` may be a function, called only when needed."""
    bad = result.failed_hosts
    not_reached = result.not_reached_hosts
    if result.rc == 0 and result.hosts and not bad and not not_reached:
        return None, None
    if bad or not_reached:
        parts = []
        if bad:
            shown = []
            for name in bad[:5]:
                h = result.hosts[name]
                shown.append("%s (%s)" % (name, _one_line(h.failures[0] if h.failures
                                                          else h.status)))
            more = " and %d more" % (len(bad) - 5) if len(bad) > 5 else ""
            parts.append("%d host%s failed or unreachable: %s%s" % (
                len(bad), "" if len(bad) == 1 else "s", "; ".join(shown), more))
        if not_reached:
            parts.append("not reached (the rollout stopped): %s" % ", ".join(not_reached))
        return "; ".join(parts), "hosts"
    if callable(output):
        output = output()
    errors = ansible_errors(output)
    nothing_matched = any("no hosts to target" in e or "provided hosts list is empty" in e
                          for e in errors)
    if nothing_matched or (not result.hosts and result.rc == 0):
        detail = no_hosts() if no_hosts else "no host matched"
        warned = sorted(set(re.findall(r"Could not match supplied host pattern, ignoring: (\S+)",
                                       _plain(output))))
        if warned:
            detail += " (Ansible: no host matches %s)" % ", ".join(warned)
        return detail, "no_hosts"
    if errors:
        return "\n\n".join(errors[:3]), "playbook"
    tail = [line for line in _plain(output).split("\n") if line.strip()][-15:]
    return ("ansible-playbook ended with rc %s (%s)%s" % (
        result.rc, result.status, ":\n" + "\n".join(tail) if tail else " and printed nothing"),
        "playbook")


def _truthy(value: object) -> bool:
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
    for warning in res.get("warnings") or []:
        if isinstance(warning, str) and warning not in h.warnings:
            h.warnings.append(warning)
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
        if isinstance(set_facts.get("gpu_workload_diagnosis"), list):
            _add_diagnosis(h, set_facts["gpu_workload_diagnosis"])
        if "docker_engine_restart_pending" in set_facts:
            h.restart_pending = _truthy(set_facts["docker_engine_restart_pending"])
            h.restart_pending_reason = (str(set_facts.get("docker_engine_restart_pending_reason")
                                            or "").strip() if h.restart_pending else "")
    elif kind in ("runner_on_failed", "runner_item_on_failed"):
        if data.get("ignore_errors"):
            return
        h.failures.append("%s: %s" % (task, failure_message(res)[:1000]))
        if isinstance(res.get("diagnosis"), list):
            _add_diagnosis(h, res["diagnosis"])
    elif kind == "runner_on_unreachable":
        msg = (res.get("msg") or "").strip()
        h.failures.append("unreachable: %s" % _strip_prefix(msg)[:500])


def _add_diagnosis(h: HostResult, items: list) -> None:
    """Keep each diagnosis once (by id and service), in the order they came."""
    for item in items:
        if not isinstance(item, dict) or not item.get("id"):
            continue
        key = (item.get("id"), item.get("service"))
        if all((d.get("id"), d.get("service")) != key for d in h.diagnosis):
            h.diagnosis.append(dict(item))


def _strip_prefix(msg: str) -> str:
    return msg[len("Task failed: "):] if msg.startswith("Task failed: ") else msg


# What Ansible says when a module's output was not a result: the reason is in module_stderr
# (with pipelining, a connection that cannot reach the host ends up here: the docker
# connection's "Error response from daemon: No such container: NAME").
_GENERIC_MODULE_FAILURE = ("MODULE FAILURE", "Module result deserialization failed",
                           "Module result deserialization", "module_stderr")


def failure_message(res: dict) -> str:
    """A failed task's reason: its msg, or what the module (or the connection) wrote to
    stderr when the msg only says that the module produced no result."""
    msg = _strip_prefix(str(res.get("msg") or "").strip())
    stderr = str(res.get("module_stderr") or "").strip()
    if stderr and (not msg or msg.startswith(_GENERIC_MODULE_FAILURE)):
        lines = [line.strip() for line in stderr.splitlines() if line.strip()]
        detail = " ".join(lines[-6:])[-600:]
        return "%s (%s)" % (detail, msg) if msg else detail
    return msg or str(res.get("stderr") or "").strip() or "failed"


# --------------------------------------------------------------------------- entry points

def init(directory: str, force: bool = False) -> list[str]:
    """Write the starter inventory (gpufleet.starter) into ``directory``: hosts.yml with
    the groups linux, cloud, wsl, windows, macos and their group_vars. Returns the paths
    written. Refuses (InitError, nothing written) when one of them exists, unless
    ``force``; other files in the directory are left alone."""
    from gpufleet import starter
    targets = {os.path.join(directory, rel): text for rel, text in starter.FILES.items()}
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise InitError("%s exists and is not a directory" % directory)
    existing = [path for path in targets if os.path.lexists(path)]
    if existing and not force:
        raise InitError("not overwriting %s (pass --force to replace %s)"
                        % (", ".join(existing), "it" if len(existing) == 1 else "them"))
    written = []
    for path, text in targets.items():
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as fh:
            fh.write(text)
        written.append(path)
    return written


def provision(inventory: str, limit: str | None = None, **kw: Any) -> RunResult:
    """Provision hosts (site.yml)."""
    return run("provision", inventory, limit, **kw)


def plan(inventory: str, limit: str | None = None, **kw: Any) -> RunResult:
    """What provision would change: check mode with diff."""
    return run("plan", inventory, limit, check=True, diff=True, **kw)


def doctor(inventory: str, limit: str | None = None, **kw: Any) -> RunResult:
    """GPU facts and problems per host; changes nothing."""
    return run("doctor", inventory, limit, **kw)


def deploy(inventory: str, limit: str | None = None, services: Iterable[str] | None = None,
           **kw: Any) -> RunResult:
    """Deploy the GPU workloads (optionally only the named services)."""
    if services:
        kw["extra_vars"] = dict(kw.get("extra_vars") or {}, gpu_workload_select=list(services))
    return run("deploy", inventory, limit, **kw)


def deploy_cloud(services_file: str, target: str,
                 options: Iterable[str] | dict[str, object] | None = None,
                 dry_run: bool = False, **kw: Any) -> Any:
    """Deploy a service description to Kubernetes or a cloud container service (``target``:
    kubernetes, ecs, batch, sagemaker, cloud-run, azure-container-apps; docs/cloud.md), or
    with ``dry_run`` only write the rendered files. No inventory: the play runs on localhost.
    Returns a :class:`gpufleet.cloud_deploy.CloudDeployResult` (``run`` is the RunResult)."""
    from gpufleet.cloud_deploy import deploy_cloud as _deploy_cloud
    return _deploy_cloud(services_file, target, options, dry_run=dry_run, **kw)


def status(inventory: str, limit: str | None = None, **kw: Any) -> RunResult:
    """Containers of gpufleet projects and GPU use per host; changes nothing."""
    return run("status", inventory, limit, **kw)
