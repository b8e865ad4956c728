// Parsing single JSON values of a mapped document with simdjson ondemand:
// the records and train config lists that JsonObjectWalker delimits.
//
// ValueParser::iterate() parses the text [begin, end) of a document in
// place when simdjson's padding (SIMDJSON_PADDING readable bytes) follows
// it inside the document, which is true of every value but those in the
// last few dozen bytes of a file; those are copied into a padded buffer.
// Strings returned by simdjson are views into the parser's string buffer,
// valid until its next iterate().
//
// Thread-safety: a ValueParser is used by one thread; for_this_thread()
// gives each thread its own.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "mimicit/bytes.h"

namespace mimicit::dataset {

class ValueParser {
 public:
  static ValueParser& for_this_thread();

  simdjson::simdjson_result<simdjson::ondemand::document> iterate(ByteView doc, uint64_t begin, uint64_t end);

 private:
  simdjson::ondemand::parser parser_;
  std::string copy_;
};

// Checks a whole value, including parts ondemand would skip unread: string
// escapes and UTF-8, numbers, literals, nesting up to `max_depth`. Returns
// simdjson's error code; on failure *what names the problem.
simdjson::error_code validate_document(simdjson::ondemand::document& doc, std::string* what);
simdjson::error_code validate_value(simdjson::ondemand::value value, int depth, std::string* what);

// "a string", "an object", ... for messages.
const char* json_type_phrase(simdjson::ondemand::json_type type);

// Reads an array of strings (or null: empty) into `out` (views valid until
// the parser's next iterate). Returns false when the value is something
// else; *found then names what it is.
bool read_string_list(simdjson::ondemand::value value, std::vector<std::string_view>* out,
                      std::string* found);

}  // namespace mimicit::dataset
