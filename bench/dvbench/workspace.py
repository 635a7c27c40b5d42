"""The run's context (the tools, the environment every command gets) and a workspace: one
tool's private temp directory for one scenario run, with its untimed and timed commands.
"""

import os
import subprocess
import time

from .common import StepFailed, first_line, log
from .datasets import SCALES, Datasets
from .measure import measure
from .rclone import RcloneServer
from .s3 import MotoServer

STRIPPED_PREFIXES = ("AWS_", "AZURE_", "DVC_", "GIT_", "GOOGLE_", "MOTO_", "XDG_", "PYTHON")
STRIPPED_NAMES = {
    "CLICOLOR", "CLICOLOR_FORCE", "COLUMNS", "FORCE_COLOR", "INITIAL_NO_AUTH_ACTION_COUNT",
    "LINES", "NO_COLOR", "PAGER", "TEST_SERVER_MODE", "VIRTUAL_ENV",
}
GITCONFIG = (
    "[user]\n\tname = dv bench\n\temail = dv-bench@example.com\n"
    "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n"
)


# The name of an earlier dv build measured beside dv (`--baseline`).
BASELINE = "dv-base"


class Tool:
    """A tool under test: `kind` is "dvc" or "dv" (a dv baseline build is of kind "dv")."""

    def __init__(self, name, path, kind=None):
        self.name = name
        self.path = path
        self.kind = kind or name


class Workspace:
    def __init__(self, ctx, scenario, tool, rep):
        self.ctx = ctx
        self.tool = tool
        self.scenario = scenario
        self.root = ctx.workdir / "runs" / f"{scenario}-{rep}" / tool.name
        self.repo = self.root / "repo"
        self.scratch = self.root / "scratch"
        for directory in (self.repo, self.scratch):
            directory.mkdir(parents=True)
        self.env = ctx.base_env(self.root)
        self.facts = {}
        self.result = None  # the timed measurement (or a list of them)
        self.moto = None
        self.rclone = None  # the `rclone serve s3` server, if started

    # Untimed helpers -----------------------------------------------------------------------

    def sh(self, *argv, cwd=None, env=None):
        result = subprocess.run(
            [str(a) for a in argv], cwd=cwd or self.repo, env=env or self.env,
            stdin=subprocess.DEVNULL, capture_output=True, text=True,
        )
        if result.returncode != 0:
            raise StepFailed(
                f"setup `{' '.join(str(a) for a in argv)}`: exit {result.returncode}, "
                f"{first_line(result.stderr) or first_line(result.stdout)}"
            )
        return result.stdout

    def run(self, *args, env=None):
        """An untimed (setup) command of the tool under test."""
        argv = [str(self.tool.path), *map(str, args)]
        result = subprocess.run(
            argv, cwd=self.repo, env=env or self.env, stdin=subprocess.DEVNULL,
            capture_output=True, text=True,
        )
        if result.returncode != 0:
            shown = " ".join([self.tool.name, *map(str, args)])
            raise StepFailed(
                f"setup `{shown}`: exit {result.returncode}, "
                f"{first_line(result.stderr) or first_line(result.stdout) or 'no output'}"
            )
        return result.stdout

    def copy_in(self, source, name):
        subprocess.run(["cp", "-R", "--reflink=auto", str(source), str(self.repo / name)],
                       check=True)

    def init_repo(self):
        self.sh("git", "init", "-q")
        self.run("init", "-q")

    def start_moto(self):
        self.moto = MotoServer(self.ctx, self.root / "moto")
        return self.moto

    def start_rclone(self):
        self.rclone = RcloneServer(self.ctx, self.root / "rclone-server")
        return self.rclone

    # Timed -----------------------------------------------------------------------------------

    def timed_s3(self, *args, objects):
        """`timed`, counting the requests the loopback S3 server logs meanwhile."""
        before, cpu_before = self.moto.requests(), self.moto.cpu_seconds()
        self.timed(*args)
        time.sleep(0.5)  # let the server flush its log
        self.facts["info_S3 server CPU s"] = round(self.moto.cpu_seconds() - cpu_before, 2)
        during = self.moto.requests() - before
        total = sum(during.values())
        self.facts["info_S3 requests"] = dict(sorted(during.items()))
        self.facts["info_S3 requests per object"] = round(total / objects, 2) if objects else None

    def timed(self, *args, env=None):
        os.sync()  # don't let the setup's dirty pages be written back during the timed run
        argv = [str(self.tool.path), *map(str, args)]
        label = " ".join([self.tool.name, *map(str, args)])
        log(f"  {self.scenario}: {label} ...")
        m = measure(argv, self.repo, env or self.env, self.ctx.args.timeout, self.scratch)
        m.label = label
        self.result = m
        figure = f"{m.wall:.3f} s" if m.ok else "FAILED"
        log(f"  {self.scenario}: {self.tool.name} {figure} "
            f"(peak RSS {m.maxrss_kib / 1024:.0f} MiB)")
        if not m.ok:
            raise StepFailed(m.failure())
        return m

    def timed_loop(self, argvs, env=None, what=""):
        """Several timed invocations; the figure is their total wall time and largest RSS."""
        os.sync()
        label = f"{self.tool.name} {what}"
        log(f"  {self.scenario}: {label} ({len(argvs)} invocations) ...")
        results = []
        for args in argvs:
            argv = [str(self.tool.path), *map(str, args)]
            m = measure(argv, self.repo, env or self.env, self.ctx.args.timeout, self.scratch)
            results.append(m)
            if not m.ok:
                break
        self.result = results
        total = sum(m.wall for m in results)
        log(f"  {self.scenario}: {self.tool.name} total {total:.3f} s over {len(results)} runs")
        if not results[-1].ok:
            raise StepFailed(f"run {len(results)} of {len(argvs)}: {results[-1].failure()}")
        return results

    def close(self):
        if self.moto:
            self.moto.stop()
            self.moto = None
        if self.rclone:
            self.rclone.stop()
            self.rclone = None


class Context:
    def __init__(self, args, workdir, dvc, dv, venv_dir, baseline=None):
        self.args = args
        self.workdir = workdir
        self.scale = dict(SCALES[args.scale])
        if args.imports:
            self.scale["imports"] = args.imports
        if args.files:
            _, dirs, size = self.scale["many"]
            self.scale["many"] = (args.files, min(dirs, args.files), size)
        self.data = Datasets(workdir / "datasets", self.scale)
        self.tools = [Tool("dvc", dvc), Tool("dv", dv)]
        if baseline:
            self.tools.append(Tool(BASELINE, baseline, kind="dv"))
        self.moto_server = venv_dir / "moto" / "bin" / "moto_server"
        self.moto_python = venv_dir / "moto" / "bin" / "python"
        self.rclone = venv_dir / "rclone" / "bin" / "rclone"

    def base_env(self, root):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(STRIPPED_PREFIXES) and k not in STRIPPED_NAMES}
        home = root / "home"
        if not (home / ".gitconfig").exists():
            for directory in (home / ".config", root / "config" / "global",
                              root / "config" / "system", root / "site-cache"):
                directory.mkdir(parents=True, exist_ok=True)
            (home / ".gitconfig").write_text(GITCONFIG)
        env.update({
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "DVC_GLOBAL_CONFIG_DIR": str(root / "config" / "global"),
            "DVC_SYSTEM_CONFIG_DIR": str(root / "config" / "system"),
            "DVC_SITE_CACHE_DIR": str(root / "site-cache"),
            "DVC_NO_ANALYTICS": "1",
            "DVC_TEST": "true",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
            "GIT_TERMINAL_PROMPT": "0",
        })
        return env
