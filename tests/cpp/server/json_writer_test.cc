// JsonWriter: commas, nesting, escaping and non-finite numbers.
#include <cmath>

#include <gtest/gtest.h>

#include "server/json.h"

namespace mimicit::server {
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

}  // namespace
}  // namespace mimicit::server
