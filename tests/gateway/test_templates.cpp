// The built-in template loader: every well-formed file is a template; every
// other file is left out and named, never silently.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gateway/templates.hpp"

namespace pw::gateway {
namespace {

using nlohmann::json;

class TemplateFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("pw-templates-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name) << text; }
  static std::string file(const std::string& id) {
    return json{{"templateId", id}, {"name", "N " + id}, {"description", "d"}, {"content", json::array()}}.dump();
  }
  std::filesystem::path dir_;
};

TEST_F(TemplateFiles, WellFormedFilesLoadInNameOrderAndTheRestAreNamed) {
  write("b-landing.json", file("landing"));
  write("a-blank.json", file("blank"));
  write("c-not-json.json", "{nope");
  write("d-unknown-field.json", json{{"templateId", "x"}, {"name", "X"}, {"content", json::array()}, {"extra", 1}}.dump());
  write("e-tenant-shaped-id.json", file("5f0c2b1e-8a4d-5c3e-9f12-0123456789ab.abc"));
  write("f-duplicate.json", file("blank"));
  write("g-content-not-array.json", json{{"templateId", "g"}, {"name", "G"}, {"content", json::object()}}.dump());
  write("notes.txt", "not a template");
  auto lib = TemplateLibrary::load(dir_);
  ASSERT_EQ(lib->all().size(), 2u);
  EXPECT_EQ(lib->all()[0].templateId, "blank");
  EXPECT_EQ(lib->all()[1].templateId, "landing");
  ASSERT_NE(lib->find("landing"), nullptr);
  EXPECT_EQ(lib->find("landing")->name, "N landing");
  EXPECT_EQ(lib->find("nope"), nullptr);
  ASSERT_EQ(lib->errors().size(), 5u);
  EXPECT_NE(lib->errors()[0].find("c-not-json.json"), std::string::npos);
  EXPECT_NE(lib->errors()[1].find("unknown field extra"), std::string::npos);
  EXPECT_NE(lib->errors()[2].find("templateId"), std::string::npos);
  EXPECT_NE(lib->errors()[3].find("taken"), std::string::npos);
  EXPECT_NE(lib->errors()[4].find("content"), std::string::npos);
  const json j = built_in_json(lib->all()[0]);
  EXPECT_EQ(j, (json{{"templateId", "blank"}, {"name", "N blank"}, {"description", "d"}, {"builtIn", true},
                     {"content", json::array()}}));
}

TEST_F(TemplateFiles, AMissingDirectoryIsAnEmptyLibraryWithAnError) {
  auto lib = TemplateLibrary::load(dir_ / "absent");
  EXPECT_TRUE(lib->all().empty());
  EXPECT_EQ(lib->errors().size(), 1u);
}

}  // namespace
}  // namespace pw::gateway
