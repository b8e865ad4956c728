// JsonWriter: commas, nesting, escaping, numbers of every width, optional
// and raw values, and appending JSON lines to a caller's buffer.
#include <cmath>
#include <limits>
#include <optional>

#include <gtest/gtest.h>

#include "util/json_writer.h"

namespace mimicit {
namespace {

TEST(JsonWriter, NestsWithCommas) {
  JsonWriter json;
  json.begin_object().key("a").value(uint64_t{1}).key("b").begin_array();
  json.value("x").value(int64_t{-2}).begin_object().end_object().begin_array().end_array().null();
  json.end_array().key("c").value(true).key("d").strings({"p", "q"}).end_object();
  EXPECT_EQ(json.text(), R"({"a":1,"b":["x",-2,{},[],null],"c":true,"d":["p","q"]})");
}

TEST(JsonWriter, EscapesTextAndDropsNonFiniteNumbers) {
  JsonWriter json;
  json.begin_array().value("<\"\\\n\x01\xff>").value(0.25).value(std::nan("")).value(INFINITY).end_array();
  EXPECT_EQ(json.text(), "[\"<\\\"\\\\\\u000a\\u0001\xef\xbf\xbd>\",0.25,null,null]");
}

TEST(JsonWriter, IntegersOfEveryWidthOptionalAndRaw) {
  JsonWriter json;
  json.begin_array().value(std::numeric_limits<uint64_t>::max()).value(std::numeric_limits<int64_t>::min());
  json.value(int32_t{-7}).value(uint32_t{7}).value(size_t{3}).value(std::optional<int32_t>());
  json.value(std::optional<std::string>("s")).raw("{\"k\":1.50}").value(1e300).end_array();
  EXPECT_EQ(json.text(), "[18446744073709551615,-9223372036854775808,-7,7,3,null,\"s\",{\"k\":1.50},1e+300]");
}

TEST(JsonWriter, AppendsLinesToACallersBuffer) {
  std::string out = "head\n";
  JsonWriter json(out);
  for (int i = 0; i < 2; ++i) {
    json.begin_object().key("i").value(i).key("l").begin_array().value(i).end_array().end_object();
    out.push_back('\n');
  }
  EXPECT_EQ(out, "head\n{\"i\":0,\"l\":[0]}\n{\"i\":1,\"l\":[1]}\n");
}

}  // namespace
}  // namespace mimicit
