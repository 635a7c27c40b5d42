"""Scenarios of `dv repro --executor slurm` on a throwaway single-node SLURM (2 CPUs here,
`scripts/slurm/start-slurm.sh`, one cluster per workspace). dvc cannot run on SLURM, so its
column is what a dvc user runs instead: `dvc repro` on the login node, or `dvc repro --dry`
(deciding what must run) for the submission.

- `slurm-diamond-8x1s`: a source, eight independent `sleep 1` stages, a sink. Ideal for dv:
  4 s of work on 2 CPUs plus SLURM's ~1 s per dependency link (2 links): 6 s; target within
  2 s of it.
- `slurm-submit-200`: 200 independent stages: how long submitting them takes (target <= 2 s,
  one `sbatch` per stage), then, untimed, the jobs drain and the merge of 200 records into
  `dvc.lock` is timed on its own (`info_merge 200 records s`).
"""

import json
import os
import socket
import subprocess
import time

from .common import REPO_ROOT
from .history import setup_tool
from .measure import measure

SCRIPTS = REPO_ROOT / "scripts" / "slurm"


def free_port_pair():
    while True:
        with socket.socket() as first:
            first.bind(("127.0.0.1", 0))
            port = first.getsockname()[1]
            try:
                with socket.socket() as second:
                    second.bind(("127.0.0.1", port + 1))
                    return port
            except OSError:
                continue


class Cluster:
    """A running test cluster with its files under `dir`."""

    def __init__(self, ws):
        self.dir = ws.scratch / "slurm"
        env = dict(os.environ, SLURM_TEST_PORT=str(free_port_pair()))
        started = subprocess.run([str(SCRIPTS / "start-slurm.sh"), str(self.dir)], env=env,
                                 stdout=subprocess.DEVNULL)
        if started.returncode != 0:
            self.stop()  # what did start (the script records each PID)
            raise RuntimeError(f"SLURM did not start; see {self.dir / 'log'}")
        self.env = dict(ws.env, SLURM_CONF=str(self.dir / "etc" / "slurm.conf"))
        # A real cluster is warm: one trivial job first, so the timed run does not pay for the
        # controller's and the node's first job.
        subprocess.run(["sbatch", "--parsable", "-o", "/dev/null", "--wrap", "true"],
                       env=self.env, check=True, stdout=subprocess.DEVNULL, cwd=ws.scratch)
        self.drain()

    def drain(self, timeout=600):
        """Waits until no job is pending or running."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = subprocess.run(["squeue", "-h", "-t", "PENDING,RUNNING,COMPLETING"],
                                 env=self.env, capture_output=True, text=True).stdout
            if not out.strip():
                return
            time.sleep(1)
        raise RuntimeError("SLURM jobs did not drain")

    def stop(self):
        subprocess.run([str(SCRIPTS / "stop-slurm.sh"), str(self.dir)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def pipeline(ws, stages):
    ws.sh("git", "init", "-q")
    ws.sh(setup_tool(ws), "init", "-q")
    (ws.repo / "dvc.yaml").write_text("stages:\n" + "".join(stages))
    ws.sh("git", "add", "-A")
    ws.sh("git", "commit", "-q", "-m", "pipeline")


def stage(name, cmd, deps=(), outs=()):
    text = f"  {name}:\n    cmd: {cmd}\n"
    if deps:
        text += "    deps:\n" + "".join(f"    - {d}\n" for d in deps)
    if outs:
        text += "    outs:\n" + "".join(f"    - {o}\n" for o in outs)
    return text


def sc_diamond(ws):
    middle = [f"m{n}.txt" for n in range(8)]
    pipeline(ws, [
        stage("source", "echo source > source.txt", outs=["source.txt"]),
        *[stage(f"m{n}", f"sleep 1 && cat source.txt > m{n}.txt", deps=["source.txt"],
                outs=[f"m{n}.txt"]) for n in range(8)],
        stage("sink", "cat " + " ".join(middle) + " > sink.txt", deps=middle, outs=["sink.txt"]),
    ])
    if ws.tool.kind != "dv":
        ws.timed("repro")
    else:
        cluster = Cluster(ws)
        try:
            m = ws.timed("repro", "--executor", "slurm", "--wait", env=cluster.env)
        finally:
            cluster.stop()
        ws.facts["info_ideal s"] = 6.0
        ws.facts["info_over ideal s"] = round(m.wall - 6.0, 3)
    ws.facts["dvc.lock"] = (ws.repo / "dvc.lock").read_text()


def sc_submit_200(ws):
    pipeline(ws, [stage(f"s{n:03}", f"echo {n} > out{n:03}.txt", outs=[f"out{n:03}.txt"])
                  for n in range(200)])
    if ws.tool.kind != "dv":
        ws.timed("repro", "--dry")
        return
    cluster = Cluster(ws)
    try:
        m = ws.timed("repro", "--executor", "slurm", env=cluster.env)
        ws.facts["info_sbatch calls"] = m.stdout.count("Submitted stage ") + 1
        cluster.drain()
        # The merge job merged already; undo it and time the merge alone.
        runs = ws.repo / ".dvc" / "tmp" / "dv" / "cluster"
        run_id = sorted(p.name for p in runs.iterdir())[-1]
        run_file = runs / run_id / "run.json"
        run = json.loads(run_file.read_text())
        entries = (ws.repo / "dvc.lock").read_text().count("\n  s")
        run["merged"] = None
        run_file.write_text(json.dumps(run))
        (ws.repo / "dvc.lock").unlink()
        merged = measure([str(ws.tool.path), "repro", "--dv-cluster-merge", run_id], ws.repo,
                         cluster.env, ws.ctx.args.timeout, ws.scratch)
        ws.facts["info_merge 200 records s"] = round(merged.wall, 3)
        ws.facts["info_stages in dvc.lock (job merge, timed merge)"] = (
            entries, (ws.repo / "dvc.lock").read_text().count("\n  s"))
    finally:
        cluster.stop()


# name: (function, what it measures, target for dvc/dv, S3 needed)
CLUSTER_SCENARIOS = {
    "slurm-diamond-8x1s": (sc_diamond, "source, 8 independent `sleep 1` stages, sink: dvc repro "
                           "here vs dv repro --executor slurm --wait (ideal 6 s)",
                           "dv within 2 s of 6 s", False),
    "slurm-submit-200": (sc_submit_200, "200 independent stages: dvc repro --dry vs dv repro "
                         "--executor slurm (submission; merge time in facts)", "dv <= 2 s",
                         False),
}
