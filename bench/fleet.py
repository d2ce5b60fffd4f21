#!/usr/bin/env python3
"""Benchmark: a no-change run of the Linux stack on fleets of 1, 5 and 20 host containers.

    python bench/fleet.py [--sizes 1,5,20] [--repeat 3] [--forks 20] [--serial 100%]

Each fleet is provisioned once (not timed), then `ansible-playbook site.yml` is run
--repeat times with nothing to change; the median, the per-host overhead
((T_n - T_1) / (n - 1)) and the ratio to one host are printed with the settings used.
Without --serial the playbooks' default rollout applies (a one-host canary batch, then the
rest); --serial 100% measures one batch, as before that default existed.
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

PREFIX = "gpufleet-bench-fleet"


def playbook(inventory, forks, serial=None):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"))
    argv = ["ansible-playbook", "site.yml", "-i", inventory, "--forks", str(forks)]
    if serial:
        argv += ["-e", "gpufleet_serial=" + serial]
    start = time.monotonic()
    proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
    took = time.monotonic() - start
    if proc.returncode != 0:
        raise SystemExit(proc.stdout[-3000:])
    return took, proc.stdout.split("PLAY RECAP")[-1]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1,5,20")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--forks", type=int, default=20)
    ap.add_argument("--serial", help="gpufleet_serial for the runs (default: the playbooks' canary rollout)")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results = {}
    for n in sizes:
        testbed.fleet_down(PREFIX, log=lambda *_: None)
        names = testbed.fleet_up(PREFIX, n, log=lambda *_: None)
        tmp = tempfile.mkdtemp()
        try:
            inventory = testbed.write_fleet_inventory(tmp, names)
            first, _ = playbook(inventory, args.forks, args.serial)
            times = []
            for _ in range(args.repeat):
                took, recap = playbook(inventory, args.forks, args.serial)
                if "changed=0" not in recap or any("changed=%d" % i in recap for i in range(1, 50)):
                    raise SystemExit("a no-change run changed something:\n" + recap)
                times.append(took)
            results[n] = {"first_converge_s": round(first, 1),
                          "no_change_s": round(statistics.median(times), 2)}
            print("%2d hosts: first converge %.1f s, no-change run %.2f s (median of %d)"
                  % (n, first, statistics.median(times), args.repeat), flush=True)
        finally:
            shutil.rmtree(tmp)
            testbed.fleet_down(PREFIX, log=lambda *_: None)
    if 1 in results:
        one = results[1]["no_change_s"]
        for n, r in results.items():
            if n > 1:
                r["per_extra_host_s"] = round((r["no_change_s"] - one) / (n - 1), 3)
                r["ratio_to_one_host"] = round(r["no_change_s"] / one, 2)
    print(json.dumps({"results": results, "settings": {
        "forks": args.forks, "serial": args.serial or "default ([1, 100%])",
        "pipelining": True, "strategy": "linear",
        "facts": "gpu_facts only (gather_facts: false)",
        "connection": "community.docker.docker", "cpus": os.cpu_count()}}, indent=2))


if __name__ == "__main__":
    main()
