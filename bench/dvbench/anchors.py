"""Anchors: a well-known tool doing the same job as a scenario's timed command, measured beside
dvc and dv as a third figure (the table's `anchor` and `anchor/dv` columns; above 1 the anchor
is slower than dv). An anchor runs in its own workspace, with its own untimed setup and one
`ws.timed` step of the anchor's program (`ws.tool.path`), after the tools of the scenario.

- `rclone copy` / `rclone check` (rclone's pinned binary, `$DV_VENV_DIR/rclone`) against a fresh
  `rclone serve s3` of its own, for the `*-rclone` transfer scenarios: the same files to the
  same kind of server, the server's CPU time recorded as for dvc and dv.
- `git status` of the same tree committed to a throwaway git repository, warm, for
  `status-noop` (the target is dv no slower than git).
"""

from .datasets import tree_digest
from .rclone import client_env, client_flags, timed_with_server_cpu

# The name of the anchor in a scenario's record (beside "dvc" and "dv").
ANCHOR = "anchor"


def fill(ws, source, target):
    """A copy of the files under `source` (a directory) at `target`, untimed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    ws.sh("cp", "-R", "--reflink=auto", source, target)


def rclone_copy_push(ws, source):
    """`rclone copy` of the files under `source` to a fresh server's empty bucket."""
    fill(ws, source, ws.repo / "data")
    server = ws.start_rclone()
    server.bucket("bench")
    timed_with_server_cpu(ws, server, "copy", *client_flags(), "data", "bench:bench/store",
                          env=client_env(ws, server))
    ws.facts["ok_copied"] = \
        tree_digest(server.root / "bench" / "store") == tree_digest(ws.repo / "data")


def rclone_copy_pull(ws, source):
    """`rclone copy` of the same files from a server that has them (placed in its directory
    before it starts, untimed) into an empty local directory."""
    server_dir = ws.root / "rclone-server" / "root" / "bench" / "store"
    fill(ws, source, server_dir)
    server = ws.start_rclone()
    timed_with_server_cpu(ws, server, "copy", *client_flags(), "bench:bench/store", "data",
                          env=client_env(ws, server))
    ws.facts["ok_copied"] = tree_digest(ws.repo / "data") == tree_digest(source)


def rclone_check(ws, source):
    """`rclone check --size-only` of the local files against a server that has them: the
    question `status -c` answers (is every object there?) without rehashing the local files,
    which dv does not do either (its hashes are cached). Exit 0 means all match."""
    fill(ws, source, ws.repo / "data")
    fill(ws, source, ws.root / "rclone-server" / "root" / "bench" / "store")
    server = ws.start_rclone()
    timed_with_server_cpu(ws, server, "check", "--size-only", *client_flags(), "data",
                          "bench:bench/store", env=client_env(ws, server))


def git_status(ws, source):
    """`git status` of the data committed to a throwaway repository, after one untimed
    `git status` (warm index, as dv's status runs right after add)."""
    fill(ws, source, ws.repo / "data")
    ws.sh("git", "init", "-q")
    ws.sh("git", "add", "-A")
    ws.sh("git", "commit", "-q", "-m", "data")
    ws.sh("git", "status")
    m = ws.timed("status")
    ws.facts["ok_clean"] = "nothing to commit" in m.stdout


def many(ctx):
    return ctx.data.many()


def large(ctx):
    return ctx.data.large()


# scenario: (program, anchor label, function(ws, source), source(ctx) of the files)
ANCHORS = {
    "push-rclone": ("rclone", "rclone copy", rclone_copy_push, many),
    "pull-rclone": ("rclone", "rclone copy", rclone_copy_pull, many),
    "push-large-rclone": ("rclone", "rclone copy", rclone_copy_push, large),
    "pull-large-rclone": ("rclone", "rclone copy", rclone_copy_pull, large),
    "status-cloud-rclone": ("rclone", "rclone check", rclone_check, many),
    "status-noop": ("git", "git status", git_status, many),
}

# scenario: the least anchor/dv it should reach (1.0: dv at most as slow as the anchor; 1.5: dv
# takes at most 2/3 of the anchor's time; 1/1.2: dv within 1.2x of the anchor).
ANCHOR_TARGETS = {
    "status-noop": 1.0,
    "push-rclone": 1.5,
    "pull-rclone": 1.5,
    "push-large-rclone": round(1 / 1.2, 2),
    "pull-large-rclone": round(1 / 1.2, 2),
}
