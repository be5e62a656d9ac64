#include "tests/published/fixture.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <cstring>

extern char** environ;

namespace pw::published {
namespace {

using domain::Component;
using nlohmann::json;

Component comp(std::string type, json props = json::object(),
               std::map<std::string, std::vector<Component>> slots = {}) {
  static int next = 0;
  Component c;
  c.id = ComponentId("c" + std::to_string(++next));
  c.type = std::move(type);
  c.props = std::move(props);
  c.slots = std::move(slots);
  return c;
}

Component section(json props, std::vector<Component> children) {
  return comp("Section", std::move(props), {{"children", std::move(children)}});
}

Component columns(std::vector<std::vector<Component>> cols, std::string gap) {
  std::map<std::string, std::vector<Component>> slots;
  for (size_t i = 0; i < cols.size(); ++i) slots["column" + std::to_string(i + 1)] = std::move(cols[i]);
  return comp("Columns", {{"count", slots.size()}, {"gap", std::move(gap)}}, std::move(slots));
}

render::PageInput page(std::string slug, std::string title, std::vector<Component> content) {
  render::PageInput p;
  p.pageId = "acme." + (slug.empty() ? std::string("home") : slug);
  p.slug = std::move(slug);
  p.title = std::move(title);
  p.description = "About " + p.title;
  p.content = std::move(content);
  p.version = 2;
  p.publishedAt = "2026-11-30T12:00:00Z";
  return p;
}

// Cards render an h2, and the checker rejects a heading that skips a level on
// the way down, so every page opens with a Hero (h1) or a level-1 Heading.
render::PageInput home() {
  return page("", "Home",
              {comp("Hero", {{"title", "Build sites fast"},
                             {"subtitle", "Static, immutable, yours"},
                             {"image", "https://cdn.example.com/media/hero.jpg"},
                             {"ctaLabel", "Start now"},
                             {"ctaHref", "/docs/intro/"}}),
               section({{"padding", "large"}, {"anchor", "features"}, {"background", "brand"}},
                       {comp("Heading", {{"text", "Features"}, {"level", 2}, {"align", "center"}}),
                        columns({{comp("Card", {{"title", "Linked card"},
                                                {"body", "Goes **somewhere**."},
                                                {"href", "/about/"},
                                                {"image", "https://cdn.example.com/a.png"}})},
                                 {comp("Card", {{"title", "Plain card"}, {"body", "No link, no image."}})},
                                 {comp("Card", {{"title", "External"}, {"href", "https://example.com/"}})}},
                                "large"),
                        comp("Button", {{"label", "Read the docs"}, {"href", "/docs/intro/"}, {"variant", "primary"}}),
                        comp("Button", {{"label", "Email us"}, {"href", "mailto:hi@example.com"},
                                        {"variant", "secondary"}})}),
               comp("Spacer", {{"size", "small"}}),
               comp("Spacer", {{"size", "medium"}}),
               comp("Spacer", {{"size", "large"}}),
               comp("Spacer")});
}

render::PageInput about() {
  auto col = [](std::string t) { return std::vector<Component>{comp("Text", {{"text", std::move(t)}})}; };
  return page(
      "about", "About us",
      {comp("Heading", {{"text", "About us"}, {"level", 1}}),
       comp("Heading", {{"text", "Level two"}, {"level", 2}, {"align", "left"}}),
       comp("Heading", {{"text", "Level three"}, {"level", 3}, {"align", "right"}}),
       comp("Heading", {{"text", "Level four"}, {"level", 4}}),
       comp("Heading", {{"text", "Level five"}, {"level", 5}}),
       comp("Heading", {{"text", "Level six"}, {"level", 6}}),
       comp("Heading", {{"text", "Default level"}}),
       section({{"padding", "none"}, {"background", "primary"}},
               {columns({col("Left"), col("Right")}, "none")}),
       section({{"padding", "small"}, {"background", "#f3f4f6"}},
               {columns({col("One"), col("Two"), col("Three"), col("Four")}, "small")}),
       section({{"padding", "medium"}, {"anchor", "team"}},
               {comp("Image", {{"src", "https://cdn.example.com/media/team.jpg"}, {"alt", "The team"}, {"width", 800},
                               {"height", 600}, {"caption", "All of us"}}),
                comp("Image", {{"src", "https://cdn.example.com/deco.svg"}, {"alt", ""}}),
                comp("Image", {{"src", "https://cdn.example.com/media/office.png"}, {"alt", "The office"}, {"width", 320}})}),
       section({}, {comp("Text", {{"text", "A section with no props."}})})});
}

render::PageInput docs_intro() {
  return page("docs/intro", "Introduction",
              {comp("Heading", {{"text", "Introduction"}, {"level", 1}}),
               comp("Text", {{"text", R"md(Some *emphasis*, **strong**, ~~struck~~ and `inline code`.
A [relative link](/about/), an [absolute one](https://example.com/docs?q=1&r=2),
an autolink https://example.org and <mailto:hi@example.com>.

## Lists

- one
- two
  - nested
- [ ] a task
- [x] a done task

1. first
2. second

> A quote with **bold**.

| Plan | Price | Notes |
|:-----|------:|:-----:|
| Free | 0 | *basic* |
| Pro | 10 | `fast` |

```cpp
int main() { return 0 < 1; }
```

---

![An image](https://cdn.example.com/media/diagram.png "Diagram")
)md"}})});
}

render::PageInput docs_private() {
  render::PageInput p = page(std::string(kNoIndexSlug), "Private notes",
                             {comp("Heading", {{"text", "Private notes"}, {"level", 1}}),
                              comp("Text", {{"text", "Not for search engines."}})});
  p.seo.noIndex = true;
  return p;
}

render::PageInput hostile() {
  const std::string s(kScriptText);
  const std::string a(kAttrBreak);
  const std::string js = "javascript:alert(1)";
  const std::string mixed = "JaVaScRiPt:alert(1)";
  const std::string data = "data:text/html,<script>alert(1)</script>";
  const std::string split = "\tjava\nscript:alert(1)";
  auto p = page(
      std::string(kHostileSlug), s,
      {comp("Hero", {{"title", s}, {"subtitle", a}, {"image", js}, {"ctaLabel", a}, {"ctaHref", mixed}}),
       comp("Heading", {{"text", s}, {"level", 2}}),
       section({{"anchor", "hostile"}, {"padding", "small"}},
               {comp("Image", {{"src", js}, {"alt", a}, {"caption", s}}),
                comp("Image", {{"src", "https://cdn.example.com/media/ok.png"}, {"alt", a}, {"caption", s}}),
                comp("Image", {{"src", data}, {"alt", s}}),
                comp("Image", {{"src", split}, {"alt", a}}),
                comp("Button", {{"label", s}, {"href", js}}),
                comp("Button", {{"label", a}, {"href", mixed}, {"variant", "secondary"}}),
                comp("Button", {{"label", a}, {"href", data}}),
                comp("Button", {{"label", s}, {"href", split}})}),
       columns({{comp("Card", {{"title", s}, {"body", a}, {"href", js}, {"image", mixed}})},
                {comp("Card", {{"title", a}, {"href", data}, {"image", split}})},
                {comp("Card", {{"title", "safe"}, {"href", split}, {"image", data}})}},
               "medium"),
       comp("Hero", {{"title", a}, {"image", data}, {"ctaLabel", s}, {"ctaHref", split}}),
       comp("Text", {{"text", "Before\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(1)> and "
                              "[x](javascript:alert(1)) [y](JaVaScRiPt:alert(1)) "
                              "[z](data:text/html,x) ![i](javascript:alert(1))\n\n"
                              "<a href=\"javascript:alert(1)\" onclick=\"alert(1)\">raw</a>\n\n"
                              "<iframe src=\"https://evil.example\"></iframe>\n\nAfter"}})});
  p.description = a;
  p.seo.canonical = js;
  p.seo.ogImage = data;
  return p;
}

}  // namespace

TempDir::TempDir(std::string_view tag) {
  std::random_device rd;
  path_ = fs::temp_directory_path() /
          ("pw-" + std::string(tag) + "-" + std::to_string(rd()) + std::to_string(rd()));
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

render::SiteInput fixture_site() {
  render::SiteInput s;
  s.siteId = "acme";
  s.name = "Acme";
  s.subdomain = std::string(kSubdomain);
  s.baseUrl = std::string(kBaseUrl);
  s.seo.titleTemplate = "%s | Acme";
  s.seo.description = "The Acme site";
  s.settings = {{"lang", "en"}};
  s.designTokens = {{"colors", {{"brand", "#0f766e"}}}};
  return s;
}

std::vector<render::PageInput> fixture_pages() {
  return {home(), about(), docs_intro(), docs_private(), hostile()};
}

std::vector<std::string> indexable_slugs() { return {"", "about", "docs/intro", std::string(kHostileSlug)}; }

builds::BuildRequest fixture_request(std::string deploy) {
  builds::BuildRequest rq;
  rq.subdomain = std::string(kSubdomain);
  rq.deploy = std::move(deploy);
  rq.environment = "production";
  rq.blue_green = true;
  rq.site = fixture_site();
  rq.pages = fixture_pages();
  return rq;
}

BuiltSite build_fixture() {
  BuiltSite b;
  b.dir = std::make_unique<TempDir>("published");
  auto store = ship::Shipper::open(b.dir->path() / "store");
  if (!store.ok()) {
    b.error = "opening the store: " + store.error().message;
    return b;
  }
  b.store = std::move(store).value();
  b.builder = std::make_unique<builds::SiteBuilder>(*b.store, 2);
  auto out = b.builder->build(fixture_request("d1"));
  if (!out.ok) {
    b.error = out.reason;
    for (const auto& line : out.log) b.error += "\n  " + line;
    return b;
  }
  b.deploy = b.store->root() / "deploys" / std::string(kSubdomain) / "d1";
  return b;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<fs::path> files_ending(const fs::path& root, std::string_view ext) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file() && e.path().string().ends_with(ext)) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string find_in_path(std::string_view program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    fs::path candidate = fs::path(dir.empty() ? "." : dir) / program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return {};
}

std::string vnu_jar() {
  const char* env = std::getenv("PW_VNU_JAR");
  fs::path jar = env != nullptr && *env != '\0'
                     ? fs::path(env)
                     : fs::path(PW_SOURCE_DIR) / "ops/checkers/node_modules/vnu-jar/build/dist/vnu.jar";
  return fs::is_regular_file(jar) ? jar.string() : std::string();
}

bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string_view(ci) == "true";
}

std::string shell_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

Ran run(const std::vector<std::string>& argv) {
  Ran r;
  TempDir io("run");
  const fs::path out = io.path() / "out", err = io.path() / "err";
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    r.err = "cannot start " + argv[0] + ": " + std::strerror(rc);
    return r;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

}  // namespace pw::published
