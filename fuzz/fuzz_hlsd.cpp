// The .hlsd event store reader. Random bytes rarely keep the two checksums right, so the harness
// first recomputes them where the preamble says they lie (docs/data-format.md): the fuzzer then
// explores the header and the arrays behind them. A store is read, or rejected with DataError;
// anything else is a bug. A store that is read is walked and written back.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "checksum.hpp"
#include "fuzz_support.hpp"
#include "hlslim/data/error.hpp"
#include "hlslim/data/store_io.hpp"
#include "hlslim/util/errors.hpp"

namespace {

void fix_checksums(std::string& bytes) {
  constexpr std::size_t kPreamble = 16;
  if (bytes.size() < kPreamble) return;
  std::uint32_t header_length = 0;
  std::memcpy(&header_length, bytes.data() + 12, 4);
  const std::uint64_t header_end = kPreamble + std::uint64_t{header_length};
  const std::uint64_t checksum_at = header_end + (8 - header_end % 8) % 8;
  if (checksum_at + 8 > bytes.size()) return;
  hlslim::data::detail::Checksum header;
  header.update(bytes.data(), checksum_at);
  const std::uint64_t header_value = header.value();
  std::memcpy(bytes.data() + checksum_at, &header_value, 8);
  // The data checksum sits before the 8-byte end marker.
  const std::uint64_t body = checksum_at + 8;
  if (bytes.size() < body + 16) return;
  hlslim::data::detail::Checksum data;
  data.update(bytes.data() + body, bytes.size() - 16 - body);
  const std::uint64_t data_value = data.value();
  std::memcpy(bytes.data() + bytes.size() - 16, &data_value, 8);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  fix_checksums(bytes);
  const std::string path = hlslim::fuzz::write_input("events.hlsd", bytes.data(), bytes.size());
  try {
    const hlslim::data::EventStore store = hlslim::data::read_store(path);
    volatile std::size_t hits = 0;
    for (std::size_t event = 0; event < store.size(); ++event) {
      hits = hits + store.hits(event).size();
      if (store.label_count() > 0) hits = hits + (store.label_row(event)[0] != 0);
    }
    hlslim::data::write_store(store, hlslim::fuzz::scratch_dir() + "/copy.hlsd");
  } catch (const hlslim::data::DataError&) {
  } catch (const hlslim::Error&) {  // writing the copy back (a full disk)
  }
  return 0;
}
