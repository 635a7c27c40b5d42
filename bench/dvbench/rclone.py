"""rclone: a second loopback S3 server (`rclone serve s3` over a local directory) and rclone's
own client as the anchor of the transfer scenarios.

The server serves DIR: each top-level directory is a bucket, each file an object, so the
bucket chores are plain file operations (no boto3). Its credentials are `S3_KEYS` (rclone
refuses very short keys). The client (`rclone copy`, `rclone check`) reaches it through the
remote `bench:` defined by `RCLONE_CONFIG_BENCH_*` environment variables.
"""

import os
import random
import signal
import subprocess
from pathlib import Path

from .s3 import answers, free_port

S3_KEYS = ("dvbenchkey", "dvbenchsecret")


class RcloneServer:
    """`rclone serve s3` on a loopback port over `state_dir/root`; same surface as
    `MotoServer` where the scenarios need it (endpoint, cpu_seconds, stop)."""

    def __init__(self, ctx, state_dir):
        self.ctx = ctx
        self.state_dir = state_dir
        self.root = state_dir / "root"
        self.root.mkdir(parents=True, exist_ok=True)
        self.process = None
        last_log = ""
        for _attempt in range(3):
            port = free_port()
            self.log_path = state_dir / f"rclone-{port}.log"
            self.process = subprocess.Popen(
                [str(ctx.rclone), "serve", "s3", "--addr", f"127.0.0.1:{port}",
                 "--auth-key", ",".join(S3_KEYS), str(self.root)],
                cwd=state_dir, env=ctx.base_env(state_dir), stdin=subprocess.DEVNULL,
                stdout=open(self.log_path, "wb"), stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            self.endpoint = f"http://127.0.0.1:{port}"
            if answers(self.process, self.endpoint):  # a 403 without credentials counts
                return
            self.stop()
            last_log = self.log_path.read_text(errors="replace")[-2000:]
        raise SystemExit(f"bench/run: rclone serve s3 did not start; its log:\n{last_log}")

    def bucket(self, name):
        """The directory of bucket `name`, created if missing."""
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def cpu_seconds(self):
        """CPU time (user + system) the server has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait()


def client_env(ws, server):
    """The workspace's environment plus the rclone remote `bench:` on `server`."""
    return dict(
        ws.env,
        RCLONE_CONFIG=str(ws.root / "rclone.conf"),  # no config file: the remote is below
        RCLONE_CONFIG_BENCH_TYPE="s3",
        RCLONE_CONFIG_BENCH_PROVIDER="Rclone",
        RCLONE_CONFIG_BENCH_ENDPOINT=server.endpoint,
        RCLONE_CONFIG_BENCH_ACCESS_KEY_ID=S3_KEYS[0],
        RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY=S3_KEYS[1],
        RCLONE_CONFIG_BENCH_REGION="us-east-1",
    )


def client_flags():
    """rclone's transfer concurrency set to dvc's and dv's default for network remotes
    (`jobs` = 4 x CPUs), so that the three tools run as many transfers at once."""
    jobs = 4 * (os.cpu_count() or 1)
    return ["--transfers", str(jobs), "--checkers", str(2 * jobs)]


def put_objects(directory, prefix, count, size, seed):
    """The objects `dvbench.s3 put-objects` would upload, written straight into a bucket
    directory (same names, same seeded contents)."""
    rng = random.Random(seed)
    for i in range(count):
        (directory / f"{prefix}{i:05d}").write_bytes(rng.randbytes(size))


def timed_with_server_cpu(ws, server, *args, env=None):
    """`ws.timed`, recording the server's CPU time meanwhile as `info_S3 server CPU s`."""
    before = server.cpu_seconds()
    m = ws.timed(*args, env=env)
    ws.facts["info_S3 server CPU s"] = round(server.cpu_seconds() - before, 2)
    return m
