"""Scenarios of commands that read git history: `metrics show -A` over 200 commits, `gc -A` over
100 commits that each change a tracked directory, `params diff`/`metrics diff` between two
commits, `diff` of dataset `many` between two commits and against the workspace. The
repositories are built with dv (the files are the same for both tools) and commit times step by
one minute, so that every tool orders the commits the same way.
"""

import json

from .facts import listing_digest


def setup_tool(ws):
    """The dv build setups run with, whichever tool is measured."""
    return next(tool for tool in ws.ctx.tools if tool.name == "dv").path


def commit(ws, message, n):
    env = dict(ws.env)
    stamp = f"{1767225600 + 60 * n} +0000"
    env["GIT_AUTHOR_DATE"] = stamp
    env["GIT_COMMITTER_DATE"] = stamp
    ws.sh("git", "add", "-A", env=env)
    ws.sh("git", "commit", "-q", "-m", message, env=env)


def pipeline_repo(ws, commits):
    """A repository whose stage records params and metrics, with `commits` commits each
    changing a param and the metrics."""
    ws.sh("git", "init", "-q")
    ws.sh(setup_tool(ws), "init", "-q")
    (ws.repo / "dvc.yaml").write_text(
        "stages:\n  train:\n    cmd: echo\n    params:\n    - train\n"
        "    metrics:\n    - metrics.json:\n        cache: false\n"
    )
    for n in range(commits):
        (ws.repo / "params.yaml").write_text(
            f"train:\n  lr: {0.001 * (n + 1):.6f}\n  epochs: {n}\n  layers: [64, 32]\nseed: 42\n")
        metrics = {"acc": round(0.5 + n / (2 * commits), 6), "loss": round(1 / (n + 1), 6),
                   "nested": {"count": n, "val": {"acc": round(n / commits, 6)}}}
        (ws.repo / "metrics.json").write_text(json.dumps(metrics))
        commit(ws, f"run {n}", n)


def sc_metrics_show_all_commits(ws):
    pipeline_repo(ws, 200)
    m = ws.timed("metrics", "show", "-A")
    ws.facts["stdout"] = m.stdout


def sc_params_diff(ws):
    pipeline_repo(ws, 2)
    m = ws.timed("params", "diff", "HEAD~1")
    ws.facts["stdout lines"] = sorted(m.stdout.splitlines())


def sc_metrics_diff(ws):
    pipeline_repo(ws, 2)
    m = ws.timed("metrics", "diff", "HEAD~1")
    ws.facts["stdout lines"] = sorted(m.stdout.splitlines())


def sc_gc_all_commits(ws):
    """100 commits, each changing one file of a 20-file tracked directory; `gc -A -f` walks
    every commit and keeps every object."""
    ws.sh("git", "init", "-q")
    tool = setup_tool(ws)
    ws.sh(tool, "init", "-q")
    data = ws.repo / "data"
    data.mkdir()
    for i in range(20):
        (data / f"f{i:02d}").write_text(f"file {i}\n")
    for n in range(100):
        (data / f"f{n % 20:02d}").write_text(f"file {n % 20} version {n}\n")
        ws.sh(tool, "add", "-q", "data")
        commit(ws, f"v{n}", n)
    m = ws.timed("gc", "-A", "-f")
    ws.facts["cache"] = listing_digest(ws.repo / ".dvc" / "cache")
    ws.facts["stdout"] = m.stdout


def change_ten_files(data, n):
    """4 files of dataset `many` modified, 3 added, 3 deleted (version `n` of the changes)."""
    dirs = sorted(path for path in data.iterdir() if path.is_dir())
    for i in range(4):
        victim = dirs[i] / "file00000.bin"
        victim.chmod(0o644)
        victim.write_bytes(f"modified {n} {i}\n".encode())
    for i in range(3):
        (dirs[i] / f"new{n}-{i}.bin").write_bytes(f"added {n} {i}\n".encode())
    for i in range(3):
        (dirs[4 + i] / f"file{n + 1:05d}.bin").unlink()


def many_tracked(ws):
    """Dataset `many` tracked by the setup build and committed."""
    ws.copy_in(ws.ctx.data.many(), "data")
    ws.sh("git", "init", "-q")
    tool = setup_tool(ws)
    ws.sh(tool, "init", "-q")
    ws.sh(tool, "add", "-q", "data")
    commit(ws, "data", 0)
    return tool


def sc_diff_commits(ws):
    """Two commits of dataset `many` ten files apart: `diff` compares their `.dir` manifests."""
    tool = many_tracked(ws)
    change_ten_files(ws.repo / "data", 0)
    ws.sh(tool, "add", "-q", "data")
    commit(ws, "ten files changed", 1)
    m = ws.timed("diff", "HEAD~1", "HEAD")
    ws.facts["stdout"] = m.stdout


def sc_diff_workspace(ws):
    """Dataset `many` committed, ten files changed in the workspace and not added: `diff`
    hashes the workspace. An untimed `diff` first lets each tool fill its own hash cache."""
    many_tracked(ws)
    ws.run("diff")
    change_ten_files(ws.repo / "data", 0)
    m = ws.timed("diff")
    ws.facts["stdout"] = m.stdout


# name: (function, what it measures, target for dvc/dv, S3 needed)
HISTORY_SCENARIOS = {
    "metrics-show-A-200": (sc_metrics_show_all_commits, "metrics show -A over 200 commits",
                           ">=20x", False),
    "gc-A-100": (sc_gc_all_commits, "gc -A -f over 100 commits each changing a tracked "
                 "directory", ">=20x", False),
    "params-diff": (sc_params_diff, "params diff between two commits", ">=20x", False),
    "metrics-diff": (sc_metrics_diff, "metrics diff between two commits", ">=20x", False),
    "diff-100k": (sc_diff_commits, "diff between two commits of dataset `many` (100k files at "
                  "full scale) ten files apart", ">=20x", False),
    "diff-100k-workspace": (sc_diff_workspace, "diff of the same dataset against ten files "
                            "changed in the workspace, hash caches warm", None, False),
}
