// Several deployments (or tests) on one cluster: a log's namespace puts its
// topics, groups and transactional ids under "<ns>." on the broker, and its
// callers keep the plain names.
#include "events/kafka_log.hpp"
#include "tests/kafka_log/kafka_test_util.hpp"

namespace pw::test {
namespace {

using log::Batch;

TEST(KafkaNamespaceConfig, IsKafkasTopicAlphabetAndNotEmpty) {
  EXPECT_TRUE(log::kafka::parse_settings("b", {{"namespace", "staging-2.eu_west"}}).ok());
  for (const char* bad : {"", "a b", "a/b", "ü", "a:b"}) {
    auto s = log::kafka::parse_settings("b", {{"namespace", bad}});
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.error().code, Errc::validation_error) << bad;
    EXPECT_NE(s.error().message.find("namespace"), std::string::npos) << s.error().message;
  }
  auto uri = log::open_log("kafka:127.0.0.1:1?namespace=a%20b");
  ASSERT_FALSE(uri.ok());
  EXPECT_EQ(uri.error().code, Errc::validation_error) << uri.error().message;
}

TEST_F(KafkaTest, NamespacesShareOneClusterWithoutSeeingEachOther) {
  const std::string ns_a = "a-" + suffix_, ns_b = "b-" + suffix_;
  auto a = open({{"namespace", ns_a}});
  auto b = open({{"namespace", ns_b}});
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->create_topics({{"shared", 2}}).ok());
  EXPECT_EQ(b->partition_count("shared").error().code, Errc::not_found);
  ASSERT_TRUE(b->create_topics({{"shared", 3}}).ok());
  EXPECT_EQ(*a->partition_count("shared"), 2);
  EXPECT_EQ(*b->partition_count("shared"), 3);
  // On the broker, the names carry their namespace.
  EXPECT_EQ(*log_->partition_count(ns_a + ".shared"), 2);
  EXPECT_EQ(*log_->partition_count(ns_b + ".shared"), 3);

  ASSERT_TRUE(a->append(batch_of({{"shared", "k", "from a", 0}})).ok());
  ASSERT_TRUE(b->append(batch_of({{"shared", "k", "from b", 0}})).ok());

  // The same group name in both namespaces: two groups, each reading its own
  // records under the plain topic name, committing with its output.
  for (const auto& [log, mine] : {std::pair{a.get(), "from a"}, std::pair{b.get(), "from b"}}) {
    auto c = subscribe(*log, "g", "shared");
    ASSERT_TRUE(c);
    const auto recs = poll_for(*c, 1);
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(recs[0].topic, "shared");
    EXPECT_EQ(recs[0].value, mine);
    for (const auto& tp : c->assignment()) EXPECT_EQ(tp.topic, "shared");
    Batch out{{{"shared", "k", std::string(mine) + " again", 1}}, {}, {{{"shared", 0}, recs[0].offset + 1}}, c.get()};
    auto appended = log->append(out);
    ASSERT_TRUE(appended.ok()) << appended.error().message;
    EXPECT_EQ(appended->partitions[0].topic, "shared");
    c->close();
  }
  auto committed_a = a->committed_offset("g", {"shared", 0});
  auto committed_b = b->committed_offset("g", {"shared", 0});
  ASSERT_TRUE(committed_a.ok()) << committed_a.error().message;
  ASSERT_TRUE(committed_b.ok()) << committed_b.error().message;
  if (!on_mock()) {  // the mock keeps no transactional offsets (MockGap)
    EXPECT_TRUE(committed_a->has_value());
    EXPECT_TRUE(committed_b->has_value());
  }
  auto committed_plain = log_->committed_offset("g", {"shared", 0});
  // Outside both namespaces there is no such group (the mock also knows no such topic).
  if (committed_plain.ok()) EXPECT_EQ(*committed_plain, std::nullopt);
  else EXPECT_EQ(committed_plain.error().code, Errc::not_found) << committed_plain.error().message;
  EXPECT_EQ(values(read_all({ns_a + ".shared", 1}, 0, 1)), std::vector<std::string>{"from a again"});
  a.reset();
  b.reset();
}

}  // namespace
}  // namespace pw::test
