// The export stage's `multiplication` (docs/export-hls.md, "Adder graphs"): its check against
// io_type and the notes of the layers that keep csd products.

#include "export_stage.hpp"
#include "hlslim/export/estimates.hpp"
#include "hlslim/export/hls_project.hpp"
#include "hlslim/export/onnx_export.hpp"

namespace hlslim {

void ExportStage::configure_multiplication(const OptionValues& values, Diagnostics& diagnostics) {
  HlsProjectOptions options;  // the writer's own texts, for these two options alone
  options.io_type = io_type_;
  options.multiplication = multiplication_;
  for (const std::string& problem : hls_project_option_problems(options)) {
    diagnostics.error(values.pos("multiplication"), "stage 'export': " + problem);
  }
}

std::vector<ExportFinding> ExportStage::multiplication_findings(
    const ModelEstimate& estimate) const {
  std::vector<ExportFinding> findings;
  if (multiplication_ != "adder_graph") return findings;
  for (const std::string& note : estimate.notes) {
    // "layer 'fc3': ...": the layer's name is the finding's node.
    const std::string head = "layer '";
    std::string node;
    if (note.rfind(head, 0) == 0) node = note.substr(head.size(), note.find("':") - head.size());
    findings.push_back({node, Severity::kNote,
                        "hlslim's HLS project (multiplication: "
                        "adder_graph): " +
                            note});
  }
  return findings;
}

}  // namespace hlslim
