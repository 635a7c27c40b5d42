"""Running a scenario for both tools, then judging the results: figures, each tool's own
checks, agreement between the tools, targets.
"""

import shutil
import traceback

from .anchors import ANCHOR, ANCHOR_TARGETS, ANCHORS
from .common import StepFailed, log
from .facts import md5_line
from .scenarios import SCENARIOS
from .workspace import BASELINE, Tool, Workspace


def summarize(measured):
    """(wall seconds, peak RSS KiB, runs) of a timed step, or None if it never ran."""
    if measured is None:
        return None
    if isinstance(measured, list):
        return (sum(m.wall for m in measured), max(m.maxrss_kib for m in measured),
                [m.wall for m in measured])
    return measured.wall, measured.maxrss_kib, [measured.wall]


def anchor_tool(ctx, name):
    """The anchor of scenario `name` (see dvbench/anchors.py) as (tool, step(ws) doing its setup
    and timed command), or (None, None)."""
    if name not in ANCHORS:
        return None, None
    program, _label, function, source = ANCHORS[name]
    path = ctx.rclone if program == "rclone" else shutil.which(program) or program
    return Tool(ANCHOR, path), lambda ws: function(ws, source(ctx))


def run_scenario(ctx, name):
    function, description, target, _ = SCENARIOS[name]
    record = {"scenario": name, "description": description, "target": target, "notes": []}
    outcomes = {}
    anchor, anchor_function = anchor_tool(ctx, name)
    runs = [(tool, function) for tool in ctx.tools]
    if anchor is not None:
        runs.append((anchor, anchor_function))
    for rep in range(ctx.args.repeat):
        for tool, step in runs:
            ws = Workspace(ctx, name, tool, rep)
            log(f"{name} [{tool.name}{f' rep {rep + 1}' if ctx.args.repeat > 1 else ''}]: setup")
            error = None
            try:
                step(ws)
            except StepFailed as failure:
                error = str(failure)
            except Exception as failure:  # a harness bug or a tool leaving odd state behind
                traceback.print_exc()
                error = f"harness error: {type(failure).__name__}: {failure}"
            finally:
                ws.close()
            entry = outcomes.setdefault(tool.name, {"walls": [], "rss": [], "error": None,
                                                    "facts": None, "runs": None})
            summary = summarize(ws.result)
            if summary and name == "startup":
                summary = (summary[0] / len(summary[2]),) + summary[1:]  # mean per run
            if error is None and summary:
                entry["walls"].append(summary[0])
                entry["rss"].append(summary[1])
                entry["runs"] = len(summary[2])
                if len(summary[2]) > 1:
                    entry["run_walls"] = [round(w, 4) for w in summary[2]]
            else:
                entry["error"] = entry["error"] or error
                if summary:  # the timed step ran but failed: keep its cost for the record
                    entry["failed_wall_s"] = summary[0]
            # The facts of the run whose time is kept (the fastest), so that facts derived from
            # the wall time agree with the table.
            fastest = error is None and summary and summary[0] <= min(entry["walls"])
            if entry["facts"] is None or fastest:
                entry["facts"] = ws.facts
            if not ctx.args.keep:
                shutil.rmtree(ws.root, ignore_errors=True)

    for tool, _ in runs:
        entry = outcomes[tool.name]
        ok = entry["error"] is None and entry["walls"]
        result = {
            "ok": bool(ok),
            "error": entry["error"],
            "wall_s": min(entry["walls"]) if ok else None,
            "wall_s_all": entry["walls"],
            "peak_rss_mib": max(entry["rss"]) / 1024 if ok else None,
            "facts": {k: (v[:4000] if isinstance(v, str) else v)
                      for k, v in (entry["facts"] or {}).items()},
        }
        if name == "startup" and ok:
            result["mean_ms"] = result["wall_s"] * 1000
            result["runs"] = entry["runs"]
        if "run_walls" in entry:  # the individual invocations of a loop (last repetition)
            result["run_walls_s"] = entry["run_walls"]
        if "failed_wall_s" in entry:
            result["failed_wall_s"] = entry["failed_wall_s"]
        record[tool.name] = result
        if not ok:
            record["notes"].append(f"{tool.name}: FAILED ({entry['error']})")

    dvc, dv = record["dvc"], record["dv"]
    record["ratio"] = dvc["wall_s"] / dv["wall_s"] if dvc["ok"] and dv["ok"] and dv["wall_s"] \
        else None
    if anchor is not None:
        record[ANCHOR]["name"] = ANCHORS[name][1]
        record["ratio_anchor"] = record[ANCHOR]["wall_s"] / dv["wall_s"] \
            if record[ANCHOR]["ok"] and dv["ok"] and dv["wall_s"] else None
    base = record.get(BASELINE)
    if base is not None:
        record["ratio_baseline"] = base["wall_s"] / dv["wall_s"] \
            if base["ok"] and dv["ok"] and dv["wall_s"] else None

    # Correctness: each tool's own checks, then agreement between the tools.
    for tool in ("dvc", "dv") + ((ANCHOR,) if anchor is not None else ()):
        for key, value in record[tool]["facts"].items():
            if key.startswith("ok_") and value is not True and record[tool]["ok"]:
                record["notes"].append(f"CHECK FAILED {tool}: {key[3:]}")
    if dvc["ok"] and dv["ok"]:
        for key in sorted(set(dvc["facts"]) | set(dv["facts"])):
            if key.startswith(("ok_", "info_")):
                continue
            a, b = dvc["facts"].get(key), dv["facts"].get(key)
            if a != b:
                detail = ""
                if key.endswith(".dvc") and md5_line(a) != md5_line(b):
                    detail = f" (dvc {md5_line(a)}, dv {md5_line(b)})"
                elif not isinstance(a, str) or len(str(a)) < 60:
                    detail = f" (dvc {a!r}, dv {b!r})"
                record["notes"].append(f"MISMATCH {key}{detail}")
    if name == "startup":
        if dvc["ok"]:
            record["notes"].append(f"mean dvc {dvc['mean_ms']:.1f} ms")
        if dv["ok"]:
            met = "met" if dv["mean_ms"] <= 20 else "missed"
            record["notes"].append(f"mean dv {dv['mean_ms']:.1f} ms (target <=20 ms {met})")
    elif target and target.startswith(">=") and record["ratio"] is not None:
        needed = float(target.lstrip(">=x").rstrip("x"))
        met = "met" if record["ratio"] >= needed else "missed"
        record["notes"].append(f"target {target} {met}")
    if record.get("ratio_anchor") is not None and name in ANCHOR_TARGETS:
        needed = ANCHOR_TARGETS[name]
        met = "met" if record["ratio_anchor"] >= needed else "missed"
        record["notes"].append(f"target {record[ANCHOR]['name']}/dv >={needed}x {met}")
    for tool in ("dvc", "dv") + ((ANCHOR,) if anchor is not None else ()):
        for key, value in sorted(record[tool]["facts"].items()):
            if key.startswith("info_") and record[tool]["ok"]:
                record["notes"].append(f"{tool} {key[5:]} = {value}")
    return record
