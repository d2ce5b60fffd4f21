#!/usr/bin/python3
# -*- coding: utf-8 -*-
"""gpufleet SIMULATION of an NVIDIA GPU host's driver and container toolkit.

The test bed has no GPU and NVIDIA's apt repository is unreachable from it, so the
simulated NVIDIA host (``gpufleet-host:trixie-nvsim``, see README.md beside this file)
stands in for exactly these, and nothing else:

- the driver's ``nvidia-smi`` (a POSIX sh script printing outputs rendered here from a real
  captured ``nvidia-smi -q -x``) and its device nodes (``mknod`` with the driver's numbers:
  ``/dev/nvidia<minor>`` 195:minor, ``/dev/nvidiactl`` 195:255, ``/dev/nvidia-modeset``
  195:254, ``/dev/nvidia-uvm``/``-uvm-tools`` on a dynamic major);
- the toolkit's binaries, shipped as .deb packages in a signed flat apt repository with the
  layout of NVIDIA's (so the role's repository, key and pinned-install steps run for real
  through apt): ``nvidia-ctk`` (``--version``, ``cdi generate``, ``cdi list``,
  ``runtime configure``), ``nvidia-container-runtime`` (applies the CDI spec's edits for
  ``NVIDIA_VISIBLE_DEVICES`` to the OCI spec, as the real runtime does in its ``cdi`` mode,
  then executes ``runc``), ``nvidia-container-runtime-hook`` and ``nvidia-cdi-hook``.

Docker, runc, Docker's CDI resolution, apt, dpkg, systemd are the real ones.

One file, dispatched on the name it is called by (``nvidia-ctk``,
``nvidia-container-runtime``) or on its first argument (``gpufleet-sim profile|devices|
build-repo``). Python 3 standard library only.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

TOOLKIT_VERSION = "1.17.8"
SIM_ROOT = "/usr/share/gpufleet-sim"
CDI_DIRS = ("/etc/cdi", "/var/run/cdi")
CDI_KIND = "nvidia.com/gpu"
UVM_MAJOR = 511          # dynamic on real hosts (from /proc/devices); any free major works
NVIDIA_MAJOR = 195


def _say(msg):
    sys.stderr.write(msg + "\n")


# --------------------------------------------------------------------------- the "driver"

def _text(el, path):
    node = el.find(path)
    value = (node.text or "").strip() if node is not None else ""
    return None if value in ("", "N/A", "[N/A]", "Not Found") else value


def read_gpus(xml_text):
    """(driver, cuda, [{index, name, uuid, minor, bus_id, mem, mig: [..]}]) from -q -x."""
    root = ET.fromstring(xml_text.encode("utf-8") if isinstance(xml_text, str) else xml_text)
    gpus = []
    for index, gpu in enumerate(root.findall("gpu")):
        minor = _text(gpu, "minor_number")
        gpus.append({
            "index": index, "name": _text(gpu, "product_name") or "NVIDIA GPU",
            "uuid": _text(gpu, "uuid"), "bus_id": gpu.get("id") or "",
            "minor": int(minor) if minor and minor.isdigit() else index,
            "memory": _text(gpu, "fb_memory_usage/total") or "N/A",
            "used": _text(gpu, "fb_memory_usage/used") or "N/A",
            "mig": [int(_text(m, "index") or i) for i, m in
                    enumerate(gpu.findall("mig_devices/mig_device"))],
        })
    return _text(root, "driver_version"), _text(root, "cuda_version"), gpus


def render_list(gpus):
    """``nvidia-smi -L``: one line per GPU, as the real tool prints it."""
    return "".join("GPU %d: %s (UUID: %s)\n" % (g["index"], g["name"], g["uuid"] or "N/A")
                   for g in gpus)


def render_table(driver, cuda, gpus):
    """The plain ``nvidia-smi`` table (the columns gpufleet users look at), labelled."""
    bar = "+" + "-" * 89 + "+"
    lines = [bar,
             ("| NVIDIA-SMI %-20s Driver Version: %-14s CUDA Version: %-6s"
              % (driver, driver, cuda or "N/A")).ljust(90) + "|",
             "|" + "-" * 41 + "+" + "-" * 24 + "+" + "-" * 22 + "|",
             "| GPU  Name                 Persistence-M | Bus-Id          Disp.A |"
             " Volatile Uncorr. ECC |",
             "=" * 91]
    for g in gpus:
        lines.append("|%s|%s|%s|" % ((" %3d  %-24.24s" % (g["index"], g["name"])).ljust(37) + "Off ",
                                        (" %-16.16s" % g["bus_id"][-16:]).ljust(20) + "Off ",
                                        "N/A ".rjust(22)))
        lines.append("|%s|%s|%s|" % ("".ljust(41),
                                        ("%s / %s " % (g["used"], g["memory"])).rjust(24)[:24],
                                        ("MIG M. " if g["mig"] else "").rjust(22)))
        lines.append(bar)
    lines.append("gpufleet SIMULATION: rendered from a captured `nvidia-smi -q -x`; no GPU here.")
    return "\n".join(lines) + "\n"


def cmd_profile(path, name=None):
    """Install a capture as the simulated driver's state and (re)create the device nodes."""
    with open(path, "rb") as fh:
        xml = fh.read()
    driver, cuda, gpus = read_gpus(xml)
    name = name or os.path.splitext(os.path.basename(path))[0]
    dest = os.path.join(SIM_ROOT, "profiles", name)
    os.makedirs(dest, exist_ok=True)
    with open(os.path.join(dest, "q-x.xml"), "wb") as fh:
        fh.write(xml)
    for fname, text in (("L.txt", render_list(gpus)), ("table.txt", render_table(driver, cuda, gpus)),
                        ("version.txt", "NVIDIA-SMI version  : %s\nDRIVER version      : %s\n"
                                        "CUDA Version        : %s\n(gpufleet SIMULATION)\n"
                                        % (driver, driver, cuda or "N/A"))):
        with open(os.path.join(dest, fname), "w") as fh:
            fh.write(text)
    current = os.path.join(SIM_ROOT, "current")
    tmp = current + ".new"
    if os.path.lexists(tmp):
        os.unlink(tmp)
    os.symlink(os.path.join("profiles", name), tmp)
    os.replace(tmp, current)
    cmd_devices()
    print("gpufleet SIMULATION: profile %s: driver %s, CUDA %s, %d GPU(s)"
          % (name, driver, cuda, len(gpus)))
    return 0


def _mknod(path, major, minor):
    try:
        st = os.stat(path)
        if os.major(st.st_rdev) == major and os.minor(st.st_rdev) == minor:
            return
        os.unlink(path)
    except FileNotFoundError:
        pass
    os.mknod(path, 0o666 | 0o020000, os.makedev(major, minor))  # S_IFCHR
    os.chmod(path, 0o666)


def cmd_devices():
    """Device nodes as the NVIDIA driver creates them, for the current profile's GPUs."""
    xml_path = os.path.join(SIM_ROOT, "current", "q-x.xml")
    if not os.path.exists(xml_path):
        return 0
    with open(xml_path, "rb") as fh:
        _, _, gpus = read_gpus(fh.read())
    for name in os.listdir("/dev"):
        if re.match(r"nvidia\d+$", name):
            os.unlink("/dev/" + name)
    for g in gpus:
        _mknod("/dev/nvidia%d" % g["minor"], NVIDIA_MAJOR, g["minor"])
    _mknod("/dev/nvidiactl", NVIDIA_MAJOR, 255)
    _mknod("/dev/nvidia-modeset", NVIDIA_MAJOR, 254)
    _mknod("/dev/nvidia-uvm", UVM_MAJOR, 0)
    _mknod("/dev/nvidia-uvm-tools", UVM_MAJOR, 1)
    return 0


# --------------------------------------------------------------------------- nvidia-ctk

def _smi_gpus():
    smi = shutil.which("nvidia-smi")
    if not smi:
        raise RuntimeError("failed to initialize NVML: ERROR_LIBRARY_NOT_FOUND")
    proc = subprocess.run([smi, "-q", "-x"], capture_output=True)
    if proc.returncode != 0:
        raise RuntimeError("failed to initialize NVML: ERROR_DRIVER_NOT_LOADED")
    return read_gpus(proc.stdout)


def _quote(value):
    return json.dumps(value) if re.search(r"[^A-Za-z0-9_./=-]", value) or value.isdigit() \
        or value in ("true", "false", "null") else value


def cdi_spec(gpus):
    """The spec ``nvidia-ctk cdi generate`` writes: one device per GPU by index and UUID,
    one per MIG device (``<gpu>:<mig>``), and ``all``; common edits mount nvidia-smi."""
    common_nodes = ["/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools",
                    "/dev/nvidia-modeset"]
    devices = []
    for g in gpus:
        node = "/dev/nvidia%d" % g["minor"]
        devices.append((str(g["index"]), [node]))
        if g["uuid"]:
            devices.append((g["uuid"], [node]))
        for m in g["mig"]:
            devices.append(("%d:%d" % (g["index"], m), [node]))
    devices.append(("all", ["/dev/nvidia%d" % g["minor"] for g in gpus]))
    mounts = [("/usr/bin/nvidia-smi", "/usr/bin/nvidia-smi"),
              (os.path.realpath(os.path.join(SIM_ROOT, "current")), SIM_ROOT + "/current")]
    return {"cdiVersion": "0.5.0", "kind": CDI_KIND,
            "devices": [{"name": n, "containerEdits": {"deviceNodes": [{"path": p} for p in nodes]}}
                        for n, nodes in devices],
            "containerEdits": {
                "env": ["NVIDIA_VISIBLE_DEVICES=void"],
                "deviceNodes": [{"path": p} for p in common_nodes],
                "hooks": [{"hookName": "createContainer", "path": "/usr/bin/nvidia-cdi-hook",
                           "args": ["nvidia-cdi-hook", "create-symlinks"]}],
                "mounts": [{"hostPath": h, "containerPath": c,
                            "options": ["ro", "nosuid", "nodev", "bind"]} for h, c in mounts]}}


def to_yaml(value, indent=0):
    """Block YAML for the spec's shapes (dicts, lists, strings), as the toolkit writes it."""
    pad = "  " * indent
    out = []
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, (dict, list)) and v:
                out.append("%s%s:" % (pad, k))
                out.append(to_yaml(v, indent + (0 if isinstance(v, list) else 1)))
            else:
                out.append("%s%s: %s" % (pad, k, _quote(str(v))))
    else:
        for item in value:
            if isinstance(item, dict):
                first, *rest = to_yaml(item, indent + 1).split("\n")
                out.append("%s- %s" % (pad, first.lstrip()))
                out.extend(rest)
            else:
                out.append("%s- %s" % (pad, _quote(str(item))))
    return "\n".join(out)


def read_spec(path):
    """A CDI spec we wrote (YAML subset above) or JSON -> dict."""
    with open(path) as fh:
        text = fh.read()
    if path.endswith(".json"):
        return json.loads(text)
    return _parse_yaml(text)


def _parse_yaml(text):
    """Parse the block YAML ``to_yaml`` writes (indentation, '- ' items, 'k: v')."""
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
             and line.strip() != "---"]
    pos = [0]

    def scalar(s):
        s = s.strip()
        return json.loads(s) if s.startswith('"') else s

    def block(indent):
        if pos[0] >= len(lines):
            return None
        first = lines[pos[0]]
        if first[indent:].startswith("- "):
            items = []
            while pos[0] < len(lines) and lines[pos[0]].startswith(" " * indent + "- "):
                line = lines[pos[0]]
                rest = line[indent + 2:]
                if re.match(r"[A-Za-z_][\w.-]*:( |$)", rest):
                    lines[pos[0]] = " " * (indent + 2) + rest
                    items.append(block(indent + 2))
                else:
                    items.append(scalar(rest))
                    pos[0] += 1
            return items
        out = {}
        while pos[0] < len(lines):
            line = lines[pos[0]]
            cur = len(line) - len(line.lstrip())
            if cur != indent or line[indent:].startswith("- "):
                break
            key, _, rest = line.strip().partition(":")
            pos[0] += 1
            if rest.strip():
                out[key] = scalar(rest)
            else:
                nxt = lines[pos[0]] if pos[0] < len(lines) else ""
                nind = len(nxt) - len(nxt.lstrip())
                out[key] = block(nind) if nind >= indent and nxt.strip() else None
        return out

    return block(0)


def cdi_devices():
    """{qualified name: (spec, device)} for every CDI spec file on the host."""
    found = {}
    for d in CDI_DIRS:
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            if not name.endswith((".yaml", ".yml", ".json")):
                continue
            spec = read_spec(os.path.join(d, name))
            for dev in spec.get("devices") or []:
                found["%s=%s" % (spec["kind"], dev["name"])] = (spec, dev)
    return found


def _opt(args, name):
    for i, a in enumerate(args):
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
        if a == name and i + 1 < len(args):
            return args[i + 1]
    return None


def main_ctk(args):
    if not args or args[0] in ("-h", "--help"):
        print("NAME:\n   NVIDIA Container Toolkit CLI (gpufleet SIMULATION stand-in)\n"
              "COMMANDS: cdi generate|list, runtime configure")
        return 0
    if args[0] in ("--version", "-v"):
        print("NVIDIA Container Toolkit CLI version %s\ncommit: gpufleet-simulation"
              % TOOLKIT_VERSION)
        return 0
    if args[:2] == ["cdi", "generate"]:
        try:
            _, _, gpus = _smi_gpus()
        except RuntimeError as exc:
            _say('time="sim" level=error msg="failed to generate CDI spec: %s"' % exc)
            return 1
        spec = cdi_spec(gpus)
        fmt = _opt(args, "--format") or "yaml"
        text = json.dumps(spec, indent=2) if fmt == "json" else "---\n" + to_yaml(spec) + "\n"
        output = _opt(args, "--output")
        if not output:
            sys.stdout.write(text)
            return 0
        os.makedirs(os.path.dirname(output) or ".", exist_ok=True)
        tmp = output + ".tmp"
        with open(tmp, "w") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, output)
        _say('time="sim" level=info msg="Generated CDI spec with version 0.5.0"')
        return 0
    if args[:2] == ["cdi", "list"]:
        names = sorted(cdi_devices())
        _say('time="sim" level=info msg="Found %d CDI devices"' % len(names))
        for n in names:
            print(n)
        return 0
    if args[:2] == ["runtime", "configure"]:
        if (_opt(args, "--runtime") or "docker") != "docker":
            _say("gpufleet SIMULATION nvidia-ctk: only --runtime=docker is simulated")
            return 2
        path = _opt(args, "--config") or "/etc/docker/daemon.json"
        cfg = {}
        if os.path.exists(path):
            with open(path) as fh:
                cfg = json.load(fh)
        cfg.setdefault("runtimes", {})["nvidia"] = {"args": [],
                                                    "path": "nvidia-container-runtime"}
        if "--set-as-default" in args:
            cfg["default-runtime"] = "nvidia"
        with open(path, "w") as fh:
            json.dump(cfg, fh, indent=4)
        _say('time="sim" level=info msg="Wrote updated config to %s"' % path)
        return 0
    _say("gpufleet SIMULATION nvidia-ctk: %r is not simulated" % " ".join(args))
    return 2


# --------------------------------------------------------------------------- runtime

def _device_entry(path):
    st = os.stat(path)
    return {"path": path, "type": "c", "major": os.major(st.st_rdev),
            "minor": os.minor(st.st_rdev), "fileMode": 0o666, "uid": 0, "gid": 0}


def apply_edits(spec_json, edits):
    """Apply CDI containerEdits to an OCI runtime spec (dict), as the CDI library does."""
    process = spec_json.setdefault("process", {})
    env = process.setdefault("env", [])
    for e in edits.get("env") or []:
        key = e.split("=", 1)[0] + "="
        env[:] = [x for x in env if not x.startswith(key)] + [e]
    linux = spec_json.setdefault("linux", {})
    for node in edits.get("deviceNodes") or []:
        entry = _device_entry(node["path"])
        if all(d.get("path") != entry["path"] for d in linux.get("devices") or []):
            linux.setdefault("devices", []).append(entry)
            linux.setdefault("resources", {}).setdefault("devices", []).append(
                {"allow": True, "type": "c", "major": entry["major"], "minor": entry["minor"],
                 "access": "rwm"})
    for m in edits.get("mounts") or []:
        spec_json.setdefault("mounts", []).append(
            {"destination": m["containerPath"], "source": m["hostPath"], "type": "bind",
             "options": m.get("options") or ["ro", "bind"]})
    for h in edits.get("hooks") or []:
        spec_json.setdefault("hooks", {}).setdefault(h["hookName"], []).append(
            {"path": h["path"], "args": h.get("args") or [h["path"]]})


def modify_bundle(bundle):
    """NVIDIA_VISIBLE_DEVICES -> the CDI devices' edits; drop the legacy prestart hook."""
    path = os.path.join(bundle, "config.json")
    with open(path) as fh:
        spec_json = json.load(fh)
    env = dict(e.split("=", 1) for e in spec_json.get("process", {}).get("env", []) if "=" in e)
    visible = env.get("NVIDIA_VISIBLE_DEVICES", "").strip()
    hooks = spec_json.get("hooks", {})
    if "prestart" in hooks:  # the hook Docker adds for --gpus: the runtime does its work
        hooks["prestart"] = [h for h in hooks["prestart"]
                             if not h.get("path", "").endswith("nvidia-container-runtime-hook")]
    if visible and visible not in ("void", "none"):
        known = cdi_devices()
        wanted = ["all"] if visible == "all" else [v.strip() for v in visible.split(",")]
        specs_done = set()
        for name in wanted:
            qualified = "%s=%s" % (CDI_KIND, name)
            if qualified not in known:
                _say("nvidia-container-runtime (gpufleet SIMULATION): unresolvable CDI "
                     "devices %s" % qualified)
                return 1
            spec, dev = known[qualified]
            if id(spec) not in specs_done:
                apply_edits(spec_json, spec.get("containerEdits") or {})
                specs_done.add(id(spec))
            apply_edits(spec_json, dev.get("containerEdits") or {})
    with open(path + ".tmp", "w") as fh:
        json.dump(spec_json, fh)
    os.replace(path + ".tmp", path)
    return 0


def main_runtime(args):
    if args[:1] in (["--version"], ["-v"]):
        print("NVIDIA Container Runtime version %s (gpufleet SIMULATION stand-in)\n"
              "runc: %s" % (TOOLKIT_VERSION, shutil.which("runc")))
        return 0
    if "create" in args:
        bundle = _opt(args, "--bundle") or _opt(args, "-b") or os.getcwd()
        try:
            if modify_bundle(bundle) != 0:
                return 1
        except (OSError, ValueError, KeyError) as exc:
            _say("nvidia-container-runtime (gpufleet SIMULATION): %s" % exc)
            return 1
    runc = shutil.which("runc") or "/usr/bin/runc"
    os.execv(runc, [runc] + args)
    return 127


# --------------------------------------------------------------------------- packages

PACKAGES = {
    # name: (depends, {installed path: stand-in source name})
    "libnvidia-container1": ("", {}),
    "libnvidia-container-tools": ("libnvidia-container1 (>= {v})", {}),
    "nvidia-container-toolkit-base": ("", {
        "/usr/bin/nvidia-ctk": "nvsim.py", "/usr/bin/nvidia-container-runtime": "nvsim.py",
        "/usr/bin/nvidia-cdi-hook": "nvidia-cdi-hook"}),
    "nvidia-container-toolkit": (
        "nvidia-container-toolkit-base (= {v}), libnvidia-container-tools (>= {v})",
        {"/usr/bin/nvidia-container-runtime-hook": "nvidia-container-runtime-hook"}),
}


def _deb(src_dir, out_dir, name, version, depends, files):
    """Build one .deb with dpkg-deb (gpufleet SIMULATION stand-in package)."""
    with tempfile.TemporaryDirectory() as root:
        os.makedirs(os.path.join(root, "DEBIAN"))
        for dest, src in files.items():
            target = os.path.join(root, dest.lstrip("/"))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copy(os.path.join(src_dir, src), target)
            os.chmod(target, 0o755)
        doc = os.path.join(root, "usr/share/doc", name)
        os.makedirs(doc)
        with open(os.path.join(doc, "README.gpufleet-simulation"), "w") as fh:
            fh.write("gpufleet SIMULATION stand-in for NVIDIA's %s package; see "
                     "gpufleet/testbed/nvsim/README.md in the gpufleet repository.\n" % name)
        control = ["Package: " + name, "Version: " + version, "Architecture: all",
                   "Maintainer: gpufleet test bed <nobody@invalid>", "Section: utils",
                   "Priority: optional"]
        if depends:
            control.append("Depends: " + depends.format(v=version))
        control.append("Description: gpufleet SIMULATION stand-in for NVIDIA's " + name)
        control.append(" Not NVIDIA software: test-bed stand-in, no GPU support.")
        with open(os.path.join(root, "DEBIAN/control"), "w") as fh:
            fh.write("\n".join(control) + "\n")
        deb = os.path.join(out_dir, "%s_%s_all.deb" % (name, version))
        subprocess.run(["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", root, deb],
                       check=True, stdout=subprocess.DEVNULL)
        return deb, "\n".join(control)


def cmd_build_repo(out_dir, version, gnupg_home):
    """A signed flat repository with NVIDIA's layout: <out>/stable/deb/amd64/{Packages,
    Release,InRelease,*.deb} and the public key at <out>/gpgkey (ASCII armoured)."""
    src_dir = os.path.dirname(os.path.realpath(__file__))
    repo = os.path.join(out_dir, "stable", "deb", "amd64")
    os.makedirs(repo, exist_ok=True)
    stanzas = []
    for name, (depends, files) in PACKAGES.items():
        deb, control = _deb(src_dir, repo, name, version, depends, files)
        data = open(deb, "rb").read()
        stanzas.append(control + "\n" + "\n".join([
            "Filename: ./" + os.path.basename(deb), "Size: %d" % len(data),
            "MD5sum: " + hashlib.md5(data).hexdigest(),
            "SHA256: " + hashlib.sha256(data).hexdigest()]))
    packages = "\n\n".join(stanzas) + "\n"
    with open(os.path.join(repo, "Packages"), "w") as fh:
        fh.write(packages)
    pdata = packages.encode()
    release = ("Origin: gpufleet-simulation\nLabel: gpufleet SIMULATION of NVIDIA's "
               "libnvidia-container repository\nArchitectures: all amd64 arm64\n"
               "Date: Thu, 01 Jan 2026 00:00:00 UTC\nMD5Sum:\n %s %d Packages\nSHA256:\n"
               " %s %d Packages\n" % (hashlib.md5(pdata).hexdigest(), len(pdata),
                                       hashlib.sha256(pdata).hexdigest(), len(pdata)))
    with open(os.path.join(repo, "Release"), "w") as fh:
        fh.write(release)
    env = dict(os.environ, GNUPGHOME=gnupg_home)
    os.makedirs(gnupg_home, mode=0o700, exist_ok=True)
    subprocess.run(["gpg", "--batch", "--quiet", "--pinentry-mode", "loopback",
                    "--passphrase", "", "--quick-gen-key",
                    "gpufleet simulation repository <nobody@invalid>", "ed25519", "sign",
                    "never"], check=True, env=env)
    subprocess.run(["gpg", "--batch", "--yes", "--clearsign", "-o",
                    os.path.join(repo, "InRelease"), os.path.join(repo, "Release")],
                   check=True, env=env)
    with open(os.path.join(out_dir, "gpgkey"), "wb") as fh:
        fh.write(subprocess.run(["gpg", "--armor", "--export"], check=True, env=env,
                                capture_output=True).stdout)
    print("gpufleet SIMULATION: repository %s (%s)" % (repo, version))
    return 0


def main(argv=None):
    argv = list(sys.argv if argv is None else argv)
    prog = os.path.basename(argv[0])
    args = argv[1:]
    if prog == "nvidia-ctk":
        return main_ctk(args)
    if prog == "nvidia-container-runtime":
        return main_runtime(args)
    if args[:1] == ["profile"] and len(args) >= 2:
        return cmd_profile(args[1], args[2] if len(args) > 2 else None)
    if args[:1] == ["devices"]:
        return cmd_devices()
    if args[:1] == ["build-repo"] and len(args) == 4:
        return cmd_build_repo(args[1], args[2], args[3])
    _say("usage: gpufleet-sim profile CAPTURE.xml [NAME] | devices | "
         "build-repo OUTDIR VERSION GNUPGHOME")
    return 2


if __name__ == "__main__":
    sys.exit(main())
