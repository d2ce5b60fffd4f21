"""Fuzzing gpu_facts' parsers and collect() with what broken tools can print.

Deterministic (seeded ``random.Random``) and bounded, so it runs in a few seconds and fails
the same way every time. The invariants:

- a parser lets only ParseError escape (parse_os_release, parse_dpkg_status and
  classify_ldconfig_output never raise at all);
- what a parser returns is JSON-serialisable, free of lone surrogates, and holds no
  placeholder (N/A, Not Found, [Unknown Error]...) as a value;
- collect() never raises, whatever nvidia-smi, rocm-smi, docker, ldconfig and the files it
  reads contain; when nvidia-smi's or rocm-smi's output cannot be read, facts["problems"]
  says so; the facts serialise as JSON and as UTF-8.
"""
import json
import os
import random

import pytest

from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_gpu import Probe, collect
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_gpu_parse import (
    MAX_TOOL_OUTPUT, ParseError, classify_ldconfig_output, is_placeholder, parse_dpkg_status,
    parse_nvidia_smi_xml, parse_os_release, parse_rocm_smi_json, parse_system_profiler_displays)
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "fixtures")

SEED = 20240611


def _captures(tool, ext):
    folder = os.path.join(FIXTURES, tool)
    out = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith(ext):
            with open(os.path.join(folder, name), "rb") as fh:
                out[name] = fh.read()
    return out


NVIDIA = _captures("nvidia-smi", ".xml")
ROCM = _captures("rocm-smi", ".json")
PROFILER = (b'{"SPDisplaysDataType": [{"_name": "Apple M2 Pro", "sppci_model": "Apple M2 Pro", '
            b'"sppci_cores": "19", "spdisplays_vendor": "sppci_vendor_Apple", '
            b'"spdisplays_mtlgpufamilysupport": "spdisplays_metal3"}]}')
OS_RELEASE = (b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\n'
              b'VERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n')
DPKG = (b"Package: docker.io\nStatus: install ok installed\nVersion: 20.10.24+dfsg1-1+deb12u1+b6\n"
        b"\nPackage: nvidia-container-toolkit\nStatus: install ok installed\nVersion: 1.17.8-1\n")
LDCONFIG = b"ldconfig: /usr/lib/wsl/lib/libcuda.so.1 is not a symbolic link\n\n"
NASTY = [b"\x00", b"\xff", b"\xfe\xff", b"\xe9", b"\xed\xa0\x80", b"<", b"&", b"]]>", b"\"",
         b"{", b"[", b"N/A", b"[Unknown Error]", b"\r\n", b"\x1b[31m", b"\xef\xbf\xbe",
         "\u202e".encode("utf-8"), b"9" * 5000]


def mutate(rng, data):
    """One random corruption of a capture: cut, flip, insert, delete or duplicate bytes."""
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(6)
        pos = rng.randrange(len(data) + 1)
        if op == 0:
            del data[pos:]
        elif op == 1 and data:
            data[min(pos, len(data) - 1)] = rng.randrange(256)
        elif op == 2:
            data[pos:pos] = rng.choice(NASTY)
        elif op == 3:
            del data[pos:pos + rng.randint(1, 200)]
        elif op == 4:
            end = min(len(data), pos + rng.randint(1, 400))
            data[pos:pos] = data[pos:end]
        else:
            data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 32)))
    return bytes(data)


def as_text(rng, data):
    """Bytes as a tool's text would reach a parser: UTF-8 with surrogateescape (Ansible's
    default decoding), latin-1, or the raw bytes."""
    return rng.choice((lambda b: b.decode("utf-8", "surrogateescape"),
                       lambda b: b.decode("latin-1"), lambda b: b))(data)


def garbage(rng, seeds):
    kind = rng.randrange(5)
    if kind == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randint(0, 600)))
    if kind == 1:  # plausible text, not UTF-8
        return "".join(rng.choice("abc<>/&;:\"{}[], \n\t\u00e9\u00ff") for _ in range(
            rng.randint(0, 400))).encode("latin-1", "replace")
    seed = rng.choice(seeds)
    if kind == 2:
        return seed[:rng.randrange(len(seed) + 1)]
    return mutate(rng, seed)


def check_json_safe(value):
    json.dumps(value)
    json.dumps(value, ensure_ascii=False).encode("utf-8")  # raises on lone surrogates


def check_no_placeholders(value, key=None):
    if isinstance(value, dict):
        for k, v in value.items():
            check_no_placeholders(v, k)
    elif isinstance(value, list):
        for v in value:
            check_no_placeholders(v, key)
    elif isinstance(value, str) and not (key == "virtualization_mode" and value == "None"):
        assert not is_placeholder(value), (key, value)


def parse_or_parse_error(parser, text):
    try:
        result = parser(text)
    except ParseError:
        return None
    check_json_safe(result)
    check_no_placeholders(result)
    return result


PARSERS = [
    ("nvidia", parse_nvidia_smi_xml, list(NVIDIA.values())),
    ("rocm", parse_rocm_smi_json, list(ROCM.values())),
    ("system_profiler", parse_system_profiler_displays, [PROFILER]),
]


@pytest.mark.parametrize("name,parser,seeds", PARSERS, ids=[p[0] for p in PARSERS])
def test_truncated_captures(name, parser, seeds):
    for data in seeds:
        step = max(1, len(data) // 60)
        for cut in list(range(0, len(data), step)) + [len(data) - 1]:
            parse_or_parse_error(parser, data[:cut])
            parse_or_parse_error(parser, data[:cut].decode("utf-8", "surrogateescape"))


@pytest.mark.parametrize("name,parser,seeds", PARSERS, ids=[p[0] for p in PARSERS])
def test_mutated_and_random_input(name, parser, seeds):
    rng = random.Random(SEED)
    for _ in range(400):
        parse_or_parse_error(parser, as_text(rng, garbage(rng, seeds)))


def test_real_captures_still_parse_with_non_utf8_bytes_in_them():
    rng = random.Random(SEED)
    for data in NVIDIA.values():
        # A latin-1 / invalid byte inside an element's text is what a process name brings.
        pos = data.index(b"<product_name>") + len(b"<product_name>")
        for bad in (b"\xe9", b"\xff\xfe", b"\x01", b"\xed\xa0\x80"):
            doc = parse_nvidia_smi_xml(as_text(rng, data[:pos] + bad + data[pos:]))
            assert doc["gpus"], "a capture with one bad byte must still list its GPUs"
            check_json_safe(doc)


def test_deep_and_huge_input_is_bounded():
    deep_xml = "<nvidia_smi_log>" + "<gpu>" * 50000 + "</gpu>" * 50000 + "</nvidia_smi_log>"
    doc = parse_nvidia_smi_xml(deep_xml)
    assert doc["listed_gpus"] == 1
    for text in ("[" * 200000, '{"card0": ' * 100000, '{"a":' * 50000 + "1" + "}" * 50000):
        with pytest.raises(ParseError):
            parse_rocm_smi_json(text)
        with pytest.raises(ParseError):
            parse_system_profiler_displays(text)
    long_name = "x" * 2000000
    doc = parse_nvidia_smi_xml("<nvidia_smi_log><attached_gpus>%s</attached_gpus><gpu>"
                               "<product_name>%s</product_name></gpu></nvidia_smi_log>"
                               % ("9" * 5000, long_name))
    assert len(doc["gpus"][0]["name"]) <= 512 and doc["attached_gpus"] is None
    with pytest.raises(ParseError, match="more than gpufleet reads"):
        parse_nvidia_smi_xml(" " * (MAX_TOOL_OUTPUT + 1))


@pytest.mark.parametrize("parser,seed", [(parse_os_release, OS_RELEASE), (parse_dpkg_status, DPKG),
                                         (classify_ldconfig_output, LDCONFIG)],
                         ids=["os_release", "dpkg_status", "ldconfig"])
def test_text_parsers_never_raise(parser, seed):
    rng = random.Random(SEED)
    for _ in range(400):
        data = garbage(rng, [seed])
        text = rng.choice((data.decode("utf-8", "replace"), data.decode("latin-1"),
                           data.decode("utf-8", "surrogateescape")))
        json.dumps(parser(text))
    assert parser(None) is not None


# --------------------------------------------------------------------------- collect()

TOOLS = ("nvidia-smi", "rocm-smi", "docker", "ldconfig")
FILES = ("etc/os-release", "var/lib/dpkg/status", "etc/group", "etc/passwd", "proc/stat",
         "var/run/cdi/nvidia.yaml", "proc/4242/stat", "sys/class/drm/card0/device/vendor",
         "sys/class/drm/card0/device/mem_info_vram_total")


def _tree(root, wsl):
    def put(path, data=b"", mode=0o644):
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as fh:
            fh.write(data)
        os.chmod(full, mode)
    for tool in ("usr/bin/nvidia-smi", "opt/rocm/bin/rocm-smi", "usr/bin/docker", "sbin/ldconfig"):
        put(tool, b"#!/bin/sh\n", 0o755)
    put("proc/sys/kernel/osrelease",
        b"5.15.167.4-microsoft-standard-WSL2\n" if wsl else b"6.1.0-27-amd64\n")
    put("proc/4242/comm", b"dockerd\n")
    put("dev/nvidia0")
    put("dev/kfd")
    if wsl:
        put("usr/lib/wsl/lib/libnvidia-ml.so.1")
    for path in FILES:
        put(path)
    return put


@pytest.mark.parametrize("wsl", [False, True], ids=["linux", "wsl2"])
def test_collect_never_raises_and_reports_unreadable_tools(tmp_path, wsl):
    rng = random.Random(SEED + wsl)
    root = str(tmp_path)
    put = _tree(root, wsl)
    seeds = {"nvidia-smi": list(NVIDIA.values()), "rocm-smi": list(ROCM.values()),
             "docker": [b'{"ServerVersion": "26.1.5", "Runtimes": {"nvidia": {}, "runc": {}},'
                        b' "CDISpecDirs": ["/etc/cdi", "/var/run/cdi"]}'],
             "ldconfig": [LDCONFIG]}
    file_seeds = [OS_RELEASE, DPKG, b"docker:x:998:alice\n", b"btime 1700000000\n",
                  b"kind: nvidia.com/gpu\ndevices:\n- name: all\n"]
    seen = set()
    for _ in range(150):
        outputs = {}
        for tool in TOOLS:
            rc = rng.choice((0, 0, 0, 1, 6, 9, 255, "x", None))
            out = garbage(rng, seeds[tool])
            outputs[tool] = (rc, as_text(rng, out), as_text(rng, garbage(rng, [b"error: \xe9"])))
        for path in rng.sample(FILES, 3):
            put(path, garbage(rng, file_seeds))

        def run(argv, outputs=outputs):
            if rng.random() < 0.05:
                raise OSError(8, "Exec format error")
            return outputs.get(os.path.basename(argv[0]), (127, "", "not found"))

        facts = collect(Probe(run, root=root, system="Linux"), user="alice")
        check_json_safe(facts)
        problems = {p["id"] for p in facts["problems"]}
        assert all(p["message"] and p["remedy"] for p in facts["problems"])
        if facts["nvidia"]["smi"] is None:  # nvidia-smi was there but not read
            assert problems & {"nvidia_smi_failed", "nvidia_smi_unparseable"}, facts["nvidia"]
            seen.add("nvidia")
        if not facts["amd"]["rocm_smi"]:
            assert problems & {"rocm_smi_failed", "rocm_smi_unparseable"}, facts["amd"]
            seen.add("amd")
        if "nvidia_smi_failed" in problems:
            cause = [p for p in facts["problems"] if p["id"] == "nvidia_smi_failed"][0]["cause"]
            assert cause == facts["nvidia"]["error_cause"]
    assert seen == {"nvidia", "amd"}  # the garbage did reach both paths
