# -*- coding: utf-8 -*-
"""CUDA toolkit <-> NVIDIA driver tables (shared by gpu_facts and cuda_compat).

Source: NVIDIA CUDA Toolkit release notes, Table 3 "CUDA Toolkit and Corresponding Driver
Versions" (x86_64), and the minor-version compatibility page; transcribed in
shared/REFERENCE.md sections 6.1-6.2. Windows minimums are ``None`` where NVIDIA prints N/A.
The rows before CUDA 11 come from the same table (it still lists CUDA 7.0 to 10.2), e.g.
https://docs.nvidia.com/cuda/archive/12.1.0/cuda-toolkit-release-notes/index.html, checked
against copies of the CUDA 11.x edition.
Pure Python, standard library only: runs on managed hosts too.
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

# (cuda "major.minor", update label, linux min driver, windows min driver)
# GA rows first; an update row may raise the floor for that update only.
# Update labels: "U<n>" applies to toolkit X.Y.Z with Z >= n (CUDA 11.1 and later number
# updates as the patch level); a full version such as "9.2.148" applies to toolkits at or
# above that version (before 11.1 the third number is a build number, not an update).
TOOLKIT_DRIVERS: tuple[tuple[str, str, str, str | None], ...] = (
    ("13.3", "GA", "610.43.02", None),
    ("13.2", "GA", "595.45.04", None),
    ("13.2", "U1", "595.58.03", None),
    ("13.2", "U2", "595.71.05", None),
    ("13.1", "GA", "590.44.01", None),
    ("13.1", "U1", "590.48.01", None),
    ("13.0", "GA", "580.65.06", None),
    ("13.0", "U1", "580.82.07", None),
    ("13.0", "U2", "580.95.05", None),
    ("12.9", "GA", "575.51.03", "576.02"),
    ("12.9", "U1", "575.57.08", "576.57"),
    ("12.8", "GA", "570.26", "570.65"),
    ("12.8", "U1", "570.124.06", "572.61"),
    ("12.6", "GA", "560.28.03", "560.76"),
    ("12.6", "U1", "560.35.03", "560.94"),
    ("12.6", "U3", "560.35.05", "561.17"),
    ("12.5", "GA", "555.42.02", "555.85"),
    ("12.4", "GA", "550.54.14", "551.61"),
    ("12.4", "U1", "550.54.15", "551.78"),
    ("12.3", "GA", "545.23.06", "545.84"),
    ("12.3", "U1", "545.23.08", "546.12"),
    ("12.2", "GA", "535.54.03", "536.25"),
    ("12.2", "U1", "535.86.09", "536.67"),
    ("12.2", "U2", "535.104.05", "537.13"),
    ("12.1", "GA", "530.30.02", "531.14"),
    ("12.0", "GA", "525.60.13", "527.41"),
    ("12.0", "U1", "525.85.12", "528.33"),
    ("11.8", "GA", "520.61.05", "520.06"),
    ("11.7", "GA", "515.43.04", "516.01"),
    ("11.7", "U1", "515.48.07", "516.31"),
    ("11.6", "GA", "510.39.01", "511.23"),
    ("11.6", "U1", "510.47.03", "511.65"),
    ("11.5", "GA", "495.29.05", "496.04"),
    ("11.5", "U1", "495.29.05", "496.13"),
    ("11.4", "GA", "470.42.01", "471.11"),
    ("11.4", "U1", "470.57.02", "471.41"),
    ("11.4", "U3", "470.82.01", "472.50"),
    ("11.3", "GA", "465.19.01", "465.89"),
    ("11.2", "GA", "460.27.03", "460.82"),
    ("11.2", "U1", "460.32.03", "461.09"),
    ("11.1", "GA", "455.23", "456.38"),
    ("11.1", "U1", "455.32", "456.81"),
    ("11.0", "GA", "450.51.05", "451.48"),          # 11.0.2 GA
    ("11.0", "11.0.3", "450.51.06", "451.82"),      # 11.0.3 Update 1
    # 11.0.1 RC (>= 450.36.06 / >= 451.22) was a release candidate: not a GA floor here.
    # Before CUDA 11 (Table 3 rows "CUDA 10.2.89" ... "CUDA 8.0 (8.0.61 GA2)"). These
    # toolkits have no minor-version compatibility: a driver runs them only natively.
    ("10.2", "GA", "440.33", "441.22"),             # 10.2.89
    ("10.1", "GA", "418.39", "418.96"),             # 10.1.105 "general release, and updates"
    ("10.0", "GA", "410.48", "411.31"),             # 10.0.130
    ("9.2", "GA", "396.26", "397.44"),              # 9.2.88
    ("9.2", "9.2.148", "396.37", "398.26"),         # 9.2.148 Update 1
    # 9.1.85: the current table says >= 390.46 / >= 391.29; the CUDA 9.1-era edition said
    # >= 387.26 / >= 388.19 (the driver 9.1 shipped with). The current one is used.
    ("9.1", "GA", "390.46", "391.29"),
    ("9.0", "GA", "384.81", "385.54"),              # 9.0.76
    ("8.0", "GA", "367.48", "369.30"),              # 8.0.44
    ("8.0", "8.0.61", "375.26", "376.51"),          # 8.0.61 GA2
)

# Oldest and newest "major.minor" in the table, for messages.
OLDEST_CUDA = "8.0"

# Minor-version compatibility: any toolkit of the family runs (without PTX JIT of newer
# features) on a driver in [min, max).  REFERENCE.md 6.1.
FAMILY_DRIVERS: dict[int, dict[str, str | None]] = {
    13: {"linux": "580", "windows": "580", "max": None},
    12: {"linux": "525.60.13", "windows": "527.41", "max": "580"},
    11: {"linux": "450.80.02", "windows": "452.39", "max": "525"},
}


def parse_version(text: object) -> tuple[int, ...] | None:
    """'535.54.03' -> (535, 54, 3); '12.2' -> (12, 2). None when there is no number."""
    if text is None:
        return None
    nums = re.findall(r"\d+", str(text).strip().split()[0]) if str(text).strip() else []
    return tuple(int(n) for n in nums) if nums else None


def version_ge(a: object, b: object) -> bool:
    pa, pb = parse_version(a), parse_version(b)
    if pa is None or pb is None:
        return False
    width = max(len(pa), len(pb))
    return pa + (0,) * (width - len(pa)) >= pb + (0,) * (width - len(pb))


def ga_min_driver(cuda: object, os_name: str = "linux") -> str | None:
    """Minimum driver for the GA release of a CUDA 'major.minor' (None when unknown/N/A)."""
    mm = ".".join(str(p) for p in (parse_version(cuda) or ())[:2])
    for ver, update, linux, windows in TOOLKIT_DRIVERS:
        if ver == mm and update == "GA":
            return linux if os_name == "linux" else windows
    return None


def max_cuda_for_driver(driver_version: object, os_name: str = "linux") -> str | None:
    """Highest CUDA 'major.minor' whose GA floor the driver meets (table lookup).

    nvidia-smi reports this itself in ``<cuda_version>``; this is the fallback for
    documents and drivers that do not.
    """
    best = None
    for ver, update, linux, windows in TOOLKIT_DRIVERS:
        floor = linux if os_name == "linux" else windows
        if update != "GA" or floor is None:
            continue
        if version_ge(driver_version, floor):
            # Table versions always parse; ``or ()`` only tells the type checker so.
            if best is None or (parse_version(ver) or ()) > (parse_version(best) or ()):
                best = ver
    return best


FORWARD_COMPAT_MIN_DRIVER = "450"  # oldest branch NVIDIA ships cuda-compat for (data centre)


def _toolkit_floor(cuda: object, os_name: str) -> tuple[str | None, str | None]:
    """(min_driver, label) for a CUDA 'X.Y' or 'X.Y.Z' (update rows when Z > 0)."""
    parts = parse_version(cuda) or ()
    if len(parts) < 2:
        return None, None
    mm = "%d.%d" % parts[:2]
    rows = [r for r in TOOLKIT_DRIVERS if r[0] == mm]
    if not rows:
        return None, None
    idx = 1 if os_name == "linux" else 2
    floor_row = rows[0]  # GA
    for row in rows:
        if row[1] == "GA":
            continue
        if row[1].startswith("U"):
            # Updates are numbered from 1: 12.4.1 is Update 1; take the highest row <= it.
            if len(parts) > 2 and int(row[1][1:]) <= parts[2]:
                floor_row = row
        elif version_ge(cuda, row[1]):
            floor_row = row  # a named release: 9.2.148, 8.0.61, 11.0.3
    value = floor_row[idx + 1]
    label = floor_row[1] if floor_row[1][:1].isdigit() else "%s %s" % (mm, floor_row[1])
    return value, label


def check_compat(driver_version: str, cuda_version: str,
                 os_name: str = "linux") -> dict[str, Any]:
    """Decide how a CUDA toolkit runs on a driver (NVIDIA's compatibility rules).

    Returns dict(compatible, mode, min_driver, family_min_driver, max_native_cuda, msg).
    mode: ``native`` (driver >= the toolkit's own floor), ``minor_version`` (same major
    family, driver >= the family floor: runs, except PTX JIT of newer code),
    ``forward_compat_required`` (newer major than the driver supports; Linux data-centre
    GPUs can use the cuda-compat package), ``incompatible``.
    """
    if os_name not in ("linux", "windows"):
        raise ValueError("os must be linux or windows, got %r" % (os_name,))
    drv = parse_version(driver_version)
    cuda = parse_version(cuda_version)
    if not drv or len(drv) < 1:
        raise ValueError("driver_version %r is not a version like 535.54.03" % (driver_version,))
    if not cuda or len(cuda) < 2:
        raise ValueError("cuda_version %r is not a version like 12.4 or 12.4.1" % (cuda_version,))
    family = FAMILY_DRIVERS.get(cuda[0])
    native_min, label = _toolkit_floor(cuda_version, os_name)
    if family is None:
        if native_min is None or cuda[0] >= min(FAMILY_DRIVERS):
            raise ValueError("CUDA %s is not in NVIDIA's table (%s to %s, families %s)"
                             % (cuda_version, OLDEST_CUDA, TOOLKIT_DRIVERS[0][0],
                                ", ".join("%d.x" % f for f in sorted(FAMILY_DRIVERS))))
        return _check_before_11(driver_version, cuda_version, os_name, native_min)
    family_min = family[os_name]
    if native_min is None:
        # Windows 13.x: Table 3 says N/A (the toolkit no longer bundles a driver); the
        # family floor is the only published number.
        native_min = family_min
    max_native = max_cuda_for_driver(driver_version, os_name)
    result = {"compatible": False, "mode": "incompatible", "min_driver": native_min,
              "family_min_driver": family_min, "max_native_cuda": max_native,
              "driver_version": driver_version, "cuda_version": cuda_version, "os": os_name}
    if version_ge(driver_version, native_min):
        result.update(compatible=True, mode="native",
                      msg="Driver %s supports CUDA %s natively (needs >= %s)."
                          % (driver_version, cuda_version, native_min))
    elif version_ge(driver_version, family_min):
        result.update(compatible=True, mode="minor_version",
                      msg="Driver %s is below CUDA %s's own minimum (%s) but in the %d.x family "
                          "(>= %s): it runs through minor-version compatibility, except code that "
                          "needs PTX JIT of newer features. Upgrade the driver to >= %s for native "
                          "support." % (driver_version, cuda_version, native_min, cuda[0],
                                        family_min, native_min))
    elif os_name == "linux" and version_ge(driver_version, FORWARD_COMPAT_MIN_DRIVER):
        result.update(mode="forward_compat_required",
                      msg="Driver %s supports CUDA up to %s; CUDA %s needs a driver >= %s. Upgrade "
                          "the driver, or on data-centre GPUs install the matching cuda-compat "
                          "package (forward compatibility) in the image."
                          % (driver_version, max_native or "none", cuda_version, family_min))
    else:
        result.update(msg="Driver %s cannot run CUDA %s (needs >= %s%s). Upgrade the NVIDIA "
                          "driver%s." % (driver_version, cuda_version, native_min,
                                         "" if native_min == family_min else
                                         ", or >= %s with minor-version compatibility" % family_min,
                                         " on Windows (WSL and Docker Desktop use it)"
                                         if os_name == "windows" else ""))
    return result


def _check_before_11(driver_version: str, cuda_version: str, os_name: str,
                     native_min: str) -> dict[str, Any]:
    """CUDA 8.0-10.2: no minor-version compatibility, so only the toolkit's own floor counts."""
    result = {"compatible": False, "mode": "incompatible", "min_driver": native_min,
              "family_min_driver": native_min,
              "max_native_cuda": max_cuda_for_driver(driver_version, os_name),
              "driver_version": driver_version, "cuda_version": cuda_version, "os": os_name}
    if version_ge(driver_version, native_min):
        result.update(compatible=True, mode="native",
                      msg="Driver %s supports CUDA %s natively (needs >= %s)."
                          % (driver_version, cuda_version, native_min))
    else:
        result.update(msg="Driver %s cannot run CUDA %s (needs >= %s; toolkits before CUDA 11 "
                          "have no minor-version compatibility). Upgrade the NVIDIA driver%s."
                          % (driver_version, cuda_version, native_min,
                             " on Windows (WSL and Docker Desktop use it)"
                             if os_name == "windows" else ""))
    return result


def cuda_from_image_config(env: Iterable[str] | None = None, labels: Mapping[str, str] | None = None
                           ) -> tuple[str | None, str | None]:
    """The CUDA version an image needs, from its config (``docker image inspect``).

    NVIDIA's CUDA images set ``NVIDIA_REQUIRE_CUDA="cuda>=12.4 brand=tesla,driver>=470,..."``
    and ``CUDA_VERSION=12.4.1``; some images carry a ``com.nvidia.cuda.version`` label.
    Returns (version, source) or (None, None).
    """
    values: dict[str, str] = {}
    for item in env or []:
        key, dummy, value = item.partition("=")
        values[key] = value
    require = values.get("NVIDIA_REQUIRE_CUDA", "")
    m = re.search(r"cuda>=\s*(\d+\.\d+(?:\.\d+)?)", require)
    if m:
        return m.group(1), "env NVIDIA_REQUIRE_CUDA"
    if values.get("CUDA_VERSION") and parse_version(values["CUDA_VERSION"]):
        return values["CUDA_VERSION"], "env CUDA_VERSION"
    label = (labels or {}).get("com.nvidia.cuda.version")
    if label and parse_version(label):
        return label, "label com.nvidia.cuda.version"
    return None, None
