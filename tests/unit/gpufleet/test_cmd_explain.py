"""`gpufleet explain`: text from the argument or standard input, human and --json output,
exit status 0 with or without a match, 2 on bad usage, and a light start-up (no ansible,
rich or ansible-runner imported)."""
import io
import json
import os
import subprocess
import sys

import pytest

from gpufleet import cli, cmd_explain

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
LINE = ("docker: Error response from daemon: failed to create task for container: failed to "
        "create shim task: OCI runtime create failed: runc create failed: unable to start "
        "container process: error during container init: error running hook #0: error running "
        "hook: exit status 1, stdout: , stderr: Auto-detected mode as 'legacy'\n"
        "nvidia-container-cli: initialization error: nvml error: driver not loaded: unknown.")


class FakeStdin(io.TextIOWrapper):
    def __init__(self, data, tty=False):
        super().__init__(io.BytesIO(data))
        self._tty = tty

    def isatty(self):
        return self._tty


def test_argument_human_output(capsys):
    assert cli.main(["explain", LINE]) == 0
    out = capsys.readouterr().out
    assert out.startswith("1 known GPU failure matches")
    assert "1. nvidia_kernel_module_not_loaded (score 100)" in out
    assert "matched: nvidia-container-cli: initialization error: nvml error: driver not " \
        "loaded: unknown." in out
    for label in ("cause:", "remedy:", "checks:", "sources:"):
        assert label in out
    assert "mokutil --sb-state" in out


def test_json_output(capsys):
    assert cli.main(["explain", "--json", LINE]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [m["id"] for m in doc["matches"]] == ["nvidia_kernel_module_not_loaded"]
    m = doc["matches"][0]
    assert {"id", "cause", "remedy", "checks", "doctor", "sources", "matched"} <= set(m)


@pytest.mark.parametrize("argv", [["explain"], ["explain", "-"]])
def test_stdin(argv, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", FakeStdin(LINE.encode()))
    assert cli.main(argv + ["--json"]) == 0
    assert json.loads(capsys.readouterr().out)["matches"][0]["id"] == \
        "nvidia_kernel_module_not_loaded"


def test_stdin_bytes_that_are_not_utf8(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", FakeStdin(b"\xff\xfe\x00garbage\n" + LINE.encode("latin-1")))
    assert cli.main(["explain", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["matches"]


def test_no_match(capsys):
    assert cli.main(["explain", "Bind for 0.0.0.0:8080 failed: port is already allocated"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("No known GPU failure matches this text")
    assert cli.main(["explain", "--json", "port is already allocated"]) == 0
    assert json.loads(capsys.readouterr().out) == {"matches": []}


def test_no_text_on_a_terminal_is_bad_usage(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", FakeStdin(b"", tty=True))
    assert cli.main(["explain"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("gpufleet: explain: no text given") and "| gpufleet explain" in err


def test_empty_argument_is_bad_usage(capsys):
    assert cli.main(["explain", "  "]) == 2
    assert "empty" in capsys.readouterr().err


def test_unknown_option_is_bad_usage(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["explain", "--jsn", "x"])
    assert exc.value.code == 2


def test_render_wraps_and_lists_doctor_ids():
    text = cmd_explain.render([{
        "id": "x", "title": "A title", "score": 90, "matched": ["line"], "cause": "c " * 80,
        "remedy": "r", "checks": [{"check": "w", "command": "cmd"}], "doctor": ["rule_a"],
        "sources": ["https://example.org/1"]}])
    assert all(len(line) <= cmd_explain.WIDTH for line in text.splitlines())
    assert "gpufleet doctor reports it on a host as rule_a" in text


def test_start_up_imports_no_ansible_rich_or_runner():
    code = ("import sys\nfrom gpufleet import cli\n"
            "rc = cli.main(['explain', '--json', 'Failed to initialize NVML: Unknown Error'])\n"
            "heavy = [m for m in sys.modules if m.split('.')[0] in "
            "('ansible', 'rich', 'ansible_runner', 'yaml', 'jinja2')]\n"
            "assert rc == 0 and not heavy, heavy\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=ROOT))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["matches"][0]["id"] == "nvml_unknown_error_after_daemon_reload"
