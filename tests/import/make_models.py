#!/usr/bin/env python3
"""Writes the ONNX and QONNX files the import tests read, with inputs and reference outputs.

Usage: make_models.py OUTPUT_DIR

For each model NAME it writes NAME.onnx, NAME.x.npy (the inputs, float32, in hlslim's layout:
channels first, without the file's batch dimension but with a leading event axis) and
NAME.y.npy (what PyTorch computes for them). Models written by torch.onnx.export come from
PyTorch modules; the others (channels-last patterns as tf2onnx writes them, Gemm with
transB=0, MatMul + Add, QONNX Quant nodes, unsupported nodes) are built with onnx.helper and
their reference outputs computed with torch.nn.functional on the same weights.
"""

import os
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

N = 1000
OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
torch.manual_seed(7)
rng = np.random.default_rng(7)


def save(name, x_hlslim, y):
    np.save(os.path.join(OUT, name + ".x.npy"), np.ascontiguousarray(x_hlslim, dtype=np.float32))
    np.save(os.path.join(OUT, name + ".y.npy"), np.ascontiguousarray(y, dtype=np.float32))


def randomize_batch_norm(module):
    for m in module.modules():
        if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
            with torch.no_grad():
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)


def export_torch(name, module, shape, opset, preserve=False):
    module.eval()
    randomize_batch_norm(module)
    x = torch.randn(N, *shape)
    with torch.no_grad():
        y = module(x)
    torch.onnx.export(module, torch.randn(1, *shape), os.path.join(OUT, name + ".onnx"),
                      input_names=["x"], output_names=["y"], opset_version=opset,
                      # PRESERVE keeps BatchNormalization nodes (in eval mode) instead of
                      # folding them into the convolution before them.
                      training=torch.onnx.TrainingMode.PRESERVE if preserve else
                      torch.onnx.TrainingMode.EVAL,
                      dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})
    save(name, x.numpy(), y.numpy())


# An MLP ending in softmax, flat input [N, 16].
export_torch("mlp_softmax", torch.nn.Sequential(
    torch.nn.Linear(16, 12), torch.nn.ReLU(), torch.nn.Linear(12, 8), torch.nn.Tanh(),
    torch.nn.Linear(8, 5), torch.nn.Softmax(dim=-1)), (16,), 13)

# 1-D convolutions with batch norm and pools, [N, 2, 32].
export_torch("conv1d", torch.nn.Sequential(
    torch.nn.Conv1d(2, 4, 3, padding=1), torch.nn.BatchNorm1d(4), torch.nn.ReLU(),
    torch.nn.MaxPool1d(2), torch.nn.Conv1d(4, 3, 3), torch.nn.Sigmoid(), torch.nn.AvgPool1d(2),
    torch.nn.Dropout(0.2), torch.nn.Flatten(), torch.nn.Linear(21, 4)), (2, 32), 11, True)

# 2-D convolutions with batch norm, pools and a global average pool, [N, 1, 8, 8].
export_torch("conv2d", torch.nn.Sequential(
    torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.BatchNorm2d(4), torch.nn.LeakyReLU(0.1),
    torch.nn.MaxPool2d(2), torch.nn.Conv2d(4, 6, 2, stride=1), torch.nn.ReLU(),
    torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(), torch.nn.Linear(6, 3)), (1, 8, 8), 17, True)

# An average pool, then a flatten into batch norm of features, [N, 3, 6, 6].
export_torch("conv2d_pool_bn", torch.nn.Sequential(
    torch.nn.Conv2d(3, 5, 3), torch.nn.ReLU(), torch.nn.AvgPool2d(2),
    torch.nn.Flatten(), torch.nn.BatchNorm1d(20), torch.nn.Linear(20, 2)), (3, 6, 6), 15)

# A global max pool, [N, 2, 5, 5].
export_torch("global_max", torch.nn.Sequential(
    torch.nn.Conv2d(2, 3, 2), torch.nn.AdaptiveMaxPool2d(1), torch.nn.Flatten(),
    torch.nn.Linear(3, 2)), (2, 5, 5), 12)


def tensor(name, array):
    # float_data rather than raw bytes: the importer reads both (torch writes raw bytes), and
    # the QONNX evaluator of tests/export_onnx reads float_data.
    array = np.asarray(array, dtype=np.float32)
    return helper.make_tensor(name, TensorProto.FLOAT, array.shape, array.flatten().tolist())


def write_graph(name, nodes, inputs_shape, output_shape, initializers, opset=13, domains=(),
                batch="N"):
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch] + list(inputs_shape))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch] + list(output_shape))],
        initializers)
    opsets = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, 1) for d in domains]
    model = helper.make_model(graph, opset_imports=opsets, producer_name="tests/import")
    onnx.save(model, os.path.join(OUT, name + ".onnx"))


def weights(*shape):
    return rng.uniform(-1, 1, size=shape).astype(np.float32)


class ViewFlatten(torch.nn.Module):
    """x.view(x.size(0), -1): torch writes Shape, Gather, Unsqueeze, Concat and Reshape."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(2, 3, 3, padding=1)
        self.fc = torch.nn.Linear(3 * 4 * 4, 2)

    def forward(self, x):
        x = torch.relu(self.conv(x))
        return self.fc(x.view(x.size(0), -1))


export_torch("view_flatten", ViewFlatten(), (2, 4, 4), 13)


# Gemm with transB=0, alpha and beta, then MatMul + Add: [N, 10] -> 6 -> 4.
w1, b1, w2, b2 = weights(10, 6), weights(6), weights(6, 4), weights(4)
write_graph("gemm_matmul", [
    helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], name="fc1", transB=0, alpha=0.5, beta=2.0),
    helper.make_node("Relu", ["h"], ["r"], name="act1"),
    helper.make_node("MatMul", ["r", "w2"], ["m"], name="fc2"),
    helper.make_node("Add", ["m", "b2"], ["y"], name="fc2_bias"),
], [10], [4], [tensor("w1", w1), tensor("b1", b1), tensor("w2", w2), tensor("b2", b2)])
# The same with other weights, for the fingerprint test.
write_graph("gemm_matmul_v2", [
    helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], name="fc1", transB=0, alpha=0.5, beta=2.0),
    helper.make_node("Relu", ["h"], ["r"], name="act1"),
    helper.make_node("MatMul", ["r", "w2"], ["m"], name="fc2"),
    helper.make_node("Add", ["m", "b2"], ["y"], name="fc2_bias"),
], [10], [4], [tensor("w1", 2 * w1), tensor("b1", b1), tensor("w2", w2), tensor("b2", b2)])
x = rng.normal(size=(N, 10)).astype(np.float32)
h = torch.relu(0.5 * torch.from_numpy(x) @ torch.from_numpy(w1) + 2.0 * torch.from_numpy(b1))
save("gemm_matmul", x, (h @ torch.from_numpy(w2) + torch.from_numpy(b2)).numpy())

# Channels last, as tf2onnx writes a Keras model: input [N, 8, 8, 2] (NHWC), Transpose to NCHW
# for the Conv, Transpose back, Reshape to flat and MatMul + Add.
wc, bc = weights(4, 2, 3, 3), weights(4)
wd, bd = weights(6 * 6 * 4, 5), weights(5)
write_graph("channels_last", [
    helper.make_node("Transpose", ["x"], ["x_nchw"], name="to_nchw", perm=[0, 3, 1, 2]),
    helper.make_node("Conv", ["x_nchw", "wc", "bc"], ["c"], name="conv", kernel_shape=[3, 3],
                     pads=[0, 0, 0, 0], strides=[1, 1]),
    helper.make_node("Relu", ["c"], ["r"], name="relu"),
    helper.make_node("Transpose", ["r"], ["r_nhwc"], name="to_nhwc", perm=[0, 2, 3, 1]),
    helper.make_node("Reshape", ["r_nhwc", "shape"], ["flat"], name="flatten"),
    helper.make_node("MatMul", ["flat", "wd"], ["m"], name="dense"),
    helper.make_node("Add", ["m", "bd"], ["y"], name="dense_bias"),
], [8, 8, 2], [5], [tensor("wc", wc), tensor("bc", bc), tensor("wd", wd), tensor("bd", bd),
                    numpy_helper.from_array(np.array([-1, 144], dtype=np.int64), "shape")])
x_nhwc = torch.from_numpy(rng.normal(size=(N, 8, 8, 2)).astype(np.float32))
c = torch.relu(torch.nn.functional.conv2d(x_nhwc.permute(0, 3, 1, 2), torch.from_numpy(wc),
                                          torch.from_numpy(bc)))
y = c.permute(0, 2, 3, 1).reshape(N, -1) @ torch.from_numpy(wd) + torch.from_numpy(bd)
save("channels_last", x_nhwc.permute(0, 3, 1, 2).numpy(), y.numpy())

# GlobalMaxPool, then a Reshape to [batch, -1] whose shape is computed from Shape: [N, 2, 6, 6].
wg, bg, wo, bo = weights(3, 2, 3, 3), weights(3), weights(3, 2), weights(2)
write_graph("global_max_pool", [
    helper.make_node("Conv", ["x", "wg", "bg"], ["c"], name="conv", kernel_shape=[3, 3],
                     pads=[1, 1, 1, 1]),
    helper.make_node("GlobalMaxPool", ["c"], ["g"], name="pool"),
    helper.make_node("Shape", ["g"], ["g_shape"], name="shape"),
    helper.make_node("Gather", ["g_shape", "zero"], ["batch"], name="batch", axis=0),
    helper.make_node("Unsqueeze", ["batch", "axes"], ["batch_1"], name="batch_1d"),
    helper.make_node("Concat", ["batch_1", "minus_one"], ["target"], name="target", axis=0),
    helper.make_node("Reshape", ["g", "target"], ["flat"], name="flatten"),
    helper.make_node("MatMul", ["flat", "wo"], ["m"], name="out"),
    helper.make_node("Add", ["m", "bo"], ["y"], name="out_bias"),
], [2, 6, 6], [2], [tensor("wg", wg), tensor("bg", bg), tensor("wo", wo), tensor("bo", bo),
                    numpy_helper.from_array(np.array(0, dtype=np.int64), "zero"),
                    numpy_helper.from_array(np.array([0], dtype=np.int64), "axes"),
                    numpy_helper.from_array(np.array([-1], dtype=np.int64), "minus_one")])
x = torch.from_numpy(rng.normal(size=(N, 2, 6, 6)).astype(np.float32))
g = torch.nn.functional.conv2d(x, torch.from_numpy(wg), torch.from_numpy(bg), padding=1)
g = torch.amax(g, dim=(2, 3))
save("global_max_pool", x.numpy(), (g @ torch.from_numpy(wo) + torch.from_numpy(bo)).numpy())

# QONNX: Quant nodes with power-of-two scales on the input, weights, biases and results.
Q = "qonnx.custom_op.general"


def quant(name, x, out, scale, bits, signed=1, narrow=0, rounding="ROUND", zeropt=0.0):
    return [helper.make_node("Quant", [x, name + "_s", name + "_z", name + "_b"], [out], name=name,
                             domain=Q, signed=signed, narrow=narrow, rounding_mode=rounding)], [
        tensor(name + "_s", scale), tensor(name + "_z", zeropt), tensor(name + "_b", bits)]


def qonnx_mlp(name, weight_scale, quantize_dense=True, params=None, transposed=False):
    """A QONNX MLP [8] -> 6 -> 3. `params` (w1, b1, w2, b2) defaults to new random weights.
    `transposed` stores w1 as [6, 8] quantized by a Quant of the default domain and then
    transposed, and b1 as [1, 6] quantized and then reshaped, as Brevitas-style exports do."""
    nodes, inits = [], []
    w1, b1, w2, b2 = params if params else (weights(8, 6), weights(6), weights(6, 3), weights(3))
    for n, i in [quant("q_in", "x", "xq", 2.0 ** -4, 10),
                 quant("q_w1", "w1", "w1q", weight_scale, 6),
                 quant("q_b1", "b1", "b1q", 2.0 ** -6, 8, narrow=1),
                 quant("q_r1", "a1", "a1q", 2.0 ** -5, 12),
                 quant("q_relu", "r1", "r1q", 2.0 ** -4, 8, signed=0, rounding="FLOOR"),
                 quant("q_w2", "w2", "w2q", 2.0 ** -5, 6),
                 quant("q_b2", "b2", "b2q", 2.0 ** -6, 8),
                 quant("q_out", "a2", "y", 2.0 ** -5, 12)]:
        nodes += n
        inits += i
    nodes = [nodes[0], nodes[1], nodes[2]] + [
        helper.make_node("MatMul", ["xq", "w1q"], ["m1"], name="fc1"),
        helper.make_node("Add", ["m1", "b1q"], ["a1"], name="fc1_bias")] + (
        [nodes[3]] if quantize_dense else []) + [
        helper.make_node("Relu", ["a1q" if quantize_dense else "a1"], ["r1"], name="relu1"),
        nodes[4], nodes[5], nodes[6],
        helper.make_node("MatMul", ["r1q", "w2q"], ["m2"], name="fc2"),
        helper.make_node("Add", ["m2", "b2q"], ["a2"], name="fc2_bias"),
        nodes[7]]
    inits += [tensor("w2", w2), tensor("b2", b2)]
    if transposed:
        for node in nodes:
            if node.name == "q_w1":
                node.domain = ""
                node.output[0] = "w1q_t"
            if node.name == "q_b1":
                node.output[0] = "b1q_r"
        nodes[3:3] = [helper.make_node("Transpose", ["w1q_t"], ["w1q"], name="w1_t", perm=[1, 0]),
                      helper.make_node("Reshape", ["b1q_r", "b1_shape"], ["b1q"], name="b1_r")]
        inits += [tensor("w1", w1.T), tensor("b1", b1.reshape(1, 6)),
                  numpy_helper.from_array(np.array([6], dtype=np.int64), "b1_shape")]
    else:
        inits += [tensor("w1", w1), tensor("b1", b1)]
    write_graph(name, nodes, [8], [3], inits, domains=[Q], batch=1)
    return w1, b1, w2, b2


qonnx_mlp("qonnx_mlp", 2.0 ** -5)
qonnx_mlp("qonnx_bad_scale", 0.3)
# As Brevitas writes it: no Quant between the first dense layer and its ReLU.
qonnx_mlp("qonnx_relu_only", 2.0 ** -5, quantize_dense=False)
np.save(os.path.join(OUT, "qonnx_mlp.x.npy"), rng.uniform(-4, 4, size=(N, 8)).astype(np.float32))

# An operator hlslim does not import.
write_graph("unsupported", [
    helper.make_node("MatMul", ["x", "w"], ["m"], name="fc"),
    helper.make_node("Erf", ["m"], ["y"], name="gelu_erf"),
], [4], [2], [tensor("w", weights(4, 2))])
# The same without node names (some exporters write none).
write_graph("unsupported_unnamed", [
    helper.make_node("MatMul", ["x", "w"], ["m"]),
    helper.make_node("Erf", ["m"], ["y"]),
], [4], [2], [tensor("w", weights(4, 2))])

# The same QONNX MLP twice: once as above, once with its first weight stored [out, in],
# quantized and transposed, and its bias stored [1, 6], quantized and reshaped.
mlp_params = qonnx_mlp("qonnx_plain", 2.0 ** -5)
qonnx_mlp("qonnx_transposed", 2.0 ** -5, params=mlp_params, transposed=True)


class FlatConv1d(torch.nn.Module):
    """A Conv1d on flat features: x.unsqueeze(1) makes [N, 16] one channel of length 16."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv1d(1, 3, 3, padding=1)
        self.fc = torch.nn.Linear(3 * 16, 2)

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x.unsqueeze(1))).flatten(1))


export_torch("flat_conv1d", FlatConv1d(), (16,), 13)

# Malformed files: each names the node that is wrong.
wm = weights(6, 2)


def malformed_transpose(name, perm):
    write_graph(name, [
        helper.make_node("Transpose", ["x"], ["t"], name="bad_perm", perm=perm),
        helper.make_node("Flatten", ["t"], ["f"], name="flat"),
        helper.make_node("MatMul", ["f", "w"], ["y"], name="fc"),
    ], [2, 3], [2], [tensor("w", wm)])


malformed_transpose("bad_perm_repeat", [0, 1, 1])
malformed_transpose("bad_perm_range", [0, 3, 1])
# Gather index 7 from the shape [1, 2, 3].
write_graph("bad_gather", [
    helper.make_node("Shape", ["x"], ["s"], name="shape"),
    helper.make_node("Gather", ["s", "seven"], ["b"], name="batch", axis=0),
    helper.make_node("Unsqueeze", ["b", "axes"], ["b1"], name="batch_1d"),
    helper.make_node("Concat", ["b1", "minus_one"], ["target"], name="target", axis=0),
    helper.make_node("Reshape", ["x", "target"], ["f"], name="flatten"),
    helper.make_node("MatMul", ["f", "w"], ["y"], name="fc"),
], [2, 3], [2], [tensor("w", wm), numpy_helper.from_array(np.array(7, dtype=np.int64), "seven"),
                 numpy_helper.from_array(np.array([0], dtype=np.int64), "axes"),
                 numpy_helper.from_array(np.array([-1], dtype=np.int64), "minus_one")])
# Unsqueeze of a value at axis 5 of a 3-dimensional result.
write_graph("bad_unsqueeze", [
    helper.make_node("Unsqueeze", ["x", "axes"], ["u"], name="unsq"),
    helper.make_node("Flatten", ["u"], ["f"], name="flat"),
    helper.make_node("MatMul", ["f", "w"], ["y"], name="fc"),
], [6], [2], [tensor("w", wm), numpy_helper.from_array(np.array([5], dtype=np.int64), "axes")])
# A Reshape of a value to a negative size other than -1, and a pool with a window of 0.
write_graph("bad_reshape", [
    helper.make_node("Reshape", ["x", "shape"], ["r"], name="reshape"),
    helper.make_node("Flatten", ["r"], ["f"], name="flat"),
    helper.make_node("MatMul", ["f", "w"], ["y"], name="fc"),
], [6], [2], [tensor("w", wm),
              numpy_helper.from_array(np.array([1, -2, -3], dtype=np.int64), "shape")])
write_graph("bad_pool", [
    helper.make_node("MaxPool", ["x"], ["p"], name="pool", kernel_shape=[0], strides=[0],
                     ceil_mode=1),
    helper.make_node("Flatten", ["p"], ["f"], name="flat"),
    helper.make_node("MatMul", ["f", "w"], ["y"], name="fc"),
], [1, 6], [2], [tensor("w", wm)])
