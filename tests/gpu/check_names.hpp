// GoogleTest parameter names for the backend checks: "c07_sparse_70_missing_...".
#pragma once

#include <cctype>
#include <cstdio>
#include <string>

namespace ypa::testing::gpu {

inline std::string check_test_name(std::size_t index, const std::string& name) {
  char prefix[16];
  std::snprintf(prefix, sizeof prefix, "c%02zu_", index);
  std::string out = prefix;
  for (char ch : name) {
    if (std::isalnum(static_cast<unsigned char>(ch)) != 0) {
      out += ch;
    } else if (out.back() != '_') {
      out += '_';
    }
  }
  while (out.back() == '_') out.pop_back();
  return out;
}

}  // namespace ypa::testing::gpu
