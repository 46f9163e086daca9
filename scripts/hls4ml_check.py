#!/usr/bin/env python3
"""Checks an hlslim export against hls4ml's own C simulation.

Usage: scripts/hls4ml_check.py EXPORT_DIR [--io-type io_parallel|io_stream]
                               [--strategy Latency|Resource] [--output DIR]

EXPORT_DIR is an export stage's directory (it holds hls4ml_config.yml, the QONNX file and
tb_data/). The script converts the QONNX model with hls4ml exactly as the configuration says
(optionally with another IOType or Strategy), compiles hls4ml's C simulation, runs it on the
test inputs read as float32 and again as float64, and compares the outputs with the fixed-point
engine's outputs in the test vectors, event by event. It also lists every type in the generated
firmware that came from an hls4ml default (the model default, or a lookup table left at
hls4ml's fixed<18,8>). Outputs are compared as float32, the precision of the test vectors.
Exit status: 0 when every event is equal in both readings, 1 otherwise, 2 on a usage error.

Needs hls4ml (with its ONNX extras: onnx, qonnx) and a C++ compiler; not Vitis HLS.
"""

import argparse
import os
import re
import sys
import tempfile


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('export_dir')
    parser.add_argument('--io-type', choices=['io_parallel', 'io_stream'])
    parser.add_argument('--strategy', choices=['Latency', 'Resource'])
    parser.add_argument('--output', help='hls4ml project directory (default: a new temporary one)')
    args = parser.parse_args()

    config_path = os.path.join(args.export_dir, 'hls4ml_config.yml')
    if not os.path.isfile(config_path):
        print(f'error: {config_path} not found: pass an export stage directory', file=sys.stderr)
        return 2

    import numpy as np
    import yaml
    import hls4ml

    output = os.path.abspath(args.output or tempfile.mkdtemp(prefix='hls4ml_check_'))
    print(f'hls4ml project: {output}')
    os.chdir(args.export_dir)  # the configuration's paths are relative to it
    with open('hls4ml_config.yml') as f:
        config = yaml.safe_load(f)
    config['OutputDir'] = output
    if args.io_type:
        config['IOType'] = args.io_type
    if args.strategy:
        config['HLSConfig']['Model']['Strategy'] = args.strategy

    model = hls4ml.converters.convert_from_config(config)
    model.compile()

    expected = np.loadtxt(config['OutputPredictions'], dtype=np.float32, ndmin=2)
    events = expected.shape[0]
    failed = False
    for dtype in (np.float32, np.float64):
        inputs = np.loadtxt(config['InputData'], dtype=dtype, ndmin=2)
        got = np.asarray(model.predict(np.ascontiguousarray(inputs)))
        got = got.reshape(expected.shape).astype(np.float32)
        equal = int(np.sum(np.all(got == expected, axis=1)))
        worst = float(np.max(np.abs(got.astype(np.float64) - expected)))
        print(f'{np.dtype(dtype).name} inputs: {equal} of {events} events equal, '
              f'largest difference {worst:g}')
        failed = failed or equal != events

    defaults = []
    with open(os.path.join(output, 'firmware', 'defines.h')) as f:
        for line in f:
            if 'model_default_t' in line or re.search(r'ap_fixed<18,8> \w*table_t;', line):
                defaults.append(line.strip())
    print(f'types from hls4ml defaults: {len(defaults)}')
    for line in defaults:
        print('  ' + line)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
