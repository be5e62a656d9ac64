-- The editor's hottest read, one page by id, in a single statement. As a
-- read-only transaction around set_config and the SELECT it took four round
-- trips, and at the visibility benchmark's rate their wake-ups were a tenth
-- of the server's CPU. set_config(..., true) lasts until the end of the
-- statement's own transaction, so the scope cannot outlive the call, and the
-- function runs as its caller: row-level security still decides every row.
CREATE FUNCTION page_in_tenant(tenant text, wanted text)
RETURNS TABLE (page_id text, site_id text, slug text, title text, description text, seo text, status text,
               version bigint, published_version bigint, updated_at text, content text)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  PERFORM set_config('pagewright.tenant', tenant, true);
  RETURN QUERY
    SELECT p.page_id, p.site_id, p.slug, p.title, p.description, p.seo::text, p.status, p.version,
           p.published_version, to_char(p.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
           p.content::text
      FROM pages p
     WHERE p.page_id = wanted;
END
$$;
REVOKE ALL ON FUNCTION page_in_tenant(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION page_in_tenant(text, text) TO pagewright_reader;
