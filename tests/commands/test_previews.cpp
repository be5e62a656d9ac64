// Previews in the site aggregate: a request carries its expiry (the command's
// time plus the lifetime), lists only pages of the site, and the build pool's
// reports move it to ready or failed once.
#include <gmock/gmock.h>

#include "fixtures.hpp"

namespace pw::domain::test {
namespace {

PreviewId pv(std::string_view suffix) { return make_preview_id(site(), suffix); }

Error rejection(const SiteState& s, const Command& c, const CommandMeta& m = meta()) {
  auto r = decide(loaded_schemas(), s, m, c);
  EXPECT_FALSE(r.ok());
  return r.ok() ? make_error(Errc::internal, "accepted") : r.error();
}

std::string field_of(const Error& e) { return e.details.empty() ? "" : e.details[0].field; }

TEST(Previews, ARequestExpiresADayAfterItsCommandByDefault) {
  SiteState s = sample();
  auto events = run(s, RequestPreview{pv("p1"), std::nullopt, std::nullopt});
  ASSERT_EQ(events.size(), 1u);
  const auto& e = std::get<PreviewRequested>(events[0]);
  EXPECT_EQ(e.expiresAt, "2024-05-02T12:00:00.000000Z");
  EXPECT_FALSE(e.pageIds);
  EXPECT_EQ(find_preview(s, pv("p1"))->status, PreviewStatus::requested);
  EXPECT_EQ(aggregate_of(events[0]), (AggregateRef{"preview", pv("p1").value}));
}

TEST(Previews, TheLifetimeComesFromTheCommandWithinBounds) {
  SiteState s = sample();
  auto events = run(s, RequestPreview{pv("p1"), std::nullopt, 90});
  EXPECT_EQ(std::get<PreviewRequested>(events[0]).expiresAt, "2024-05-01T12:01:30.000000Z");
  for (int64_t bad : {int64_t{0}, int64_t{-5}, kMaxPreviewTtlSeconds + 1}) {
    auto e = rejection(s, RequestPreview{pv("p2"), std::nullopt, bad});
    EXPECT_EQ(e.code, Errc::validation_error);
    EXPECT_EQ(field_of(e), "ttlSeconds");
  }
}

TEST(Previews, AnEmptySiteCanBePreviewed) {
  SiteState s = acme();
  EXPECT_EQ(run(s, RequestPreview{pv("p1"), std::nullopt, std::nullopt}).size(), 1u);
  EXPECT_EQ(run(s, RequestPreview{pv("p2"), std::vector<PageId>{}, std::nullopt}).size(), 1u);
}

TEST(Previews, ListedPagesMustBePagesOfTheSite) {
  SiteState s = sample();
  const auto other_site = site_id_for_subdomain("other");
  struct Case {
    std::vector<PageId> ids;
    Errc code;
    std::string field;
  };
  const std::vector<Case> cases = {
      {{home(), page("ghost")}, Errc::unprocessable, "pageIds[1]"},
      {{make_page_id(other_site, "home")}, Errc::unprocessable, "pageIds[0]"},
      {{about(), home(), about()}, Errc::unprocessable, "pageIds[2]"},
      {{home(), PageId{"not-a-page-id"}}, Errc::validation_error, "pageIds[1]"},
  };
  for (const auto& c : cases) {
    auto e = rejection(s, RequestPreview{pv("p1"), c.ids, std::nullopt});
    EXPECT_EQ(e.code, c.code) << c.field;
    EXPECT_EQ(field_of(e), c.field);
  }
  std::vector<PageId> many(kMaxPreviewPageIds + 1, home());
  EXPECT_EQ(field_of(rejection(s, RequestPreview{pv("p1"), many, std::nullopt})), "pageIds");
  auto ok = run(s, RequestPreview{pv("p1"), std::vector<PageId>{about()}, std::nullopt});
  EXPECT_EQ(std::get<PreviewRequested>(ok[0]).pageIds, std::vector<PageId>{about()});
}

TEST(Previews, AnotherTenantsSiteIsNotFound) {
  SiteState s = sample();
  CommandMeta m = meta();
  m.tenant = kOtherTenant;
  auto e = rejection(s, RequestPreview{pv("p1"), std::nullopt, std::nullopt}, m);
  EXPECT_EQ(e.code, Errc::not_found);
  EXPECT_EQ(field_of(e), "siteId");
  // A preview id of another site is refused before the site is looked at.
  auto routed = rejection(s, RequestPreview{make_preview_id(site_id_for_subdomain("other"), "p1"), {}, {}});
  EXPECT_EQ(routed.code, Errc::validation_error);
  EXPECT_EQ(field_of(routed), "previewId");
}

TEST(Previews, ReportsMoveItOnceAndRepeatsAppendNothing) {
  SiteState s = sample();
  run(s, RequestPreview{pv("p1"), std::nullopt, std::nullopt});
  run(s, CompletePreview{PreviewReady{pv("p1"), std::string(64, 'b')}});
  EXPECT_EQ(find_preview(s, pv("p1"))->status, PreviewStatus::ready);
  auto again = decide(loaded_schemas(), s, meta(), CompletePreview{PreviewReady{pv("p1"), std::string(64, 'b')}});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
  EXPECT_EQ(rejection(s, FailPreview{PreviewFailed{pv("p1"), "late", {}}}).code, Errc::unprocessable);
  EXPECT_EQ(rejection(s, CompletePreview{PreviewReady{pv("nope"), std::string(64, 'b')}}).code, Errc::not_found);
  EXPECT_EQ(field_of(rejection(s, RequestPreview{pv("p1"), std::nullopt, std::nullopt})), "previewId");

  run(s, RequestPreview{pv("p2"), std::nullopt, std::nullopt});
  EXPECT_EQ(field_of(rejection(s, CompletePreview{PreviewReady{pv("p2"), "short"}})), "manifestHash");
  run(s, FailPreview{PreviewFailed{pv("p2"), "render failed", {"page x: boom"}}});
  EXPECT_EQ(find_preview(s, pv("p2"))->status, PreviewStatus::failed);
  EXPECT_EQ(aggregate_version(s, AggregateRef{"preview", pv("p2").value}), 2);
}

TEST(Previews, LongExpiredPreviewsAreForgotten) {
  SiteState s = sample();
  run(s, RequestPreview{pv("old"), std::nullopt, 60});
  CommandMeta later = meta();
  later.occurredAt = "2024-05-20T12:00:00.000000Z";  // more than the longest lifetime after
  run(s, RequestPreview{pv("new"), std::nullopt, std::nullopt}, later);
  EXPECT_FALSE(find_preview(s, pv("old")));
  EXPECT_TRUE(find_preview(s, pv("new")));
}

TEST(Previews, CommandsEventsAndSnapshotsRoundTrip) {
  const Command c = RequestPreview{pv("p1"), std::vector<PageId>{home(), about()}, 60};
  auto back = command_from_json(command_type(c), command_to_json(c));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, c);
  auto bad = command_from_json("RequestPreview", json{{"previewId", pv("p1").value}, {"pageIds", json{"a", 3}}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().details.at(0).field, "pageIds[1]");
  for (const Command& report : {Command{CompletePreview{PreviewReady{pv("p1"), std::string(64, 'c')}}},
                                Command{FailPreview{PreviewFailed{pv("p1"), "no", {"a"}}}}}) {
    auto r = command_from_json(command_type(report), command_to_json(report));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(*r, report);
  }
  SiteState s = sample();
  auto events = run(s, RequestPreview{pv("p1"), std::vector<PageId>{home()}, std::nullopt});
  auto e = event_from_json(event_type(events[0]), event_schema_version(events[0]), event_data(events[0]));
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(*e, events[0]);
  auto restored = site_state_from_json(site_state_to_json(s));
  ASSERT_TRUE(restored.ok()) << restored.error().message;
  EXPECT_EQ(*restored, s);
}

}  // namespace
}  // namespace pw::domain::test
