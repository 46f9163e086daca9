#include "layering/layering.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <stdexcept>

namespace fs = std::filesystem;

namespace hlslim::layering {
namespace {

std::string strip_comment(const std::string& line) {
  const auto hash = line.find('#');
  return hash == std::string::npos ? line : line.substr(0, hash);
}

std::string tree_path(const fs::path& path, const fs::path& root) {
  return fs::relative(path, root).generic_string();
}

// The folder a file of the tree belongs to: src/<folder>/... or include/hlslim/<folder>/...;
// empty for files directly in include/hlslim/ (the version header), which belong to no layer.
std::string folder_of(const std::string& rel) {
  const std::vector<std::string> prefixes{"src/", "include/hlslim/"};
  for (const auto& prefix : prefixes) {
    if (rel.rfind(prefix, 0) != 0) continue;
    const std::string rest = rel.substr(prefix.size());
    const auto slash = rest.find('/');
    return slash == std::string::npos ? std::string() : rest.substr(0, slash);
  }
  return {};
}

struct Layers {
  std::vector<std::string> order;
  std::map<std::string, std::size_t> rank;

  bool has(const std::string& folder) const { return rank.count(folder) != 0; }
  std::string describe(const std::string& folder) const {
    return "'" + folder + "' (layer " + std::to_string(rank.at(folder) + 1) + " of " +
           std::to_string(order.size()) + ")";
  }
};

void check_includes(const fs::path& file, const fs::path& root, const Layers& layers,
                    std::vector<Violation>& out) {
  static const std::regex include_re(R"(^\s*#\s*include\s*"([^"]+)\")");
  const std::string rel = tree_path(file, root);
  const std::string folder = folder_of(rel);
  if (!folder.empty() && !layers.has(folder)) return;  // reported as an undeclared folder
  const bool is_public = rel.rfind("include/", 0) == 0;
  std::ifstream in(file);
  std::string line;
  int number = 0;
  bool in_raw_string = false;  // generated code in R"(...)" literals has #include lines too
  while (std::getline(in, line)) {
    ++number;
    const bool starts_in_raw_string = in_raw_string;
    for (std::size_t pos = 0;;) {
      pos = line.find(in_raw_string ? ")\"" : "R\"(", pos);
      if (pos == std::string::npos) break;
      pos += 2;
      in_raw_string = !in_raw_string;
    }
    std::smatch match;
    if (starts_in_raw_string || !std::regex_search(line, match, include_re)) continue;
    const std::string target = match[1];
    if (target.rfind("hlslim/", 0) == 0) {
      const std::string target_folder = folder_of("include/" + target);
      if (target_folder.empty()) continue;  // hlslim/version.hpp: below every layer
      if (!layers.has(target_folder)) {
        out.push_back({rel, number,
                       "includes \"" + target + "\" of folder '" + target_folder +
                           "', which is not a declared layer (src/CMakeLists.txt)"});
      } else if (folder.empty()) {
        out.push_back({rel, number, "a file outside every layer includes \"" + target + "\""});
      } else if (layers.rank.at(target_folder) > layers.rank.at(folder)) {
        out.push_back({rel, number,
                       layers.describe(folder) + " includes \"" + target + "\" of " +
                           layers.describe(target_folder) + ", which is above it"});
      }
      continue;
    }
    // A private header: it must lie in the including file's own folder of src/.
    const fs::path resolved = (file.parent_path() / target).lexically_normal();
    const std::string target_rel = tree_path(resolved, root);
    if (is_public) {
      out.push_back({rel, number,
                     "a public header includes \"" + target +
                         "\", which is not a public header (include \"hlslim/...\")"});
    } else if (!fs::exists(resolved)) {
      out.push_back({rel, number, "includes \"" + target + "\", which is not next to it"});
    } else if (folder_of(target_rel) != folder || target_rel.rfind("src/", 0) != 0) {
      out.push_back(
          {rel, number,
           "includes \"" + target + "\" (" + target_rel + "), a private header of another folder"});
    }
  }
}

void check_links(const fs::path& cmake, const std::string& folder, const fs::path& root,
                 const Layers& layers, std::vector<Violation>& out) {
  static const std::regex library_re(R"(\bhlslim_([a-z]+)\b)");
  std::ifstream in(cmake);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const std::string code = strip_comment(line);
    for (auto it = std::sregex_iterator(code.begin(), code.end(), library_re);
         it != std::sregex_iterator(); ++it) {
      const std::string name = (*it)[1];
      if (name == folder || !layers.has(name)) continue;
      if (layers.rank.at(name) > layers.rank.at(folder)) {
        out.push_back({tree_path(cmake, root), number,
                       "library hlslim_" + folder + " of " + layers.describe(folder) +
                           " names hlslim_" + name + " of " + layers.describe(name) +
                           ", which is above it"});
      }
    }
  }
}

}  // namespace

std::string Violation::to_string() const {
  return file + ":" + std::to_string(line) + ": " + message;
}

std::vector<std::string> declared_order(const fs::path& root) {
  std::ifstream in(root / "src" / "CMakeLists.txt");
  if (!in) throw std::runtime_error("cannot read " + (root / "src" / "CMakeLists.txt").string());
  static const std::regex subdir_re(R"(^\s*add_subdirectory\(\s*([A-Za-z0-9_]+)\s*\))");
  std::vector<std::string> order;
  std::string line;
  while (std::getline(in, line)) {
    std::smatch match;
    const std::string code = strip_comment(line);
    if (std::regex_search(code, match, subdir_re)) order.push_back(match[1]);
  }
  return order;
}

std::vector<Violation> check_tree(const fs::path& root) {
  Layers layers;
  layers.order = declared_order(root);
  for (std::size_t i = 0; i < layers.order.size(); ++i) layers.rank[layers.order[i]] = i;

  std::vector<Violation> out;
  for (const fs::path& top : {root / "src", root / "include" / "hlslim"}) {
    for (const auto& entry : fs::directory_iterator(top)) {
      if (!entry.is_directory()) continue;
      const std::string name = entry.path().filename().string();
      if (!layers.has(name)) {
        out.push_back({"src/CMakeLists.txt", 0,
                       "folder " + tree_path(entry.path(), root) +
                           " is no declared layer: add it to the order"});
      }
    }
  }
  std::vector<fs::path> files;
  for (const fs::path& top : {root / "src", root / "include" / "hlslim"}) {
    for (const auto& entry : fs::recursive_directory_iterator(top)) {
      const auto ext = entry.path().extension();
      if (entry.is_regular_file() && (ext == ".cpp" || ext == ".hpp")) files.push_back(entry);
    }
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) check_includes(file, root, layers, out);
  for (const auto& folder : layers.order) {
    const fs::path cmake = root / "src" / folder / "CMakeLists.txt";
    if (fs::exists(cmake)) check_links(cmake, folder, root, layers, out);
  }
  return out;
}

}  // namespace hlslim::layering
