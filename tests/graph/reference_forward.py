"""Independent reference for hlslim's model graph: parses an hlslim model file on its own and
runs it with PyTorch's functional API.

usage: reference_forward.py MODEL.hlsm INPUT.f32 BATCH OUTPUT.f32
INPUT and OUTPUT are raw little-endian float32 arrays (batch first)."""
import hashlib
import json
import struct
import sys

import torch
import torch.nn.functional as F


def load_model(path):
    blob = open(path, "rb").read()
    if blob[:8] != b"HLSLIMM\n":
        raise SystemExit("bad magic")
    (version,) = struct.unpack("<I", blob[8:12])
    (header_len,) = struct.unpack("<Q", blob[12:20])
    if version != 1:
        raise SystemExit(f"unexpected version {version}")
    if hashlib.sha256(blob[:-64]).hexdigest().encode() != blob[-64:]:
        raise SystemExit("checksum mismatch")
    header = json.loads(blob[20 : 20 + header_len])
    data = blob[20 + header_len : -64]
    for layer in header["layers"]:
        tensors = {}
        for t in layer["tensors"]:
            start = t["offset"]
            raw = data[start : start + 4 * t["count"]]
            values = torch.tensor(struct.unpack(f"<{t['count']}f", raw), dtype=torch.float32)
            tensors[t["name"]] = values.reshape(t["shape"])
        layer["values"] = tensors
    return header


def forward(header, x):
    for layer in header["layers"]:
        kind, p, t = layer["type"], layer["params"], layer["values"]
        weight = t.get("weight")
        if weight is not None and "weight_mask" in t:
            weight = weight * t["weight_mask"]
        if kind == "dense":
            x = F.linear(x, weight, t.get("bias"))
        elif kind in ("conv1d", "conv2d"):
            conv = F.conv1d if kind == "conv1d" else F.conv2d
            padding = "same" if p["padding"] == "same" else 0
            x = conv(x, weight, t.get("bias"), stride=p["stride"], padding=padding)
        elif kind == "max_pool1d":
            x = F.max_pool1d(x, p["pool"], p["pool"])
        elif kind == "max_pool2d":
            x = F.max_pool2d(x, p["pool"], p["pool"])
        elif kind == "avg_pool1d":
            x = F.avg_pool1d(x, p["pool"], p["pool"])
        elif kind == "avg_pool2d":
            x = F.avg_pool2d(x, p["pool"], p["pool"])
        elif kind == "global_max_pool":
            x = x.flatten(2).amax(2)
        elif kind == "global_avg_pool":
            x = x.flatten(2).mean(2)
        elif kind == "flatten":
            x = x.flatten(1)
        elif kind == "reshape":
            x = x.reshape([x.shape[0]] + p["shape"])
        elif kind == "batch_norm":
            x = F.batch_norm(x, t["running_mean"], t["running_var"], t["weight"], t["bias"],
                             training=False, eps=p["eps"])
        elif kind == "dropout":
            pass
        elif kind == "relu":
            x = F.relu(x)
        elif kind == "leaky_relu":
            x = F.leaky_relu(x, p["alpha"])
        elif kind == "tanh":
            x = torch.tanh(x)
        elif kind == "sigmoid":
            x = torch.sigmoid(x)
        elif kind == "softmax":
            x = F.softmax(x, 1)
        else:
            raise SystemExit(f"unknown layer type {kind}")
    return x


def main():
    model_path, input_path, batch, output_path = sys.argv[1:5]
    header = load_model(model_path)
    raw = open(input_path, "rb").read()
    x = torch.tensor(struct.unpack(f"<{len(raw) // 4}f", raw), dtype=torch.float32)
    x = x.reshape([int(batch)] + header["input_shape"])
    with torch.no_grad():
        y = forward(header, x).contiguous().flatten().tolist()
    open(output_path, "wb").write(struct.pack(f"<{len(y)}f", *y))


if __name__ == "__main__":
    main()
