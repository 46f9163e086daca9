"""PyTorch-Python side of bench_train: trains the same model on the same data with the same
batch size and number of steps as hlslim did, and prints samples per second as JSON.

usage: bench_train.py MODEL.hlsm INPUTS.f32 TARGETS.f32 N BATCH STEPS THREADS"""
import json
import struct
import sys
import time

import torch
import torch.nn as nn


def read_header(path):
    blob = open(path, "rb").read()
    (header_len,) = struct.unpack("<Q", blob[12:20])
    return json.loads(blob[20 : 20 + header_len])


def build(header):
    """nn.Sequential equivalent to the hlslim graph (the layer types the benchmark uses)."""
    layers = []
    shape = list(header["input_shape"])
    for layer in header["layers"]:
        kind, p = layer["type"], layer["params"]
        if kind == "dense":
            layers.append(nn.Linear(shape[0], p["units"], bias=p["bias"]))
            shape = [p["units"]]
        elif kind == "conv2d":
            padding = "same" if p["padding"] == "same" else 0
            conv = nn.Conv2d(shape[0], p["filters"], p["kernel"], p["stride"], padding,
                             bias=p["bias"])
            layers.append(conv)
            with torch.no_grad():
                shape = list(conv(torch.zeros([1] + shape)).shape[1:])
        elif kind == "conv1d":
            padding = "same" if p["padding"] == "same" else 0
            conv = nn.Conv1d(shape[0], p["filters"], p["kernel"][0], p["stride"][0], padding,
                             bias=p["bias"])
            layers.append(conv)
            with torch.no_grad():
                shape = list(conv(torch.zeros([1] + shape)).shape[1:])
        elif kind == "reshape":
            layers.append(nn.Unflatten(1, p["shape"]) if len(shape) == 1 else
                          nn.Sequential(nn.Flatten(), nn.Unflatten(1, p["shape"])))
            shape = list(p["shape"])
        elif kind == "max_pool2d":
            layers.append(nn.MaxPool2d(p["pool"], p["pool"]))
            shape = [shape[0], shape[1] // p["pool"][0], shape[2] // p["pool"][1]]
        elif kind == "relu":
            layers.append(nn.ReLU())
        elif kind == "flatten":
            layers.append(nn.Flatten())
            n = 1
            for d in shape:
                n *= d
            shape = [n]
        else:
            raise SystemExit(f"bench_train.py does not know layer type {kind}")
    return nn.Sequential(*layers)


def main():
    model_path, inputs_path, targets_path, n, batch, steps, threads = sys.argv[1:8]
    n, batch, steps, threads = int(n), int(batch), int(steps), int(threads)
    torch.set_num_threads(threads)
    header = read_header(model_path)
    model = build(header)
    x = torch.frombuffer(bytearray(open(inputs_path, "rb").read()), dtype=torch.float32)
    x = x.reshape([n] + header["input_shape"])
    y = torch.frombuffer(bytearray(open(targets_path, "rb").read()), dtype=torch.float32)
    y = y.reshape(n, -1)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(1)
    order = torch.randperm(n, generator=generator)
    model.train()

    def step(i):
        start = (i * batch) % (n - batch + 1)
        index = order[start : start + batch]
        loss = (model(x[index]) - y[index]).abs().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    for i in range(min(20, steps)):  # warm-up, as on the C++ side
        step(i)
    begin = time.perf_counter()
    for i in range(steps):
        step(i)
    seconds = time.perf_counter() - begin
    print(json.dumps({"samples_per_second": steps * batch / seconds, "seconds": seconds}))


if __name__ == "__main__":
    main()
