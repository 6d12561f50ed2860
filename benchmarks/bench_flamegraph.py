"""Time ``flamekit flamegraph`` on large inputs, and headless Chromium loading a big SVG.

Inputs (made on first run, under benchmarks/data/, which is not committed):
  flamegraph-50mb.folded   ~50 MB, 293k distinct stacks varied from real ones (gen_flamegraph_input.py)
  flamegraph-real.folded   a system-wide `perf record -a -g` capture of this host, collapsed
  flamegraph-real-1.3mb.folded  its first 1.3 MB of lines (a real profile of the issue's small size)
Reported: CPU seconds (user+sys of the child, the stable figure on a shared
host) and wall seconds, min and median of N runs, start-up included.  Peer
figures for this machine type (../shared/reference/performance.md, issue 3):
flamegraph.pl 5.3 s and inferno 0.40 s on the 50 MB file; 0.17 s and 0.02 s
on a 1.3 MB real one.  inferno is also measured here, interleaved with flamekit
(the same minute, the same load), when its binary is in benchmarks/data/inferno
(cargo-flamegraph 0.6.14, which embeds inferno 0.12.8; see performance.md section 6):
it is fed the folded file through --post-process, with a stand-in ``perf``.
flamegraph.pl is not installed: its reference figure is quoted.

    python3 benchmarks/bench_flamegraph.py [--runs 5] [--skip-browser]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cli_env  # run the CLI as a user does: cached bytecode (see cli_env.py)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
BIG = DATA / "flamegraph-50mb.folded"
REAL = DATA / "flamegraph-real.folded"
REAL_SMALL = DATA / "flamegraph-real-1.3mb.folded"
FLAMEKIT = [sys.executable, "-m", "flamekit"]


def ensure_inputs(record_seconds: int) -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    if not BIG.exists():
        subprocess.run([sys.executable, str(HERE / "gen_flamegraph_input.py"), "--stacks", "293000", "--mb", "50",
                        "-o", str(BIG)], check=True)
    if not REAL.exists():
        raw = DATA / "flamegraph-real.perf.txt"
        with tempfile.TemporaryDirectory() as tmp:
            pdata = Path(tmp) / "perf.data"
            subprocess.run(["perf", "record", "-q", "-F", "1999", "-a", "-g", "-o", str(pdata), "--", "sleep",
                            str(record_seconds)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            with open(raw, "wb") as out:
                subprocess.run(["perf", "script", "-i", str(pdata)], check=True, stdout=out, stderr=subprocess.DEVNULL)
        subprocess.run([*FLAMEKIT, "collapse", "-q", str(raw), "-o", str(REAL)], check=True)
    if not REAL_SMALL.exists():
        keep, size = [], 0
        with open(REAL, "rb") as f:
            for line in f:
                if size + len(line) > 1_300_000:
                    break
                keep.append(line)
                size += len(line)
        REAL_SMALL.write_bytes(b"".join(keep))


INFERNO = DATA / "inferno" / "flamegraph"
#: flamegraph.pl's CPU seconds on these inputs (issue 3; not installed here)
FLAMEGRAPH_PL = {"50mb": 5.3, "1.3mb": 0.17}


def timed(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one run of ``cmd`` (children it waits for included)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def summary(label: str, samples: list[tuple[float, float]], size: int | None = None) -> dict[str, object]:
    cpus = [c for c, _ in samples]
    walls = [w for _, w in samples]
    row: dict[str, object] = {"what": label, "cpu_min": min(cpus), "cpu_median": statistics.median(cpus),
                              "wall_min": min(walls), "wall_median": statistics.median(walls)}
    if size:
        row["input_mb"] = size / 1e6
        row["mb_per_cpu_s"] = size / 1e6 / min(cpus)
    print(f"{label:58s} CPU {min(cpus):6.3f} / {statistics.median(cpus):6.3f} s   "
          f"wall {min(walls):6.3f} / {statistics.median(walls):6.3f} s"
          + (f"   {row['mb_per_cpu_s']:.1f} MB per CPU-s" if size else ""), flush=True)
    return row


def bench(label: str, cmd: list[str], runs: int, size: int | None = None) -> dict[str, object]:
    timed(cmd)  # warm the page cache and .pyc files
    return summary(label, [timed(cmd) for _ in range(runs)], size)


def inferno_setup(tmp: Path) -> tuple[list[str], dict[str, str]] | None:
    """A command prefix and environment running inferno's flamegraph on a folded file, or None."""
    if not INFERNO.exists():
        return None
    (tmp / "tiny.perf.txt").write_text("a 1 0.0: 1 cpu-clock:\n\tffffffff81000000 f ([kernel.kallsyms])\n\n")
    (tmp / "perf.data").write_bytes(b"")
    fake = tmp / "perf"
    fake.write_text(f"#!/bin/sh\ncat {tmp / 'tiny.perf.txt'}\n")
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp}:{os.environ.get('PATH', '')}"}
    return [str(INFERNO), "--perfdata", str(tmp / "perf.data"), "--min-width", "0.1"], env


def versus_inferno(label: str, folded: Path, svg: Path, inferno: tuple[list[str], dict[str, str]] | None,
                   runs: int, key: str) -> list[dict[str, object]]:
    """flamekit and inferno on the same file, runs interleaved so both see the same load."""
    ours = [*FLAMEKIT, "flamegraph", str(folded), "-o", str(svg)]
    size = folded.stat().st_size
    if inferno is None:
        rows = [bench(label, ours, runs, size)]
    else:
        theirs = [*inferno[0], "--post-process", f"sh -c 'cat >/dev/null; cat {folded}'", "-o",
                  str(svg.with_suffix(".inferno.svg"))]
        timed(ours)
        timed(theirs, inferno[1])
        a, b = [], []
        for _ in range(runs):
            a.append(timed(ours))
            b.append(timed(theirs, inferno[1]))
        rows = [summary(label, a, size), summary("  inferno 0.12.8 (cargo-flamegraph 0.6.14), same runs", b, size)]
        ratio = rows[0]["cpu_median"] / rows[1]["cpu_median"]  # type: ignore[operator]
        print(f"  flamekit / inferno CPU (medians): {ratio:.2f}x", flush=True)
        rows[0]["vs_inferno_cpu"] = ratio
    pl = FLAMEGRAPH_PL[key]
    print(f"  flamegraph.pl reference {pl} s: flamekit {pl / rows[0]['cpu_median']:.1f}x faster (CPU median)",  # type: ignore[operator]
          flush=True)
    return rows


def count_frames(svg: Path) -> int:
    return svg.read_bytes().count(b"<g>\n<title>")


def browser_load(svg: Path, runs: int) -> dict[str, object]:
    """Headless Chromium: navigation to load event, to the first frame painted after it, and the
    main thread's busy time (CDP TaskDuration) over that, which the host's other load inflates less."""
    node = shutil.which("node")
    driver = ROOT / "tests" / "browser" / "driver.js"
    if not node or not (ROOT / "tests" / "browser" / "node_modules").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=driver.parent, check=True,
                       stdout=subprocess.DEVNULL)
    job = {"file": str(svg), "timeout": 120000, "steps": [
        {"eval": "async () => { await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0))); "
                 "return performance.now(); }"},
        {"eval": "document.querySelectorAll('#frames > g').length"},
        {"metrics": True},
        {"eval": "async () => { const t = performance.now(); search('a'); "
                 "await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0))); "
                 "return performance.now() - t; }"},
        {"eval": "async () => { const t = performance.now(); zoom(model().kids[0]); "
                 "await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0))); "
                 "return performance.now() - t; }"},
    ]}
    loads, painted, searches, zooms, tasks = [], [], [], [], []
    frames = 0
    for _ in range(runs):
        out = subprocess.run([node or "node", str(driver)], input=json.dumps(job), capture_output=True, text=True,
                             check=True)
        res = json.loads(out.stdout)
        if not res["ok"] or res["page_errors"]:
            raise SystemExit(f"browser run failed: {res.get('error')} {res['page_errors']}")
        loads.append(res["load_ms"] / 1000)
        painted.append(res["results"][0] / 1000)
        frames = res["results"][1]
        tasks.append(res["results"][2]["TaskDuration"])
        searches.append(res["results"][3] / 1000)
        zooms.append(res["results"][4] / 1000)
    print(f"{'chromium: load ' + svg.name + f' ({frames} frames, {svg.stat().st_size / 1e6:.1f} MB)':58s} "
          f"load {min(loads):6.3f} / {statistics.median(loads):6.3f} s   painted {min(painted):6.3f} s   "
          f"main thread busy {min(tasks):6.3f} s   "
          f"search {min(searches):5.3f} s   zoom {min(zooms):5.3f} s", flush=True)
    return {"what": "chromium load", "frames": frames, "svg_mb": svg.stat().st_size / 1e6,
            "load_min": min(loads), "load_median": statistics.median(loads), "painted_min": min(painted),
            "main_thread_busy_min": min(tasks),
            "search_min": min(searches), "zoom_min": min(zooms)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--record-seconds", type=int, default=30, help="length of the system-wide capture")
    ap.add_argument("--skip-browser", action="store_true")
    ap.add_argument("--json", type=Path, help="also write the results here")
    a = ap.parse_args()
    cli_env.prepare()
    ensure_inputs(a.record_seconds)
    out_dir = Path(tempfile.mkdtemp(prefix="flamekit-bench-"))
    rows = []
    big, real, small = BIG.stat().st_size, REAL.stat().st_size, REAL_SMALL.stat().st_size
    print(f"inputs: {BIG.name} {big / 1e6:.1f} MB, {sum(1 for _ in open(BIG, 'rb')):,} stacks; "
          f"{REAL.name} {real / 1e6:.2f} MB, {sum(1 for _ in open(REAL, 'rb')):,} stacks; "
          f"{REAL_SMALL.name} {small / 1e6:.2f} MB, {sum(1 for _ in open(REAL_SMALL, 'rb')):,} stacks")
    rows.append(bench("start-up: flamekit --version", [*FLAMEKIT, "--version"], a.runs))
    inferno = inferno_setup(out_dir)
    rows.extend(versus_inferno("flamegraph 50 MB (default: 20k embedded frames)", BIG, out_dir / "big.svg", inferno,
                               a.runs, "50mb"))
    rows.append(bench("flamegraph 50 MB --max-embedded-frames 0 (as the peers)",
                      [*FLAMEKIT, "flamegraph", str(BIG), "--max-embedded-frames", "0", "-o",
                       str(out_dir / "big0.svg")], a.runs, big))
    rows.append(bench(f"flamegraph real {real / 1e6:.1f} MB (default)",
                      [*FLAMEKIT, "flamegraph", str(REAL), "-o", str(out_dir / "real.svg")], a.runs, real))
    rows.append(bench(f"flamegraph real {real / 1e6:.1f} MB --max-embedded-frames 0",
                      [*FLAMEKIT, "flamegraph", str(REAL), "--max-embedded-frames", "0", "-o",
                       str(out_dir / "real0.svg")], a.runs, real))
    rows.extend(versus_inferno(f"flamegraph real {small / 1e6:.1f} MB (default), end to end", REAL_SMALL,
                               out_dir / "small.svg", inferno, a.runs, "1.3mb"))
    print(f"frames drawn: 50 MB {count_frames(out_dir / 'big.svg'):,}; real {count_frames(out_dir / 'real.svg'):,}")
    if not a.skip_browser:
        # a 50k-frame graph: the real capture with no width budget, or the big one with a small one
        svg50k = out_dir / "50k.svg"
        subprocess.run([*FLAMEKIT, "flamegraph", str(BIG), "--minwidth", "0.004", "-o", str(svg50k)], check=True)
        rows.append(browser_load(svg50k, a.runs))
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1) + "\n")
    shutil.rmtree(out_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
