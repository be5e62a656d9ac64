// The deployment lifecycle in the site aggregate: request → start → succeed or
// fail, rollback, retention pruning, and the repeats a retried build sends.
#include <gmock/gmock.h>

#include "fixtures.hpp"

namespace pw::domain::test {
namespace {

DeploymentId dep(std::string_view suffix) { return make_deployment_id(site(), suffix); }

DeploymentSucceeded success(const DeploymentId& id) {
  DeploymentSucceeded s;
  s.deploymentId = id;
  s.manifestHash = std::string(64, 'a');
  s.url = "/sites/acme/";
  s.report.pagesRendered = 2;
  s.log = {"rendered 2"};
  return s;
}

// Requests, starts and completes a deployment of `environment`.
void ship(SiteState& s, const DeploymentId& id, std::string environment = "production") {
  run(s, RequestDeployment{id, environment, "all-at-once"});
  run(s, StartDeployment{id, "builder-1"});
  run(s, CompleteDeployment{success(id)});
}

Error rejection(const SiteState& s, const Command& c, const CommandMeta& m = meta()) {
  auto r = decide(loaded_schemas(), s, m, c);
  EXPECT_FALSE(r.ok());
  return r.ok() ? make_error(Errc::internal, "accepted") : r.error();
}

TEST(Deployments, LifecycleGoesQueuedBuildingSucceededAndLive) {
  SiteState s = acme();
  auto requested = run(s, RequestDeployment{dep("d1"), "production", "blue-green"});
  ASSERT_EQ(requested.size(), 1u);
  EXPECT_EQ(std::get<DeploymentRequested>(requested[0]).strategy, "blue-green");
  EXPECT_EQ(find_deployment(s, dep("d1"))->status, DeploymentStatus::queued);
  run(s, StartDeployment{dep("d1"), "builder-1"});
  EXPECT_EQ(find_deployment(s, dep("d1"))->status, DeploymentStatus::building);
  run(s, CompleteDeployment{success(dep("d1"))});
  EXPECT_EQ(find_deployment(s, dep("d1"))->status, DeploymentStatus::succeeded);
  EXPECT_EQ(s.environments.at("production").live, dep("d1"));
  EXPECT_EQ(find_deployment(s, dep("d1"))->version, 3);
  EXPECT_EQ(aggregate_version(s, AggregateRef{"deployment", dep("d1").value}), 3);
}

TEST(Deployments, RepeatedReportsOfARetriedBuildAppendNothing) {
  SiteState s = acme();
  ship(s, dep("d1"));
  auto again = decide(loaded_schemas(), s, meta(), CompleteDeployment{success(dep("d1"))});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->empty());
}

TEST(Deployments, AStartAfterTheEndIsRefused) {
  SiteState s = acme();
  ship(s, dep("d1"));
  EXPECT_EQ(rejection(s, StartDeployment{dep("d1"), "late"}).code, Errc::unprocessable);
}

TEST(Deployments, FailureLeavesTheLivePointerAlone) {
  SiteState s = acme();
  ship(s, dep("d1"));
  run(s, RequestDeployment{dep("d2"), "production", "all-at-once"});
  run(s, StartDeployment{dep("d2"), "b"});
  run(s, FailDeployment{DeploymentFailed{dep("d2"), "render failed", {"page x: boom"}}});
  EXPECT_EQ(find_deployment(s, dep("d2"))->status, DeploymentStatus::failed);
  EXPECT_EQ(s.environments.at("production").live, dep("d1"));
  EXPECT_EQ(rejection(s, CompleteDeployment{success(dep("d2"))}).code, Errc::unprocessable);
  EXPECT_EQ(rejection(s, RollbackDeployment{dep("d2")}).code, Errc::unprocessable);
}

TEST(Deployments, RollbackRepointsToAnEarlierSuccess) {
  SiteState s = acme();
  ship(s, dep("d1"));
  ship(s, dep("d2"));
  EXPECT_EQ(s.environments.at("production").previous, dep("d1"));
  auto events = run(s, RollbackDeployment{dep("d1")});
  ASSERT_EQ(events.size(), 1u);
  const auto& rb = std::get<DeploymentRolledBack>(events[0]);
  EXPECT_EQ(rb.previousDeploymentId, dep("d2"));
  EXPECT_EQ(rb.environment, "production");
  EXPECT_EQ(s.environments.at("production").live, dep("d1"));
  // Already live: accepted, nothing to do.
  EXPECT_TRUE(run(s, RollbackDeployment{dep("d1")}).empty());
}

TEST(Deployments, RequestsAreValidated) {
  SiteState s = acme();
  EXPECT_EQ(rejection(s, RequestDeployment{dep("d1"), "qa", "all-at-once"}).code, Errc::validation_error);
  EXPECT_EQ(rejection(s, RequestDeployment{dep("d1"), "production", "canary"}).code, Errc::validation_error);
  const DeploymentId elsewhere = make_deployment_id(site_id_for_subdomain("other"), "d1");
  EXPECT_EQ(rejection(s, RequestDeployment{elsewhere, "production", "all-at-once"}).code,
            Errc::validation_error);
  CommandMeta stranger = meta();
  stranger.tenant = kOtherTenant;
  EXPECT_EQ(rejection(s, RequestDeployment{dep("d1"), "production", "all-at-once"}, stranger).code,
            Errc::not_found);
  EXPECT_EQ(rejection(s, RollbackDeployment{dep("nope")}).code, Errc::not_found);
  DeploymentSucceeded bad = success(dep("d1"));
  run(s, RequestDeployment{dep("d1"), "production", "all-at-once"});
  bad.manifestHash = "xyz";
  EXPECT_EQ(rejection(s, CompleteDeployment{bad}).code, Errc::validation_error);
}

TEST(Deployments, RetentionPrunesOldDeploysButNeverLiveOrPrevious) {
  SiteState s = acme();
  s = with(s, {UpdateSiteSettings{std::nullopt, std::nullopt, json{{"deployRetention", 3}}}});
  ship(s, dep("d1"));
  ship(s, dep("d2"));
  ship(s, dep("d3"));
  ship(s, dep("s1"), "staging");
  EXPECT_FALSE(find_deployment(s, dep("d1"))->pruned);
  run(s, RequestDeployment{dep("d4"), "production", "all-at-once"});
  run(s, StartDeployment{dep("d4"), "b"});
  auto events = run(s, CompleteDeployment{success(dep("d4"))});
  ASSERT_EQ(events.size(), 2u);
  const auto& pruned = std::get<DeploymentsPruned>(events[1]);
  EXPECT_THAT(pruned.deploymentIds, ::testing::ElementsAre(dep("d1")));
  EXPECT_TRUE(find_deployment(s, dep("d1"))->pruned);
  EXPECT_FALSE(find_deployment(s, dep("s1"))->pruned);  // another environment's count
  EXPECT_EQ(rejection(s, RollbackDeployment{dep("d1")}).code, Errc::unprocessable);

  // A rolled-back-to deploy is live, so it is kept however old it is.
  run(s, RollbackDeployment{dep("d2")});
  run(s, RequestDeployment{dep("d5"), "production", "all-at-once"});
  run(s, StartDeployment{dep("d5"), "b"});
  run(s, CompleteDeployment{success(dep("d5"))});
  EXPECT_FALSE(find_deployment(s, dep("d2"))->pruned);  // the previous one now
  EXPECT_FALSE(find_deployment(s, dep("d3"))->pruned);  // within the newest three
  ship(s, dep("d6"));
  EXPECT_TRUE(find_deployment(s, dep("d2"))->pruned);
  EXPECT_TRUE(find_deployment(s, dep("d3"))->pruned);
  EXPECT_FALSE(find_deployment(s, dep("d4"))->pruned);
}

TEST(Deployments, SnapshotsKeepDeploymentsAndPointers) {
  SiteState s = acme();
  ship(s, dep("d1"));
  ship(s, dep("d2"), "staging");
  run(s, RequestDeployment{dep("d3"), "production", "blue-green"});
  auto back = site_state_from_json(site_state_to_json(s));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, s);
}

TEST(Deployments, CommandsAndEventsRoundTripThroughJson) {
  const Command commands[] = {RequestDeployment{dep("d1"), "staging", "blue-green"},
                              StartDeployment{dep("d1"), "w"},
                              CompleteDeployment{success(dep("d1"))},
                              FailDeployment{DeploymentFailed{dep("d1"), "disk full", {"a", "b"}}},
                              RollbackDeployment{dep("d1")}};
  for (const auto& c : commands) {
    auto back = command_from_json(command_type(c), command_to_json(c));
    ASSERT_TRUE(back.ok()) << command_type(c) << ": " << back.error().message;
    EXPECT_EQ(*back, c);
    EXPECT_EQ(aggregate_of(meta(), c).type, "deployment");
  }
  const DomainEvent events[] = {DeploymentRolledBack{dep("d1"), "production", dep("d0")},
                                DeploymentsPruned{site(), {dep("a"), dep("b")}},
                                DeploymentStarted{dep("d1"), "w"}};
  for (const auto& e : events) {
    auto back = event_from_json(event_type(e), kEventSchemaVersion, event_data(e));
    ASSERT_TRUE(back.ok()) << event_type(e) << ": " << back.error().message;
    EXPECT_EQ(*back, e);
  }
  auto unknown = command_from_json("RequestDeployment", json{{"deploymentId", dep("x").value}, {"force", true}});
  EXPECT_FALSE(unknown.ok());
}

}  // namespace
}  // namespace pw::domain::test
