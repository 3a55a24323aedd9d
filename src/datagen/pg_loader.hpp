// Loads generated demo data into the source tables of SPEC §2 with COPY, in one transaction: either all
// of it lands or nothing changes.
#pragma once

#include <cstdint>

#include "datagen/generator.hpp"
#include "postgres/connection.hpp"
#include "postgres/source_schema.hpp"

namespace ypa::datagen {

struct LoadOptions {
  GeneratorOptions generator;
  postgres::SourceTables tables;
  // Empty the seven tables first (TRUNCATE ... RESTART IDENTITY, inside the load's transaction).
  // Without it, a table that already holds rows is an InputError and nothing is written.
  bool replace = false;
};

struct LoadSummary {
  GenerationStats stats;
  std::int64_t shops = 0;
  std::int64_t iphones = 0;
  std::int64_t profiles = 0;
  std::int64_t profile_items = 0;
  std::int64_t cohorts = 0;
  std::int64_t members = 0;
  double copy_seconds = 0;   // generating and streaming the price records
  double index_seconds = 0;  // rebuilding the price records' indexes and foreign keys
  double total_seconds = 0;
};

// Validates the options, checks that the tables exist (InputError: run `ypa init --source-schema`) and
// are empty unless `replace`, then writes everything. The price records' secondary indexes and foreign
// keys are dropped for the COPY and rebuilt afterwards in the same transaction (several times faster
// than maintaining them row by row); sequences are moved past the generated ids.
LoadSummary load_demo_data(postgres::Connection& conn, const LoadOptions& options,
                           const DayCallback& on_day = {});

}  // namespace ypa::datagen
