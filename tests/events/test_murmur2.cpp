#include <gtest/gtest.h>

#include "events/log.hpp"

namespace {

using pw::log::murmur2;
using pw::log::partition_for;

// Reference values of the Java client's Utils.murmur2, as published in
// librdkafka's src/rdmurmur2.c unit test (java_murmur2_results).
TEST(Murmur2, MatchesJavaClientVectors) {
  const std::pair<const char*, uint32_t> vectors[] = {
      {"kafka", 0xd067cf64},
      {"giberish123456789", 0x8f552b0c},
      {"1234", 0x9fc97b14},
      {"234", 0xe7c009ca},
      {"34", 0x873930da},
      {"4", 0x5a4b5ca1},
      {"PreAmbleWillBeRemoved,ThePrePartThatIs", 0x78424f1c},
      {"reAmbleWillBeRemoved,ThePrePartThatIs", 0x4a62b377},
      {"eAmbleWillBeRemoved,ThePrePartThatIs", 0xe0e4e09e},
      {"AmbleWillBeRemoved,ThePrePartThatIs", 0x62b8b43f},
      {"", 0x106e08d9},
  };
  for (const auto& [key, expected] : vectors) EXPECT_EQ(murmur2(key), expected) << key;
}

TEST(Murmur2, PartitionIsPositiveModulo) {
  // toPositive clears the sign bit before the modulo, as the Java client does.
  EXPECT_EQ(partition_for("kafka", 12), static_cast<int32_t>((0xd067cf64u & 0x7fffffffu) % 12));
  for (int32_t n : {1, 3, 12, 100})
    for (const char* key : {"a", "site-1", "6f1c2a9e-3b8d-5c47-9a0e-70a9e4b1d2c3"}) {
      const int32_t p = partition_for(key, n);
      EXPECT_GE(p, 0);
      EXPECT_LT(p, n);
    }
}

TEST(Murmur2, BinaryKeysHashAllBytes) {
  const std::string with_nul("a\0b", 3);
  EXPECT_NE(murmur2(with_nul), murmur2("a"));
}

}  // namespace
