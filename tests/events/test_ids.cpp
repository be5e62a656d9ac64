#include <gtest/gtest.h>

#include "events/ids.hpp"

namespace {

TEST(Ids, UuidV5MatchesRfc4122Example) {
  // RFC 4122 DNS namespace, name "www.example.com" (well-known value, also
  // what Python's uuid.uuid5(uuid.NAMESPACE_DNS, "www.example.com") gives).
  EXPECT_EQ(pw::uuid_v5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.example.com"),
            "2ed6657d-e927-568b-95e1-2665a8aea6a2");
}

TEST(Ids, SiteIdIsStablePerSubdomainAndDistinctAcross) {
  EXPECT_EQ(pw::site_id_for_subdomain("acme"), pw::site_id_for_subdomain("acme"));
  EXPECT_NE(pw::site_id_for_subdomain("acme"), pw::site_id_for_subdomain("acme2"));
  EXPECT_TRUE(pw::is_uuid(pw::site_id_for_subdomain("acme").str()));
}

TEST(Ids, PageIdsRouteToTheirSite) {
  const auto site = pw::site_id_for_subdomain("acme");
  const auto page = pw::new_page_id(site);
  ASSERT_TRUE(pw::site_of(page).has_value());
  EXPECT_EQ(*pw::site_of(page), site);
  EXPECT_NE(pw::new_page_id(site), page);
  EXPECT_EQ(pw::site_of(pw::make_page_id(site, "home")), site);
}

TEST(Ids, MalformedPageIdsHaveNoSite) {
  const auto site = pw::site_id_for_subdomain("acme");
  for (const std::string& bad : {std::string(""), std::string("x.y"), site.str(), site.str() + ".",
                                site.str() + ".UPPER", site.str() + ".a/b",
                                site.str() + "." + std::string(33, 'a'), "zz" + site.str().substr(2) + ".a"}) {
    EXPECT_FALSE(pw::site_of(pw::PageId{bad}).has_value()) << bad;
  }
}

TEST(Ids, UuidV4IsVersion4) {
  const auto id = pw::uuid_v4();
  EXPECT_TRUE(pw::is_uuid(id));
  EXPECT_EQ(id[14], '4');
  EXPECT_NE(pw::uuid_v4(), id);
}

}  // namespace
