#pragma once

// The softmax that ends a classifier. Training keeps it in the model (and the float ONNX keeps
// it), but the loss, every evaluation and the firmware read the logits before it: cross-entropy
// applies its own softmax, the argmax and every figure are the same, and the FPGA saves the
// exponential and division tables. The rules for where a softmax may stand live here, so that
// the checks, training and the firmware agree on them.
#include <string>

#include "hlslim/graph/graph.hpp"

namespace hlslim {

/// True when the last layer of `graph` is a softmax with a dense or convolution layer somewhere
/// before it: the softmax that the loss, the evaluations and the firmware leave out.
bool ends_in_softmax(const Graph& graph);

/// Why the softmax layers of `graph` break those rules, or "" when they keep them: a softmax
/// must be the last layer ("softmax layer 'sm' must be the last layer ...: dropout layer 'drop'
/// follows it; ..."), and a trailing softmax needs a dense or convolution layer before it to
/// compute the logits it ends at. Names the first softmax that breaks a rule.
std::string softmax_head_problem(const Graph& graph);

}  // namespace hlslim
