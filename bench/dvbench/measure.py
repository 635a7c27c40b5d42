"""Measuring one process: wall time from perf_counter around the spawn; peak RSS from
`/usr/bin/time -f %M` when it exists, else from wait4's rusage. Either way Linux folds the
pre-exec RSS of the forking process into the child's peak (the process image exec replaces),
so wait4 from this Python process reads >= ~20 MiB even for a tiny program, whereas
/usr/bin/time's floor is ~2 MiB. The floor (the figure for /bin/true) is recorded in the JSON.
"""

import os
import shutil
import signal
import subprocess
import threading
import time

from .common import first_line

TIME_BIN = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


class Measured:
    def __init__(self, argv, wall, maxrss_kib, exit_code, stdout, stderr, timed_out):
        self.argv = argv
        self.wall = wall
        self.maxrss_kib = maxrss_kib
        self.exit_code = exit_code
        self.stdout = stdout
        self.stderr = stderr
        self.timed_out = timed_out

    @property
    def ok(self):
        return self.exit_code == 0 and not self.timed_out

    def failure(self):
        if self.timed_out:
            return f"timed out after {self.wall:.0f} s"
        detail = first_line(self.stderr) or first_line(self.stdout) or "no output"
        return f"exit {self.exit_code}, {detail}"


def measure(argv, cwd, env, timeout, scratch):
    out_path, err_path = scratch / "stdout", scratch / "stderr"
    rss_path = scratch / "rss"
    spawned = [TIME_BIN, "-f", "%M", "-o", str(rss_path), *argv] if TIME_BIN else argv
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        start = time.perf_counter()
        try:
            process = subprocess.Popen(
                spawned, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                start_new_session=True,
            )
        except OSError as error:
            return Measured(argv, 0.0, 0, 127, "", f"cannot run {argv[0]}: {error}", False)
        timed_out = threading.Event()

        def kill():
            timed_out.set()
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:  # Ctrl-C: the child is in its own session, so take it down too
            kill()
            os.wait4(process.pid, 0)
            raise
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)

    def read(path):
        return path.read_bytes().decode("utf-8", "replace")

    maxrss = usage.ru_maxrss
    if TIME_BIN:
        # The last line is %M; a line before it may say "Command exited with non-zero status".
        lines = read(rss_path).split() if rss_path.exists() else []
        maxrss = int(lines[-1]) if lines and lines[-1].isdigit() else 0
        rss_path.unlink(missing_ok=True)
    return Measured(argv, wall, maxrss, process.returncode, read(out_path), read(err_path),
                    timed_out.is_set())


def rss_floor(scratch):
    """The peak RSS reported for /bin/true: the measurement's own floor, in KiB."""
    true = shutil.which("true") or "/bin/true"
    return measure([true], scratch, None, 60, scratch).maxrss_kib
