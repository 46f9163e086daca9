#!/usr/bin/env python3
"""Writes a toy tabular signal-vs-background data set as NumPy .npy files.

Standard library only (no numpy): any Python 3.6 or later runs it. The data are deterministic
for a seed, byte for byte on every platform: the generator is random.Random (Mersenne Twister)
and the Gaussian-like draws are sums of 12 uniforms (Irwin-Hall), so no libm function that
could round differently between systems is involved.

Files written into --output (default: the directory of this script):
  features.npy  float32, shape (N, 12): one row per event, columns as in FEATURES
  labels.npy    float32, shape (N, 1): 1 for signal, 0 for background
  labels.json   {"columns": ["signal"], "n_events": N, "features": [...], ...}

The toy: a resonance decaying into two tracks (signal) against combinatorial background.
Signal events have harder, back-to-back, isolated tracks with an invariant mass near 3.1 GeV;
four features carry no information at all (nuisances), and several are correlated.
"""

import argparse
import json
import math
import os
import random
import struct

FEATURES = [
    "pt_lead",        # GeV, leading track transverse momentum
    "pt_sublead",     # GeV, correlated with pt_lead
    "eta_lead",       # pseudorapidity, no information (negative values: a signed input)
    "eta_sublead",    # correlated with eta_lead, no information
    "delta_phi",      # rad, back to back (near pi) for signal
    "mass",           # GeV, peak at 3.1 for signal
    "isolation",      # relative isolation, small for signal
    "d0_significance",  # impact parameter / error, wider for signal
    "n_tracks",       # tracks in a cone, an integer, fewer for signal
    "met",            # GeV, missing transverse energy, no information
    "pileup",         # reconstructed vertices, no information
    "timing",         # ns, detector timing, no information
]
LABEL = "signal"


def gauss(rng):
    """A standard Gaussian-like draw: mean 0, variance 1, range [-6, 6] (Irwin-Hall)."""
    return sum(rng.random() for _ in range(12)) - 6.0


def event(rng, signal):
    """The FEATURES of one event."""
    if signal:
        pt_lead = max(0.5, 9.0 + 2.5 * gauss(rng))
        delta_phi = math.pi - abs(0.5 * gauss(rng))
        mass = 3.1 + 0.25 * gauss(rng)
        isolation = abs(0.08 * gauss(rng))
        d0 = 1.6 * gauss(rng)
        n_tracks = float(int(rng.random() * 4))
    else:
        pt_lead = max(0.5, 6.5 + 2.5 * gauss(rng))
        delta_phi = rng.random() * math.pi
        mass = 1.5 + 3.5 * rng.random()
        isolation = abs(0.1 + 0.15 * gauss(rng))
        d0 = gauss(rng)
        n_tracks = float(1 + int(rng.random() * 6))
    pt_sublead = max(0.5, 0.6 * pt_lead + 1.5 * gauss(rng))
    eta_lead = 2.5 * (2.0 * rng.random() - 1.0)
    eta_sublead = eta_lead + 0.8 * gauss(rng)
    met = max(0.0, 12.0 + 6.0 * gauss(rng))
    pileup = float(int(20 + 40 * rng.random()))
    timing = 0.2 * gauss(rng)
    return [pt_lead, pt_sublead, eta_lead, eta_sublead, delta_phi, mass, isolation, d0,
            n_tracks, met, pileup, timing]


def write_npy(path, rows, columns):
    """Writes a float32 C-order array of shape (len(rows), columns), .npy format 1.0."""
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }" % (len(rows), columns)
    # Magic, version, header length, header padded with spaces and ended by a newline so that
    # the data start at a multiple of 64 bytes, as NumPy writes it.
    preamble = 10
    total = preamble + len(header) + 1
    header += " " * ((64 - total % 64) % 64) + "\n"
    tmp = path + ".tmp"
    with open(tmp, "wb") as out:
        out.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
        for row in rows:
            out.write(struct.pack("<%df" % columns, *row))
    os.replace(tmp, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=5000, help="events N (default 5000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--signal-fraction", type=float, default=0.5,
                        help="expected fraction of signal events (default 0.5)")
    parser.add_argument("--output", default=os.path.dirname(os.path.abspath(__file__)),
                        help="output directory (default: this script's directory)")
    args = parser.parse_args()
    if args.events < 1:
        parser.error("--events must be at least 1")
    rng = random.Random(args.seed)
    features, labels = [], []
    for _ in range(args.events):
        signal = rng.random() < args.signal_fraction
        features.append(event(rng, signal))
        labels.append([1.0 if signal else 0.0])
    os.makedirs(args.output, exist_ok=True)
    write_npy(os.path.join(args.output, "features.npy"), features, len(FEATURES))
    write_npy(os.path.join(args.output, "labels.npy"), labels, 1)
    info = {"columns": [LABEL], "n_events": args.events, "features": FEATURES,
            "generator": "examples/own_npy_dataset/make_data.py", "seed": args.seed,
            "signal_fraction": args.signal_fraction}
    with open(os.path.join(args.output, "labels.json"), "w") as out:
        json.dump(info, out, indent=2)
        out.write("\n")
    n_signal = sum(int(l[0]) for l in labels)
    print("wrote %d events (%d signal, %d background) x %d features to %s"
          % (args.events, n_signal, args.events - n_signal, len(FEATURES), args.output))


if __name__ == "__main__":
    main()
