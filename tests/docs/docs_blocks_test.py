#!/usr/bin/env python3
"""Runs the shell blocks of README.md and docs/*.md marked <!-- runnable -->, in order, as a reader would.

What a reader has, the test has, and nothing more:
- the repository root as the working folder of every block, `build/ypa` built there, and `ypa` on PATH as
  `cmake --install build --prefix P` puts it (P is a temporary folder here instead of /usr/local);
- an environment without the variables of any other stack (PG*, CLICKHOUSE_*, API_*, YPA_* ... of the
  caller are dropped), where YPA_STACK_DIR names a stack folder of this test's own (`.ypa/docs-stack`, or
  a folder under /var/tmp when root cannot hand `.ypa` to the servers' account: scripts/lib.sh), so the
  demo data of README command 1 is never touched. That folder's first `ypa stack up` fixes its ports to
  25482 and 29800; README command 1, which runs first, then starts the servers and loads the demo data
  there as it does for a reader.
- blocks continue one shell session: a block starts with the environment the block before it left
  (`export -p`; plain shell variables are not carried, so a block that needs one sets it itself), in the
  repository root, under `bash -euo pipefail`.
- a block marked "runnable in the background; ready when URL answers" keeps running (ypa serve) until the
  last block of its page has run, once URL has answered 200.

On a failure it names the page, the line and the command, shows the block's output, stops everything
it started (background blocks, the stack) and exits 1.
"""
import argparse
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import markdown_blocks  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PG_PORT, CH_PORT = "25482", "29800"
BLOCK_TIMEOUT_S = 600
READY_TIMEOUT_S = 120
KEPT_VARIABLES = ("HOME", "USER", "LOGNAME", "SHELL", "LANG", "LC_ALL", "TERM", "TMPDIR", "CI")
OUTPUT_TAIL = 40  # lines of a passing block's output shown
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def clean_environment(prefix, stack_dir):
    env = {name: os.environ[name] for name in KEPT_VARIABLES if name in os.environ}
    env["PATH"] = os.path.join(prefix, "bin") + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin")
    env["YPA_STACK_DIR"] = stack_dir
    return env


def stack_folder():
    out = subprocess.run(["bash", "-c", ". scripts/lib.sh && stack_dir docs-stack"], cwd=ROOT, check=True,
                         capture_output=True, text=True)
    return out.stdout.strip()


def script_for(block, env_in, env_out, trap_file):
    """The bash script of one block; its line len(prelude) + i is line i of the block."""
    prelude = [
        f"trap 'printf \"%s %s %s\\n\" \"$?\" \"$LINENO\" \"$BASH_COMMAND\" >> {shlex.quote(trap_file)}' ERR",
        "set -E",
        f". {shlex.quote(env_in)}",
        f"cd {shlex.quote(ROOT)}",
    ]
    epilogue = [f"export -p > {shlex.quote(env_out)}"]
    return "\n".join(prelude + block.lines + epilogue) + "\n", len(prelude)


def failure_text(block, offset, trap_file, returncode):
    """ "README.md:57: `build/ypa compare_runs ...` exited 2" from the last ERR the block's shell reported."""
    entries = []
    if os.path.exists(trap_file):
        with open(trap_file) as f:
            entries = [line.rstrip("\n").split(" ", 2) for line in f if line.strip()]
    if entries:
        status, lineno, command = entries[-1] if len(entries[-1]) == 3 else (entries[-1] + ["", ""])[:3]
        try:
            index = int(lineno) - offset - 1
        except ValueError:
            index = -1
        if 0 <= index < len(block.lines):
            return f"{block.path}:{block.fence_line + 1 + index}: `{command}` exited {status} " \
                   f"(the block's line: {block.lines[index].strip()!r})"
        return f"{block.path}:{block.fence_line}: `{command}` exited {status}"
    return f"{block.path}:{block.fence_line}: the block exited {returncode}"


def show(output, lines=None, width=400):
    text = output.splitlines()
    if lines is not None and len(text) > lines:
        print(f"    ... ({len(text) - lines} lines above left out)")
        text = text[-lines:]
    for line in text:
        print("    " + (line if len(line) <= width else line[:width] + f" ... ({len(line) - width} more characters)"))


class Runner:
    def __init__(self, work, env):
        self.work = work
        self.env_file = os.path.join(work, "env.sh")
        with open(self.env_file, "w") as f:
            for name, value in sorted(env.items()):
                f.write(f"export {name}={shlex.quote(value)}\n")
        self.background = []  # (block, Popen, log path)
        self.count = 0

    def _files(self):
        self.count += 1
        stem = os.path.join(self.work, f"block{self.count:03d}")
        return stem + ".sh", stem + ".env", stem + ".err", stem + ".log"

    def run(self, block):
        script_path, env_out, trap_file, log_path = self._files()
        script, offset = script_for(block, self.env_file, env_out, trap_file)
        with open(script_path, "w") as f:
            f.write(script)
        argv = ["bash", "-euo", "pipefail", script_path]
        print(f"--- {block.path}:{block.fence_line}: {block.first_command()}", flush=True)
        if block.ready_url:
            return self._start_background(block, argv, offset, trap_file, log_path)
        started = time.monotonic()
        with open(log_path, "w") as log:
            p = subprocess.Popen(argv, cwd=ROOT, env={}, stdout=log, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, start_new_session=True)
            try:
                returncode = p.wait(timeout=BLOCK_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                stop_group(p)
                returncode = None
        output = open(log_path, errors="replace").read()
        if returncode != 0:
            show(output)
            if returncode is None:
                return f"{block.path}:{block.fence_line}: the block did not finish within {BLOCK_TIMEOUT_S} s"
            return failure_text(block, offset, trap_file, returncode)
        show(output, OUTPUT_TAIL)
        print(f"    ok ({time.monotonic() - started:.1f} s)", flush=True)
        self.env_file = env_out
        return None

    def _start_background(self, block, argv, offset, trap_file, log_path):
        log = open(log_path, "w")
        p = subprocess.Popen(argv, cwd=ROOT, env={}, stdout=log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, start_new_session=True)
        self.background.append((block, p, log_path))
        deadline = time.monotonic() + READY_TIMEOUT_S
        last = "no answer yet"
        while time.monotonic() < deadline:
            if p.poll() is not None:
                show(open(log_path, errors="replace").read())
                return failure_text(block, offset, trap_file, p.returncode) + " before " + block.ready_url + \
                    " answered"
            try:
                with NO_PROXY.open(block.ready_url, timeout=5) as answer:
                    if answer.status == 200:
                        print(f"    running in the background; {block.ready_url} answered 200", flush=True)
                        return None
                    last = f"status {answer.status}"
            except urllib.error.HTTPError as e:
                last = f"status {e.code}"
            except OSError as e:
                last = str(e)
            time.sleep(0.2)
        show(open(log_path, errors="replace").read())
        return f"{block.path}:{block.fence_line}: {block.ready_url} did not answer 200 within " \
               f"{READY_TIMEOUT_S} s (last: {last})"

    def stop_background(self):
        for block, p, log_path in self.background:
            stop_group(p)
            print(f"--- stopped the background block {block.path}:{block.fence_line} "
                  f"(exit {p.returncode}); its output:", flush=True)
            show(open(log_path, errors="replace").read(), OUTPUT_TAIL)
        self.background = []


def stop_group(p):
    """SIGTERM to the block's process group, SIGKILL after 30 s."""
    for sig, wait in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        try:
            os.killpg(p.pid, sig)
        except ProcessLookupError:
            pass
        try:
            p.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ypa", required=True, help="the ypa this build made; the docs run build/ypa")
    parser.add_argument("--keep", action="store_true", help="leave the stack running and the work folder")
    args = parser.parse_args()
    if os.path.realpath(args.ypa) != os.path.realpath(os.path.join(ROOT, "build", "ypa")):
        # CTest's SKIP_REGULAR_EXPRESSION turns this into "skipped".
        print(f"YPA_DOCS_SKIPPED: the docs run build/ypa of the repository root; this build is {args.ypa}")
        return 0

    problems = []
    for page in markdown_blocks.marked_pages(ROOT):
        problems += markdown_blocks.marker_problems(ROOT, page)
    if problems:
        print("\n".join(problems))
        return 1

    work = tempfile.mkdtemp(prefix="ypa-docs-")
    prefix = os.path.join(work, "prefix")
    install = subprocess.run(["cmake", "--install", os.path.join(ROOT, "build"), "--prefix", prefix],
                             capture_output=True, text=True)
    installed = os.path.join(prefix, "bin", "ypa")
    if install.returncode != 0 or not os.access(installed, os.X_OK):
        print(f"cmake --install build --prefix {prefix} did not install bin/ypa:\n{install.stdout}{install.stderr}")
        return 1
    stack_dir = stack_folder()
    env = clean_environment(prefix, stack_dir)
    print(f"stack folder {stack_dir}; ypa installed as {installed}; work folder {work}", flush=True)
    # The folder's first `up` fixes its ports; README command 1 then finds them in its stack.json.
    first = subprocess.run([installed, "stack", "up", "--pg-port", PG_PORT, "--ch-port", CH_PORT], env=env,
                           cwd=ROOT, capture_output=True, text=True)
    if first.returncode != 0:
        print(f"ypa stack up --pg-port {PG_PORT} --ch-port {CH_PORT} in {stack_dir} failed:\n{first.stderr}")
        return 1

    def stop(signum, frame):
        raise SystemExit(f"stopped by signal {signum}")
    signal.signal(signal.SIGTERM, stop)
    runner = Runner(work, env)
    failure = None
    ran = skipped = 0
    try:
        for page in markdown_blocks.run_pages(ROOT):
            for block in markdown_blocks.parse(ROOT, page):
                if not block.is_shell:
                    continue
                if block.marker != "runnable":
                    skipped += 1
                    continue
                failure = runner.run(block)
                ran += 1
                if failure:
                    break
            runner.stop_background()
            if failure:
                break
    finally:
        runner.stop_background()
        if not args.keep:
            subprocess.run([installed, "stack", "down"], env=env, cwd=ROOT, capture_output=True)
    if failure:
        print(f"FAILED: {failure}")
        print(f"(the blocks' scripts, outputs and environments are in {work})")
        return 1
    print(f"{ran} runnable blocks ran, {skipped} blocks are marked not-runnable")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
