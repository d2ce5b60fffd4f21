"""roles/<role>/README.md is generated from meta/argument_specs.yml (scripts/role_docs.py):
a changed argument spec without a regenerated README fails here."""
import importlib.util
import os
import shutil
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "scripts", "role_docs.py")
ROLES = sorted(d for d in os.listdir(os.path.join(ROOT, "roles"))
               if os.path.isdir(os.path.join(ROOT, "roles", d)))

_spec = importlib.util.spec_from_file_location("role_docs", SCRIPT)
role_docs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(role_docs)


def test_every_readme_matches_its_argument_specs():
    proc = subprocess.run([sys.executable, SCRIPT, "--check"], cwd=ROOT, capture_output=True,
                          text=True)
    assert proc.returncode == 0, (
        "README.md out of date; run `python scripts/role_docs.py`:\n" + proc.stdout + proc.stderr)


@pytest.mark.parametrize("role", ROLES)
def test_every_role_has_a_readme_with_a_hand_written_part(role):
    with open(os.path.join(ROOT, "roles", role, "README.md"), encoding="utf-8") as fh:
        text = fh.read()
    head, _ = role_docs.split_readme(text)
    assert head.startswith("# gpufleet.fleet.%s\n" % role)
    assert "role: gpufleet.fleet.%s" % role in head, "an example playbook using the FQCN"
    assert "Hand-written part" not in head, "the generator's stub was never filled in"


@pytest.mark.parametrize("role", ROLES)
def test_the_table_lists_every_option_of_every_entry_point(role):
    with open(os.path.join(ROOT, "roles", role, "meta", "argument_specs.yml")) as fh:
        specs = yaml.safe_load(fh)["argument_specs"]
    with open(os.path.join(ROOT, "roles", role, "README.md"), encoding="utf-8") as fh:
        rows = [line for line in fh if line.startswith("| `")]
    listed = [row.split("`")[1] for row in rows]
    assert listed == [name for spec in specs.values() for name in spec.get("options", {})]


def _copy_role(tmp_path, role):
    shutil.copytree(os.path.join(ROOT, "roles", role, "meta"),
                    str(tmp_path / "roles" / role / "meta"))
    shutil.copy(os.path.join(ROOT, "roles", role, "README.md"),
                str(tmp_path / "roles" / role / "README.md"))
    return tmp_path / "roles" / role


def test_a_new_option_fails_the_check_until_regenerated_and_hand_written_parts_stay(tmp_path,
                                                                                 capsys):
    role_dir = _copy_role(tmp_path, "wsl_guest")
    readme = role_dir / "README.md"
    before = readme.read_text(encoding="utf-8")
    head, tail = role_docs.split_readme(before)
    assert role_docs.main(["--check", "--root", str(tmp_path)]) == 0

    specs_path = role_dir / "meta" / "argument_specs.yml"
    doc = yaml.safe_load(specs_path.read_text())
    doc["argument_specs"]["main"]["options"]["wsl_guest_new_knob"] = {
        "type": "str", "default": "a|b", "choices": ["a|b", "c"],
        "description": ["First <paragraph>.", "Second `<code>`."]}
    specs_path.write_text(yaml.safe_dump(doc, sort_keys=False))

    assert role_docs.main(["--check", "--root", str(tmp_path)]) == 1
    assert "roles/wsl_guest/README.md differs" in capsys.readouterr().out
    assert readme.read_text(encoding="utf-8") == before, "--check wrote the file"

    assert role_docs.main(["--root", str(tmp_path)]) == 0
    after = readme.read_text(encoding="utf-8")
    new_head, new_tail = role_docs.split_readme(after)
    assert (new_head, new_tail) == (head, tail)
    row = next(line for line in after.splitlines() if "wsl_guest_new_knob" in line)
    assert row == ("| `wsl_guest_new_knob` | str | `a\\|b` | no | `a\\|b`, `c` | "
                   "First &lt;paragraph&gt;.<br>Second `<code>`. |")
    assert role_docs.main(["--check", "--root", str(tmp_path)]) == 0
    role_docs.main(["--root", str(tmp_path)])
    assert readme.read_text(encoding="utf-8") == after, "a second run changes nothing"


def test_a_role_without_readme_gets_a_stub_and_one_without_markers_keeps_its_text(tmp_path):
    role_dir = _copy_role(tmp_path, "wsl2")
    (role_dir / "README.md").unlink()
    assert role_docs.main(["--check", "--root", str(tmp_path)]) == 1
    role_docs.main(["--root", str(tmp_path)])
    text = (role_dir / "README.md").read_text(encoding="utf-8")
    assert text.startswith("# gpufleet.fleet.wsl2\n") and role_docs.END in text

    (role_dir / "README.md").write_text("# Mine\n\nNotes.\n", encoding="utf-8")
    role_docs.main(["--root", str(tmp_path)])
    text = (role_dir / "README.md").read_text(encoding="utf-8")
    assert text.startswith("# Mine\n\nNotes.\n\n" + role_docs.BEGIN)
    assert "`wsl2_distros`" in text


def test_the_readme_examples_are_playbooks_ansible_accepts(tmp_path):
    """The example of each hand-written part, by FQCN, through `--syntax-check` (the checkout
    resolves as gpufleet.fleet through ansible.cfg's collections_path)."""
    plays = []
    for role in ROLES:
        with open(os.path.join(ROOT, "roles", role, "README.md"), encoding="utf-8") as fh:
            head, _ = role_docs.split_readme(fh.read())
        plays.append(head.split("```yaml\n")[1].split("```")[0])
    (tmp_path / "examples.yml").write_text("".join(plays))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "--syntax-check",
         "-i", os.path.join(ROOT, "inventory", "example", "hosts.yml"),
         str(tmp_path / "examples.yml")],
        cwd=str(tmp_path), env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
