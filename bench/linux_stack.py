#!/usr/bin/env python3
"""Benchmark: the Linux stack against the raw `apt-get install docker.io` floor.

On fresh host containers (the test bed's images), measures
  1. floor:     apt-get update && apt-get install -y docker.io, then dockerd answering
                (what a person typing the commands gets, Recommends included),
  2. converge:  first `ansible-playbook site.yml` of the whole Linux stack (docker_engine
                + nvidia_container_toolkit with the package step off, as on the local fleet),
  3. rerun:     the same playbook again (must change nothing),
and prints the ratios. Each measurement uses its own fresh container(s).

    python bench/linux_stack.py [--hosts 1] [--repeat 3] [--suite bookworm] [--json out.json]

Settings used are printed with the numbers (forks, pipelining, fact gathering).
"""
import argparse
import json
import os
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


def sh(argv, **kw):
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kw)


def timed(fn):
    start = time.monotonic()
    fn()
    return time.monotonic() - start


def floor(suite):
    name = "gpufleet-bench-floor"
    testbed.fleet_down(name, log=lambda *_: None)
    testbed.run_host(name + "-1", suite)
    testbed.wait_systemd(name + "-1")
    try:
        script = ("apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "
                  "docker.io >/dev/null && until docker version >/dev/null 2>&1; do sleep 0.2; done")
        if suite == "trixie":
            script = script.replace("docker.io >", "docker.io docker-cli >")
        return timed(lambda: sh(["docker", "exec", name + "-1", "sh", "-c", script]))
    finally:
        testbed.fleet_down(name, log=lambda *_: None)


def stack(suite, hosts):
    prefix = "gpufleet-bench-stack"
    testbed.fleet_down(prefix, log=lambda *_: None)
    names = [testbed.run_host("%s-%d" % (prefix, i), suite) or "%s-%d" % (prefix, i)
             for i in range(1, hosts + 1)]
    for n in names:
        testbed.wait_systemd(n)
    tmp = tempfile.mkdtemp()
    try:
        testbed.write_fleet_inventory(tmp, names)
        env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"))
        argv = ["ansible-playbook", "site.yml", "-i", os.path.join(tmp, "hosts.yml")]
        first = timed(lambda: sh(argv, cwd=ROOT, env=env))
        out = {}
        second = timed(lambda: out.update(p=sh(argv, cwd=ROOT, env=env)))
        recap = out["p"].stdout.split("PLAY RECAP")[-1]
        if "changed=0" not in recap or "changed=1" in recap:
            raise SystemExit("rerun changed something:\n" + recap)
        return first, second
    finally:
        shutil.rmtree(tmp)
        testbed.fleet_down(prefix, log=lambda *_: None)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hosts", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--suite", default="bookworm", choices=testbed.SUITES)
    ap.add_argument("--json")
    args = ap.parse_args()
    if not testbed.engine_answers():
        raise SystemExit("no Docker engine: run `bash scripts/dev setup` first")
    floors, firsts, reruns = [], [], []
    for i in range(args.repeat):
        floors.append(floor(args.suite))
        f, r = stack(args.suite, args.hosts)
        firsts.append(f)
        reruns.append(r)
        print("run %d: floor %.1f s, first converge %.1f s, no-change rerun %.1f s"
              % (i + 1, floors[-1], f, r), flush=True)
    med = statistics.median
    result = {
        "suite": args.suite, "hosts": args.hosts, "repeat": args.repeat,
        "floor_s": round(med(floors), 2), "first_converge_s": round(med(firsts), 2),
        "rerun_s": round(med(reruns), 2),
        "converge_over_floor": round(med(firsts) / med(floors), 2),
        "settings": {"forks": 20, "pipelining": True,
                     "facts": "gpu_facts only (gather_facts: false)",
                     "connection": "community.docker.docker", "cpus": os.cpu_count()},
    }
    print(json.dumps(result, indent=2))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=2)


if __name__ == "__main__":
    main()
