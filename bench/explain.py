#!/usr/bin/env python3
"""Benchmark: `gpufleet explain` as a whole process (interpreter start-up included).

    python bench/explain.py [--repeat 15] [--size-mb 2]

Cases, each run --repeat times through the `gpufleet` console script of the Python running
this script (text piped on standard input, output discarded), median and worst printed:
- a typical paste: a failed `docker run --gpus all` with the hook's error (one of the real
  pastes in tests/fixtures/explain/pastes/);
- a paste with no GPU failure (a port already allocated): the whole catalog is tried;
- a generated log of --size-mb MB (training-loop lines) with one GPU error in the middle;
- the same size of random bytes (binary input).
Also prints `python -c pass` for the interpreter's own share. Goals: a typical paste well
under 0.5 s, a 2 MB log in a few seconds.
"""
import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASTE = os.path.join(ROOT, "tests", "fixtures", "explain", "pastes",
                     "docker_docs_19366_libnvidia_ml.txt")
UNRELATED = (b"docker: Error response from daemon: driver failed programming external "
             b"connectivity on endpoint web-1: Bind for 0.0.0.0:8080 failed: port is already "
             b"allocated.\n")


def gpufleet_exe():
    exe = os.path.join(os.path.dirname(sys.executable), "gpufleet")
    return [exe] if os.path.exists(exe) else [sys.executable, "-m", "gpufleet.cli"]


def big_log(size):
    lines, i = [], 0
    total = 0
    while total < size:
        line = ("2026-11-25T12:%02d:%02d.%06dZ INFO worker-%d step=%d loss=%.5f lr=3e-4 "
                "tokens=8192 grad_norm=%.3f" % (i // 3600 % 60, i // 60 % 60, i, i % 8, i,
                                                1.0 / (i + 1), (i % 97) / 13.0))
        lines.append(line)
        total += len(line) + 1
        i += 1
    lines.insert(len(lines) // 2, "nvidia-container-cli: initialization error: nvml error: "
                                  "driver not loaded: unknown.")
    return ("\n".join(lines) + "\n").encode()


def time_one(argv, data, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        proc = subprocess.run(argv, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              cwd=ROOT)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise SystemExit("%s failed: %s" % (" ".join(argv), proc.stderr.decode()[-2000:]))
    return times, proc.stdout.decode(errors="replace")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--size-mb", type=float, default=2.0)
    args = ap.parse_args()
    size = int(args.size_mb * 1024 * 1024)
    with open(PASTE, "rb") as fh:
        paste = fh.read().split(b"# ---\n", 1)[1]
    rng = random.Random(12)
    cases = [
        ("python -c pass (interpreter only)", [sys.executable, "-c", "pass"], b"", None),
        ("typical paste (%d B)" % len(paste), gpufleet_exe() + ["explain"], paste,
         "libnvidia_ml_load_failed"),
        ("no GPU failure (%d B)" % len(UNRELATED), gpufleet_exe() + ["explain"], UNRELATED,
         "No known GPU failure"),
        ("%.1f MB log, one error inside" % args.size_mb, gpufleet_exe() + ["explain"],
         big_log(size), "nvidia_kernel_module_not_loaded"),
        ("%.1f MB random bytes" % args.size_mb, gpufleet_exe() + ["explain"],
         bytes(rng.getrandbits(8) for _ in range(size)), None),
    ]
    print("gpufleet explain, whole process, %d runs each (%s, Python %s)"
          % (args.repeat, shutil.which("gpufleet") or gpufleet_exe()[0],
             sys.version.split()[0]))
    print("%-40s %10s %10s  %s" % ("case", "median s", "worst s", "first line of the answer"))
    for name, argv, data, expect in cases:
        repeat = args.repeat if len(data) < 1024 * 1024 else max(3, args.repeat // 3)
        times, out = time_one(argv, data, repeat)
        if expect and expect not in out:
            raise SystemExit("%s: expected %r in the answer, got: %s" % (name, expect, out[:500]))
        first = next((line.strip() for line in out.splitlines()
                      if line.strip().startswith(("1.", "No known"))), "")
        print("%-40s %10.3f %10.3f  %s" % (name, statistics.median(times), max(times),
                                           first[:60]))


if __name__ == "__main__":
    main()
