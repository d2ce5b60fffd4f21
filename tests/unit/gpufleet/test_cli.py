"""`gpufleet init` (the starter inventory: written, refused over existing files, parsed by the
real ansible-inventory) and how the CLI reports a run that fails: the error in the table
output and in --json, and the exit status."""
import glob
import io
import json
import os
import re
import subprocess
import sys

import pytest
import yaml

from gpufleet import api, cli, starter

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
GROUPS = {"linux", "cloud", "wsl", "windows", "macos"}


def ansible_inventory(path):
    exe = os.path.join(os.path.dirname(sys.executable), "ansible-inventory")
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
               ANSIBLE_INVENTORY_UNPARSED_FAILED="1",
               ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED="1")
    proc = subprocess.run([exe, "-i", str(path), "--list"], capture_output=True, text=True,
                          env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


# --------------------------------------------------------------------------- init

def test_init_writes_the_starter_and_says_what_next(tmp_path, capsys):
    inv = tmp_path / "prod"
    assert cli.main(["init", str(inv)]) == 0
    out = capsys.readouterr().out
    written = sorted(os.path.relpath(p, inv) for p in glob.glob(str(inv / "**" / "*.yml"),
                                                                  recursive=True))
    assert written == sorted(["hosts.yml"] + ["group_vars/%s.yml" % g for g in GROUPS])
    for rel in written:
        assert "wrote %s" % (inv / rel) in out
    assert "ansible-inventory -i %s --graph" % inv in out
    assert "gpufleet doctor -i %s" % inv in out and "gpufleet up     -i %s -l linux" % inv in out


def test_init_inventory_parses_with_ansible_inventory(tmp_path):
    api.init(str(tmp_path))
    data = ansible_inventory(tmp_path)
    assert GROUPS <= set(data["all"]["children"])
    assert data["_meta"]["hostvars"] == {}
    # gpufleet itself reads it too, and says there is nothing to run on yet
    assert GROUPS <= api.inventory_names(api.load_inventory(str(tmp_path)))[0]


def test_init_examples_work_once_uncommented(tmp_path):
    """Uncommenting the example hosts gives every group a host, with the rollout defaults
    the playbooks use (serial [1, "100%"], max_fail 0, order inventory) from group_vars."""
    api.init(str(tmp_path))
    hosts = tmp_path / "hosts.yml"
    hosts.write_text(re.sub(r"(?m)^(\s+)# (\S+:.*)$", r"\1\2", hosts.read_text()))
    data = ansible_inventory(tmp_path)
    for group in GROUPS:
        members = api.group_members(data, group)
        assert members, group
        values = data["_meta"]["hostvars"][members[0]]
        assert values["gpufleet_serial"] == [1, "100%"], group
        assert values["gpufleet_max_fail_percentage"] == 0, group
        assert values["gpufleet_order"] == "inventory", group
    assert data["_meta"]["hostvars"]["ws-alice.lab.example"]["ansible_connection"] == "winrm"
    assert api.rollout_vars(data)["gpufleet_serial_cloud"] == [1, "100%"]
    api.check_rollout(api.rollout_vars(data))


def _role_variables():
    names = set()
    for path in glob.glob(os.path.join(ROOT, "roles", "*", "defaults", "main.yml")):
        names.update(yaml.safe_load(open(path)) or {})
    for path in glob.glob(os.path.join(ROOT, "roles", "*", "meta", "argument_specs.yml")):
        for spec in (yaml.safe_load(open(path))["argument_specs"] or {}).values():
            names.update(spec.get("options") or {})
    return names


def _role_options():
    options = {}
    for path in glob.glob(os.path.join(ROOT, "roles", "*", "meta", "argument_specs.yml")):
        for spec in (yaml.safe_load(open(path))["argument_specs"] or {}).values():
            options.update(spec.get("options") or {})
    return options


TYPES = {"str": str, "bool": bool, "list": list, "dict": dict, "int": int, "path": str}


def test_init_names_only_variables_that_exist():
    """Every variable the starter sets or shows in a comment is a role variable, a rollout
    key or an Ansible connection variable: a typo here would silently do nothing. What it
    sets has the type and one of the choices the role's argument_specs allow."""
    known = _role_variables() | set(api.ROLLOUT_KEYS)
    options = _role_options()
    for rel, text in starter.FILES.items():
        if not rel.startswith("group_vars/"):
            continue
        doc = yaml.safe_load(text)
        commented = re.findall(r"(?m)^# ([a-z][a-z0-9]*_[a-z0-9_]*):", text)  # "# name: ..."
        for name in list(doc) + commented:
            assert name in known or name.startswith("ansible_"), (rel, name)
        for name, value in doc.items():
            spec = options.get(name)
            if spec and spec.get("type") in TYPES:
                assert isinstance(value, TYPES[spec["type"]]), (rel, name, value)
            if spec and spec.get("choices"):
                assert value in spec["choices"], (rel, name, value)
        for key in api.ROLLOUT_KEYS:
            assert key in doc, (rel, key)
        api.check_rollout(doc)
    assert starter.GROUPS and set(starter.GROUPS) == GROUPS == set(api.PLATFORM_GROUPS)


def test_init_refuses_to_overwrite_unless_forced(tmp_path, capsys):
    (tmp_path / "group_vars").mkdir()
    mine = tmp_path / "group_vars" / "linux.yml"
    mine.write_text("ansible_user: me\n")
    (tmp_path / "notes.txt").write_text("keep")
    assert cli.main(["init", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "not overwriting %s" % mine in err and "--force" in err
    assert mine.read_text() == "ansible_user: me\n"
    assert not (tmp_path / "hosts.yml").exists()  # all or nothing

    assert cli.main(["init", str(tmp_path), "--force"]) == 0
    assert mine.read_text() == starter.FILES["group_vars/linux.yml"]
    assert (tmp_path / "notes.txt").read_text() == "keep"


def test_init_onto_a_file_is_refused(tmp_path, capsys):
    f = tmp_path / "inv"
    f.write_text("")
    assert cli.main(["init", str(f)]) == 2
    assert "not a directory" in capsys.readouterr().err


def test_a_fresh_starter_inventory_has_nothing_to_run_on(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    api.init(str(tmp_path / "inv"))
    assert cli.main(["doctor", "-i", str(tmp_path / "inv"), "--json"]) == 2
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert doc["error_kind"] == "no_hosts" and doc["hosts"] == {}
    assert doc["status"] == "not_run" and doc["rc"] is None
    assert "has no hosts" in doc["error"] and "linux (0 hosts)" in doc["error"]
    assert "gpufleet: the inventory" in captured.err


# --------------------------------------------------------------------------- errors in output

def test_json_for_an_inventory_that_does_not_parse(tmp_path, capsys):
    bad = tmp_path / "hosts.yml"
    bad.write_text("all:\n  hosts: [broken\n")
    assert cli.main(["up", "-i", str(bad), "-l", "linux", "--json"]) == 2
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert doc["action"] == "provision" and doc["limit"] == "linux"
    assert doc["error_kind"] == "inventory" and doc["hosts"] == {}
    assert "YAML parsing failed" in doc["error"] and "%s:3:1" % bad in doc["error"]
    assert "does not parse" in captured.err


def test_json_for_bad_usage(tmp_path, capsys):
    inv = tmp_path / "hosts.yml"
    inv.write_text("all:\n  hosts:\n    h1:\n")
    assert cli.main(["doctor", "-i", str(inv), "-e", "novalue", "--json"]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert doc["error_kind"] == "usage" and "key=value" in doc["error"]


def _run(action, rc, hosts=None, error=None, kind=None, status="failed"):
    return api.RunResult(action, api.PLAYBOOKS[action], None, rc, status, 1.0,
                         hosts=hosts or {}, error=error, error_kind=kind)


@pytest.mark.parametrize("result,code", [
    (_run("provision", 0, {"a": api.HostResult("a", ok=1)}, status="successful"), 0),
    (_run("provision", 2, {"a": api.HostResult("a", failed=1)}, "1 host failed", "hosts"), 1),
    (_run("provision", 2, {"a": api.HostResult("a", reached=False)}, "not reached", "hosts"), 1),
    (_run("provision", 250, {"a": api.HostResult("a", ok=1)}, "[ERROR]: later", "playbook"), 1),
    (_run("provision", 4, {}, "[ERROR]: YAML parsing failed", "playbook"), 2),
    (_run("provision", 0, {}, "no host matches", "no_hosts", status="successful"), 2),
])
def test_exit_codes(result, code):
    assert cli.exit_code(result) == code


def _console():
    from rich.console import Console
    out = io.StringIO()
    return out, Console(file=out, width=200, highlight=False, color_system=None)


def test_table_output_says_why_nothing_ran():
    out, console = _console()
    cli.summary_table(_run("provision", 4, {}, "[ERROR]: the role 'x' was not found in "
                                               "[roles]\nOrigin: /p.yml:4:7", "playbook"),
                      console)
    text = out.getvalue()
    assert text.startswith("playbook error: [ERROR]: the role 'x' was not found in [roles]")
    assert "Origin: /p.yml:4:7" in text and "no host ran" in text and "┃ host" not in text


def test_table_output_puts_the_error_above_the_table_and_shows_text_literally():
    out, console = _console()
    hosts = {"[gpu-01]": api.HostResult("[gpu-01]", unreachable=1, failures=[
        "unreachable: ntlm: HTTPSConnectionPool(host='w1', port=5986) [Errno 111] [bold]"])}
    result = _run("doctor", 4, hosts, api.explain_failure(_run("doctor", 4, hosts))[0], "hosts")
    cli.summary_table(result, console)
    text = out.getvalue()
    first = text.splitlines()[0]
    assert first.startswith("failed: 1 host failed or unreachable: [gpu-01] (unreachable: ntlm:")
    assert "[Errno 111] [bold]" in first
    row = next(line for line in text.splitlines() if "│ [gpu-01]" in line)
    assert "unreachable" in row and "[Errno 111] [bold]" in row
