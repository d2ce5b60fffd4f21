# -*- coding: utf-8 -*-
"""Action plugin: deploy (or remove) gpufleet's GPU workloads on a Windows host with Docker Desktop.

Its documentation (DOCUMENTATION, EXAMPLES, RETURN) is plugins/modules/windows_workload.py.
Docker Desktop's engine belongs to the logged-on user and is never started from here: the
workload runs with `docker compose` inside the WSL distro Desktop integrates (over WinRM:
`wsl.exe -d DISTRO --exec docker compose ...`), with the `windows` compose file rendered on
the controller, its bind paths translated for WSL, and kept on the Windows side
(C:\\ProgramData\\gpufleet\\<project>\\compose.yaml = /mnt/c/ProgramData/gpufleet/...).
"""
from __future__ import annotations

import json
import time

import yaml
from ansible.plugins.action import ActionBase

from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_compose import (
    ServiceError, render)
from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_windows import (
    WindowsError_, compose_for_wsl, compose_service_of, parse_json_lines, windows_to_wsl_path,
    wanted_services, workload_gpu_path, workload_plan)
from ansible_collections.gpufleet.fleet.plugins.plugin_utils.gpufleet_actions import windows_host

SMOKE = {"nvidia": ["nvidia-smi", "-L"]}


def diagnose(text, service=None):
    """The failure catalog's diagnosis of a failed smoke test or start ([{id, cause, remedy,
    service}], the short form gpu_workload's results carry; [] when nothing matches)."""
    try:
        from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_explain import (
            diagnosis)
    except ImportError:  # pragma: no cover - the catalog ships with the collection
        return []
    try:
        found = diagnosis(text or "")
    except Exception:  # noqa: BLE001 - a diagnosis must never break the deploy's report
        return []
    return [dict(d, service=service) if service else dict(d) for d in found]


def problem_lines(facts):
    return " ".join("Problem %s: %s Remedy: %s" % (p["id"], p["message"], p["remedy"])
                    for p in facts.get("problems") or [])


class ActionModule(ActionBase):
    _supports_check_mode = True
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        dummy, args = self.validate_argument_spec(argument_spec=dict(
            services=dict(type="dict", default={}),
            project=dict(type="str", default="gpufleet"),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            select=dict(type="list", elements="str", default=[]),
            profiles=dict(type="list", elements="str", default=[]),
            facts=dict(type="dict", required=True),
            compose_dir=dict(type="str", default=""),
            results_dir=dict(type="str", default="C:\\ProgramData\\gpufleet\\results"),
            container_platform=dict(type="str", default=""),
            smoke_test=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=180),
            remove_volumes=dict(type="bool", default=False)))
        facts = args["facts"]
        project = args["project"]
        distro = (facts.get("wsl") or {}).get("target_distro")
        compose_dir = (args["compose_dir"] or "C:\\ProgramData\\gpufleet\\" + project).rstrip("\\")
        compose_win = compose_dir + "\\compose.yaml"
        host = windows_host(self, task_vars)
        try:
            compose_wsl = windows_to_wsl_path(compose_win, host.mount_root)
        except WindowsError_ as exc:
            result.update(failed=True, msg="windows_workload: compose_dir: %s" % exc)
            return result
        result.update(changed=False, project=project, compose_file=compose_win,
                      compose_file_wsl=compose_wsl, distro=distro, via=host.via, warnings=[])
        if not distro:
            result.update(failed=True, msg="no WSL distro to run docker compose in. "
                          + problem_lines(facts))
            return result
        compose = ["docker", "compose", "-p", project]
        try:
            files, dummy = host.read([compose_win])
            current = files.get(compose_win)
            ps = host.distro(distro, ["docker", "ps", "-a", "--filter",
                                      "label=com.docker.compose.project=" + project,
                                      "--format", "{{json .}}"])
        except RuntimeError as exc:
            result.update(failed=True, msg="windows_workload: reading the host failed: %s" % exc)
            return result
        if ps["rc"] != 0:
            result.update(failed=True, rc=ps["rc"], stderr=ps["stderr"], msg=(
                "docker in the WSL distro %s does not answer: %s %s" % (
                    distro, " ".join((ps["stderr"] or ps["msg"]).split())[:300],
                    problem_lines(facts))).strip())
            return result
        before = parse_json_lines(ps["stdout"])
        if args["state"] == "absent":
            return self._absent(result, host, distro, compose, compose_win, current, before,
                                args["remove_volumes"])

        services = args["services"]
        unknown = [s for s in args["select"] if s not in services]
        if unknown:
            result.update(failed=True, msg="Unknown service(s) %s; the description has %s." % (
                ", ".join(unknown), ", ".join(services) or "none"))
            return result
        vendor, available = workload_gpu_path(facts)
        try:
            doc, warnings, gpu_services = render(
                services, "windows", project, gpu_vendor=vendor, gpu_available=available,
                container_platform=args["container_platform"] or None, path_exists=None)
        except ServiceError as exc:
            result.update(failed=True, msg="%s; nothing was started. %s" % (
                exc, problem_lines(facts)), problems=facts.get("problems") or [])
            return result
        text = yaml.safe_dump(compose_for_wsl(doc, host.mount_root), sort_keys=False, default_flow_style=False)
        wanted = wanted_services(services, args["select"], args["profiles"])
        plan = workload_plan(current, text, before, wanted)
        result.update(changed=plan["changed"], start=plan["start"], gpu_services=gpu_services,
                      warnings=warnings)
        if plan["file_changes"] and self._task.diff:
            result["diff"] = {"before": current or "", "after": text,
                              "before_header": compose_win if current is not None
                              else compose_win + " (absent)", "after_header": compose_win}
        if self._task.check_mode:
            return result
        if not (facts.get("docker") or {}).get("running"):
            result.update(failed=True, msg="Docker Desktop's engine does not answer on %s; "
                          "nothing was started. %s" % (task_vars.get("inventory_hostname"),
                                                       problem_lines(facts)))
            return result
        try:
            if plan["file_changes"]:
                host.write(compose_win, text)
            up = host.distro(distro, compose + ["-f", compose_wsl]
                             + [a for p in args["profiles"] for a in ("--profile", p)]
                             + ["up", "-d", "--wait", "--wait-timeout", str(args["wait_timeout"]),
                                "--pull", "missing"] + args["select"], read=False)
        except RuntimeError as exc:
            result.update(failed=True, msg="windows_workload: %s" % exc)
            return result
        if up["rc"] != 0:
            # A GPU request the engine cannot serve fails here ("could not select device
            # driver"): the explain matcher says why.
            found = diagnose("\n".join([up["stderr"], up["stdout"], up["msg"]]),
                             ",".join(args["select"]) or None)
            result.update(failed=True, rc=up["rc"], stdout=up["stdout"], stderr=up["stderr"],
                          cmd=up.get("cmd"), diagnosis=found, msg=(
                              "docker compose up failed in %s: %s%s `gpufleet doctor -l %s` "
                              "lists the host's problems." % (
                                  distro, " ".join((up["stderr"] or up["msg"]).split())[-600:],
                                  "".join(" Diagnosis (%s): %s Remedy: %s" % (
                                      d.get("id"), d.get("cause"), d.get("remedy"))
                                      for d in found[:2]),
                                  task_vars.get("inventory_hostname"))))
            return result
        after = parse_json_lines(host.distro(distro, [
            "docker", "ps", "-a", "--filter", "label=com.docker.compose.project=" + project,
            "--format", "{{json .}}"])["stdout"])
        ids = sorted(c.get("ID", "") for c in before)
        if ids != sorted(c.get("ID", "") for c in after):
            result["changed"] = True
        result["containers"] = after
        running = {compose_service_of(c) for c in after
                   if str(c.get("State", "")).lower() == "running"}
        results = {}
        if args["smoke_test"]:
            for svc in [s for s in gpu_services if s in wanted and s in running]:
                results[svc] = self._smoke(host, distro, compose + ["-f", compose_wsl], svc,
                                           services[svc], vendor, task_vars)
        # gpu_workload_diagnosis: the API's per-host diagnosis, as the Linux role sets it.
        result["ansible_facts"] = {
            "gpu_workload_results": results,
            "gpu_workload_diagnosis": [d for r in results.values() if not r["gpu_visible"]
                                       for d in r["diagnosis"]]}
        if results and result["changed"]:
            try:
                host.write(args["results_dir"].rstrip("\\") + "\\" + project + ".json",
                           json.dumps(results, indent=2) + "\n")
            except RuntimeError as exc:
                result["warnings"].append("the smoke-test results were not recorded: %s" % exc)
        return result

    def _smoke(self, host, distro, compose, svc, spec, vendor, task_vars):
        cmd = ((spec or {}).get("gpu") or {}).get("smoke_test") or SMOKE.get(vendor, ["true"])
        started = time.monotonic()
        res = host.distro(distro, compose + ["exec", "-T", svc] + list(cmd))
        out = (res["stdout"] or "").strip()
        visible = res["rc"] == 0 and bool(out)
        item = {"host": task_vars.get("inventory_hostname"), "service": svc, "vendor": vendor,
                "gpu_visible": visible, "devices": out.splitlines(), "rc": res["rc"],
                "error": res["stderr"] or res["msg"] or "",
                "duration_s": "0:00:%09.6f" % (time.monotonic() - started)}
        item["diagnosis"] = [] if visible else diagnose(
            "\n".join([res["stderr"] or "", out, res["msg"] or ""]), svc)
        return item

    def _absent(self, result, host, distro, compose, compose_win, current, before, volumes):
        plan = workload_plan(current, None, before, [])
        result.update(changed=plan["changed"], containers=before)
        if plan["file_changes"] and self._task.diff:
            result["diff"] = {"before": current, "after": "", "before_header": compose_win,
                              "after_header": compose_win + " (absent)"}
        if self._task.check_mode or not plan["changed"]:
            return result
        try:
            if before:
                down = host.distro(distro, compose + ["down", "--remove-orphans"]
                                   + (["--volumes"] if volumes else []), read=False)
                if down["rc"] != 0:
                    result.update(failed=True, rc=down["rc"], stderr=down["stderr"],
                                  msg="docker compose down failed in %s: %s" % (
                                      distro, " ".join((down["stderr"] or down["msg"]).split())[-600:]))
                    return result
            if current is not None:
                host.remove(compose_win)
        except RuntimeError as exc:
            result.update(failed=True, msg="windows_workload: %s" % exc)
        return result
