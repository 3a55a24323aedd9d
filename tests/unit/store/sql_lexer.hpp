// A small lexer for the SQL text store/ builds, written from ClickHouse's own rules (Lexer.cpp and
// ReadHelpers.cpp of 18.16), independent of store/sql_text.cpp: it tells where each string literal and
// quoted name begins and ends as the server would, and decodes their escapes. Tests compare the tokens
// of a statement built with a hostile value to those built with a benign one.
#pragma once

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

namespace ypa::store::testing {

enum class TokenKind {
  kWord,        // keyword, function, bare name or number: outside any quotes
  kPunct,       // one byte of punctuation: ( ) , . = * ...
  kString,      // '...'; text is the decoded value
  kQuotedName,  // `...` or "..."; text is the decoded name
  kComment,     // -- ... or /* ... */: never produced by store/
  kBad,         // an unterminated quote, or a control or non-ASCII byte outside quotes
};

struct Token {
  TokenKind kind;
  std::string text;
  friend bool operator==(const Token&, const Token&) = default;
};

inline int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The value of the quoted token `raw` (quotes included), as ClickHouse's readAnyQuotedString reads
// it: \xHH is a byte, \b \f \n \r \t \0 \a \v the control bytes, any other escaped byte itself, and a
// doubled quote one quote.
inline std::string decode_quoted(std::string_view raw) {
  std::string out;
  const char quote = raw.front();
  for (std::size_t i = 1; i + 1 < raw.size(); ++i) {
    char c = raw[i];
    if (c == quote) {  // the first of a doubled quote (the lexer accepted it)
      out += quote;
      ++i;
    } else if (c == '\\') {
      char e = raw[++i];
      if (e == 'x' && i + 2 < raw.size() && hex_value(raw[i + 1]) >= 0 && hex_value(raw[i + 2]) >= 0) {
        out += static_cast<char>(hex_value(raw[i + 1]) * 16 + hex_value(raw[i + 2]));
        i += 2;
        continue;
      }
      switch (e) {
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case '0':
          out += '\0';
          break;
        case 'a':
          out += '\a';
          break;
        case 'v':
          out += '\v';
          break;
        default:
          out += e;
      }
    } else {
      out += c;
    }
  }
  return out;
}

inline std::vector<Token> lex(std::string_view sql) {
  std::vector<Token> out;
  std::size_t i = 0;
  const std::size_t n = sql.size();
  auto is_word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  while (i < n) {
    char c = sql[i];
    auto u = static_cast<unsigned char>(c);
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      ++i;
    } else if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      auto end = sql.find('\n', i);
      end = end == std::string_view::npos ? n : end;
      out.push_back({TokenKind::kComment, std::string(sql.substr(i, end - i))});
      i = end;
    } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      auto end = sql.find("*/", i + 2);
      end = end == std::string_view::npos ? n : end + 2;
      out.push_back({TokenKind::kComment, std::string(sql.substr(i, end - i))});
      i = end;
    } else if (c == '\'' || c == '`' || c == '"') {
      // Lexer::quotedString: a backslash skips the next byte, a doubled quote continues the token.
      std::size_t j = i + 1;
      bool closed = false;
      while (j < n) {
        if (sql[j] == '\\') {
          j += 2;
        } else if (sql[j] == c) {
          if (j + 1 < n && sql[j + 1] == c) {
            j += 2;
          } else {
            closed = true;
            ++j;
            break;
          }
        } else {
          ++j;
        }
      }
      if (!closed) {
        out.push_back({TokenKind::kBad, std::string(sql.substr(i))});
        break;
      }
      std::string_view raw = sql.substr(i, j - i);
      out.push_back({c == '\'' ? TokenKind::kString : TokenKind::kQuotedName, decode_quoted(raw)});
      i = j;
    } else if (is_word(c)) {
      std::size_t j = i;
      while (j < n && is_word(sql[j])) ++j;
      // A number's exponent: 1e-06.
      if (j < n && (sql[j] == '-' || sql[j] == '+') && std::isdigit(static_cast<unsigned char>(c)) &&
          (sql[j - 1] == 'e' || sql[j - 1] == 'E')) {
        ++j;
        while (j < n && is_word(sql[j])) ++j;
      }
      out.push_back({TokenKind::kWord, std::string(sql.substr(i, j - i))});
      i = j;
    } else if (u < 0x20 || u >= 0x7f) {
      out.push_back({TokenKind::kBad, std::string(1, c)});
      ++i;
    } else {
      out.push_back({TokenKind::kPunct, std::string(1, c)});
      ++i;
    }
  }
  return out;
}

}  // namespace ypa::store::testing
