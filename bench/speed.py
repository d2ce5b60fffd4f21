#!/usr/bin/env python3
"""Benchmark: gpufleet's Linux stack beside the floor, in one run (issue #15).

On fresh host containers of the test bed (its image and run options), interleaved per round:
  1. floor:     `apt-get update && apt-get install -y --no-install-recommends docker.io
                docker-cli` (trixie), then until `docker version` answers: the least work
                that yields a running Docker. Like with like: the roles install no
                Recommends either.
  1b. Ansible floor: bench/ansible_floor.yml on a fresh host: the same packages through one
                apt module task, then a wait for `docker version`: the least any Ansible
                run reaches (start-up, one module call, the apt module's own work).
  2. converge:  first `ansible-playbook site.yml -l linux` on one fresh host (docker_engine
                + nvidia runtime registration; toolkit packages off as in the local fleet),
  3. rerun:     the same again: must report changed=0,
  4. fleet:     a fleet of --hosts containers (converged once, not timed), then per round a
                no-change run limited to one of its hosts and one of the whole fleet, and
                the same pair for bench/facts_floor.yml (one gpu_facts call per host and
                nothing else: the fleet ratio this machine allows any Ansible run).
Medians over --runs rounds, the ratios (converge / floor, fleet / one host), the controller's
CPU-seconds per host (user + system time of ansible-playbook and its children, the `docker
exec` clients included, from getrusage(RUSAGE_CHILDREN)) and the per-task times of the first
converge and the rerun (ansible.posix.profile_tasks; the round whose time is the median).

    python bench/speed.py [--runs 3 | --quick] [--hosts 10] [--suite trixie] [--json out.json]

The host containers share the machine's CPUs with the controller: compare figures taken in
the same run only.
"""
import argparse
import contextlib
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
# The ansible commands of the Python running this script (its virtual environment).
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
from gpufleet import testbed  # noqa: E402

PREFIX = "gpufleet-bench-speed"
GOALS = {"converge_over_floor": 1.3, "rerun_s": 3.0, "fleet_over_one_host": 2.5}
# profile_tasks' summary lines: "<role> : <task> ------------ 1.23s"
_PROFILE_LINE = re.compile(r"^(.*?) -+ (\d+\.\d+)s$")
_QUIET = {"log": lambda *_: None}


def _children_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def fresh_hosts(tag, count, suite):
    """``count`` fresh host containers named <PREFIX>-<tag>-<i>, systemd up (not timed)."""
    prefix = "%s-%s" % (PREFIX, tag)
    testbed.fleet_down(prefix, **_QUIET)
    names = ["%s-%d" % (prefix, i) for i in range(1, count + 1)]
    for name in names:
        testbed.run_host(name, suite)
    for name in names:
        testbed.wait_systemd(name, timeout=120)
    return names


@contextlib.contextmanager
def fresh_inventory(tag, suite):
    """One fresh host container and a fleet inventory for it; both removed afterwards."""
    names = fresh_hosts(tag, 1, suite)
    tmp = tempfile.mkdtemp()
    try:
        yield testbed.write_fleet_inventory(tmp, names)
    finally:
        shutil.rmtree(tmp)
        testbed.fleet_down("%s-%s" % (PREFIX, tag), **_QUIET)


def floor_packages(suite):
    """The floor's packages: trixie split the client out of docker.io (as the role knows)."""
    return ["docker.io", "docker-cli"] if suite == "trixie" else ["docker.io"]


def floor(suite):
    """Seconds from `apt-get update` to `docker version` answering, on a fresh host."""
    (name,) = fresh_hosts("floor", 1, suite)
    script = ("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "
              "--no-install-recommends %s >/dev/null "
              "&& until docker version >/dev/null 2>&1; do sleep 0.1; done"
              % " ".join(floor_packages(suite)))
    try:
        start = time.monotonic()
        subprocess.run(["docker", "exec", name, "sh", "-c", script], check=True,
                       capture_output=True, text=True)
        return time.monotonic() - start
    finally:
        testbed.fleet_down(PREFIX + "-floor", **_QUIET)


def ansible_floor(suite):
    """Seconds of bench/ansible_floor.yml on a fresh host (the Ansible floor)."""
    with fresh_inventory("afloor", suite) as inventory:
        return playbook(inventory, limit="all", playbook_file=os.path.join("bench", "ansible_floor.yml"),
                        extra=("-e", json.dumps({"bench_packages": floor_packages(suite)})))["s"]


def playbook(inventory, limit=None, extra=(), playbook_file="site.yml"):
    """One `ansible-playbook site.yml -l linux` run: wall seconds, controller CPU-seconds,
    the recap's changed count and profile_tasks' per-task seconds."""
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
               ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks",
               PROFILE_TASKS_TASK_OUTPUT_LIMIT="all", PROFILE_TASKS_SUMMARY_ONLY="true",
               ANSIBLE_NOCOLOR="1")
    argv = ["ansible-playbook", playbook_file, "-i", inventory, "-l", limit or "linux", *extra]
    cpu0 = _children_cpu()
    start = time.monotonic()
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    took = time.monotonic() - start
    cpu = _children_cpu() - cpu0
    if proc.returncode != 0:
        raise SystemExit("ansible-playbook failed:\n" + proc.stdout[-4000:] + proc.stderr[-2000:])
    recap = proc.stdout.split("PLAY RECAP")[-1].split("TASKS RECAP")[0]
    changed = sum(int(n) for n in re.findall(r"changed=(\d+)", recap))
    tasks = {}
    for line in proc.stdout.split("TASKS RECAP")[-1].splitlines():
        m = _PROFILE_LINE.match(line.strip())
        if m:
            tasks[m.group(1)] = tasks.get(m.group(1), 0.0) + float(m.group(2))
    return {"s": took, "cpu_s": cpu, "changed": changed, "tasks": tasks,
            "task_count": len(tasks)}


def one_host_round(suite):
    """First converge and no-change rerun of one fresh host."""
    with fresh_inventory("one", suite) as inventory:
        first = playbook(inventory)
        rerun = playbook(inventory)
        if rerun["changed"]:
            raise SystemExit("the rerun changed something (changed=%d)" % rerun["changed"])
        return first, rerun


def median_run(runs):
    """The run whose wall time is the median (its per-task times go with it)."""
    ordered = sorted(runs, key=lambda r: r["s"])
    return ordered[(len(ordered) - 1) // 2]


def top_tasks(run, n=10):
    return [[name, round(s, 2)] for name, s in
            sorted(run["tasks"].items(), key=lambda kv: -kv[1])[:n]]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3, help="rounds; medians are printed (default 3)")
    ap.add_argument("--quick", action="store_true", help="one round (same as --runs 1)")
    ap.add_argument("--hosts", type=int, default=10, help="fleet size for the no-change fleet run")
    ap.add_argument("--suite", default="trixie", choices=testbed.SUITES)
    ap.add_argument("--skip-fleet", action="store_true", help="floor, converge and rerun only")
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args()
    runs = 1 if args.quick else args.runs
    if runs < 1 or args.hosts < 2:
        ap.error("--runs must be at least 1 and --hosts at least 2")
    if not testbed.engine_answers():
        raise SystemExit("no Docker engine: run `python -m gpufleet.testbed prepare` first")

    floors, afloors, firsts, reruns, ones, fleets = [], [], [], [], [], []
    facts_ones, facts_fleets = [], []
    fleet_tmp = None
    try:
        if not args.skip_fleet:
            names = fresh_hosts("fleet", args.hosts, args.suite)
            fleet_tmp = tempfile.mkdtemp()
            fleet_inventory = testbed.write_fleet_inventory(fleet_tmp, names)
            playbook(fleet_inventory)  # provision once, not timed
        for i in range(runs):
            floors.append(floor(args.suite))
            afloors.append(ansible_floor(args.suite))
            first, rerun = one_host_round(args.suite)
            firsts.append(first)
            reruns.append(rerun)
            line = ("round %d: floor %.1f s | Ansible floor %.1f s | first converge %.1f s "
                    "(%.1f cpu-s) | rerun %.2f s (%.1f cpu-s, changed %d)"
                    % (i + 1, floors[-1], afloors[-1], first["s"], first["cpu_s"], rerun["s"],
                       rerun["cpu_s"], rerun["changed"]))
            if not args.skip_fleet:
                ones.append(playbook(fleet_inventory, limit=names[0]))
                fleets.append(playbook(fleet_inventory))
                for r in (ones[-1], fleets[-1]):
                    if r["changed"]:
                        raise SystemExit("a no-change fleet run changed something")
                floor_pb = os.path.join("bench", "facts_floor.yml")
                facts_ones.append(playbook(fleet_inventory, limit=names[0], playbook_file=floor_pb))
                facts_fleets.append(playbook(fleet_inventory, limit="all", playbook_file=floor_pb))
                line += (" | fleet: 1 host %.2f s, %d hosts %.2f s (%.1f cpu-s) | facts only: "
                         "1 host %.2f s, %d hosts %.2f s"
                         % (ones[-1]["s"], args.hosts, fleets[-1]["s"], fleets[-1]["cpu_s"],
                            facts_ones[-1]["s"], args.hosts, facts_fleets[-1]["s"]))
            print(line, flush=True)
    finally:
        if fleet_tmp:
            shutil.rmtree(fleet_tmp)
        testbed.fleet_down(PREFIX + "-fleet", **_QUIET)

    med = statistics.median

    def m(rs, key="s"):
        return med(r[key] for r in rs)

    result = {
        "suite": args.suite, "runs": runs, "cpus": os.cpu_count(),
        "floor_s": round(med(floors), 2),
        "first_converge_s": round(m(firsts), 2),
        "converge_over_floor": round(m(firsts) / med(floors), 2),
        "ansible_floor_s": round(med(afloors), 2),
        "ansible_floor_over_floor": round(med(afloors) / med(floors), 2),
        "converge_over_ansible_floor": round(m(firsts) / med(afloors), 2),
        "rerun_s": round(m(reruns), 2),
        "rerun_changed": max(r["changed"] for r in reruns),
        "cpu_s_per_host": {"first_converge": round(m(firsts, "cpu_s"), 2),
                           "rerun": round(m(reruns, "cpu_s"), 2)},
        "tasks_listed": {"first_converge": median_run(firsts)["task_count"],
                         "rerun": median_run(reruns)["task_count"]},
        "top_tasks": {"first_converge": top_tasks(median_run(firsts)),
                      "rerun": top_tasks(median_run(reruns))},
    }
    if fleets:
        result["fleet"] = {
            "hosts": args.hosts,
            "one_host_no_change_s": round(m(ones), 2),
            "fleet_no_change_s": round(m(fleets), 2),
            "fleet_over_one_host": round(m(fleets) / m(ones), 2),
            "cpu_s_per_host": round(m(fleets, "cpu_s") / args.hosts, 2),
            "cpu_s_one_host": round(m(ones, "cpu_s"), 2),
            "facts_only": {
                "one_host_s": round(m(facts_ones), 2),
                "fleet_s": round(m(facts_fleets), 2),
                "fleet_over_one_host": round(m(facts_fleets) / m(facts_ones), 2),
                "cpu_s_per_host": round(m(facts_fleets, "cpu_s") / args.hosts, 2),
            },
        }
    goals = {
        "converge_over_floor <= %.1f" % GOALS["converge_over_floor"]:
            result["converge_over_floor"] <= GOALS["converge_over_floor"],
        "rerun <= %.0f s, changed 0" % GOALS["rerun_s"]:
            result["rerun_s"] <= GOALS["rerun_s"] and result["rerun_changed"] == 0,
    }
    if fleets:
        goals["%d hosts <= %.1fx one host" % (args.hosts, GOALS["fleet_over_one_host"])] = (
            result["fleet"]["fleet_over_one_host"] <= GOALS["fleet_over_one_host"])
    result["goals_met"] = goals
    result["settings"] = {"playbook": "site.yml -l linux", "connection": "community.docker.docker",
                          "ansible.cfg": os.path.join(ROOT, "ansible.cfg"),
                          "rollout": "playbook default (canary of 1, then the rest)"}
    print(json.dumps(result, indent=2))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=2)


if __name__ == "__main__":
    main()
