#!/usr/bin/env python3
"""Runs every hlslim benchmark and writes one JSON file and one Markdown table.

    bench/run_all.py                     full suite (about 8 minutes on 2 cores)
    bench/run_all.py --quick             small sizes and the smoke pipeline (about 1 minute)
    bench/run_all.py --update-docs       also replace the table in docs/performance.md

Benchmarks (each next to a peer measured in the same run):
  simulation  events/s on one thread and on all threads (bench_simulation)
  training    samples/s of hlslim against PyTorch-Python on the same LibTorch (bench_train)
  engine      inferences/s of the fixed-point engine against SystemC sc_fix (bench_engine)
  pipeline    wall time and peak resident memory of the default pipeline (hlslim run)

Only the Python standard library is used; the PyTorch peer runs under /usr/bin/python3.
"""

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC_BEGIN = "<!-- bench:begin (written by bench/run_all.py --update-docs) -->"
DOC_END = "<!-- bench:end -->"


class BenchError(Exception):
    pass


def log(message):
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def run(command, **kwargs):
    """Runs a command, returns its stdout; raises BenchError with its stderr on failure."""
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-15:]
        raise BenchError(f"{' '.join(command)} exited with {result.returncode}:\n  " +
                         "\n  ".join(tail))
    return result.stdout


def last_json(text, what):
    """The JSON object a benchmark prints last (some print progress lines first)."""
    start = text.find("{")
    while start != -1:
        try:
            return json.loads(text[start:])
        except json.JSONDecodeError:
            start = text.find("\n{", start + 1)
            start = start + 1 if start != -1 else -1
    raise BenchError(f"{what} printed no JSON object")


def read_text(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError:
        return ""


def package_version(name):
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", name], capture_output=True,
                             text=True)
        return out.stdout.strip() if out.returncode == 0 else ""
    except OSError:
        return ""


def machine(build_dir):
    cpuinfo = read_text("/proc/cpuinfo")
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    meminfo = re.search(r"^MemTotal:\s*(\d+) kB", read_text("/proc/meminfo"), re.M)
    os_name = re.search(r'^PRETTY_NAME="?([^"\n]+)', read_text("/etc/os-release"), re.M)
    cache = read_text(os.path.join(build_dir, "CMakeCache.txt"))
    build_type = re.search(r"^CMAKE_BUILD_TYPE:STRING=(.*)$", cache, re.M)
    compiler = re.search(r"^CMAKE_CXX_COMPILER:(?:FILEPATH|STRING)=(.*)$", cache, re.M)
    compiler_version = ""
    if compiler and os.path.exists(compiler.group(1)):
        compiler_version = run([compiler.group(1), "--version"]).splitlines()[0]
    try:
        commit = run(["git", "-C", ROOT, "rev-parse", "--short=12", "HEAD"]).strip()
        if run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"]).strip():
            commit += "-dirty"
    except (BenchError, OSError):
        commit = "unknown"
    return {
        "cpu": model.group(1).strip() if model else platform.processor(),
        "cores": os.cpu_count(),
        "memory_gib": round(int(meminfo.group(1)) / 2**20, 1) if meminfo else None,
        "os": os_name.group(1) if os_name else platform.platform(),
        "compiler": compiler_version,
        "build_type": build_type.group(1) if build_type else "",
        "libtorch": package_version("libtorch-dev"),
        "openblas": package_version("libopenblas0-pthread"),
        "systemc": package_version("libsystemc-dev"),
        "git_commit": commit,
    }


def bench_simulation(build_dir, quick):
    events = 100_000 if quick else 1_000_000
    out = last_json(run([os.path.join(build_dir, "bench", "bench_simulation"), str(events)]),
                    "bench_simulation")
    one = out["single_thread"]["events_per_second"]
    many = out["all_threads"]["events_per_second"]
    return {
        "events": events,
        "threads": out["all_threads"]["threads"],
        "single_thread_events_per_second": one,
        "all_threads_events_per_second": many,
        "all_over_single": many / one,
        "bytes_per_event": out["bytes_per_event"],
        "peak_rss_bytes": out["peak_rss_bytes"],
        "identical_across_thread_counts": out["identical_across_thread_counts"],
    }


def bench_train(build_dir, quick):
    if not os.path.exists("/usr/bin/python3") or subprocess.run(
            ["/usr/bin/python3", "-c", "import torch"], capture_output=True).returncode != 0:
        raise BenchError("the PyTorch peer needs Debian's python3-torch (/usr/bin/python3)")
    steps, batch, threads, rounds = (40, 256, 2, 2) if quick else (300, 256, 2, 5)
    out = last_json(run([os.path.join(build_dir, "bench", "bench_train"), str(steps), str(batch),
                         str(threads), str(rounds)]), "bench_train")
    return {"steps": steps, "batch": batch, "threads": threads, "rounds": rounds,
            "teacher": out["teacher"], "student": out["student"]}


def bench_engine(build_dir, quick):
    events = 100_000 if quick else 1_000_000
    out = last_json(run([os.path.join(build_dir, "bench", "bench_engine"), str(events)]),
                    "bench_engine")
    out["events"] = events
    return out


def peak_and_wall(command):
    """Runs command; returns (its peak resident memory in bytes, wall seconds)."""
    with tempfile.TemporaryFile("w+") as out:
        start = time.monotonic()
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, text=True)
        _, status, usage = os.wait4(child.pid, 0)  # the child's own rusage, unlike getrusage
        wall = time.monotonic() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            out.seek(0)
            tail = out.read().strip().splitlines()[-15:]
            raise BenchError(f"{' '.join(command)} exited with {child.returncode}:\n  " +
                             "\n  ".join(tail))
    return usage.ru_maxrss * 1024, wall  # Linux reports KiB


def bench_pipeline(build_dir, quick):
    config = os.path.join(ROOT, "configs", "smoke.yaml" if quick else "muon_trigger.yaml")
    hlslim = os.path.join(build_dir, "hlslim")
    with tempfile.TemporaryDirectory(prefix="hlslim-bench-") as tmp:
        run_dir = os.path.join(tmp, "run")
        log(f"pipeline: {os.path.relpath(config, ROOT)} (minutes for the default config)")
        peak, wall = peak_and_wall([hlslim, "-q", "run", config, "--output", run_dir])
        with open(os.path.join(run_dir, "manifest.json"), encoding="utf-8") as f:
            manifest = json.load(f)
        # The peer: the same binary doing nothing but load its libraries and parse the config.
        base_peak, _ = peak_and_wall([hlslim, "-q", "validate", config])
    stages = [{"name": s["name"], "type": s["type"], "seconds": s.get("seconds", 0.0)}
              for s in manifest["stages"]]
    return {"config": os.path.relpath(config, ROOT), "wall_seconds": wall,
            "peak_rss_bytes": peak, "baseline_peak_rss_bytes": base_peak,
            "peak_over_baseline": peak / base_peak if base_peak else None, "stages": stages}


def fmt(value, digits=3):
    """Engineering format: 1.30 M, 848 k, 0.95."""
    for scale, suffix in ((1e6, " M"), (1e3, " k")):
        if abs(value) >= scale:
            return f"{value / scale:.{digits}g}{suffix}"
    return f"{value:.{digits}g}"


def minutes(seconds):
    return f"{int(seconds // 60)} min {seconds % 60:.0f} s" if seconds >= 60 else f"{seconds:.1f} s"


def markdown(results):
    m = results["machine"]
    lines = [
        f"Measured {results['date']} on {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB, "
        f"{m['os']}; {m['compiler']}, {m['build_type']} build; LibTorch {m['libtorch']}, "
        f"OpenBLAS {m['openblas']}; commit {m['git_commit']}"
        + (" (quick mode: reduced sizes)" if results["quick"] else "") + ".",
        "",
        "| benchmark | hlslim | peer (same run) | ratio |",
        "|---|---|---|---|",
    ]
    b = results["benchmarks"]
    if "simulation" in b:
        s = b["simulation"]
        lines.append(f"| simulation, events/s ({s['events']:,} events) | "
                     f"{fmt(s['all_threads_events_per_second'])} on {s['threads']} threads | "
                     f"{fmt(s['single_thread_events_per_second'])} on 1 thread | "
                     f"{s['all_over_single']:.2f}x |")
    if "training" in b:
        t = b["training"]
        for name, label in (("teacher", "default teacher"), ("student", "student-sized MLP")):
            r = t[name]
            lines.append(f"| training, samples/s, {label} ({r['parameters']:,} parameters) | "
                         f"{fmt(r['hlslim_samples_per_second'])} | "
                         f"{fmt(r['pytorch_python_samples_per_second'])} PyTorch-Python | "
                         f"{r['ratio']:.2f}x ({r['ratio_min']:.2f}-{r['ratio_max']:.2f}) |")
    if "engine" in b:
        e = b["engine"]
        peer = e.get("sc_fix_peer_events_per_second")
        lines.append(f"| engine, inferences/s, student, fixed<16,6> accumulators | "
                     f"{fmt(e['student_narrow_accum_events_per_second'])} | "
                     + (f"{fmt(peer)} SystemC sc_fix | {e['engine_over_sc_fix']:.0f}x |" if peer
                        else "not measured (no libsystemc-dev) | |"))
        lines.append(f"| engine, inferences/s, student, exact accumulators | "
                     f"{fmt(e['student_events_per_second'])} | | |")
        lines.append(f"| engine, inferences/s, conv1d teacher | "
                     f"{fmt(e['teacher_conv1d_events_per_second'])} | | |")
    if "pipeline" in b:
        p = b["pipeline"]
        lines.append(f"| pipeline `{p['config']}`, peak memory | {fmt(p['peak_rss_bytes'] / 1e6)} MB"
                     f" | {fmt(p['baseline_peak_rss_bytes'] / 1e6)} MB `hlslim validate` | "
                     f"{p['peak_over_baseline']:.1f}x |")
        lines.append(f"| pipeline `{p['config']}`, wall time | {minutes(p['wall_seconds'])} | | |")
        lines.append("")
        lines.append("| stage | seconds |")
        lines.append("|---|---|")
        for s in p["stages"]:
            lines.append(f"| {s['name']} ({s['type']}) | {s['seconds']:.1f} |")
    for name, error in results["failed"].items():
        lines.append("")
        lines.append(f"**{name} failed:** {error.splitlines()[0]}")
    return "\n".join(lines) + "\n"


def write_atomic(path, text):
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def update_docs(table):
    path = os.path.join(ROOT, "docs", "performance.md")
    text = read_text(path)
    begin, end = text.find(DOC_BEGIN), text.find(DOC_END)
    if begin == -1 or end == -1 or end < begin:
        raise BenchError(f"{path}: markers '{DOC_BEGIN}' and '{DOC_END}' not found")
    write_atomic(path, text[:begin + len(DOC_BEGIN)] + "\n" + table + text[end:])


BENCHMARKS = {"simulation": bench_simulation, "training": bench_train, "engine": bench_engine,
              "pipeline": bench_pipeline}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "results"),
                        help="directory for latest.json and latest.md (default bench/results)")
    parser.add_argument("--quick", action="store_true", help="small sizes, smoke pipeline")
    parser.add_argument("--only", choices=sorted(BENCHMARKS), action="append",
                        help="run only these benchmarks (repeatable)")
    parser.add_argument("--update-docs", action="store_true",
                        help="replace the table in docs/performance.md")
    args = parser.parse_args()
    build_dir = os.path.abspath(args.build_dir)
    if not os.path.exists(os.path.join(build_dir, "hlslim")):
        print(f"run_all: {build_dir}/hlslim not found: build first "
              f"(cmake -S . -B build -G Ninja && cmake --build build)", file=sys.stderr)
        return 2

    results = {"date": datetime.date.today().isoformat(), "quick": args.quick,
               "machine": machine(build_dir), "benchmarks": {}, "failed": {}}
    for name in args.only or BENCHMARKS:
        log(f"{name} ...")
        start = time.monotonic()
        try:
            results["benchmarks"][name] = BENCHMARKS[name](build_dir, args.quick)
        except (BenchError, OSError, KeyError, ValueError) as error:
            results["failed"][name] = str(error)
            log(f"{name} FAILED: {error}")
        log(f"{name} done in {time.monotonic() - start:.0f} s")

    os.makedirs(args.out, exist_ok=True)
    table = markdown(results)
    write_atomic(os.path.join(args.out, "latest.json"), json.dumps(results, indent=2) + "\n")
    write_atomic(os.path.join(args.out, "latest.md"), table)
    if args.update_docs:
        update_docs(table)
    print(table)
    return 1 if results["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
