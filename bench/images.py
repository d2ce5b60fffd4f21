#!/usr/bin/env python3
"""Benchmark: build every buildable recipe variant cold and cached; image sizes.

    python bench/images.py [--base gpufleet-host:bookworm] [--ca-bundle FILE] [--variant V]...

For each variant of tests/fixtures/images (conda is left out: its channel is not reachable
here) it runs `gpufleet image build` three times with the local engine (BuildKit):

- cold: ``--no-cache`` after dropping BuildKit's cache mounts (``docker builder prune
  --filter type=exec.cachemount``: uv's and pip's caches), so every step runs and every
  download happens again;
- cached: the same build again, nothing changed (every step from BuildKit's cache);
- warm uv cache: ``--no-cache`` with uv's cache mount kept (what a changed recipe costs).

Then the sizes: the image (uncompressed, as `docker image inspect` reports it), what the
recipe adds over the base, and the image compressed (``docker save``, gzip level 6, about what a
registry stores). Prints a Markdown table.
"""
import argparse
import zlib
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "tests", "fixtures", "images")
VARIANTS = ("cpu", "cuda", "wsl2-host-libs", "rocm", "vulkan", "dev")
GPUFLEET = os.path.join(os.path.dirname(sys.executable), "gpufleet")


def build(variant, base, ca, *extra):
    started = time.monotonic()
    proc = subprocess.run([GPUFLEET, "image", "build", os.path.join(FIX, variant + ".yml"),
                           "--base", base, "--ca-bundle", ca, "--tag",
                           "gpufleet-bench-%s:latest" % variant, "--json", *extra],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit("build of %s failed:\n%s" % (variant, proc.stderr[-3000:]))
    return time.monotonic() - started, json.loads(proc.stdout)


def size(image):
    return int(subprocess.run(["docker", "image", "inspect", "--format", "{{.Size}}", image],
                              capture_output=True, text=True, check=True).stdout)


def compressed(image):
    proc = subprocess.Popen(["docker", "save", image], stdout=subprocess.PIPE)
    total = 0
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # gzip framing
    assert proc.stdout is not None
    for chunk in iter(lambda: proc.stdout.read(1 << 20), b""):
        total += len(compressor.compress(chunk))
    total += len(compressor.flush())
    proc.wait()
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", default="gpufleet-host:bookworm")
    ap.add_argument("--ca-bundle", default="/etc/ssl/certs/ca-certificates.crt")
    ap.add_argument("--variant", action="append", choices=VARIANTS)
    ap.add_argument("--keep", action="store_true", help="keep the images")
    args = ap.parse_args()
    base_size = size(args.base)
    base_gz = compressed(args.base)
    rows = []
    for variant in args.variant or VARIANTS:
        subprocess.run(["docker", "builder", "prune", "-f", "--filter", "type=exec.cachemount"],
                       capture_output=True)
        cold, doc = build(variant, args.base, args.ca_bundle, "--no-cache")
        cached, doc2 = build(variant, args.base, args.ca_bundle)
        assert doc2["id"] == doc["id"], "a cached build produced another image"
        warm, dummy = build(variant, args.base, args.ca_bundle, "--no-cache")
        image = doc["image"]
        rows.append((variant, cold, warm, cached, doc["size_bytes"], doc["size_bytes"] - base_size,
                     compressed(image)))
        print("%s: cold %.1f s, warm uv cache %.1f s, cached %.1f s" % (variant, cold, warm,
                                                                         cached), file=sys.stderr)
        if not args.keep:
            subprocess.run(["docker", "image", "rm", image], capture_output=True)
    mb = 1e6
    print("base %s: %.1f MB, %.1f MB compressed\n" % (args.base, base_size / mb, base_gz / mb))
    print("| variant | cold build | no layer cache, uv cache warm | cached | image | over base "
          "| compressed |")
    print("|---|---|---|---|---|---|---|")
    for variant, cold, warm, cached, total, over, gz in rows:
        print("| %s | %.1f s | %.1f s | %.1f s | %.1f MB | %.1f MB | %.1f MB |"
              % (variant, cold, warm, cached, total / mb, over / mb, gz / mb))


if __name__ == "__main__":
    main()
