#!/usr/bin/env python3
"""Benchmark: render 100 services for every platform with gpu_compose's logic.

    python bench/render.py [--services 100] [--repeat 20]

Prints the median time per platform (one host's render) and for all platforms together.
"""
import argparse
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "module_utils"))
from gpufleet_compose import PLATFORMS, render  # noqa: E402


def services(n):
    out = {}
    for i in range(n):
        svc = {"image": "registry.example/app/svc%d:1.%d" % (i, i % 7),
               "environment": {"INDEX": i, "MODE": "bench"},
               "ports": ["%d:8080" % (20000 + i)],
               "volumes": ["data%d:/data" % i],
               "healthcheck": {"test": ["CMD", "true"], "interval": "10s"},
               "resources": {"cpus": 1, "memory": "2g", "shm_size": "1g"},
               "profiles": ["group%d" % (i % 5)],
               "labels": {"index": str(i)}}
        if i % 3 == 0:
            svc["gpu"] = {"policy": "auto", "count": 1, "capabilities": ["gpu", "compute"]}
        elif i % 3 == 1:
            svc["gpu"] = {"policy": "none"}
        out["svc%d" % i] = svc
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--services", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    desc = services(args.services)
    per_platform = {}
    for platform in PLATFORMS:
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            render(desc, platform, "bench", path_exists=None)
            times.append(time.perf_counter() - start)
        per_platform[platform] = statistics.median(times)
    for platform, t in per_platform.items():
        print("%-8s %d services: %.1f ms" % (platform, args.services, t * 1000))
    print("all %d platforms: %.1f ms" % (len(PLATFORMS), sum(per_platform.values()) * 1000))


if __name__ == "__main__":
    main()
