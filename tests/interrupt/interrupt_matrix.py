#!/usr/bin/env python3
"""Interrupts a small pipeline at many points and checks that one --resume finishes it exactly.

usage: interrupt_matrix.py HLSLIM CONFIG

1. Runs CONFIG (tests/interrupt/matrix.yaml: every kind of stage) uninterrupted at --threads 1.
2. For each point of POINTS, runs it again, sends SIGTERM as soon as the point's log line
   appears (the signal lands in what follows: a stage, the first epoch before any epoch was the
   best, a distillation epoch before compression is final, an evaluation), expects exit 143
   (or 0 when the run ended before the signal arrived),
   resumes once, and expects exit 0 and every file to equal the uninterrupted run's byte for
   byte, except the files that record when and how long (run.log, manifest.json, config.yaml,
   timings.json, the report).
3. Kills runs with SIGKILL at moments drawn from a fixed seed; one --resume must again finish
   with exit 0, the same files and no temporary left behind.
"""

import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

# (label, text of a log line, which occurrence of it): SIGTERM is sent when it appears.
POINTS = [
    ("data stage", "stage 1 'data' (data) started", 1),
    ("reference stage", "stage 2 'reference' (reference) started", 1),
    ("teacher, first epoch", "training 'teacher'", 1),
    ("teacher, second epoch", "epoch 1/3:", 1),
    ("teacher, after its last epoch", "epoch 3/3:", 1),
    ("prune, first epoch", "stage 4 'prune' (prune) started", 1),
    ("prune, second epoch", "epoch 1/2:", 1),
    ("quantize, QAT epoch", "quantization-aware training of 'teacher'", 1),
    ("quantize, calibration", "epoch 1/1:", 1),
    ("distill, float epoch before compression", "training student 'student' (distilled)", 1),
    ("distill, first quantized epoch", "epoch 1/3:", 2),
    ("distill, baseline's first epoch", "training student 'student' (baseline)", 1),
    ("distill, baseline's last epoch", "epoch 2/3:", 3),
    ("export stage", "stage 7 'export' (export) started", 1),
]
KILLS = 4  # SIGKILL at random moments
TIMING_FILES = {"run.log", "manifest.json", "config.yaml", "run.lock", "timings.json"}


def run(hlslim, config, out, resume=False, until=None, kill_after=None):
    """Runs hlslim; returns (exit code, output, whether the trigger fired)."""
    command = [hlslim, "run", config, "--threads", "1", "--output", out]
    if resume:
        command.append("--resume")
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, bufsize=1)
    lines, fired, seen = [], False, 0
    if kill_after is not None:
        # The pipe holds far more than a run prints, so the process never waits on it.
        time.sleep(kill_after)
        process.kill()
        fired = True
        output = process.communicate()[0]
        return process.returncode, output, fired
    for line in process.stdout:
        lines.append(line)
        if until and not fired and until[0] in line:
            seen += 1
            if seen == until[1]:
                process.send_signal(signal.SIGTERM)
                fired = True
    process.wait()
    return process.returncode, "".join(lines), fired


def files_of(root):
    """Relative paths of every file under root, except those that record time."""
    out = set()
    for directory, _, names in os.walk(root):
        for name in names:
            relative = os.path.relpath(os.path.join(directory, name), root)
            if name in TIMING_FILES or relative.startswith("report" + os.sep):
                continue
            out.add(relative)
    return out


def differences(expected_root, actual_root):
    expected, actual = files_of(expected_root), files_of(actual_root)
    problems = [f"missing {p}" for p in sorted(expected - actual)]
    problems += [f"left behind {p}" for p in sorted(actual - expected)]
    for path in sorted(expected & actual):
        with open(os.path.join(expected_root, path), "rb") as a, \
                open(os.path.join(actual_root, path), "rb") as b:
            if a.read() != b.read():
                problems.append(f"differs {path}")
    return problems


def resume_and_compare(hlslim, config, reference, out, what, failures):
    """Resumes the run in `out` once; it must end with exit 0 and the reference's files."""
    code, output, _ = run(hlslim, config, out, resume=True)
    if code != 0:
        failures.append(f"{what}: --resume exited {code}\n{output}")
        return
    problems = differences(reference, out)
    status = "ok" if not problems else "; ".join(problems)
    print(f"{what}: resumed, {status}")
    if problems:
        failures.append(f"{what}: {status}")


def main():
    hlslim, config = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="hlslim_interrupt_")
    failures = []
    try:
        reference = os.path.join(work, "reference")
        began = time.monotonic()
        code, output, _ = run(hlslim, config, reference)
        duration = time.monotonic() - began
        if code != 0:
            print(output)
            print(f"FAIL: the uninterrupted run exited {code}")
            return 1
        print(f"uninterrupted run: {duration:.1f} s, {len(files_of(reference))} files compared")

        for index, (label, text, occurrence) in enumerate(POINTS):
            out = os.path.join(work, f"term-{index:02d}")
            code, output, fired = run(hlslim, config, out, until=(text, occurrence))
            if not fired:
                failures.append(f"SIGTERM at {label}: the line '{text}' (#{occurrence}) never came")
                continue
            if code == 0:
                # The signal came after the run's last check for one (the export is short):
                # nothing to resume, but the files must still be the same.
                print(f"SIGTERM at {label}: the run had finished")
            elif code != 128 + signal.SIGTERM:
                failures.append(f"SIGTERM at {label}: exit {code}, expected 143\n{output}")
                continue
            resume_and_compare(hlslim, config, reference, out, f"SIGTERM at {label}", failures)

        rng = random.Random(15)
        for index in range(KILLS):
            out = os.path.join(work, f"kill-{index}")
            moment = rng.uniform(0.05, 0.95) * duration
            code, _, _ = run(hlslim, config, out, kill_after=moment)
            if code == 0:
                print(f"SIGKILL at {moment:.2f} s: the run had already finished")
            resume_and_compare(hlslim, config, reference, out, f"SIGKILL at {moment:.2f} s",
                               failures)
    finally:
        if not failures:
            shutil.rmtree(work, ignore_errors=True)
    for failure in failures:
        print("FAIL:", failure)
    if failures:
        print(f"run directories kept in {work}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
