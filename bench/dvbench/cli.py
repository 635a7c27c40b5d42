"""The command line: options, building or finding dv, the run's JSON file and table.
"""

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .anchors import ANCHORS
from .common import BENCH_DIR, REPO_ROOT, log
from .datasets import SCALES
from .measure import TIME_BIN, rss_floor
from .report import git_describe, machine_info, print_table, tool_version
from .runner import run_scenario
from .scenarios import SCENARIOS
from .workspace import Context


def build_dv(args):
    if args.dv:
        return Path(args.dv).resolve()
    metadata = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps"], cwd=REPO_ROOT,
        capture_output=True, text=True,
    )
    if metadata.returncode != 0:
        raise SystemExit(f"bench/run: cargo metadata failed:\n{metadata.stderr}")
    binary = Path(json.loads(metadata.stdout)["target_directory"]) / "release" / "dv"
    if not args.no_build:
        log("building dv: cargo build --release -p dv")
        built = subprocess.run(["cargo", "build", "--release", "-p", "dv"], cwd=REPO_ROOT,
                               stdout=sys.stderr)
        if built.returncode != 0:
            raise SystemExit("bench/run: `cargo build --release -p dv` failed (use --no-build to "
                             "benchmark the binary already built)")
    if not binary.is_file():
        raise SystemExit(f"bench/run: no dv binary at {binary}")
    return binary


def parse_args():
    parser = argparse.ArgumentParser(
        prog="bench/run", description="Benchmark dv against the pinned dvc, side by side.")
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--only", nargs="+", metavar="SCENARIO", choices=list(SCENARIOS),
                        help="run only these scenarios (default: all): " + ", ".join(SCENARIOS))
    parser.add_argument("--repeat", type=int, default=1,
                        help="run each scenario N times per tool and keep the fastest (default 1)")
    parser.add_argument("--imports", type=int, metavar="N",
                        help="objects in the import-url loop (default: small 200, full 5000)")
    parser.add_argument("--files", type=int, metavar="N",
                        help="files in dataset `many` (default: small 2000, full 100000)")
    parser.add_argument("--timeout", type=float, default=4 * 3600,
                        help="seconds before one timed command is killed (default 4 h)")
    parser.add_argument("--no-build", action="store_true",
                        help="don't run cargo build; use the dv binary already built")
    parser.add_argument("--dv", metavar="PATH", help="benchmark this dv binary (implies "
                        "--no-build)")
    parser.add_argument("--baseline", metavar="PATH",
                        help="also run this (earlier) dv binary, as `dv-base`, in the same run; "
                        "the table gains its time and dv-base/dv")
    parser.add_argument("--workdir", metavar="DIR",
                        help="where to create the temporary directory (default: $TMPDIR)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary directory (datasets, workspaces) afterwards")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return args


def main():
    args = parse_args()
    venv_dir = Path(os.environ.get("DV_VENV_DIR") or REPO_ROOT / ".venv").resolve()
    dvc = venv_dir / "dvc" / "bin" / "dvc"
    if not dvc.is_file():
        raise SystemExit(f"bench/run: the pinned dvc is missing at {dvc}; run scripts/test once "
                         "(it creates $DV_VENV_DIR/dvc and $DV_VENV_DIR/moto), or set DV_VENV_DIR")
    names = args.only or list(SCENARIOS)
    needed = []
    if any(SCENARIOS[n][3] is True for n in names):
        needed += [("moto", venv_dir / "moto" / "bin" / "moto_server"),
                   ("moto", venv_dir / "moto" / "bin" / "python")]
    if any(SCENARIOS[n][3] == "rclone" or ANCHORS.get(n, ("",))[0] == "rclone" for n in names):
        needed.append(("rclone", venv_dir / "rclone" / "bin" / "rclone"))
    for env_name, path in needed:
        if not path.is_file():
            raise SystemExit(f"bench/run: {path} is missing; run scripts/test once "
                             f"(it creates $DV_VENV_DIR/{env_name})")
    dv = build_dv(args)

    workdir = Path(tempfile.mkdtemp(prefix="dv-bench-", dir=args.workdir)).resolve()
    baseline = Path(args.baseline).resolve() if args.baseline else None
    ctx = Context(args, workdir, dvc, dv, venv_dir, baseline)
    started = datetime.datetime.now()
    log(f"scale {args.scale}; workdir {workdir}; dvc {dvc}; dv {dv}")
    if not TIME_BIN:
        log("warning: /usr/bin/time not found (apt-get install time); peak RSS comes from wait4 "
            "and includes ~20 MiB of this Python process (see rss_floor_mib in the JSON)")
    report = {
        "started": started.isoformat(timespec="seconds"),
        "scale": args.scale,
        "scale_parameters": ctx.scale,
        "repeat": args.repeat,
        "machine": machine_info(workdir),
        "rss_method": "/usr/bin/time %M" if TIME_BIN else "wait4 ru_maxrss",
        "rss_floor_mib": rss_floor(workdir) / 1024,
        "repo": git_describe(),
        "tools": {"dvc": {"path": str(dvc), "version": tool_version(dvc)},
                  "dv": {"path": str(dv), "version": tool_version(dv)}},
        "scenarios": [],
    }
    if baseline:
        report["tools"]["dv-base"] = {"path": str(baseline), "version": tool_version(baseline)}
    results_dir = BENCH_DIR / "results"
    results_dir.mkdir(exist_ok=True)
    out_path = results_dir / f"{started.strftime('%Y%m%d-%H%M%S')}.json"
    try:
        for name in names:
            log(f"scenario {name}: {SCENARIOS[name][1]}")
            report["scenarios"].append(run_scenario(ctx, name))
            out_path.write_text(json.dumps(report, indent=2) + "\n")  # partial results survive
    finally:
        report["finished"] = datetime.datetime.now().isoformat(timespec="seconds")
        out_path.write_text(json.dumps(report, indent=2) + "\n")
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"dv bench, scale {args.scale}; dvc: {report['tools']['dvc']['version']}; "
          f"dv: {report['tools']['dv']['version']}; wall seconds (startup: mean of "
          f"{ctx.scale['startup']} runs)")
    print_table(report["scenarios"])
    log(f"results written to {out_path}")
