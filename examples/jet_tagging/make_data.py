#!/usr/bin/env python3
"""Writes a toy five-class jet-tagging data set (g, q, W, Z, t) as NumPy .npy files.

Standard library only (no numpy): any Python 3.6 or later runs it. The data are deterministic
for a seed, byte for byte on every platform: the generator is random.Random (Mersenne Twister),
the Gaussian-like draws are sums of 12 uniforms (Irwin-Hall), and the only functions used
besides + - * / are abs, min, max and sqrt, which IEEE 754 rounds exactly; no libm function
that could round differently between systems is involved.

Files written into --output (default: the directory of this script):
  features.npy  float32, shape (N, 16): one row per jet, columns as in FEATURES, standardised
                (each column shifted and scaled to mean 0 and standard deviation 1 over the N
                jets; the shifts and scales are in labels.json)
  labels.npy    uint8, shape (N, 1): the class index, 0..4 in the order of CLASSES
  labels.json   {"columns": ["class"], "classes": ["g", "q", "W", "Z", "t"], "n_events": N,
                 "features": [...], "feature_mean": [...], "feature_std": [...], ...}

The toy is modelled loosely on the 16 high-level features of the hls4ml jet-tagging data set
(Duarte et al. 2018, JINST 13 P07027): boosted jets of about 1 TeV from gluons, light quarks, W
and Z bosons and top quarks, described by the groomed (mMDT) jet mass, the constituent
multiplicity, sum z log z, and energy-correlation-function ratios (C1, C2, D2, M2, N2 with
angular exponents beta = 0, 1, 2). It is not a simulation: each jet draws a few hidden
properties (its mass, how much it radiates, how two- or three-pronged it looks) from
class-dependent distributions, and every feature is a noisy function of them, so the features
are correlated and the classes overlap the way they do in the real data: quarks against gluons
and W against Z (masses 80 and 91 GeV, 7.5 GeV resolution) are hard, tops are easy.
"""

import argparse
import json
import math
import os
import random
import struct

CLASSES = ["g", "q", "W", "Z", "t"]
FEATURES = [
    "zlogz",          # sum over constituents of z log z (z: momentum fraction), < 0
    "c1_b0_mmdt",     # C1, beta 0: jet width in constituent counting
    "c1_b1_mmdt",     # C1, beta 1: grows with mass / pT
    "c1_b2_mmdt",     # C1, beta 2
    "c2_b1_mmdt",     # C2, beta 1: small for two-prong jets (W, Z)
    "c2_b2_mmdt",     # C2, beta 2
    "d2_b1_mmdt",     # D2, beta 1: small for two-prong jets
    "d2_b2_mmdt",     # D2, beta 2
    "d2_a1_b1_mmdt",  # D2 with alpha 1, beta 1
    "d2_a1_b2_mmdt",  # D2 with alpha 1, beta 2
    "m2_b1_mmdt",     # M2, beta 1: weakly discriminating
    "m2_b2_mmdt",     # M2, beta 2
    "n2_b1_mmdt",     # N2, beta 1: small for two-prong jets
    "n2_b2_mmdt",     # N2, beta 2
    "mass_mmdt",      # groomed jet mass, GeV
    "multiplicity",   # number of constituents, an integer
]
LABEL = "class"


def gauss(rng):
    """A standard Gaussian-like draw: mean 0, variance 1, range [-6, 6] (Irwin-Hall)."""
    return sum(rng.random() for _ in range(12)) - 6.0


def hidden(rng, cls):
    """The hidden properties of one jet of class `cls`: (mass in GeV, radiation, prongs).

    radiation: how much the jet radiates (more constituents, wider), about 0 for quarks and 1
    for gluons. prongs: 0 for a one-prong QCD-like core, 1 for a clean two-prong decay, 2 for
    three prongs; a boson or top whose decay products were groomed away looks QCD-like."""
    u = rng.random()
    if cls == "q":
        return 6.0 + 20.0 * abs(gauss(rng)), 0.0 + 0.45 * gauss(rng), 0.0 + 0.4 * gauss(rng)
    if cls == "g":
        return 9.0 + 28.0 * abs(gauss(rng)), 1.0 + 0.45 * gauss(rng), 0.1 + 0.4 * gauss(rng)
    if cls in ("W", "Z"):
        peak = 80.4 if cls == "W" else 91.2
        radiation = (0.3 if cls == "W" else 0.55) + 0.45 * gauss(rng)
        if u < 0.88:   # both quarks inside the groomed jet
            return peak + 7.5 * gauss(rng), radiation, 1.0 + 0.35 * gauss(rng)
        return 10.0 + 30.0 * abs(gauss(rng)), radiation, 0.3 + 0.5 * gauss(rng)
    # top: b W -> three prongs, or the W alone, or neither survives grooming
    radiation = 1.1 + 0.5 * gauss(rng)
    if u < 0.78:
        return 173.0 + 17.0 * gauss(rng), radiation, 2.0 + 0.45 * gauss(rng)
    if u < 0.92:
        return 80.4 + 12.0 * gauss(rng), radiation, 1.2 + 0.5 * gauss(rng)
    return 25.0 + 35.0 * abs(gauss(rng)), radiation, 0.6 + 0.5 * gauss(rng)


def jet(rng, cls):
    """The FEATURES of one jet of class `cls` (physical units, before standardisation)."""
    mass, radiation, prongs = hidden(rng, cls)
    mass = max(1.0, mass)
    x = mass / 1000.0  # mass over pT, jets of about 1 TeV
    # Constituents: more for radiating and for multi-prong jets.
    multiplicity = float(max(3, int(34.0 + 14.0 * radiation + 7.0 * prongs + 6.5 * gauss(rng))))
    zlogz = min(-0.3, -(1.1 + 0.045 * multiplicity + 0.35 * radiation) + 0.3 * gauss(rng))
    c1_b0 = max(0.02, 0.30 + 0.07 * radiation + 0.04 * prongs + 0.05 * gauss(rng))
    c1_b1 = max(0.002, 0.25 * c1_b0 * (0.4 + 6.0 * x) + 0.012 * gauss(rng))
    c1_b2 = max(0.0002, 0.5 * c1_b1 * (0.1 + 8.0 * x) + 0.004 * gauss(rng))
    # Two-prong-ness: C2, D2 and N2 are lowest for a clean two-prong jet (prongs near 1);
    # the quadratic term lets three-prong tops rise again.
    shape = (prongs - 1.0) * (prongs - 1.0)
    c2_b1 = max(0.01, 0.10 + 0.10 * shape + 0.03 * radiation + 0.035 * gauss(rng))
    c2_b2 = max(0.005, 0.7 * c2_b1 + 0.02 * gauss(rng))
    d2_b1 = max(0.1, 1.2 + 1.3 * shape + 0.35 * radiation + 0.45 * gauss(rng))
    d2_b2 = max(0.1, 0.9 * d2_b1 + 0.35 * gauss(rng))
    d2_a1_b1 = max(0.1, 1.0 + 0.8 * shape + 0.4 * prongs + 0.45 * gauss(rng))
    d2_a1_b2 = max(0.1, 0.8 * d2_a1_b1 + 0.35 * gauss(rng))
    m2_b1 = max(0.005, 0.09 + 0.012 * prongs + 0.01 * radiation + 0.025 * gauss(rng))
    m2_b2 = max(0.002, 0.6 * m2_b1 + 0.015 * gauss(rng))
    n2_b1 = max(0.02, 0.20 + 0.09 * shape + 0.025 * radiation + 0.04 * gauss(rng))
    n2_b2 = max(0.02, 0.8 * n2_b1 + 0.035 * gauss(rng))
    mass_mmdt = max(0.5, mass + 0.04 * mass * gauss(rng))
    return [zlogz, c1_b0, c1_b1, c1_b2, c2_b1, c2_b2, d2_b1, d2_b2, d2_a1_b1, d2_a1_b2,
            m2_b1, m2_b2, n2_b1, n2_b2, mass_mmdt, multiplicity]


def standardise(rows):
    """Shifts and scales every column to mean 0 and standard deviation 1 in place, like
    scikit-learn's StandardScaler in the hls4ml tutorial; returns the means and deviations."""
    n, columns = len(rows), len(rows[0])
    means, stds = [], []
    for c in range(columns):
        mean = sum(row[c] for row in rows) / n
        std = math.sqrt(sum((row[c] - mean) * (row[c] - mean) for row in rows) / n)
        std = std if std > 0 else 1.0
        for row in rows:
            row[c] = (row[c] - mean) / std
        means.append(mean)
        stds.append(std)
    return means, stds


def npy_header(descr, shape):
    """A .npy format 1.0 header for a C-order array, padded so that data start at 64 bytes."""
    header = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        descr, ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else ""))
    total = 10 + len(header) + 1
    header += " " * ((64 - total % 64) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1")


def write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as out:
        out.write(data)
    os.replace(tmp, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=15000, help="jets N (default 15000)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--output", default=os.path.dirname(os.path.abspath(__file__)),
                        help="output directory (default: this script's directory)")
    args = parser.parse_args()
    if args.events < 2:
        parser.error("--events must be at least 2")
    rng = random.Random(args.seed)
    features, labels = [], []
    for _ in range(args.events):
        label = int(rng.random() * len(CLASSES))
        features.append(jet(rng, CLASSES[label]))
        labels.append(label)
    means, stds = standardise(features)
    os.makedirs(args.output, exist_ok=True)
    data = bytearray(npy_header("<f4", (args.events, len(FEATURES))))
    for row in features:
        data += struct.pack("<%df" % len(FEATURES), *row)
    write_atomic(os.path.join(args.output, "features.npy"), bytes(data))
    write_atomic(os.path.join(args.output, "labels.npy"),
                 npy_header("|u1", (args.events, 1)) + bytes(labels))
    info = {"columns": [LABEL], "classes": CLASSES, "n_events": args.events,
            "features": FEATURES,
            "feature_mean": [float("%.6g" % m) for m in means],
            "feature_std": [float("%.6g" % s) for s in stds],
            "generator": "examples/jet_tagging/make_data.py", "seed": args.seed}
    write_atomic(os.path.join(args.output, "labels.json"),
                 (json.dumps(info, indent=2) + "\n").encode("utf-8"))
    counts = [labels.count(k) for k in range(len(CLASSES))]
    print("wrote %d jets (%s) x %d features to %s" % (
        args.events, ", ".join("%s %d" % (c, n) for c, n in zip(CLASSES, counts)),
        len(FEATURES), args.output))


if __name__ == "__main__":
    main()
