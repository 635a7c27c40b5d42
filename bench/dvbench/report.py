"""The result table, and the details of the machine, the tools and the repository recorded in
the JSON.
"""

import os
import platform
import subprocess
import sys

from .common import REPO_ROOT, first_line


def fmt(value, pattern):
    return pattern % value if value is not None else "-"


def print_table(records):
    baseline = any("ratio_baseline" in r for r in records)
    header = ["scenario", "dvc s", "dv s", "ratio dvc/dv", "dvc peak RSS MiB",
              "dv peak RSS MiB"]
    if baseline:
        header += ["dv-base s", "dv-base/dv", "dv-base peak RSS MiB"]
    anchors = any("anchor" in r for r in records)
    if anchors:
        header += ["anchor", "anchor s", "anchor/dv"]
    header.append("note")
    rows = []
    for r in records:
        dvc, dv = r["dvc"], r["dv"]
        row = [
            r["scenario"],
            fmt(dvc["wall_s"], "%.3f") if dvc["ok"] else "FAILED",
            fmt(dv["wall_s"], "%.3f") if dv["ok"] else "FAILED",
            fmt(r["ratio"], "%.1fx"),
            fmt(dvc["peak_rss_mib"], "%.0f"),
            fmt(dv["peak_rss_mib"], "%.0f"),
        ]
        if baseline:
            base = r.get("dv-base") or {"ok": False, "wall_s": None, "peak_rss_mib": None}
            row += [
                fmt(base["wall_s"], "%.3f") if base["ok"] else "FAILED",
                fmt(r.get("ratio_baseline"), "%.2fx"),
                fmt(base["peak_rss_mib"], "%.0f"),
            ]
        if anchors:
            anchor = r.get("anchor")
            if anchor is None:
                row += ["-", "-", "-"]
            else:
                row += [
                    anchor.get("name", "-"),
                    fmt(anchor["wall_s"], "%.3f") if anchor["ok"] else "FAILED",
                    fmt(r.get("ratio_anchor"), "%.2fx"),
                ]
        row.append("; ".join(r["notes"]))
        rows.append(row)
    widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(len(header) - 1)]
    lines = []
    for row in [header, ["-" * w for w in widths] + ["----"]] + rows:
        cells = [str(cell).ljust(widths[i]) if i < len(widths) else str(cell)
                 for i, cell in enumerate(row)]
        lines.append("| " + " | ".join(cells) + " |")
    print("\n".join(lines), flush=True)


def tool_version(path):
    try:
        out = subprocess.run([str(path), "--version"], capture_output=True, text=True,
                             env=dict(os.environ, DVC_NO_ANALYTICS="1"), timeout=60)
        return first_line(out.stdout) or first_line(out.stderr)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"unknown ({error})"


def git_describe():
    def git(*args):
        out = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True)
        return out.stdout.strip()
    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain"))}


def machine_info(workdir):
    info = {"platform": platform.platform(), "cpus": os.cpu_count(), "python": sys.version}
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        info["memory_gib"] = round(pages / (1 << 30), 1)
    except (ValueError, OSError):
        pass
    fs = subprocess.run(["findmnt", "-n", "-o", "FSTYPE", "-T", str(workdir)],
                        capture_output=True, text=True)
    info["workdir_fstype"] = fs.stdout.strip() or "unknown"
    return info
