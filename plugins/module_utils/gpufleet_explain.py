# -*- coding: utf-8 -*-
"""Name the failure behind an error message: pasted text in, catalog entries out, best first.

    explain(text) -> [{"id", "title", "cause", "remedy", "checks", "matched", "score",
                       "sources", "platforms", "doctor"}, ...]

The text is what users paste: a whole terminal session with the error wrapped in
``docker: Error response from daemon: ... OCI runtime create failed: ...``, compose or
podman output, a Python traceback, an Ansible result with JSON-escaped stderr, a log of
megabytes, bytes that are not UTF-8. It is cleaned up first (see ``normalize``), then each
catalog pattern (gpufleet_failures.FAILURES) is looked for, cheaply: a pattern's longest
literal word is searched with ``str.find`` and the regular expression runs only on a window
around each hit, so a 2 MB log costs about as much as a few substring searches.

``doctor`` lists the gpu_facts problems that detect the failure on a host before it happens:
the doctor rules (gpufleet_gpu_problems.RULES) name the failures they reveal; this module
only looks them up. Pure and standard library only (the gpu_workload role's filter and the
CLI share it).
"""
from __future__ import annotations

import bisect
import re
from typing import Any, Iterable, Pattern

from ansible_collections.gpufleet.fleet.plugins.module_utils.gpufleet_failures import FAILURES

# What is read of a paste: the head (the command) and the tail (where errors end up).
MAX_CHARS = 8 * 1024 * 1024
HEAD_CHARS = 1024 * 1024
MAX_LINE = 16 * 1024             # longer lines keep their first and last 8 KiB
MAX_HITS_PER_KEY = 50            # windows looked at per literal word
WINDOW_BEFORE, WINDOW_AFTER = 700, 1400
MIN_SCORE = 20
MIN_KEY = 4                      # shorter literal words are too common to prefilter
MAX_MATCHES = 8
MAX_SHOWN_LINES = 3
MAX_SHOWN_CHARS = 400

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]{0,4096}(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
_CONTROL = re.compile(u"[\x00-\x08\x0b-\x1f\x7f\ufeff]")
# JSON and Go's %q escape quotes and newlines, sometimes several times over (a hook's
# stderr inside runc's error inside dockerd's JSON inside Ansible's result).
_ESC_NEWLINE = re.compile(r"\\+n")
_ESC_QUOTE = re.compile(r"\\+([\"'])")
_ESC_OTHER = re.compile(r"\\+[rt]")
_QUOTES = {ord(u"\u2018"): u"'", ord(u"\u2019"): u"'", ord(u"\u201c"): u'"',
           ord(u"\u201d"): u'"', ord(u"\u00a0"): u" "}
# "service-1  | message" (compose logs), "detect_worker_1  | message" (compose v1).
_COMPOSE_PREFIX = re.compile(r"^\s*[A-Za-z0-9][\w.-]{0,63}\s+\|\s?")


# --------------------------------------------------------------------------- clean-up

def _decode(text: str | bytes | bytearray | None) -> str:
    if text is None:
        return u""
    if isinstance(text, (bytes, bytearray)):
        raw = bytes(text)
        # UTF-16 (PowerShell's redirections): a byte-order mark and NULs all over
        if raw[:2] in (b"\xff\xfe", b"\xfe\xff") and raw.count(b"\x00") > len(raw) // 4:
            return raw.decode("utf-16", "replace")
        return raw.decode("utf-8", "replace")
    if not isinstance(text, str):
        text = str(text)
    return text


def normalize(text: str | bytes | bytearray | None) -> list[str]:
    """A paste -> its lines, cleaned: bounded size, colour codes, CR and control characters
    (NULs of UTF-16 output included) removed, JSON/Go escapes undone, typographic quotes made
    ASCII, compose's ``service  |`` prefixes and surrounding blanks stripped, empty lines
    dropped, every line at most MAX_LINE characters."""
    s = _decode(text)
    if len(s) > MAX_CHARS:
        s = s[:HEAD_CHARS] + u"\n" + s[-(MAX_CHARS - HEAD_CHARS):]
    if u"\x1b" in s:
        s = _ANSI.sub(u"", s)
    s = s.replace(u"\r\n", u"\n").replace(u"\r", u"\n")
    if u"\\" in s:
        s = _ESC_NEWLINE.sub(u"\n", s)
        s = _ESC_QUOTE.sub(r"\1", s)
        s = _ESC_OTHER.sub(u" ", s)
    s = s.translate(_QUOTES)
    s = _CONTROL.sub(u"", s)
    lines = []
    for line in s.split(u"\n"):
        if u"|" in line[:80]:
            line = _COMPOSE_PREFIX.sub(u"", line, count=1)
        line = line.strip()
        if not line:
            continue
        if len(line) > MAX_LINE:
            line = line[:MAX_LINE // 2] + u" " + line[-(MAX_LINE // 2):]
        lines.append(line)
    return lines


# --------------------------------------------------------------------------- patterns

def compile_pattern(source: str) -> Pattern[str]:
    """A catalog pattern -> a compiled regex: each literal space (outside a character class)
    matches any whitespace or none, since a wrapped line loses its spaces when joined."""
    out = []
    in_class = escaped = False
    for ch in source:
        if escaped:
            out.append(ch)
            escaped = False
        elif ch == "\\":
            out.append(ch)
            escaped = True
        elif in_class:
            out.append(ch)
            if ch == "]":
                in_class = False
        elif ch == "[":
            out.append(ch)
            in_class = True
        elif ch == " ":
            out.append(r"\s*")
        else:
            out.append(ch)
    return re.compile(u"".join(out), re.IGNORECASE)


_WORD = re.compile(r"[\w.:/\-\[\]()\"'!#@=<>,;+~%&]")


def literal_key(source: str) -> str:
    """The longest run of literal characters every match of ``source`` contains, lowercased
    ("" when there is none, e.g. an alternation at the top level): the cheap prefilter."""
    runs: list[str] = []
    run: list[str] = []
    depth = 0
    i = 0
    in_class = False

    def close() -> None:
        if run:
            runs.append(u"".join(run))
            del run[:]

    while i < len(source):
        ch = source[i]
        if in_class:
            if ch == "\\":
                i += 1
            elif ch == "]":
                in_class = False
            i += 1
            continue
        if ch == "\\" and i + 1 < len(source):
            nxt = source[i + 1]
            i += 2
            if depth == 0 and not nxt.isalnum():
                run.append(nxt)
            else:
                close()
            continue
        if ch == "[":
            close()
            in_class = True
        elif ch == "(":
            close()
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            return u""
        elif ch in "?*{":
            if run:
                run.pop()
            close()
            if ch == "{":
                i = source.find("}", i) if source.find("}", i) > 0 else len(source)
        elif ch == "+":
            close()
        elif ch in ".^$" or ch == " ":
            close()
        elif depth == 0 and _WORD.match(ch):
            run.append(ch)
        else:
            close()
        i += 1
    close()
    return max(runs, key=len).lower() if runs else u""


class _Rx(object):
    """A catalog regex, compiled when first needed, with its prefilter word."""

    __slots__ = ("source", "key", "_compiled")

    def __init__(self, source: str) -> None:
        self.source = source
        self.key = literal_key(source)
        self._compiled: Pattern[str] | None = None

    @property
    def compiled(self) -> Pattern[str]:
        if self._compiled is None:
            self._compiled = compile_pattern(self.source)
        return self._compiled


_TABLE: list[tuple[dict[str, Any], list[tuple[_Rx, int]], list[tuple[_Rx, int]]]] = []


def _table() -> list[tuple[dict[str, Any], list[tuple[_Rx, int]], list[tuple[_Rx, int]]]]:
    if not _TABLE:
        for entry in FAILURES:
            _TABLE.append((entry, [(_Rx(p), w) for p, w in entry["patterns"]],
                           [(_Rx(p), b) for p, b in entry.get("context", ())]))
    return _TABLE


# --------------------------------------------------------------------------- matching

class _Text(object):
    """The cleaned paste as one string (lines joined without separator), its lowercase
    twin for the prefilter, and where each line starts."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.starts: list[int] = []
        pos = 0
        for line in lines:
            self.starts.append(pos)
            pos += len(line)
        self.joined = u"".join(lines)
        self.lower = self.joined.lower()
        self._found: dict[str, list[tuple[int, int]] | None] = {}

    def search(self, rx: _Rx) -> list[tuple[int, int]] | None:
        """Spans (start, end) of the regex's first matches, or None."""
        if rx.source in self._found:
            return self._found[rx.source]
        spans: list[tuple[int, int]] = []
        if len(rx.key) < MIN_KEY:  # no useful literal (context hints): one full search
            m = rx.compiled.search(self.joined)
            if m:
                spans.append(m.span())
        else:
            pos, hits, covered = self.lower.find(rx.key), 0, -1
            while pos >= 0 and hits < MAX_HITS_PER_KEY:
                hits += 1
                if pos > covered:
                    lo = max(0, pos - WINDOW_BEFORE)
                    hi = min(len(self.joined), pos + WINDOW_AFTER)
                    m = rx.compiled.search(self.joined, lo, hi)
                    if m:
                        spans.append(m.span())
                        covered = m.end()
                        if len(spans) >= MAX_SHOWN_LINES:
                            break
                pos = self.lower.find(rx.key, pos + 1)
        self._found[rx.source] = spans or None
        return spans or None

    def lines_of(self, span: tuple[int, int]) -> list[str]:
        first = bisect.bisect_right(self.starts, span[0]) - 1
        last = bisect.bisect_right(self.starts, max(span[0], span[1] - 1)) - 1
        shown = []
        for line in self.lines[max(first, 0):last + 1][:MAX_SHOWN_LINES]:
            shown.append(line if len(line) <= MAX_SHOWN_CHARS
                         else line[:MAX_SHOWN_CHARS - 3] + u"...")
        return shown


def _score(text: _Text, patterns: list[tuple[_Rx, int]],
           context: list[tuple[_Rx, int]]) -> tuple[int, list[str]] | None:
    best, found, shown = 0, 0, []  # type: int, int, list[str]
    for rx, weight in patterns:
        spans = text.search(rx)
        if not spans:
            continue
        found += 1
        best = max(best, weight)
        for span in spans:
            for line in text.lines_of(span):
                if line not in shown:
                    shown.append(line)
    if not found:
        return None
    plus = minus = 0
    for rx, bonus in context:
        if text.search(rx):
            if bonus > 0:
                plus = max(plus, bonus)
            else:
                minus = min(minus, bonus)
    score = best + min(10, 5 * (found - 1)) + plus + minus
    return score, shown[:MAX_SHOWN_LINES]


_DOCTOR: dict[str, list[str]] = {}


def doctor_index(rules: Iterable[Any] | None = None) -> dict[str, list[str]]:
    """failure id -> the ids of the doctor rules (gpu_facts problems) that reveal it on a
    host, from the rules' own ``failures`` lists; {} while the rulebook has no RULES."""
    if rules is None:
        if _DOCTOR:
            return _DOCTOR
        try:
            from ansible_collections.gpufleet.fleet.plugins.module_utils import (
                gpufleet_gpu_problems)
        except ImportError:  # pragma: no cover - the rulebook ships with this module
            return {}
        rules = getattr(gpufleet_gpu_problems, "RULES", None) or ()
        index = _DOCTOR
    else:
        index = {}
    for rule in rules:
        rid = rule.get("id") if isinstance(rule, dict) else getattr(rule, "id", None)
        failures = (rule.get("failures") if isinstance(rule, dict)
                    else getattr(rule, "failures", None)) or ()
        for fid in failures:
            if rid and rid not in index.setdefault(fid, []):
                index[fid].append(rid)
    return index


def explain(text: str | bytes | bytearray | None, limit: int = MAX_MATCHES) -> list[dict[str, Any]]:
    """The catalog's failures that ``text`` shows, best first (an empty list when none).

    Each match: id, title, cause, remedy, checks ([{check, command}]), platforms, matched
    (the lines of the paste that matched, cleaned), score (higher is surer; 100 is a line
    that names the failure on its own), sources (URLs) and doctor (the gpu_facts problem
    ids that detect it on a host)."""
    lines = normalize(text)
    if not lines:
        return []
    body = _Text(lines)
    scored = []
    for order, (entry, patterns, context) in enumerate(_table()):
        result = _score(body, patterns, context)
        if result is None or result[0] < MIN_SCORE:
            continue
        scored.append((-result[0], order, entry, result))
    scored.sort(key=lambda item: (item[0], item[1]))
    doctor = doctor_index() if scored else {}
    out = []
    for _neg, _order, entry, (score, shown) in scored[:limit]:
        out.append({
            "id": entry["id"], "title": entry["title"], "cause": entry["cause"],
            "remedy": entry["remedy"], "checks": [dict(c) for c in entry["checks"]],
            "platforms": list(entry["platforms"]), "matched": shown, "score": score,
            "sources": list(entry["sources"]), "doctor": list(doctor.get(entry["id"], [])),
        })
    return out


def diagnosis(text: str | bytes | bytearray | None, limit: int = 3) -> list[dict[str, Any]]:
    """The short form results carry: [{id, cause, remedy}] of the best matches."""
    return [{"id": m["id"], "cause": m["cause"], "remedy": m["remedy"]}
            for m in explain(text, limit=limit)]
