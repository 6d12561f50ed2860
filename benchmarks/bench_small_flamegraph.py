"""Time the small flame graph end to end as a user's install runs it: ``flamekit flamegraph F -o OUT``.

Issue 3's target: under 0.15 s, start-up included, for a 1.3 MB real profile
(inferno: 0.02 s).  On inputs this small the interpreter's start and the
imports are a large share of the run, so this script measures exactly what a
user's clean install does: a fresh venv (no pip, no global site-packages, whose
.pth files add ~30 ms to every start here) runs the ``bin/flamekit`` script of
this checkout -- and, with ``--baseline``, a second venv the script of another
checkout (e.g. /work/main), interleaved run by run with inferno so all three
see the same load on a shared machine.

Reported: CPU seconds (user+sys of the child: the stable figure on a shared
host) and wall seconds, min and median of ``--runs``, MB per CPU-second,
the ratio to inferno and to the baseline (medians); with ``--importtime`` the
sum of ``-X importtime`` self times (ms, min and median; importtime's own
bookkeeping inflates it, so compare the two checkouts, not with the CPU
figures); with ``--instructions`` one run of each under callgrind (a count the
host's load does not move).  Both checkouts' SVGs are compared byte for byte.

    python3 benchmarks/bench_small_flamegraph.py [--runs 21] [--baseline /work/main] [--importtime] [--instructions]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cli_env  # cached bytecode, as a user's install has
from bench_flamegraph import inferno_setup

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SMALL = HERE / "data" / "flamegraph-real-1.3mb.folded"


def venv_python(tmp: Path, name: str, checkout: Path) -> Path:
    """A fresh venv's interpreter importing ``checkout`` (one .pth), its bytecode compiled."""
    venv = tmp / name
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    (Path(site) / "flamekit-bench.pth").write_text(f"{checkout}\n")
    subprocess.run([str(python), "-m", "compileall", "-q", str(checkout / "flamekit")], check=True,
                   stdout=subprocess.DEVNULL)
    return python


def run(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """(CPU seconds, wall seconds, stderr) of one run of ``cmd``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    r = subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall, r.stderr


def import_ms(stderr: str) -> float:
    """The sum of ``-X importtime``'s self times, in ms."""
    return sum(int(line.split("|")[0].split(":")[1]) for line in stderr.splitlines()
               if line.startswith("import time:") and line.split("|")[0].split(":")[1].strip().isdigit()) / 1000


def inferno_cmd(tmp: Path, out: Path) -> tuple[list[str], dict[str, str]] | None:
    """inferno (inside cargo-flamegraph) drawing SMALL, as bench_flamegraph.py runs it."""
    setup = inferno_setup(tmp)
    if setup is None:
        return None
    prefix, env = setup
    return [*prefix, "--post-process", f"sh -c 'cat >/dev/null; cat {SMALL}'", "-o", str(out)], env


def instructions(cmd: list[str], env: dict[str, str]) -> float | None:
    """Instructions (G) of one run under callgrind, or None without valgrind."""
    if not shutil.which("valgrind"):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        err = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/cg.out", *cmd],
                             check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env).stderr
    for line in err.splitlines():
        if "Collected :" in line:
            return int(line.rsplit(":", 1)[1]) / 1e9
    return None


#: what pip wrote for the [project.scripts] entry point of checkouts older than bin/flamekit (a81a8ee)
PIP_WRAPPER = """import re
import sys
from flamekit.launch import main
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
    sys.exit(main())
"""


def script(tmp: Path, checkout: Path) -> Path:
    """The ``flamekit`` command a user's install of ``checkout`` runs: its bin/flamekit, else pip's wrapper."""
    own = checkout / "bin" / "flamekit"
    if own.exists():
        return own
    wrapper = tmp / f"flamekit-wrapper-{abs(hash(checkout))}"
    wrapper.write_text(PIP_WRAPPER)
    return wrapper


def line(label: str, samples: list[tuple[float, float, str]], size: int) -> float:
    cpus = [c for c, _, _ in samples]
    walls = [w for _, w, _ in samples]
    print(f"{label:44s} CPU {min(cpus):.3f} / {statistics.median(cpus):.3f} s   wall {min(walls):.3f} / "
          f"{statistics.median(walls):.3f} s   {size / 1e6 / min(cpus):.1f} MB per CPU-s (min / median)", flush=True)
    return statistics.median(cpus)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=21)
    ap.add_argument("--input", type=Path, default=SMALL)
    ap.add_argument("--baseline", type=Path, help="another flamekit checkout, timed in the same interleaved runs")
    ap.add_argument("--importtime", action="store_true", help="also sum -X importtime over --runs runs of each")
    ap.add_argument("--instructions", action="store_true", help="also count one run of each under callgrind")
    a = ap.parse_args()
    cli_env.prepare()
    tmp = Path(tempfile.mkdtemp(prefix="flamekit-small-"))
    size = a.input.stat().st_size
    print(f"input: {a.input.name} {size / 1e6:.2f} MB, {sum(1 for _ in open(a.input, 'rb')):,} stacks; "
          f"{a.runs} interleaved runs", flush=True)
    checkouts = [("flamekit (this checkout), clean venv", ROOT)]
    if a.baseline:
        checkouts.append((f"baseline {a.baseline}, clean venv", a.baseline.resolve()))
    cmds = []
    # the venvs' .pth files name the checkouts: a PYTHONPATH (as set to run this script) would win over them
    clean_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    for i, (label, checkout) in enumerate(checkouts):
        python = venv_python(tmp, f"venv{i}", checkout)
        cmds.append((label, [str(python), str(script(tmp, checkout)), "flamegraph", str(a.input), "-o",
                             str(tmp / f"out{i}.svg")], clean_env))
    inferno = inferno_cmd(tmp, tmp / "inferno.svg") if a.input == SMALL else None
    if inferno is not None:
        cmds.append(("inferno 0.12.8 (cargo-flamegraph 0.6.14)", *inferno))
    samples: list[list[tuple[float, float, str]]] = [[] for _ in cmds]
    for _, cmd, env in cmds:
        run(cmd, env)  # warm the page cache
    for _ in range(a.runs):
        for (_, cmd, env), got in zip(cmds, samples):
            got.append(run(cmd, env))
    medians = [line(label, got, size) for (label, _, _), got in zip(cmds, samples)]
    for (label, _, _), med in zip(cmds[1:], medians[1:]):
        print(f"  flamekit / {label.split(',')[0].split(' (')[0]}: {medians[0] / med:.2f}x (CPU medians)")
    print(f"issue 3 target < 0.15 s end to end: CPU median {medians[0]:.3f} s", flush=True)
    if a.baseline:
        same = (tmp / "out0.svg").read_bytes() == (tmp / "out1.svg").read_bytes()
        print(f"SVG identical to the baseline's: {same}")
    if a.importtime:
        times: list[list[float]] = [[] for _ in checkouts]
        for _ in range(a.runs):
            for (_, cmd, _), got in zip(cmds, times):
                got.append(import_ms(run([cmd[0], "-X", "importtime", *cmd[1:]], clean_env)[2]))
        for (label, _, _), got in zip(cmds, times):
            print(f"imports (-X importtime self sum) {label}: {min(got):.1f} / {statistics.median(got):.1f} ms")
    if a.instructions:
        for label, cmd, _ in cmds[:len(checkouts)]:
            run(cmd, clean_env)  # bytecode written
            ir = instructions(cmd, clean_env)
            print(f"instructions (callgrind Ir) {label}: " + (f"{ir * 1000:.1f} M" if ir else "valgrind missing"))


if __name__ == "__main__":
    main()
