#!/usr/bin/env python3
"""Benchmark: render 100 services for each of the six cloud targets, through the dispatcher
(gpufleet_cloud.render_target: validation + the target's renderer, as `gpufleet render
--platform TARGET` and the cloud_render module run it).

    python bench/cloud_render.py [--services 100] [--runs 20] [--json out.json]

Prints, per target, the median, min and max of --runs renders (after one warm-up render that
also imports the renderer) and the median per service. A third of the services ask for one
GPU with policy required, a third for one with policy auto (one GPU: the most Cloud Run and
Container Apps give a container; 4 CPUs, 16 GiB), the rest none (2 CPUs, 4 GiB); all have
ports, a named volume, environment and a health check.
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from gpufleet import api  # noqa: E402

api.content()  # the collection's FQCN imports resolve through the checkout's .collections/
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_cloud import (  # noqa: E402
    TARGETS, render_target)

# Options a target needs to render at all.
OPTIONS = {
    "sagemaker": {"execution_role_arn": "arn:aws:iam::123456789012:role/bench"},
}


def services(n):
    out = {}
    for i in range(n):
        svc = {"image": "registry.example/app/svc%d:1.%d" % (i, i % 7),
               "environment": {"INDEX": i, "MODE": "bench"},
               "ports": ["8080:8080"],
               "volumes": ["data%d:/data" % i],
               "healthcheck": {"test": ["CMD", "true"], "interval": "10s"},
               "resources": {"cpus": 2, "memory": "4g"},
               "labels": {"index": str(i)}}
        if i % 3 < 2:  # GPU services: the CPU and memory minimums of Cloud Run's L4
            svc["gpu"] = {"policy": "required" if i % 3 == 0 else "auto", "count": 1}
            svc["resources"] = {"cpus": 4, "memory": "16g"}
        out["svc%d" % i] = svc
    return out


def bench(n, runs):
    descriptions = services(n)
    rows = []
    for target in TARGETS:
        options = OPTIONS.get(target, {})
        doc, warnings = render_target(descriptions, target, options=options)  # warm-up
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            render_target(descriptions, target, options=options)
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        rows.append({"target": target, "services": n, "runs": runs,
                     "median_ms": round(median * 1000, 2),
                     "min_ms": round(min(times) * 1000, 2),
                     "max_ms": round(max(times) * 1000, 2),
                     "per_service_us": round(median / n * 1e6, 1),
                     "objects": len(doc), "warnings": len(warnings)})
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--services", type=int, default=100)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--json", help="also write the rows here")
    args = ap.parse_args()
    rows = bench(args.services, args.runs)
    print("render %d services, median of %d runs (Python %s, %s)"
          % (args.services, args.runs, platform.python_version(), platform.machine()))
    print("%-22s %10s %9s %9s %13s %8s %9s" % ("target", "median ms", "min ms", "max ms",
                                              "per service", "objects", "warnings"))
    for r in rows:
        print("%-22s %10.2f %9.2f %9.2f %10.1f us %8d %9d"
              % (r["target"], r["median_ms"], r["min_ms"], r["max_ms"], r["per_service_us"],
                 r["objects"], r["warnings"]))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
