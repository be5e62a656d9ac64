// A page's tree as a Puck document (API.md "Puck documents"): GET answers it
// from the read model with the page's version as its ETag; PUT makes one
// ReplacePageContent command of it, whose decider reads the document against
// the current tree (commands/decide_content.cpp).
#include "commands/puck_document.hpp"
#include "commands/state.hpp"
#include "events/ids.hpp"
#include "gateway/handler_internal.hpp"

namespace pw::gateway {
namespace {

using nlohmann::json;

Error not_found() { return make_error(Errc::not_found, "no such resource"); }

std::string etag(int64_t version) { return "\"" + std::to_string(version) + "\""; }

}  // namespace

void get_page_content(const ExchangePtr& ex) {
  PageId page{ex->param("pageId")};
  if (!site_of(page)) return ex->fail(not_found());
  auto row = read_page(*ex, page);
  if (!row.ok()) return ex->fail(row.error());
  if (!row->has_value()) return ex->fail(not_found());
  const json& p = **row;
  auto content = domain::content_from_json(p.value("content", json::array()));
  if (!content.ok()) return ex->fail(make_error(Errc::internal, "stored content does not read: " + content.error().message));
  HttpResponse r;
  r.status = 200;
  r.headers.emplace_back("Content-Type", "application/json");
  r.headers.emplace_back("ETag", etag(p.value("version", int64_t{0})));
  r.body = dump_json(success_envelope(domain::puck_document(p.value("title", std::string()), *content),
                                      ex->request_id, ex->gw.now_rfc3339()));
  ex->send(std::move(r));
}

Result<Built> build_replace_page_content(const Gateway::Exchange& ex, const std::string&) {
  Built b;
  PageId page{ex.param("pageId")};
  const auto site = site_of(page);
  if (!site) return not_found();
  b.site = *site;
  // Replacing the whole tree over edits the editor has not seen would undo
  // them silently: the document must say which version it replaces.
  if (!ex.request.header("if-match"))
    return make_error(Errc::precondition_required, "If-Match is required",
                      {{"If-Match", "send the version the document was read at, e.g. \"3\" (GET …/content answers it as ETag)"}});
  auto body = parse_body(ex.request.body, domain::kMaxPuckDocumentDepth);
  if (!body.ok()) return body.error();
  b.command = domain::ReplacePageContent{page, std::move(body).value()};
  return b;
}

}  // namespace pw::gateway
