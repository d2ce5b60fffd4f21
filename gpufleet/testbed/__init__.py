"""gpufleet test bed: a Docker engine and Debian host images built from scratch.

Run as root on a fresh Debian machine::

    python3 -m gpufleet.testbed prepare          # engine + bookworm and trixie host images
    python3 -m gpufleet.testbed fleet up --count 2   # start host containers (systemd as PID 1)
    python3 -m gpufleet.testbed fleet down

Standard library only: this runs before any virtual environment exists. A development
tool: it is not in the wheel users install (pyproject.toml lists only the package
``gpufleet``), it needs root, debootstrap and a checkout.

Why it is built this way:
- No image registry is reachable, so images are made with ``debootstrap`` from the
  Debian mirror that this machine's own *enabled* apt sources name, then
  ``docker import``-ed.  No mirror host name is written in the repository.
- ``--privileged`` is refused by the outer sandbox; systemd runs as PID 1 with the
  capability/seccomp/cgroup set below (HOST_RUN_OPTIONS), which also lets a real
  dockerd run inside the host container.
- A second ``prepare`` that finds the images does nothing (cache by image tag; the
  tag carries a recipe version so a changed recipe rebuilds).
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SUITES = ("bookworm", "trixie")
IMAGE_REPO = "gpufleet-host"
# Bump when the image recipe below changes; the label lets `prepare` rebuild stale images.
RECIPE_VERSION = "5"
# python3-apt: Ansible's apt module needs it (Debian cloud images ship it too).
# dbus: systemd hosts have it; hostnamectl/timedatectl need it.
# procps: every real Debian host has it (priority important); docker.service's
# ExecReload runs /bin/kill from it.
HOST_PACKAGES = ("systemd", "systemd-sysv", "dbus", "procps", "python3", "python3-apt",
                 "ca-certificates")
FLEET_LABEL = "gpufleet.testbed=host"

# systemd stops cleanly on SIGRTMIN+3 (set at run time: `docker import` of Docker 20.10
# refuses a STOPSIGNAL change).
# What works here instead of --privileged (measured on the CI machines): systemd as
# PID 1, and dockerd inside the container with its own /var/lib/docker volume.
HOST_RUN_OPTIONS = (
    "--cap-add", "ALL", "--cap-drop", "SYS_RESOURCE", "--stop-signal", "SIGRTMIN+3",
    "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
    "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp:exec",
    "-v", "/sys/fs/cgroup:/sys/fs/cgroup:ro", "--cgroupns=host",
)


class TestbedError(RuntimeError):
    """A condition the user must fix; the message says how."""

    __test__ = False  # not a pytest test class despite the name


# --------------------------------------------------------------------------- apt sources

def _deb822_stanzas(text: str):
    stanza: dict[str, str] = {}
    key = None
    for line in text.splitlines():
        if not line.strip():
            if stanza:
                yield stanza
            stanza, key = {}, None
            continue
        if line.lstrip().startswith("#"):
            continue
        if line[0] in " \t" and key:
            stanza[key] += " " + line.strip()
            continue
        if ":" in line:
            key, _, value = line.partition(":")
            key = key.strip().lower()
            stanza[key] = value.strip()
    if stanza:
        yield stanza


def parse_apt_sources(files: dict[str, str]) -> list[dict]:
    """Return the enabled binary sources as dicts ``{uri, suites, components}``.

    ``files`` maps a file name to its text.  Only the names apt itself reads count:
    ``sources.list``, ``*.list`` and ``*.sources``; anything else (``*.disabled``,
    ``*.save``, ``*.disabled-by-farm``) is ignored, exactly as apt ignores it.
    """
    out = []
    for name in sorted(files):
        text = files[name]
        base = os.path.basename(name)
        if base.endswith(".sources"):
            for st in _deb822_stanzas(text):
                if st.get("enabled", "yes").lower() == "no":
                    continue
                if "deb" not in st.get("types", "").split():
                    continue
                for uri in st.get("uris", "").split():
                    out.append({"uri": uri.rstrip("/"), "suites": st.get("suites", "").split(),
                                "components": st.get("components", "").split()})
        elif base == "sources.list" or base.endswith(".list"):
            for line in text.splitlines():
                line = line.split("#", 1)[0].strip()
                if not line.startswith("deb "):
                    continue
                parts = line.split()[1:]
                if parts and parts[0].startswith("["):
                    while parts and not parts[0].endswith("]"):
                        parts.pop(0)
                    parts.pop(0) if parts else None
                if len(parts) >= 2:
                    out.append({"uri": parts[0].rstrip("/"), "suites": [parts[1]],
                                "components": parts[2:]})
    return out


def pick_debian_mirror(sources: list[dict]) -> str:
    """The first enabled source that serves a plain Debian release suite with ``main``.

    ``-security``/``-updates``/``-backports`` suites are skipped: debootstrap needs the
    archive proper.
    """
    for src in sources:
        plain = [s for s in src["suites"] if "-" not in s and "/" not in s]
        if plain and "main" in src["components"] and "security" not in src["uri"]:
            return src["uri"]
    raise TestbedError(
        "no enabled Debian archive found in /etc/apt (sources.list, sources.list.d/*.list, "
        "*.sources). Add one (e.g. a 'Types: deb / URIs: <your mirror> / Suites: bookworm / "
        "Components: main' stanza) or pass --mirror URL.")


def read_apt_files(apt_dir: str = "/etc/apt") -> dict[str, str]:
    names = [os.path.join(apt_dir, "sources.list")]
    names += sorted(glob.glob(os.path.join(apt_dir, "sources.list.d", "*")))
    files = {}
    for n in names:
        if os.path.isfile(n):
            with open(n, encoding="utf-8", errors="replace") as fh:
                files[n] = fh.read()
    return files


# --------------------------------------------------------------------------- engine

def _run(argv, check=True, **kw):
    return subprocess.run(argv, check=check, text=True, **kw)


def engine_answers() -> bool:
    if not shutil.which("docker"):
        return False
    return subprocess.run(["docker", "info"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


def ensure_engine(log=print) -> None:
    """Install Debian's docker.io when no engine answers, start dockerd, wait for it."""
    if engine_answers():
        log("docker engine: answers")
        return
    if os.geteuid() != 0:
        raise TestbedError(
            "no Docker engine answers and this is not root. Either start Docker yourself "
            "(and make sure `docker info` works for this user), or run this as root: "
            "sudo python3 -m gpufleet.testbed prepare")
    if not shutil.which("dockerd"):
        log("docker engine: installing Debian's docker.io")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        _run(["apt-get", "update", "-qq"], env=env)
        _run(["apt-get", "install", "-y", "-qq", "--no-install-recommends",
              "docker.io", "debootstrap", "iptables", "ca-certificates"], env=env)
    if os.path.isdir("/run/systemd/system") and shutil.which("systemctl"):
        _run(["systemctl", "start", "docker"], check=False)
    if not engine_answers():
        log("docker engine: starting dockerd (log: /var/log/gpufleet-dockerd.log)")
        with open("/var/log/gpufleet-dockerd.log", "ab") as logf:
            subprocess.Popen(["dockerd"], stdout=logf, stderr=logf, start_new_session=True)
    for _ in range(60):
        if engine_answers():
            log("docker engine: answers")
            return
        time.sleep(1)
    raise TestbedError("dockerd did not answer within 60 s; see /var/log/gpufleet-dockerd.log")


# --------------------------------------------------------------------------- images

def image_tag(suite: str) -> str:
    return f"{IMAGE_REPO}:{suite}"


def image_recipe(tag: str) -> str | None:
    res = subprocess.run(["docker", "image", "inspect", "--format",
                          '{{ index .Config.Labels "gpufleet.recipe" }}', tag],
                         capture_output=True, text=True)
    return res.stdout.strip() if res.returncode == 0 else None


def build_image(suite: str, mirror: str, log=print, force: bool = False) -> bool:
    """Build ``gpufleet-host:<suite>``; return True when something was built."""
    tag = image_tag(suite)
    if not force and image_recipe(tag) == RECIPE_VERSION:
        log(f"{tag}: present (recipe {RECIPE_VERSION}), nothing to do")
        return False
    if os.geteuid() != 0:
        raise TestbedError(f"building {tag} needs root (debootstrap). Run as root.")
    if not shutil.which("debootstrap"):
        _run(["apt-get", "install", "-y", "-qq", "debootstrap"],
             env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"gpufleet-{suite}-") as tmp:
        root = Path(tmp) / "root"
        log(f"{tag}: debootstrap {suite} from {mirror}")
        _run(["debootstrap", "--variant=minbase", "--include=" + ",".join(HOST_PACKAGES),
              suite, str(root), mirror], stdout=subprocess.DEVNULL)
        _slim_and_tune(root)
        tar = subprocess.Popen(["tar", "-C", str(root), "--numeric-owner", "-c", "."],
                               stdout=subprocess.PIPE)
        changes = ['CMD ["/sbin/init"]', "ENV container=docker",
                   f"LABEL gpufleet.recipe={RECIPE_VERSION}", f"LABEL gpufleet.suite={suite}"]
        argv = ["docker", "import"]
        for c in changes:
            argv += ["--change", c]
        _run(argv + ["-", tag], stdin=tar.stdout, stdout=subprocess.DEVNULL)
        tar.stdout.close()
        if tar.wait() != 0:
            raise TestbedError(f"tar of the {suite} root failed")
    log(f"{tag}: built in {time.monotonic() - started:.0f} s")
    return True


def _slim_and_tune(root: Path) -> None:
    """Container-friendly tweaks, the same ones Debian's own slim images make."""
    (root / "etc/dpkg/dpkg.cfg.d").mkdir(parents=True, exist_ok=True)
    (root / "etc/dpkg/dpkg.cfg.d/01-gpufleet-slim").write_text(
        "path-exclude /usr/share/doc/*\npath-include /usr/share/doc/*/copyright\n"
        "path-exclude /usr/share/man/*\npath-exclude /usr/share/locale/*\n"
        "path-exclude /usr/share/info/*\n")
    # Recommends stay on, as on a real host: roles ask for what they need explicitly.
    (root / "etc/apt/apt.conf.d/01-gpufleet").write_text('Acquire::Languages "none";\n')
    for d in ("var/cache/apt/archives", "var/lib/apt/lists", "var/cache/apt"):
        for p in (root / d).glob("*"):
            if p.is_file():
                p.unlink()
    # No package lists in the image: make them look stale so apt's cache_valid_time
    # (which reads the lists directory's mtime) updates on first use, as on a real host.
    os.utime(root / "var/lib/apt/lists", (0, 0))
    # Units that cannot work in a container and only slow boot or log errors.
    wants = root / "etc/systemd/system"
    for unit in ("systemd-remount-fs.service", "getty.target", "console-getty.service",
                 "systemd-udevd.service", "systemd-udev-trigger.service",
                 "systemd-modules-load.service", "sys-kernel-config.mount",
                 "sys-kernel-debug.mount", "systemd-firstboot.service"):
        link = wants / unit
        if not link.exists():
            link.symlink_to("/dev/null")
    (root / "etc/machine-id").write_text("")
    (root / "etc/hostname").write_text("gpufleet-host\n")


TOOLS_IMAGE = "gpufleet-tools:trixie"
TOOLS_PACKAGES = ("docker-compose",)  # Compose v2 (2.26 in trixie): `docker-compose config`


def derive_image(tag: str, recipe: str, script: str, *, mounts=(), changes=(), log=print,
                 force: bool = False, note: str = "") -> bool:
    """Build ``tag`` by running ``script`` in the trixie host image and committing the
    result with ``LABEL gpufleet.recipe=<recipe>``; nothing to do when the label matches."""
    if not force and image_recipe(tag) == recipe:
        log(f"{tag}: present (recipe {recipe}), nothing to do")
        return False
    started = time.monotonic()
    name = "gpufleet-build-" + tag.replace(":", "-").replace("/", "-")
    subprocess.run(["docker", "rm", "-f", name], capture_output=True)
    volumes = [arg for src, dst in mounts for arg in ("-v", f"{src}:{dst}:ro")]
    try:
        _run(["docker", "run", "--name", name, *volumes, image_tag("trixie"), "sh", "-c",
              script], stdout=subprocess.DEVNULL)
        commit = ["docker", "commit", "--change", f"LABEL gpufleet.recipe={recipe}"]
        for change in changes:
            commit += ["--change", change]
        _run(commit + [name, tag], stdout=subprocess.DEVNULL)
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)
    log(f"{tag}: built in {time.monotonic() - started:.0f} s{note}")
    return True


def build_tools_image(log=print, force=False) -> bool:
    """``gpufleet-tools:trixie``: the trixie host image plus Compose v2, for validating
    rendered compose files with the real ``docker-compose config`` (no daemon needed)."""
    return derive_image(
        TOOLS_IMAGE, RECIPE_VERSION,
        "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "
        "--no-install-recommends " + " ".join(TOOLS_PACKAGES) + " >/dev/null && "
        "rm -rf /var/lib/apt/lists/*",
        changes=['CMD ["/bin/sh"]'], log=log, force=force)


# --------------------------------------------------------------------------- BuildKit

BUILDX_PLUGIN = "/usr/libexec/docker/cli-plugins/docker-buildx"


def buildx_answers() -> bool:
    return subprocess.run(["docker", "buildx", "version"], capture_output=True).returncode == 0


def ensure_buildx(log=print) -> bool:
    """The buildx CLI plugin (BuildKit with secret and cache mounts, what `gpufleet image
    build` and community.docker.docker_image_build use). Debian's ``docker-buildx``: from
    this machine's archive where it has one (trixie and later); on bookworm, which has none,
    the same package is installed in the trixie host image and its one static-Go file
    (needs only libc6 >= 2.34; bookworm has 2.36) is copied to the plugin directory.
    Returns True when something was installed."""
    if buildx_answers():
        log("docker buildx: present")
        return False
    if os.geteuid() != 0:
        raise TestbedError("the docker CLI has no buildx plugin and this is not root: run "
                           "`sudo python3 -m gpufleet.testbed prepare`")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    policy = subprocess.run(["apt-cache", "policy", "docker-buildx"], capture_output=True,
                            text=True).stdout
    if "Candidate:" in policy and "Candidate: (none)" not in policy:
        log("docker buildx: apt-get install docker-buildx")
        _run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "docker-buildx"],
             env=env, stdout=subprocess.DEVNULL)
    else:
        log("docker buildx: this release has no docker-buildx; taking trixie's package")
        os.makedirs(os.path.dirname(BUILDX_PLUGIN), exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="gpufleet-buildx-") as tmp:
            _run(["docker", "run", "--rm", "-v", f"{tmp}:/out", image_tag("trixie"), "sh", "-c",
                  "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "
                  "--no-install-recommends docker-buildx >/dev/null && "
                  f"cp {BUILDX_PLUGIN} /out/docker-buildx"], stdout=subprocess.DEVNULL)
            shutil.copyfile(os.path.join(tmp, "docker-buildx"), BUILDX_PLUGIN)
        os.chmod(BUILDX_PLUGIN, 0o755)
    if not buildx_answers():
        raise TestbedError("docker buildx still does not answer after installing it; see "
                           "`docker buildx version`")
    log("docker buildx: installed")
    return True


# --------------------------------------------------------------------------- simulated NVIDIA host

NVSIM_IMAGE = f"{IMAGE_REPO}:trixie-nvsim"
NVSIM_DIR = Path(__file__).resolve().parent / "nvsim"
CAPTURES_DIR = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "nvidia-smi"
# The profile a fresh simulated host boots with (a real capture: two RTX A5000, driver 590).
NVSIM_DEFAULT_PROFILE = "dual-rtx-a5000_590.44.01"
# Version of the stand-in toolkit packages in the simulated repository ("+gpufleetsim" so it
# can never be mistaken for NVIDIA's own 1.17.8-1).
NVSIM_TOOLKIT_VERSION = "1.17.8-1+gpufleetsim"
NVSIM_REPO_DIR = "/srv/gpufleet-sim/nvidia-repo"


def nvsim_recipe() -> str:
    """Recipe label: the host recipe plus a hash of the stand-ins and the captures, so a
    changed stand-in or a new capture rebuilds the image."""
    import hashlib
    h = hashlib.sha256(RECIPE_VERSION.encode())
    for p in sorted(NVSIM_DIR.iterdir()) + sorted(CAPTURES_DIR.glob("*.xml")):
        if p.is_file():
            h.update(p.name.encode() + b"\0" + p.read_bytes())
    return f"{RECIPE_VERSION}-{h.hexdigest()[:12]}"


def build_nvsim_image(log=print, force=False) -> bool:
    """``gpufleet-host:trixie-nvsim``: the trixie host plus a SIMULATED NVIDIA driver
    (nvidia-smi answering from a real capture, device nodes) and a signed local apt
    repository of stand-in toolkit packages (see gpufleet/testbed/nvsim/README.md)."""
    recipe = nvsim_recipe()
    script = " && ".join([
        "apt-get update -qq",
        "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "
        "gpg gpg-agent >/dev/null",
        "install -d /usr/lib/gpufleet-sim /usr/share/gpufleet-sim/captures",
        "cp /src/* /usr/lib/gpufleet-sim/ && chmod 755 /usr/lib/gpufleet-sim/*",
        "cp /captures/*.xml /usr/share/gpufleet-sim/captures/",
        "ln -sf /usr/lib/gpufleet-sim/nvsim.py /usr/bin/gpufleet-sim",
        "install -m 755 /src/nvidia-smi /usr/bin/nvidia-smi",
        "install -m 644 /src/gpufleet-sim-devices.service /etc/systemd/system/",
        "ln -sf /etc/systemd/system/gpufleet-sim-devices.service "
        "/etc/systemd/system/sysinit.target.wants/gpufleet-sim-devices.service",
        f"python3 /usr/lib/gpufleet-sim/nvsim.py build-repo {NVSIM_REPO_DIR} "
        f"{NVSIM_TOOLKIT_VERSION} /root/.gnupg-sim",
        "gpgconf --homedir /root/.gnupg-sim --kill all; rm -rf /root/.gnupg-sim",
        "DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq --auto-remove gpg gpg-agent "
        ">/dev/null",
        # No device nodes at build time (/dev is the build container's): the profile's
        # files only; the unit makes the nodes at every boot.
        "python3 -c \"import sys; sys.path.insert(0, '/usr/lib/gpufleet-sim'); import nvsim; "
        "nvsim.cmd_devices = lambda: 0; "
        f"nvsim.cmd_profile('/usr/share/gpufleet-sim/captures/{NVSIM_DEFAULT_PROFILE}.xml')\"",
        "rm -rf /var/lib/apt/lists/* && install -d /var/lib/apt/lists/partial",
        "touch -d @0 /var/lib/apt/lists",
    ])
    return derive_image(
        NVSIM_IMAGE, recipe, script,
        mounts=((NVSIM_DIR, "/src"), (CAPTURES_DIR, "/captures")),
        changes=("LABEL gpufleet.simulation=nvidia-driver+container-toolkit",
                 'CMD ["/sbin/init"]'),
        log=log, force=force, note=" (SIMULATED NVIDIA host)")


# --------------------------------------------------------------------------- fleet

def fleet_names(prefix: str, count: int, suites=SUITES) -> list[tuple[str, str]]:
    """``[(container_name, suite)]``, alternating suites: host-1 bookworm, host-2 trixie..."""
    return [(f"{prefix}-{i}", suites[(i - 1) % len(suites)]) for i in range(1, count + 1)]


def run_host(name: str, suite: str, extra=()) -> None:
    if subprocess.run(["docker", "container", "inspect", name], stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL).returncode == 0:
        _run(["docker", "start", name], stdout=subprocess.DEVNULL)
        return
    _run(["docker", "run", "-d", "--name", name, "--hostname", name, "--label", FLEET_LABEL,
          *HOST_RUN_OPTIONS, "-v", f"{name}-docker:/var/lib/docker", *extra, image_tag(suite)],
         stdout=subprocess.DEVNULL)


def wait_systemd(name: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        res = subprocess.run(["docker", "exec", name, "systemctl", "is-system-running"],
                             capture_output=True, text=True)
        if res.stdout.strip() in ("running", "degraded"):
            return
        time.sleep(0.5)
    raise TestbedError(f"{name}: systemd did not come up within {timeout:.0f} s "
                       f"(docker logs {name})")


def fleet_up(prefix: str, count: int, log=print) -> list[str]:
    names = []
    for name, suite in fleet_names(prefix, count):
        run_host(name, suite)
        names.append(name)
    for name in names:
        wait_systemd(name)
        log(f"{name}: up")
    return names


def fleet_down(prefix: str, log=print) -> None:
    res = _run(["docker", "ps", "-aq", "--filter", f"label={FLEET_LABEL}",
                "--filter", f"name=^{prefix}-"], capture_output=True)
    ids = res.stdout.split()
    if ids:
        _run(["docker", "rm", "-f", "-v", *ids], stdout=subprocess.DEVNULL)
    vols = _run(["docker", "volume", "ls", "-q", "--filter", f"name=^{prefix}-"],
                capture_output=True).stdout.split()
    if vols:
        _run(["docker", "volume", "rm", "-f", *vols], stdout=subprocess.DEVNULL)
    log(f"fleet {prefix}: removed {len(ids)} host(s)")


LOCAL_GROUP_VARS = Path(__file__).resolve().parents[2] / "inventory" / "local" / "group_vars"


def write_fleet_inventory(directory, names: list[str]) -> str:
    """An inventory directory for host containers with the local fleet's settings:
    ``hosts.yml`` (write_inventory) and ``group_vars/linux.yml`` from inventory/local.
    Returns the path of hosts.yml. The one place benches and tests make fleet inventories."""
    directory = Path(directory)
    (directory / "group_vars").mkdir(parents=True, exist_ok=True)
    shutil.copy(LOCAL_GROUP_VARS / "linux.yml", directory / "group_vars" / "linux.yml")
    write_inventory(str(directory / "hosts.yml"), names)
    return str(directory / "hosts.yml")


def write_inventory(path: str, names: list[str]) -> None:
    """A YAML inventory putting the host containers in the `linux` group."""
    hosts: dict[str, dict] = {n: {} for n in names}
    doc = {"all": {"children": {"linux": {"hosts": hosts}},
                   "vars": {"ansible_connection": "community.docker.docker", "ansible_user": "root",
                            "ansible_python_interpreter": "/usr/bin/python3"}}}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(doc, indent=2) + "\n")


# --------------------------------------------------------------------------- CLI

def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m gpufleet.testbed", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare", help="engine + host images (cached)")
    p.add_argument("--suite", action="append", choices=SUITES)
    p.add_argument("--mirror", help="Debian mirror URL (default: read from /etc/apt)")
    p.add_argument("--force", action="store_true", help="rebuild images even when present")
    sub.add_parser("mirror", help="print the Debian mirror read from /etc/apt")
    f = sub.add_parser("fleet", help="local fleet of host containers")
    f.add_argument("action", choices=("up", "down"))
    f.add_argument("--prefix", default="gpufleet-host")
    f.add_argument("--count", type=int, default=2)
    f.add_argument("--inventory", help="write a YAML inventory of the fleet here")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "mirror":
            print(pick_debian_mirror(parse_apt_sources(read_apt_files())))
        elif args.cmd == "prepare":
            ensure_engine()
            mirror = args.mirror or pick_debian_mirror(parse_apt_sources(read_apt_files()))
            for suite in args.suite or SUITES:
                build_image(suite, mirror, force=args.force)
            if not args.suite or "trixie" in args.suite:
                build_tools_image(force=args.force)
                build_nvsim_image(force=args.force)
                ensure_buildx()
        elif args.cmd == "fleet":
            if not engine_answers():
                raise TestbedError("no Docker engine answers: run "
                                   "`python3 -m gpufleet.testbed prepare` first (as root)")
            if args.action == "up":
                names = fleet_up(args.prefix, args.count)
                if args.inventory:
                    write_inventory(args.inventory, names)
            else:
                fleet_down(args.prefix)
    except TestbedError as exc:
        print(f"gpufleet testbed: {exc}", file=sys.stderr)
        return 2
    except subprocess.CalledProcessError as exc:
        print(f"gpufleet testbed: command failed ({exc.returncode}): {' '.join(exc.cmd)}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
