import { useEffect, useState, type FormEvent } from "react";
import { api, listAll, setUnauthenticatedHandler, type CommandResult, type PageSummary, type Site, type Template } from "./api";
import { clearToken, getToken, readClaims, setToken } from "./auth";
import { ErrorBoundary, ErrorNotice } from "./errors";
import { PageEditor } from "./PageEditor";
import { linkProps, navigate, useRoute } from "./router";
import { useLoad } from "./useLoad";

export function App() {
  const [token, setTokenState] = useState(getToken());
  const [expired, setExpired] = useState(false);
  useEffect(() => {
    setUnauthenticatedHandler(() => {
      setExpired(true);
      setTokenState(null);
    });
  }, []);
  if (!token) {
    return (
      <SignIn
        expired={expired}
        onSignIn={(t) => {
          setToken(t);
          setExpired(false);
          setTokenState(t);
        }}
      />
    );
  }
  return (
    <ErrorBoundary>
      <Routes
        token={token}
        onSignOut={() => {
          clearToken();
          setTokenState(null);
        }}
      />
    </ErrorBoundary>
  );
}

function SignIn({ expired, onSignIn }: { expired: boolean; onSignIn: (token: string) => void }) {
  const [value, setValue] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  function submit(e: FormEvent) {
    e.preventDefault();
    const t = value.trim().replace(/^Bearer\s+/i, "");
    if (!readClaims(t)) {
      setProblem("That is not a token: a token is three parts separated by dots (header.claims.signature).");
      return;
    }
    onSignIn(t);
  }
  return (
    <main className="pw-page pw-signin">
      <h1>Pagewright editor</h1>
      {expired && <p className="pw-error-inline">The server did not accept your token (missing, invalid or expired). Sign in again.</p>}
      <form onSubmit={submit}>
        <label htmlFor="pw-token">Bearer token</label>
        <textarea id="pw-token" rows={5} value={value} onChange={(e) => setValue(e.target.value)} placeholder="eyJhbGciOiJIUzI1NiIs…" />
        {problem && <p className="pw-error-inline">{problem}</p>}
        <button className="pw-button pw-button-primary" type="submit">
          Sign in
        </button>
      </form>
      <p className="pw-muted">
        <code>ops/run</code> prints a link that signs you in (the token travels in the link's <code>#fragment</code>, never
        sent to a server). <code>pagewright token --tenant … --user … --role editor</code> makes one too. The token stays in
        this tab only.
      </p>
    </main>
  );
}

function TopBar({ token, onSignOut, children }: { token: string; onSignOut: () => void; children?: React.ReactNode }) {
  const claims = readClaims(token);
  const expires = claims?.exp ? new Date(claims.exp * 1000) : null;
  return (
    <header className="pw-topbar">
      <a className="pw-brand" {...linkProps({ name: "sites" })}>
        Pagewright
      </a>
      <nav className="pw-crumbs">{children}</nav>
      <span className="pw-whoami" title={expires ? `token expires ${expires.toLocaleString()}` : undefined}>
        {claims?.sub ?? "?"} · {claims?.role ?? "?"} · {claims?.tenant ?? "?"}
      </span>
      <button type="button" className="pw-button pw-button-small" onClick={onSignOut}>
        Sign out
      </button>
    </header>
  );
}

function Routes({ token, onSignOut }: { token: string; onSignOut: () => void }) {
  const route = useRoute();
  switch (route.name) {
    case "sites":
      return (
        <>
          <TopBar token={token} onSignOut={onSignOut} />
          <Sites />
        </>
      );
    case "site":
      return (
        <>
          <TopBar token={token} onSignOut={onSignOut}>
            <span>/</span> <span>site</span>
          </TopBar>
          <Pages siteId={route.siteId} />
        </>
      );
    case "page":
      return (
        <ErrorBoundary where="the page editor" key={route.pageId}>
          <PageEditor pageId={route.pageId} topBar={(crumbs) => <TopBar token={token} onSignOut={onSignOut}>{crumbs}</TopBar>} />
        </ErrorBoundary>
      );
    case "unknown":
      return (
        <>
          <TopBar token={token} onSignOut={onSignOut} />
          <main className="pw-page">
            <ErrorNotice error={new Error(`There is no editor page at /editor/${route.path}.`)} title="Not found" />
            <a {...linkProps({ name: "sites" })}>Back to your sites</a>
          </main>
        </>
      );
  }
}

function Sites() {
  const sites = useLoad("sites", () => listAll<Site>("/v1/sites?limit=200"));
  const [name, setName] = useState("");
  const [subdomain, setSubdomain] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  async function create(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await api.post<CommandResult>("/v1/sites", { name, subdomain });
      navigate({ name: "site", siteId: r.data.siteId ?? r.data.aggregateId });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <main className="pw-page">
      <h1>Sites</h1>
      {sites.error !== null && <ErrorNotice error={sites.error} title="Your sites could not be listed" />}
      {sites.loading && <p className="pw-muted">Loading…</p>}
      {sites.data && sites.data.length === 0 && <p className="pw-muted">No sites yet: create one below.</p>}
      <ul className="pw-list-plain" data-testid="site-list">
        {sites.data?.map((s) => (
          <li key={s.siteId}>
            <a {...linkProps({ name: "site", siteId: s.siteId })}>{s.name}</a> <span className="pw-muted">{s.subdomain}</span>
          </li>
        ))}
      </ul>
      <h2>New site</h2>
      <form className="pw-form" onSubmit={create}>
        <label>
          Name <input className="pw-input" value={name} onChange={(e) => setName(e.target.value)} required />
        </label>
        <label>
          Subdomain{" "}
          <input
            className="pw-input"
            value={subdomain}
            onChange={(e) => setSubdomain(e.target.value)}
            placeholder="my-site"
            required
          />
        </label>
        <button className="pw-button pw-button-primary" type="submit" disabled={busy}>
          Create site
        </button>
      </form>
      {error !== null && <ErrorNotice error={error} title="The site was not created" onDismiss={() => setError(null)} />}
    </main>
  );
}

function Pages({ siteId }: { siteId: string }) {
  const site = useLoad(`site:${siteId}`, async () => (await api.get<Site>(`/v1/sites/${encodeURIComponent(siteId)}`)).data);
  const pages = useLoad(`pages:${siteId}`, () => listAll<PageSummary>(`/v1/sites/${encodeURIComponent(siteId)}/pages?limit=200`));
  const templates = useLoad("templates", () => listAll<Template>("/v1/templates?limit=200"));
  const [title, setTitle] = useState("");
  const [slug, setSlug] = useState("");
  const [templateId, setTemplateId] = useState("blank");
  const [home, setHome] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function create(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body: Record<string, string> = { title, templateId };
      // No slug: the server makes one from the title; "" is the home page.
      if (home) body.slug = "";
      else if (slug.trim() !== "") body.slug = slug.trim();
      const r = await api.post<CommandResult>(`/v1/sites/${encodeURIComponent(siteId)}/pages`, body);
      navigate({ name: "page", pageId: r.data.pageId ?? r.data.aggregateId });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="pw-page">
      <p>
        <a {...linkProps({ name: "sites" })}>← Sites</a>
      </p>
      <h1>{site.data ? site.data.name : "Site"}</h1>
      {site.data && <p className="pw-muted">Published at <a href={`/sites/${site.data.subdomain}/`} target="_blank" rel="noreferrer">/sites/{site.data.subdomain}/</a></p>}
      {site.error !== null && <ErrorNotice error={site.error} title="The site could not be read" />}
      <h2>Pages</h2>
      {pages.error !== null && <ErrorNotice error={pages.error} title="The pages could not be listed" />}
      {pages.loading && <p className="pw-muted">Loading…</p>}
      {pages.data && pages.data.length === 0 && <p className="pw-muted">No pages yet: create one below.</p>}
      {pages.data && pages.data.length > 0 && (
        <table className="pw-table" data-testid="page-list">
          <thead>
            <tr>
              <th>Title</th>
              <th>Path</th>
              <th>Status</th>
              <th>Version</th>
            </tr>
          </thead>
          <tbody>
            {pages.data.map((p) => (
              <tr key={p.pageId}>
                <td>
                  <a {...linkProps({ name: "page", pageId: p.pageId })}>{p.title}</a>
                </td>
                <td>
                  <code>/{p.slug}</code>
                </td>
                <td>{p.status}</td>
                <td>{p.version}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>New page</h2>
      <form className="pw-form" onSubmit={create}>
        <label>
          Title <input className="pw-input" name="title" value={title} onChange={(e) => setTitle(e.target.value)} required />
        </label>
        <label>
          Path{" "}
          <input
            className="pw-input"
            name="slug"
            value={home ? "" : slug}
            disabled={home}
            onChange={(e) => setSlug(e.target.value)}
            placeholder={home ? "/" : "from the title"}
          />
        </label>
        <label className="pw-check">
          <input type="checkbox" checked={home} onChange={(e) => setHome(e.target.checked)} /> Home page
        </label>
        <label>
          Template{" "}
          <select className="pw-input" name="template" value={templateId} onChange={(e) => setTemplateId(e.target.value)}>
            {(templates.data ?? [{ templateId: "blank", name: "Blank" }]).map((t) => (
              <option key={t.templateId} value={t.templateId} title={t.description}>
                {t.name}
              </option>
            ))}
          </select>
        </label>
        <button className="pw-button pw-button-primary" type="submit" disabled={busy}>
          Create page
        </button>
      </form>
      {templates.error !== null && <ErrorNotice error={templates.error} title="The templates could not be listed" />}
      {error !== null && <ErrorNotice error={error} title="The page was not created" onDismiss={() => setError(null)} />}
    </main>
  );
}
