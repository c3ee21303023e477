#!/usr/bin/env python3
"""Start time and memory of the app against a bare Tauri window (run by scripts/app-start.sh).

usage: app_start.py APP_BINARY BARE_BINARY DB RUNS
       app_start.py --compare APP_A APP_B [APP_C ...] DB RUNS

The second form compares builds of the app (say, the same code with two versions of ui/), in
rotating order, start and page time only: on this shared machine the load moves the figures by
up to a third within minutes, so only builds measured in alternation compare code.

Needs an X display (the shell script runs it under xvfb-run) and dbus-daemon. For each run, each
binary is started on a fresh config/data/cache folder and its own session bus (the app's
single-instance plugin registers there), in alternating order:
- start: wall time from spawn to the line the page reports once it has painted: the app's
  `ui-ready millis=<n>` (first list page rendered, two animation frames after the DOM update) and the
  bare window's `bare-ready millis=<n>` (two frames after load); the app's line goes on with the
  page's phases (ms since navigation start: html received, modules evaluated, start calls answered,
  list answer received, rows in the DOM), printed as medians to show where the page's time goes;
- memory: 3 s after that line, PSS, RSS and USS (private pages: what the process alone costs,
  whatever else shares its libraries) from /proc/PID/smaps_rollup, summed over the process and
  every descendant (WebKitWebProcess, WebKitNetworkProcess). PSS splits shared pages between the
  processes that map them and USS leaves them out, so both drop when other WebKit processes run on
  the machine (by up to a third here): compare app and bare of the same run only.
Both run in the same WebKit rendering mode: the app asks for CPU rendering
(WEBKIT_DISABLE_COMPOSITING_MODE=1) on a machine without a GPU (src-tauri/app/src/main.rs,
`rendering::prefer_cpu`), so on such a machine the bare window is given the same variable; otherwise
one would paint through llvmpipe's OpenGL and the other with Skia on the CPU, and the ratio would
compare rendering modes rather than what the app adds. A WebKit variable already set in the
environment is passed to both unchanged.
Prints medians, per-process medians, and app/bare ratios.
"""

import os
import re
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time

SETTLE_S = 3.0
TIMEOUT_S = 60.0


def children_map():
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        after = stat.rsplit(")", 1)[1].split()
        parents[int(entry)] = int(after[1])
    return parents


def descendants(root):
    parents = children_map()
    found = [root]
    i = 0
    while i < len(found):
        found.extend(pid for pid, ppid in parents.items() if ppid == found[i])
        i += 1
    return found


def memory_of(pid):
    """(name, pss_kb, rss_kb, uss_kb) of one process, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/comm") as f:
            name = f.read().strip()
        with open(f"/proc/{pid}/smaps_rollup") as f:
            text = f.read()
    except OSError:
        return None
    pss = int(re.search(r"^Pss:\s+(\d+)", text, re.M).group(1))
    rss = int(re.search(r"^Rss:\s+(\d+)", text, re.M).group(1))
    uss = sum(int(re.search(rf"^{field}:\s+(\d+)", text, re.M).group(1))
              for field in ("Private_Clean", "Private_Dirty"))
    return name, pss, rss, uss


WEBKIT_CHOICES = ("WEBKIT_DISABLE_COMPOSITING_MODE", "WEBKIT_FORCE_COMPOSITING_MODE",
                  "WEBKIT_DISABLE_DMABUF_RENDERER", "WEBKIT_DMABUF_RENDERER_FORCE_SHM",
                  "WEBKIT_SKIA_ENABLE_CPU_RENDERING", "WEBKIT_SKIA_GPU_PAINTING_THREADS")


def rendering_env():
    """The WebKit variable the app sets for itself (main.rs, `rendering::prefer_cpu`), for both."""
    if any(name in os.environ for name in WEBKIT_CHOICES):
        return {}
    try:
        render_node = any(name.startswith("renderD") for name in os.listdir("/dev/dri"))
    except OSError:
        render_node = False
    gpu = render_node or os.path.exists("/dev/nvidiactl")
    software = os.environ.get("LIBGL_ALWAYS_SOFTWARE", "") not in ("", "0") or \
        os.environ.get("GALLIUM_DRIVER") in ("llvmpipe", "softpipe")
    return {"WEBKIT_DISABLE_COMPOSITING_MODE": "1"} if not gpu or software else {}


def start_bus():
    bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    address = bus.stdout.readline().strip()
    return bus, address


def stop(proc, grace=5.0):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def one_run(binary, pattern, db):
    with tempfile.TemporaryDirectory(prefix="app-start-") as home:
        bus, address = start_bus()
        env = dict(os.environ)
        env.update({
            "CLAPAY_TOKENS_DB": db,
            "XDG_CONFIG_HOME": f"{home}/config",
            "XDG_DATA_HOME": f"{home}/share",
            "XDG_CACHE_HOME": f"{home}/cache",
            "DBUS_SESSION_BUS_ADDRESS": address,
            "LANG": "en_US.UTF-8", "LC_ALL": "en_US.UTF-8", "LANGUAGE": "en_US",
            "NO_AT_BRIDGE": "1", "GTK_A11Y": "none",
        })
        env.update(rendering_env())
        spawned = time.monotonic()
        proc = subprocess.Popen([binary], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        try:
            buffer = b""
            page_ms = None
            phases = {}
            while page_ms is None:
                left = TIMEOUT_S - (time.monotonic() - spawned)
                if left <= 0 or proc.poll() is not None:
                    raise RuntimeError(f"{binary}: no ready line within {TIMEOUT_S} s (exit {proc.poll()})")
                ready, _, _ = select.select([proc.stdout], [], [], left)
                if not ready:
                    continue
                chunk = os.read(proc.stdout.fileno(), 65536)
                buffer += chunk
                match = re.search(pattern + rb"([^\n]*)\n", buffer)
                if match:
                    page_ms = float(match.group(1))
                    # The app's line goes on with the page's phases: " html=23 modules=67 ...".
                    phases = {k.decode(): float(v) for k, v in re.findall(rb"(\w+)=(\d+)", match.group(2))}
            start_ms = (time.monotonic() - spawned) * 1000
            time.sleep(SETTLE_S)
            per_process = {}
            for pid in descendants(proc.pid):
                mem = memory_of(pid)
                if mem:
                    name, pss, rss, uss = mem
                    key = "main" if pid == proc.pid else name
                    old = per_process.get(key, (0, 0, 0))
                    per_process[key] = (old[0] + pss, old[1] + rss, old[2] + uss)
            tree = descendants(proc.pid)
        finally:
            stop(proc)
            for pid in descendants(proc.pid)[1:] if proc.poll() is None else []:
                os.kill(pid, signal.SIGTERM)
            stop(bus, 2.0)
        # WebKit children normally exit with the app; end any that lingered.
        for pid in tree[1:]:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        return start_ms, page_ms, per_process, phases


def phase_medians(runs_phases):
    """"html 27, modules 61, ...": each phase's median over the runs, in time order."""
    median = {k: statistics.median(p[k] for p in runs_phases if k in p)
              for k in {k for p in runs_phases for k in p}}
    return ", ".join(f"{k} {v:.0f}" for k, v in sorted(median.items(), key=lambda item: item[1]))


def compare(binaries, db, runs):
    pattern = rb"ui-ready millis=(\d+)"
    results = {binary: [] for binary in binaries}
    for run in range(runs):
        # Each run starts with the next build, so none is always first (or last) after a pause.
        shift = run % len(binaries)
        for binary in binaries[shift:] + binaries[:shift]:
            start_ms, page_ms, _, phases = one_run(binary, pattern, db)
            results[binary].append((start_ms, page_ms, phases))
            print(f"run {run + 1} {binary}: start {start_ms:6.0f} ms (page {page_ms:5.0f} ms)", flush=True)
    print()
    print(f"medians of {runs} runs each, in alternation")
    for binary, rows in results.items():
        line = (f"{binary}: start {statistics.median(r[0] for r in rows):.0f} ms, "
                f"page {statistics.median(r[1] for r in rows):.0f} ms")
        phases = [r[2] for r in rows if r[2]]
        if phases:
            line += f" [{phase_medians(phases)}]"
        print(line)


def main():
    if sys.argv[1] == "--compare":
        compare(sys.argv[2:-2], sys.argv[-2], int(sys.argv[-1]))
        return
    app, bare, db, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    subjects = [("app", app, rb"ui-ready millis=(\d+)"), ("bare", bare, rb"bare-ready millis=(\d+)")]
    results = {name: [] for name, _, _ in subjects}
    all_phases = {name: [] for name, _, _ in subjects}
    mode = rendering_env()
    print("WebKit rendering, both: " + (", ".join(f"{k}={v}" for k, v in mode.items()) or
                                        "WebKit defaults (or the environment's WEBKIT_* variables)"))
    for run in range(runs):
        order = subjects if run % 2 == 0 else list(reversed(subjects))
        for name, binary, pattern in order:
            start_ms, page_ms, per_process, phases = one_run(binary, pattern, db)
            if phases:
                all_phases[name].append(phases)
            pss = sum(v[0] for v in per_process.values()) / 1024
            rss = sum(v[1] for v in per_process.values()) / 1024
            uss = sum(v[2] for v in per_process.values()) / 1024
            results[name].append((start_ms, page_ms, pss, rss, per_process, uss))
            parts = ", ".join(f"{k} {v[0] / 1024:.0f}/{v[2] / 1024:.0f}"
                              for k, v in sorted(per_process.items()))
            steps = " ".join(f"{k} {v:.0f}" for k, v in phases.items())
            print(f"run {run + 1} {name:4}: start {start_ms:6.0f} ms (page {page_ms:5.0f} ms), "
                  f"PSS {pss:5.0f} MB, RSS {rss:5.0f} MB, USS {uss:5.0f} MB  "
                  f"[PSS/USS MB: {parts}]" + (f" [page: {steps}]" if steps else ""), flush=True)

    def med(name, index):
        return statistics.median(r[index] for r in results[name])

    def med_proc(name, key, index=0):
        return statistics.median(r[4].get(key, (0, 0, 0))[index] for r in results[name]) / 1024

    print()
    print(f"medians of {runs} runs, 10,000-token database, window 1280x760")
    print("| | start (spawn to painted) | page time at ready | PSS, all processes | RSS, all processes "
          "| USS, all processes |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name in ("app", "bare"):
        print(f"| {name} | {med(name, 0):.0f} ms | {med(name, 1):.0f} ms | {med(name, 2):.0f} MB "
              f"| {med(name, 3):.0f} MB | {med(name, 5):.0f} MB |")
    print(f"| app / bare | {med('app', 0) / med('bare', 0):.2f}x | {med('app', 1) / med('bare', 1):.2f}x "
          f"| {med('app', 2) / med('bare', 2):.2f}x | {med('app', 3) / med('bare', 3):.2f}x "
          f"| {med('app', 5) / med('bare', 5):.2f}x |")
    keys = sorted({k for name in results for r in results[name] for k in r[4]})
    print()
    print("PSS per process (median MB): " + "; ".join(
        f"{k}: app {med_proc('app', k):.0f} / bare {med_proc('bare', k):.0f}" for k in keys))
    print("USS per process (median MB): " + "; ".join(
        f"{k}: app {med_proc('app', k, 2):.0f} / bare {med_proc('bare', k, 2):.0f}" for k in keys))
    for name in ("app", "bare"):
        runs_with = all_phases[name]
        if runs_with:
            print(f"{name} page, ms since navigation start (medians): {phase_medians(runs_with)}, "
                  f"painted {med(name, 1):.0f}")
    print(f"app-start: start {med('app', 0) / med('bare', 0):.2f}x, "
          f"PSS {med('app', 2) / med('bare', 2):.2f}x, RSS {med('app', 3) / med('bare', 3):.2f}x, "
          f"USS {med('app', 5) / med('bare', 5):.2f}x of a bare window")


if __name__ == "__main__":
    main()
