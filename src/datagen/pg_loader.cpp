// The PostgreSQL side of `ypa datagen`: checks, one transaction, COPY of the reference tables and of the
// generated price records, index rebuild.
#include "datagen/pg_loader.hpp"

#include "postgres/timestamp.hpp"

#include <fmt/format.h>

#include <chrono>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "postgres/copy_in.hpp"

namespace ypa::datagen {
namespace {

using postgres::Connection;
using postgres::CopyIn;
using postgres::quote_identifier;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Rolls the transaction back unless commit() was reached, so any exception leaves the tables as they were.
class Transaction {
 public:
  explicit Transaction(Connection& conn) : conn_(conn) { conn_.exec("BEGIN"); }
  ~Transaction() {
    if (!done_) PQclear(PQexec(conn_.get(), "ROLLBACK"));
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit() {
    conn_.exec("COMMIT");
    done_ = true;
  }

 private:
  Connection& conn_;
  bool done_ = false;
};

std::vector<const std::string*> all_tables(const postgres::SourceTables& t) {
  return {&t.shop,   &t.iphone,        &t.shop_weight_profile, &t.shop_weight_item,
          &t.cohort, &t.cohort_member, &t.price_record};
}

void require_tables(Connection& conn, const postgres::SourceTables& tables) {
  for (const std::string* table : all_tables(tables)) {
    auto result = conn.exec_params("SELECT to_regclass($1) IS NOT NULL", {quote_identifier(*table)});
    if (result.text(0, 0) != "t") {
      throw InputError(fmt::format("table {} does not exist in {}: run `ypa init --source-schema` first",
                                   *table, conn.describe()));
    }
  }
}

void require_empty(Connection& conn, const postgres::SourceTables& tables) {
  for (const std::string* table : all_tables(tables)) {
    if (conn.exec(fmt::format("SELECT 1 FROM {} LIMIT 1", quote_identifier(*table))).rows() > 0) {
      throw InputError(fmt::format(
          "table {} already holds rows: use --replace to overwrite the generated tables", *table));
    }
  }
}

// The DDL to drop and to recreate what slows a bulk load down: foreign keys and the secondary indexes
// that back no constraint. The primary key stays (ids arrive in ascending order, the cheap case).
struct Rebuild {
  std::vector<std::string> drop;
  std::vector<std::string> create;
};

Rebuild plan_rebuild(Connection& conn, const std::string& table) {
  const std::string quoted = quote_identifier(table);
  Rebuild plan;
  auto fks = conn.exec_params(
      "SELECT quote_ident(conname), pg_get_constraintdef(oid) FROM pg_constraint "
      "WHERE conrelid = $1::regclass AND contype = 'f' ORDER BY conname",
      {quoted});
  for (int i = 0; i < fks.rows(); ++i) {
    plan.drop.push_back(fmt::format("ALTER TABLE {} DROP CONSTRAINT {}", quoted, fks.text(i, 0)));
    plan.create.push_back(
        fmt::format("ALTER TABLE {} ADD CONSTRAINT {} {}", quoted, fks.text(i, 0), fks.text(i, 1)));
  }
  auto indexes = conn.exec_params(
      "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
      "WHERE i.indrelid = $1::regclass "
      "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1",
      {quoted});
  for (int i = 0; i < indexes.rows(); ++i) {
    plan.drop.push_back(fmt::format("DROP INDEX {}", indexes.text(i, 0)));
    plan.create.push_back(std::string(indexes.text(i, 1)));
  }
  return plan;
}

void field(CopyIn& copy, const std::optional<std::int32_t>& value) {
  if (value) {
    copy.field(std::int64_t{*value});
  } else {
    copy.null_field();
  }
}

// Streams generated rows straight into the COPY.
class CopySink : public RecordSink {
 public:
  explicit CopySink(CopyIn& copy) : copy_(copy) {}
  void add(const PriceRecord& r) override {
    copy_.field(r.id);
    copy_.field(r.shop_id);
    copy_.field(r.iphone_id);
    field(copy_, r.price_new);
    field(copy_, r.price_grade_a);
    field(copy_, r.price_grade_b);
    copy_.field(std::string_view(postgres::format_timestamptz(r.recorded_at_us)));
    copy_.end_row();
  }

 private:
  CopyIn& copy_;
};

template <typename Rows, typename WriteRow>
std::int64_t copy_rows(Connection& conn, const std::string& table, std::string_view columns, const Rows& rows,
                       WriteRow write_row) {
  CopyIn copy(conn, quote_identifier(table), columns);
  for (const auto& row : rows) {
    write_row(copy, row);
    copy.end_row();
  }
  return copy.finish();
}

}  // namespace


LoadSummary load_demo_data(Connection& conn, const LoadOptions& options, const DayCallback& on_day) {
  const auto start = std::chrono::steady_clock::now();
  validate(options.generator);
  const Catalogue catalogue = build_catalogue(options.generator.shops, options.generator.iphones);
  const postgres::SourceTables& t = options.tables;
  require_tables(conn, t);

  LoadSummary summary;
  Transaction transaction(conn);
  if (options.replace) {
    std::string list;
    for (const std::string* table : all_tables(t))
      list += (list.empty() ? "" : ", ") + quote_identifier(*table);
    conn.exec(fmt::format("TRUNCATE {} RESTART IDENTITY", list));
  } else {
    require_empty(conn, t);
  }
  // Index builds at the end sort millions of rows; give them memory for this transaction only.
  conn.exec("SET LOCAL maintenance_work_mem = '512MB'");

  summary.shops = copy_rows(conn, t.shop, "id, name", catalogue.shops, [](CopyIn& c, const Shop& s) {
    c.field(s.id);
    c.field(std::string_view(s.name));
  });
  summary.iphones = copy_rows(conn, t.iphone, "id, part_number, model_name, capacity_gb, color",
                              catalogue.iphones, [](CopyIn& c, const Iphone& p) {
                                c.field(p.id);
                                c.field(std::string_view(p.part_number));
                                c.field(std::string_view(p.model_name));
                                c.field(std::int64_t{p.capacity_gb});
                                c.field(std::string_view(p.color));
                              });
  summary.profiles = copy_rows(conn, t.shop_weight_profile, "id, slug", catalogue.profiles,
                               [](CopyIn& c, const ShopWeightProfile& p) {
                                 c.field(p.id);
                                 c.field(std::string_view(p.slug));
                               });
  summary.profile_items = copy_rows(conn, t.shop_weight_item, "id, profile_id, shop_id, weight",
                                    catalogue.profile_items, [](CopyIn& c, const ShopWeightItem& i) {
                                      c.field(i.id);
                                      c.field(i.profile_id);
                                      c.field(i.shop_id);
                                      c.field(i.weight);
                                    });
  summary.cohorts = copy_rows(conn, t.cohort, "id, slug, title, shop_weight_profile_id", catalogue.cohorts,
                              [](CopyIn& c, const Cohort& k) {
                                c.field(k.id);
                                c.field(std::string_view(k.slug));
                                c.field(std::string_view(k.title));
                                if (k.shop_weight_profile_id) {
                                  c.field(*k.shop_weight_profile_id);
                                } else {
                                  c.null_field();
                                }
                              });
  summary.members = copy_rows(conn, t.cohort_member, "id, cohort_id, iphone_id, weight", catalogue.members,
                              [](CopyIn& c, const CohortMember& m) {
                                c.field(m.id);
                                c.field(m.cohort_id);
                                c.field(m.iphone_id);
                                c.field(m.weight);
                              });

  const Rebuild rebuild = plan_rebuild(conn, t.price_record);
  for (const auto& sql : rebuild.drop) conn.exec(sql);
  const auto copy_start = std::chrono::steady_clock::now();
  {
    CopyIn copy(conn, quote_identifier(t.price_record),
                "id, shop_id, iphone_id, price_new, price_grade_a, price_grade_b, recorded_at");
    CopySink sink(copy);
    summary.stats = generate_prices(options.generator, catalogue, sink, on_day);
    copy.finish();
  }
  summary.copy_seconds = seconds_since(copy_start);
  const auto index_start = std::chrono::steady_clock::now();
  for (const auto& sql : rebuild.create) conn.exec(sql);
  summary.index_seconds = seconds_since(index_start);

  // Later inserts (the Django application, a test) must not collide with the generated ids.
  for (const std::string* table : all_tables(t)) {
    conn.exec_params(
        fmt::format(
            "SELECT setval(pg_get_serial_sequence($1, 'id'), COALESCE(max(id), 1), max(id) IS NOT NULL) "
            "FROM {} HAVING pg_get_serial_sequence($1, 'id') IS NOT NULL",
            quote_identifier(*table)),
        {quote_identifier(*table)});
  }
  conn.exec(fmt::format("ANALYZE {}", quote_identifier(t.price_record)));
  transaction.commit();
  summary.total_seconds = seconds_since(start);
  return summary;
}

}  // namespace ypa::datagen
