#!/usr/bin/python3
"""Trains a small MLP and a small CNN with PyTorch and writes them as ONNX and QONNX files.

Everything hlslim reads in this example comes from this script; no file is written by hand:

  images.npy          float32 (N, 8, 8): toy calorimeter patches (energies in units of 10 GeV)
  labels.npy          uint8 (N, 1): the class index, 0..2 in the order of CLASSES
  labels.json         {"columns": ["class"], "classes": ["photon", "pi0", "hadron"], ...}
  mlp.onnx            the MLP (Flatten, Linear + ReLU x 2, Linear, Softmax), float, as
                      torch.onnx.export writes it
  cnn.onnx            the CNN (2 x [Conv2d, BatchNorm2d, ReLU, MaxPool2d], Flatten, Linear)
  mlp_qonnx.onnx      the MLP after quantization-aware fine-tuning in PyTorch, as QONNX: Quant
                      nodes (power-of-two scales, zero point 0, round half to even) on the
                      input, on every weight and bias, and on every layer's output
  mlp_torch.npy       float32 (N, 3): PyTorch's outputs of mlp.onnx's model on every image
  cnn_torch.npy       float32 (N, 3): PyTorch's outputs of cnn.onnx's model on every image
  mlp_qonnx_ref.npy   float32 (N, 3): mlp_qonnx.onnx's outputs on every image, computed from
                      the Quant nodes' definition in float64 (exact: every value is a
                      fixed-point number and every sum fits in 53 bits) and stored exactly (the
                      outputs are 12-bit values)

The toy: an 8 x 8 patch of calorimeter cells around a shower. A photon makes one narrow shower;
a neutral pion decays into two photons whose showers overlap (their distance shrinks as the
pion's energy grows); a hadron makes a broad, irregular shower with large fluctuations. Cells
below a zero-suppression threshold read 0.

Run with the system Python of Debian 12 (python3-torch 1.13, python3-onnx 1.12, numpy):
    /usr/bin/python3 make_models.py [--events N] [--epochs E] [--seed S] [--output DIR]
It is deterministic for a seed on one machine (one thread, deterministic algorithms).
"""

import argparse
import copy
import json
import os
from collections import OrderedDict

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

CLASSES = ["photon", "pi0", "hadron"]
SIDE = 8  # cells per side of a patch


# --- the toy data ------------------------------------------------------------------------------

def shower(centre_x, centre_y, energy, radius, grid):
    """Energies of one shower of `energy` deposited in the cells: an exponential lateral profile
    exp(-r / radius) sampled at the cell centres and normalised to the energy."""
    gx, gy = grid
    r = np.sqrt((gx - centre_x) ** 2 + (gy - centre_y) ** 2)
    profile = np.exp(-r / radius)
    return energy * profile / profile.sum()


def make_images(n, rng):
    """n patches and their class indices."""
    grid = np.meshgrid(np.arange(SIDE) + 0.5, np.arange(SIDE) + 0.5, indexing="ij")
    images = np.zeros((n, SIDE, SIDE))
    labels = rng.integers(0, len(CLASSES), size=n)
    for i, label in enumerate(labels):
        energy = rng.uniform(2.0, 10.0)  # 20 to 100 GeV
        cx, cy = SIDE / 2 + rng.uniform(-0.5, 0.5, size=2)
        if label == 0:  # photon
            image = shower(cx, cy, energy, 0.45, grid)
        elif label == 1:  # pi0 -> two photons, opening distance ~ 1 / energy
            share = rng.uniform(0.2, 0.8)
            distance = min(3.0, rng.uniform(3.0, 8.0) / energy)
            angle = rng.uniform(0.0, np.pi)
            dx, dy = 0.5 * distance * np.cos(angle), 0.5 * distance * np.sin(angle)
            image = (shower(cx - dx, cy - dy, energy * share, 0.45, grid) +
                     shower(cx + dx, cy + dy, energy * (1.0 - share), 0.45, grid))
        else:  # hadron: a broad core, a few sub-clusters, cell-by-cell fluctuations
            image = shower(cx, cy, 0.6 * energy, 1.2, grid)
            for _ in range(rng.integers(1, 4)):
                sx, sy = cx + rng.normal(0.0, 1.5), cy + rng.normal(0.0, 1.5)
                image += shower(sx, sy, 0.4 * energy / 3.0, 0.5, grid)
            image *= rng.gamma(4.0, 0.25, size=image.shape)
        image += rng.normal(0.0, 0.02, size=image.shape)  # electronics noise, 0.2 GeV
        image[image < 0.05] = 0.0                          # zero suppression at 0.5 GeV
        images[i] = image
    return images.astype(np.float32), labels.astype(np.uint8)


def write_data(output, images, labels, seed):
    np.save(os.path.join(output, "images.npy"), images)
    np.save(os.path.join(output, "labels.npy"), labels.reshape(-1, 1))
    info = {"columns": ["class"], "classes": CLASSES, "n_events": int(len(labels)),
            "image": "8 x 8 calorimeter cells, energies in units of 10 GeV",
            "generator": "examples/import_pytorch/make_models.py", "seed": seed}
    with open(os.path.join(output, "labels.json"), "w") as out:
        json.dump(info, out, indent=2)
        out.write("\n")


# --- the models --------------------------------------------------------------------------------

def mlp():
    """64-32-16-3 with a trailing softmax: the model outputs class probabilities. The module
    names become the ONNX node names ("/fc1/Gemm"), from which hlslim names the layers."""
    return torch.nn.Sequential(OrderedDict([
        ("flatten", torch.nn.Flatten()),
        ("fc1", torch.nn.Linear(SIDE * SIDE, 32)), ("relu1", torch.nn.ReLU()),
        ("fc2", torch.nn.Linear(32, 16)), ("relu2", torch.nn.ReLU()),
        ("out", torch.nn.Linear(16, len(CLASSES))),
        ("softmax", torch.nn.Softmax(dim=1))]))


def cnn():
    """Two convolution blocks with batch norm and max pooling, then one dense layer: logits."""
    return torch.nn.Sequential(OrderedDict([
        ("conv1", torch.nn.Conv2d(1, 4, 3, padding=1)), ("bn1", torch.nn.BatchNorm2d(4)),
        ("relu1", torch.nn.ReLU()), ("pool1", torch.nn.MaxPool2d(2)),    # 4 x 4 x 4
        ("conv2", torch.nn.Conv2d(4, 8, 3, padding=1)), ("bn2", torch.nn.BatchNorm2d(8)),
        ("relu2", torch.nn.ReLU()), ("pool2", torch.nn.MaxPool2d(2)),    # 8 x 2 x 2
        ("flatten", torch.nn.Flatten()),
        ("out", torch.nn.Linear(32, len(CLASSES)))]))


def logits_of(model, x):
    """The model's logits: a trailing softmax is left out for the loss."""
    if isinstance(model[-1], torch.nn.Softmax):
        return model[:-1](x)
    return model(x)


def train(model, x, y, epochs, learning_rate, transform=None):
    """Adam on softmax cross-entropy, batches of 64, in the order a seeded generator draws."""
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    generator = torch.Generator().manual_seed(0)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(x), 64):
            batch = order[start:start + 64]
            optimizer.zero_grad()
            inputs = x[batch]
            out = transform(inputs) if transform else logits_of(model, inputs)
            loss = torch.nn.functional.cross_entropy(out, y[batch])
            loss.backward()
            optimizer.step()
    model.eval()


def accuracy(scores, y):
    return float((scores.argmax(1) == y).float().mean())


def export_onnx(model, path):
    """torch.onnx.export with a batch dimension of any size. TrainingMode.PRESERVE keeps the
    batch norms as BatchNormalization nodes (the model is in eval mode, so they use their
    running statistics); the default, EVAL, would fold them into the convolutions first."""
    dummy = torch.zeros(1, 1, SIDE, SIDE)
    torch.onnx.export(model, dummy, path, input_names=["images"], output_names=["scores"],
                      dynamic_axes={"images": {0: "batch"}, "scores": {0: "batch"}},
                      opset_version=13, training=torch.onnx.TrainingMode.PRESERVE,
                      do_constant_folding=False)


# --- QONNX: fixed-point types as Quant nodes ---------------------------------------------------

class FixedType:
    """A Quant node's type: `bits` wide, signed or not, `fraction` bits after the point (scale
    2^-fraction, zero point 0, round half to even, saturating, not narrow): hls4ml's
    ap_fixed<bits, bits - fraction, AP_RND_CONV, AP_SAT> (ap_ufixed when unsigned)."""

    def __init__(self, bits, signed, fraction):
        self.bits, self.signed, self.fraction = bits, signed, fraction

    @staticmethod
    def fitting(bits, signed, largest):
        """The type of `bits` with the most fraction bits whose range holds `largest`."""
        integer = 0  # integer bits, without the sign
        while 2.0 ** integer < largest:
            integer += 1
        while integer > -8 and 2.0 ** (integer - 1) >= largest:
            integer -= 1
        return FixedType(bits, signed, bits - (1 if signed else 0) - integer)

    def limits(self):
        if self.signed:
            return -(2 ** (self.bits - 1)), 2 ** (self.bits - 1) - 1
        return 0, 2 ** self.bits - 1

    def quantize_np(self, x):
        low, high = self.limits()
        scale = 2.0 ** -self.fraction
        return np.clip(np.round(np.asarray(x, dtype=np.float64) / scale), low, high) * scale

    def quantize_torch(self, x):
        """Fake quantization with a straight-through gradient."""
        low, high = self.limits()
        scale = 2.0 ** -self.fraction
        q = torch.clamp(torch.round(x / scale), low, high) * scale
        return x + (q - x).detach()

    def __repr__(self):
        kind = "fixed" if self.signed else "ufixed"
        return "%s<%d,%d>" % (kind, self.bits, self.bits - self.fraction)


def quantized_mlp_types(model, x):
    """Types of the QONNX MLP: 12-bit unsigned input, 6-bit weights, 8-bit biases, 16-bit
    hidden dense outputs, 8-bit unsigned ReLU outputs, 12-bit logits; integer bits from the
    ranges the float model shows on `x` (values) and from the parameters themselves."""
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    types = {"input": FixedType.fitting(12, False, float(x.max()))}
    with torch.no_grad():
        h = torch.flatten(x, 1)
        for i, layer in enumerate(linears):
            types["w%d" % i] = FixedType.fitting(6, True, float(layer.weight.abs().max()))
            types["b%d" % i] = FixedType.fitting(8, True, float(layer.bias.abs().max()))
            h = layer(h)
            if i + 1 < len(linears):
                types["d%d" % i] = FixedType.fitting(16, True, 1.1 * float(h.abs().max()))
                h = torch.relu(h)
                types["a%d" % i] = FixedType.fitting(8, False, 1.1 * float(h.max()))
            else:
                types["out"] = FixedType.fitting(12, True, 1.1 * float(h.abs().max()))
    return types


def quantized_forward(model, types, x):
    """The QONNX MLP's computation in PyTorch with fake quantization (for the fine-tuning)."""
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    h = torch.flatten(types["input"].quantize_torch(x), 1)
    for i, layer in enumerate(linears):
        w = types["w%d" % i].quantize_torch(layer.weight)
        b = types["b%d" % i].quantize_torch(layer.bias)
        h = h @ w.t() + b
        if i + 1 < len(linears):
            h = types["d%d" % i].quantize_torch(h)
            h = types["a%d" % i].quantize_torch(torch.relu(h))
        else:
            h = types["out"].quantize_torch(h)
    return h


def quantized_reference(model, types, images):
    """mlp_qonnx.onnx's outputs, from the Quant nodes' definition in float64."""
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    h = types["input"].quantize_np(images).reshape(len(images), -1)
    for i, layer in enumerate(linears):
        w = types["w%d" % i].quantize_np(layer.weight.detach().numpy())
        b = types["b%d" % i].quantize_np(layer.bias.detach().numpy())
        h = h @ w.T + b
        if i + 1 < len(linears):
            h = types["d%d" % i].quantize_np(h)
            h = types["a%d" % i].quantize_np(np.maximum(h, 0.0))
        else:
            h = types["out"].quantize_np(h)
    return h


def export_qonnx(model, types, path):
    """Writes the quantized MLP as QONNX: Quant -> Flatten -> [MatMul, Add, Quant, Relu, Quant]
    x 2 -> MatMul, Add, Quant, the dense layers named fc1, fc2 and out. Weights are stored in float as
    trained; their Quant nodes round them."""
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    nodes, inits = [], []

    def constant(name, array, dtype=np.float32):
        inits.append(numpy_helper.from_array(np.asarray(array, dtype=dtype), name))
        return name

    def quant(source, target, t):
        s = constant(target + "_scale", 2.0 ** -t.fraction)
        z = constant(target + "_zeropt", 0.0)
        b = constant(target + "_bitwidth", float(t.bits))
        nodes.append(helper.make_node(
            "Quant", [source, s, z, b], [target], name=target + "_quant",
            domain="qonnx.custom_op.general", signed=int(t.signed), narrow=0,
            rounding_mode="ROUND"))
        return target

    h = quant("images", "images_q", types["input"])
    nodes.append(helper.make_node("Flatten", [h], ["flat"], name="flatten", axis=1))
    h = "flat"
    names = ["fc1", "fc2", "out"]
    for i, layer in enumerate(linears):
        name = names[i]
        w = quant(constant(name + "_w", layer.weight.detach().numpy().T), name + "_wq",
                  types["w%d" % i])
        b = quant(constant(name + "_b", layer.bias.detach().numpy()), name + "_bq",
                  types["b%d" % i])
        nodes.append(helper.make_node("MatMul", [h, w], [name + "_mm"], name=name))
        nodes.append(helper.make_node("Add", [name + "_mm", b], [name + "_sum"],
                                      name=name + "_bias"))
        if i + 1 < len(linears):
            quant(name + "_sum", name + "_out", types["d%d" % i])
            nodes.append(helper.make_node("Relu", [name + "_out"], ["relu%d" % (i + 1)],
                                          name="relu%d" % (i + 1)))
            h = quant("relu%d" % (i + 1), "act%d" % (i + 1), types["a%d" % i])
        else:
            quant(name + "_sum", "logits", types["out"])
    graph = helper.make_graph(
        nodes, "mlp_qonnx",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["batch", 1, SIDE, SIDE])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", len(CLASSES)])],
        inits)
    qmodel = helper.make_model(graph, producer_name="examples/import_pytorch/make_models.py",
                               opset_imports=[helper.make_opsetid("", 13),
                                              helper.make_opsetid("qonnx.custom_op.general", 1)])
    onnx.checker.check_model(qmodel)
    onnx.save(qmodel, path)


# --- main --------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=2500, help="patches N (default 2500)")
    parser.add_argument("--epochs", type=int, default=30, help="training epochs (default 30)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--output", default=os.path.dirname(os.path.abspath(__file__)),
                        help="output directory (default: this script's directory)")
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(args.output, exist_ok=True)

    images, labels = make_images(args.events, np.random.default_rng(args.seed))
    write_data(args.output, images, labels, args.seed)
    x = torch.from_numpy(images).unsqueeze(1)  # N x 1 x 8 x 8, channels first
    y = torch.from_numpy(labels.astype(np.int64))
    n_train = int(0.7 * len(x))  # PyTorch trains on the first 70 %, reports on the rest

    trained = {}
    for name, model in [("mlp", mlp()), ("cnn", cnn())]:
        train(model, x[:n_train], y[:n_train], args.epochs, 0.003)
        path = os.path.join(args.output, name + ".onnx")
        export_onnx(model, path)
        with torch.no_grad():
            scores = model(x)
        np.save(os.path.join(args.output, name + "_torch.npy"), scores.numpy())
        trained[name] = model
        print("%s: held-out accuracy %.3f, wrote %s"
              % (name, accuracy(scores[n_train:], y[n_train:]), path))

    # Quantization-aware fine-tuning of a copy of the trained MLP, then QONNX.
    qmlp = copy.deepcopy(trained["mlp"])
    types = quantized_mlp_types(qmlp, x[:n_train])
    train(qmlp, x[:n_train], y[:n_train], max(1, args.epochs // 3), 0.0005,
          transform=lambda inputs: quantized_forward(qmlp, types, inputs))
    path = os.path.join(args.output, "mlp_qonnx.onnx")
    export_qonnx(qmlp, types, path)
    reference = quantized_reference(qmlp, types, images[:, None, :, :])
    np.save(os.path.join(args.output, "mlp_qonnx_ref.npy"), reference.astype(np.float32))
    held_out = float((reference[n_train:].argmax(1) == labels[n_train:]).mean())
    print("mlp_qonnx: held-out accuracy %.3f, types %s, wrote %s"
          % (held_out, types, path))


if __name__ == "__main__":
    main()
