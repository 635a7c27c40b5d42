"""The loopback S3 server (moto), one per workspace so the tools never share server state, and
its bucket chores. The chores need boto3, so they run in the moto environment's Python:

    python -m dvbench.s3 ENDPOINT mkbucket BUCKET
    python -m dvbench.s3 ENDPOINT put-objects BUCKET PREFIX COUNT SIZE SEED
    python -m dvbench.s3 ENDPOINT list BUCKET PREFIX        (prints "key size" lines, sorted)

Credentials come from the environment (AWS_ACCESS_KEY_ID=test etc., set by `MotoServer`).
"""

import collections
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from .common import BENCH_DIR, StepFailed

S3_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(process, endpoint, seconds=30):
    """Whether the server `process` started answers HTTP at `endpoint` within `seconds` (any
    answer counts, an error status too: it is up)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            urllib.request.urlopen(endpoint + "/", timeout=2).close()
            return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            time.sleep(0.1)
    return False


class MotoServer:
    def __init__(self, ctx, state_dir):
        self.ctx = ctx
        self.state_dir = state_dir
        state_dir.mkdir(parents=True, exist_ok=True)
        last_log = ""
        for _attempt in range(3):
            port = free_port()
            log_path = state_dir / f"moto-{port}.log"
            self.log_path = log_path
            env = ctx.base_env(state_dir)
            self.process = subprocess.Popen(
                [str(ctx.moto_server), "-H", "127.0.0.1", "-p", str(port)], cwd=state_dir,
                env=env, stdin=subprocess.DEVNULL, stdout=open(log_path, "wb"),
                stderr=subprocess.STDOUT, start_new_session=True,
            )
            self.endpoint = f"http://127.0.0.1:{port}"
            if answers(self.process, self.endpoint):
                return
            self.stop()
            last_log = log_path.read_text(errors="replace")[-2000:]
        raise SystemExit(f"bench/run: moto_server did not start; its log:\n{last_log}")

    def util(self, *args):
        env = dict(self.ctx.base_env(self.state_dir), **S3_CREDENTIALS)
        result = subprocess.run(
            [str(self.ctx.moto_python), "-m", "dvbench.s3", self.endpoint, *args],
            env=dict(env, PYTHONPATH=str(BENCH_DIR)), capture_output=True, text=True,
        )
        if result.returncode != 0:
            raise StepFailed(f"S3 chore {' '.join(args)} failed: {result.stderr[-500:]}")
        return result.stdout

    def cpu_seconds(self):
        """CPU time (user + system) the server has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def requests(self):
        """How many requests the server has logged so far, by HTTP method."""
        counts = collections.Counter()
        for line in self.log_path.read_text(errors="replace").splitlines():
            match = re.search(r'"([A-Z]+) \S+ HTTP/[0-9.]+" \d{3}', line)
            if match:
                counts[match.group(1)] += 1
        return counts

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


def client(endpoint):
    import boto3  # only in the moto environment, where the chores run
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        config=Config(max_pool_connections=16, retries={"max_attempts": 5}),
    )


def chores(argv):
    """The bucket chores of the module docstring; `argv` is what follows `-m dvbench.s3`."""
    endpoint, command, *args = argv
    s3 = client(endpoint)
    if command == "mkbucket":
        (bucket,) = args
        s3.create_bucket(Bucket=bucket)
    elif command == "put-objects":
        bucket, prefix, count, size, seed = args
        rng = random.Random(int(seed))
        for i in range(int(count)):
            s3.put_object(Bucket=bucket, Key=f"{prefix}{i:05d}", Body=rng.randbytes(int(size)))
    elif command == "list":
        bucket, prefix = args
        lines = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                lines.append(f"{obj['Key']} {obj['Size']}")
        lines.sort()
        sys.stdout.write("".join(line + "\n" for line in lines))
    else:
        raise SystemExit(f"dvbench.s3: unknown command {command!r}")


if __name__ == "__main__":
    chores(sys.argv[1:])
