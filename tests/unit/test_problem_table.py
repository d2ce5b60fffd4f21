"""README.md's problem table is generated from the rules (scripts/problem_table.py): a rule
added or changed without regenerating the table fails here, and every id is listed."""
import importlib.util
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "scripts", "problem_table.py")

_spec = importlib.util.spec_from_file_location("problem_table", SCRIPT)
problem_table = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(problem_table)


def check(root):
    return subprocess.run([sys.executable, SCRIPT, "--check", "--root", root], cwd=ROOT,
                          capture_output=True, text=True)


def test_readme_table_matches_the_rules():
    proc = check(ROOT)
    assert proc.returncode == 0, (
        "README.md's problem table is out of date; run `python scripts/problem_table.py`:\n"
        + proc.stdout + proc.stderr)


def test_every_rule_id_is_listed_once_in_the_readme():
    from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_gpu_problems import RULES
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        text = fh.read()
    block = text[text.index(problem_table.BEGIN_PREFIX):text.index(problem_table.END)]
    listed = re.findall(r"^\| `([a-z0-9_]+)` \|", block, re.M)
    assert listed == [r["id"] for r in RULES]


def test_stale_table_fails_check_and_is_rewritten(tmp_path):
    root = tmp_path / "repo"
    os.makedirs(root)
    os.symlink(os.path.join(ROOT, ".collections"), str(root / ".collections"))
    (root / "README.md").write_text("# x\n\nintro\n\n%s\n| id | when |\n|---|---|\n| `old` | gone |\n"
                                    "%s\n\nafter\n" % (problem_table.BEGIN, problem_table.END))
    proc = check(str(root))
    assert proc.returncode == 1 and "out of date" in proc.stderr
    assert subprocess.run([sys.executable, SCRIPT, "--root", str(root)], capture_output=True
                          ).returncode == 0
    text = (root / "README.md").read_text()
    assert "`old`" not in text and "| `nvidia_runtime_missing` |" in text
    assert text.startswith("# x\n\nintro\n\n") and text.endswith("%s\n\nafter\n" % problem_table.END)
    assert check(str(root)).returncode == 0


def test_readme_without_markers_is_a_usage_error(tmp_path):
    shutil.copy(os.path.join(ROOT, "README.md"), str(tmp_path / "README.md"))
    (tmp_path / "README.md").write_text("# no table here\n")
    os.symlink(os.path.join(ROOT, ".collections"), str(tmp_path / ".collections"))
    proc = check(str(tmp_path))
    assert proc.returncode == 2 and "markers" in proc.stderr
