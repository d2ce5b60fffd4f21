"""--retry-failed state: one record per inventory and command, so `gpufleet doctor` or a
run on another inventory never replaces the failed hosts of `gpufleet up`."""
import io
import json
import os

import pytest

from gpufleet import api, cli


def result(action, failed=(), not_reached=(), ok=(), pending=()):
    hosts = {h: api.HostResult(h, failed=1) for h in failed}
    hosts.update({h: api.HostResult(h, reached=False) for h in not_reached})
    hosts.update({h: api.HostResult(h, ok=2) for h in ok})
    for h in pending:
        hosts[h].restart_pending = True
        hosts[h].restart_pending_reason = "1 container(s) running and live-restore is off"
    return api.RunResult(action, "site.yml", None, 2 if failed or not_reached else 0,
                         "failed", 1.0, hosts=hosts)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_state_is_per_inventory_and_command(cache, tmp_path):
    prod, lab = tmp_path / "prod", tmp_path / "lab"
    prod.mkdir()
    lab.mkdir()
    cli.save_run_state(str(prod), "up", result("provision", failed=["g2"], not_reached=["g3"],
                                               ok=["g1"]))
    # doctor on the same inventory and up on another one: all fine
    cli.save_run_state(str(prod), "doctor", result("doctor", ok=["g1", "g2", "g3"]))
    cli.save_run_state(str(lab), "up", result("provision", ok=["l1"]))
    assert cli.hosts_to_retry(str(prod), "up") == ["g2", "g3"]
    with pytest.raises(api.GpufleetError, match="gpufleet doctor.*all fine"):
        cli.hosts_to_retry(str(prod), "doctor")
    with pytest.raises(api.GpufleetError, match="gpufleet up.*all fine"):
        cli.hosts_to_retry(str(lab), "up")
    with pytest.raises(api.GpufleetError, match="no run recorded"):
        cli.hosts_to_retry(str(prod), "deploy")
    files = sorted(os.listdir(cache / "gpufleet" / "runs"))
    assert len(files) == 3 and all(f.endswith(("-up.json", "-doctor.json")) for f in files)
    doc = json.loads((cache / "gpufleet" / "runs" / os.path.basename(
        cli.state_path(str(prod), "up"))).read_text())
    assert doc["inventory"] == str(prod) and doc["failed_hosts"] == ["g2"]
    assert doc["not_reached_hosts"] == ["g3"]


def test_same_inventory_by_another_path_is_the_same_state(cache, tmp_path, monkeypatch):
    inv = tmp_path / "inv"
    inv.mkdir()
    (tmp_path / "link").symlink_to(inv)
    cli.save_run_state(str(inv), "up", result("provision", failed=["g1"]))
    monkeypatch.chdir(tmp_path)
    assert cli.hosts_to_retry("inv", "up") == ["g1"]
    assert cli.hosts_to_retry(str(tmp_path / "link"), "up") == ["g1"]
    assert cli.state_path("inv", "up") != cli.state_path("inv", "deploy")


def test_retry_failed_without_state_is_bad_input(cache, tmp_path, capsys):
    inv = tmp_path / "hosts.yml"
    inv.write_text("all:\n  hosts:\n    h1:\n")
    assert cli.main(["up", "-i", str(inv), "--retry-failed"]) == 2
    assert "no run recorded" in capsys.readouterr().err


def test_summary_table_shows_restart_pending_and_not_reached():
    from rich.console import Console
    out = io.StringIO()
    console = Console(file=out, width=220, highlight=False, color_system=None)
    cli.summary_table(result("provision", failed=["c1"], not_reached=["g3"], ok=["g1"],
                             pending=["g1"]), console)
    text = out.getvalue()
    row = next(line for line in text.splitlines() if "g1" in line and "│" in line)
    assert "pending" in row and "1 container(s) running" in row
    assert "not reached" in next(line for line in text.splitlines() if " g3 " in line)
    assert "restart pending g1: 1 container(s) running" in text
    assert "docker_engine_restart_running_containers=true" in text
    assert "not reached: g3" in text


def test_a_run_that_reached_no_host_keeps_the_retry_record(cache, tmp_path, monkeypatch, capsys):
    """A run that ends before any host (a playbook error: exit 2) records nothing, so
    --retry-failed still has the hosts the run before it left."""
    inv = tmp_path / "hosts.yml"
    inv.write_text("all:\n  hosts:\n    h1:\n")
    cli.save_run_state(str(inv), "up", result("provision", failed=["h1"]))
    nothing_ran = api.RunResult("provision", "playbooks/site.yml", None, 4, "failed", 1.0,
                                hosts={}, error="[ERROR]: YAML parsing failed",
                                error_kind="playbook")
    monkeypatch.setattr(api, "provision", lambda *a, **kw: nothing_ran)
    assert cli.main(["up", "-i", str(inv), "--json"]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert doc["error"] == "[ERROR]: YAML parsing failed" and doc["error_kind"] == "playbook"
    assert cli.hosts_to_retry(str(inv), "up") == ["h1"]
