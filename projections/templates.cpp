#include "projections/templates.hpp"

namespace pw::projections {

void prepare_template_statements(pqxx::connection& c) {
  c.prepare("pw_tpl_insert",
            "INSERT INTO templates (tenant_id, template_id, site_id, source_page_id, name, "
            "description, content, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)");
  c.prepare("pw_tpl_delete", "DELETE FROM templates WHERE template_id = $1");
}

void project_template(pqxx::work& txn, const Envelope& env, const domain::TemplateSaved& e) {
  txn.exec_prepared("pw_tpl_insert", env.tenant_id, e.templateId.value, env.site_id, e.sourcePageId.value, e.name,
                    e.description, e.content.dump(), env.occurred_at);
}

void project_template(pqxx::work& txn, const Envelope&, const domain::TemplateDeleted& e) {
  txn.exec_prepared("pw_tpl_delete", e.templateId.value);
}

}  // namespace pw::projections
