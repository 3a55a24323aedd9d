// Shared by the fuzz targets: renders every cell of a decoded block, so out-of-range indexes or
// offsets in a decoded column show up under the sanitizers, not only in the decoder.
#pragma once

#include <string>

#include "clickhouse/block.hpp"

namespace ypa::fuzz {

inline void touch_cells(const clickhouse::Block& block) {
  std::string text;
  for (std::size_t c = 0; c < block.column_count(); ++c) {
    const clickhouse::Column& column = block.column(c);
    for (std::size_t r = 0; r < column.size() && r < 4096; ++r) {
      if (!column.is_null(r)) column.append_text(r, text);
      if (text.size() > (1u << 20)) text.clear();
    }
  }
}

}  // namespace ypa::fuzz
