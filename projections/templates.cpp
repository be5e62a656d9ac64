#include "projections/templates.hpp"

namespace pw::projections {

void prepare_template_statements(pqxx::connection& c) {
  c.prepare("pw_tpl_insert",
            "INSERT INTO templates (tenant_id, template_id, site_id, source_page_id, name, "
            "description, content, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)");
  c.prepare("pw_tpl_delete", "DELETE FROM templates WHERE template_id = $1");
}

bool project_template(pqxx::work& txn, const Envelope& env, const domain::DomainEvent& event) {
  if (const auto* saved = std::get_if<domain::TemplateSaved>(&event)) {
    txn.exec_prepared("pw_tpl_insert", env.tenant_id, saved->templateId.value, env.site_id,
                      saved->sourcePageId.value, saved->name, saved->description,
                      saved->content.dump(), env.occurred_at);
    return true;
  }
  if (const auto* deleted = std::get_if<domain::TemplateDeleted>(&event)) {
    txn.exec_prepared("pw_tpl_delete", deleted->templateId.value);
    return true;
  }
  return false;
}

}  // namespace pw::projections
