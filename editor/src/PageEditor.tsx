// One page in Puck: loads the page, its site, the component library and the
// page's Puck document (with its ETag); saves with If-Match; on a version
// conflict says so plainly and lets the user choose (nothing is dropped
// silently: unsaved work is also kept in this tab's storage); previews and
// publishes.
import { Puck, type Config, type Data } from "@puckeditor/core";
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { ApiError, api, type CommandResult, type Deployment, type Preview, type Site } from "./api";
import { adaptDocument, buildConfig, type Library } from "./config";
import { ErrorNotice } from "./errors";
import { linkProps, setNavigationGuard } from "./router";
import { useLoad } from "./useLoad";

type Page = { pageId: string; siteId: string; slug: string; title: string; status: string; version: number };

type Loaded = { page: Page; site: Site; library: Library; doc: Data; version: number };

type Conflict = { mine: Data; theirs: number | null };

type Backup = { version: number; at: string; data: Data };

const backupKey = (pageId: string) => `pagewright.unsaved.${pageId}`;

function readBackup(pageId: string): Backup | null {
  try {
    const raw = window.sessionStorage.getItem(backupKey(pageId));
    return raw ? (JSON.parse(raw) as Backup) : null;
  } catch {
    return null;
  }
}
function writeBackup(pageId: string, b: Backup) {
  try {
    window.sessionStorage.setItem(backupKey(pageId), JSON.stringify(b));
  } catch {
    // Storage full or refused: the work is still in the editor.
  }
}
function dropBackup(pageId: string) {
  window.sessionStorage.removeItem(backupKey(pageId));
}

// ETag: "<version>"
function versionOf(etag: string | null): number {
  const m = /"?(\d+)"?/.exec(etag ?? "");
  if (!m) throw new ApiError(0, "BAD_RESPONSE", "The page's content came without a version (ETag); it cannot be saved safely.");
  return Number(m[1]);
}

const enc = encodeURIComponent;

async function loadAll(pageId: string): Promise<Loaded> {
  const [page, library, content] = await Promise.all([
    api.get<Page>(`/v1/pages/${enc(pageId)}`),
    api.get<Library>(`/v1/component-library?format=puck`),
    api.get<Data>(`/v1/pages/${enc(pageId)}/content`),
  ]);
  const site = await api.get<Site>(`/v1/sites/${enc(page.data.siteId)}`);
  return {
    page: page.data,
    site: site.data,
    library: library.data,
    doc: adaptDocument(content.data, library.data, "toPuck"),
    version: versionOf(content.etag),
  };
}

// An emptied optional field ("") is left out rather than sent: the schemas
// refuse empty strings where a value must be non-empty. defaultProps keep
// theirs (a required text starts as "").
function withoutEmptyOptionals(data: Data, config: Config): Data {
  const clean = (items: any[]): any[] =>
    items.map((item) => {
      const defaults = (config.components[item.type]?.defaultProps ?? {}) as Record<string, unknown>;
      const props: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(item.props ?? {})) {
        if (v === "" && !(k in defaults)) continue;
        props[k] = Array.isArray(v) && v.every((c) => c && typeof c === "object" && "type" in c && "props" in c) ? clean(v) : v;
      }
      return { ...item, props };
    });
  const zones: Record<string, any[]> = {};
  for (const [k, v] of Object.entries(data.zones ?? {})) zones[k] = clean(v as any[]);
  return { ...data, content: clean(data.content ?? []), zones };
}

// A 422's details name JSON pointers into the document we sent
// ("/content/0/props/children/1/props/level"): say which component and prop.
function describePointer(doc: unknown, pointer: string | undefined): string | undefined {
  if (!pointer || !pointer.startsWith("/")) return pointer;
  let node: any = doc;
  let component: any = null;
  let prop: string | null = null;
  const parts = pointer.slice(1).split("/").map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  for (let i = 0; i < parts.length && node !== undefined; i++) {
    node = node?.[parts[i]];
    if (node && typeof node === "object" && typeof node.type === "string" && node.props) {
      component = node;
      prop = null;
    } else if (component && parts[i - 1] === "props") {
      prop = parts[i];
    }
  }
  if (!component) return pointer;
  const name = component.props.text || component.props.title || component.props.label || component.props.id;
  return `${component.type}${name ? ` “${String(name).slice(0, 40)}”` : ""}${prop ? ` › ${prop}` : ""}`;
}

function download(name: string, data: unknown) {
  const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

type Props = { pageId: string; topBar: (crumbs: ReactNode) => ReactNode };

export function PageEditor({ pageId, topBar }: Props) {
  const loaded = useLoad(`page:${pageId}`, () => loadAll(pageId));
  if (loaded.error !== null) {
    return (
      <>
        {topBar(null)}
        <main className="pw-page">
          <ErrorNotice error={loaded.error} title="The page could not be opened">
            <div className="pw-row">
              <button type="button" className="pw-button" onClick={loaded.reload}>
                Try again
              </button>
            </div>
          </ErrorNotice>
          <a {...linkProps({ name: "sites" })}>Back to your sites</a>
        </main>
      </>
    );
  }
  if (!loaded.data) {
    return (
      <>
        {topBar(null)}
        <main className="pw-page pw-muted">Opening the page…</main>
      </>
    );
  }
  return <LoadedEditor initial={loaded.data} topBar={topBar} />;
}

function LoadedEditor({ initial, topBar }: { initial: Loaded; topBar: Props["topBar"] }) {
  const { page, site, library } = initial;
  const config = useMemo(() => buildConfig(library, site.siteId), [library, site.siteId]);
  // Puck owns the document while it is open; a reload remounts it (key).
  const [doc, setDoc] = useState<{ key: number; data: Data }>({ key: 0, data: initial.doc });
  const version = useRef(initial.version);
  const current = useRef<Data>(initial.doc);
  const saved = useRef(JSON.stringify(initial.doc));
  const [shownVersion, setShownVersion] = useState(initial.version);
  const [dirty, setDirty] = useState(false);
  const [busy, setBusy] = useState<null | "save" | "preview" | "publish" | "reload">(null);
  const [error, setError] = useState<{ title: string; error: unknown; doc?: unknown } | null>(null);
  const [notice, setNotice] = useState<ReactNode>(null);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [deployment, setDeployment] = useState<Deployment | null>(null);
  const [backup, setBackup] = useState<Backup | null>(() => {
    const b = readBackup(page.pageId);
    return b && JSON.stringify(b.data) !== saved.current ? b : null;
  });

  const onChange = useCallback(
    (data: Data) => {
      current.current = data;
      const isDirty = JSON.stringify(data) !== saved.current;
      setDirty(isDirty);
      if (isDirty) writeBackup(page.pageId, { version: version.current, at: new Date().toISOString(), data });
    },
    [page.pageId],
  );

  // Leaving with unsaved changes asks first.
  useEffect(() => {
    const onBeforeUnload = (e: BeforeUnloadEvent) => {
      if (JSON.stringify(current.current) !== saved.current) e.preventDefault();
    };
    window.addEventListener("beforeunload", onBeforeUnload);
    setNavigationGuard(
      () => JSON.stringify(current.current) === saved.current || window.confirm("This page has unsaved changes. Leave it anyway?"),
    );
    return () => {
      window.removeEventListener("beforeunload", onBeforeUnload);
      setNavigationGuard(null);
    };
  }, []);

  const save = useCallback(
    async (expected?: number): Promise<boolean> => {
      const sent = adaptDocument(withoutEmptyOptionals(current.current, config), library, "toServer");
      const snapshot = JSON.stringify(current.current);
      setBusy("save");
      setError(null);
      try {
        const r = await api.put<CommandResult>(`/v1/pages/${enc(page.pageId)}/content`, sent, {
          "If-Match": `"${expected ?? version.current}"`,
        });
        version.current = r.data.version;
        setShownVersion(r.data.version);
        saved.current = snapshot;
        setDirty(JSON.stringify(current.current) !== saved.current);
        dropBackup(page.pageId);
        setBackup(null);
        setConflict(null);
        setNotice(r.data.events.length ? `Saved: version ${r.data.version}.` : "Nothing to save: the page is as on the server.");
        return true;
      } catch (e) {
        if (e instanceof ApiError && e.code === "VERSION_CONFLICT") {
          const m = e.details.map((d) => /current version is (\d+)/.exec(d.message)).find(Boolean);
          setConflict({ mine: current.current, theirs: m ? Number(m[1]) : null });
        } else {
          setError({ title: "The page was not saved", error: e, doc: sent });
        }
        return false;
      } finally {
        setBusy(null);
      }
    },
    [config, library, page.pageId],
  );

  // The server's current version replaces what the editor holds. The user's
  // copy stays in the tab's storage and is offered back (the backup banner).
  const reload = useCallback(async () => {
    setBusy("reload");
    setError(null);
    try {
      const mine = current.current;
      if (JSON.stringify(mine) !== saved.current) {
        const b = { version: version.current, at: new Date().toISOString(), data: mine };
        writeBackup(page.pageId, b);
        setBackup(b);
      }
      const r = await api.get<Data>(`/v1/pages/${enc(page.pageId)}/content`);
      const theirs = adaptDocument(r.data, library, "toPuck");
      version.current = versionOf(r.etag);
      setShownVersion(version.current);
      current.current = theirs;
      saved.current = JSON.stringify(theirs);
      setDirty(false);
      setConflict(null);
      setDoc((d) => ({ key: d.key + 1, data: theirs }));
      setNotice(`Reloaded: version ${version.current}.`);
    } catch (e) {
      setError({ title: "The page could not be reloaded", error: e });
    } finally {
      setBusy(null);
    }
  }, [library, page.pageId]);

  const restoreBackup = useCallback(() => {
    if (!backup) return;
    current.current = backup.data;
    setDoc((d) => ({ key: d.key + 1, data: backup.data }));
    setDirty(JSON.stringify(backup.data) !== saved.current);
    setBackup(null);
    setNotice(
      backup.version === version.current
        ? "Your unsaved changes are back. Save to keep them."
        : `Your unsaved changes (made on version ${backup.version}) are back over version ${version.current}. Saving puts them over the newer version.`,
    );
  }, [backup]);

  const saveIfDirty = useCallback(async () => (JSON.stringify(current.current) === saved.current ? true : save()), [save]);

  const preview = useCallback(async () => {
    // Opened now, while the click still counts as the user's, so no popup blocker stops it.
    const tab = window.open("", "_blank");
    if (!(await saveIfDirty())) {
      tab?.close();
      return;
    }
    setBusy("preview");
    try {
      const r = await api.post<Preview>(`/v1/sites/${enc(site.siteId)}/previews`, { pageIds: [page.pageId] });
      const url = r.data.url + (page.slug ? `${page.slug}/` : "");
      if (tab) tab.location.href = url;
      setNotice(
        <>
          Preview ready (until {new Date(r.data.expiresAt).toLocaleString()}):{" "}
          <a href={url} target="_blank" rel="noreferrer" data-testid="preview-link">
            {url}
          </a>
        </>,
      );
    } catch (e) {
      tab?.close();
      setError({ title: "The preview was not made", error: e });
    } finally {
      setBusy(null);
    }
  }, [page.pageId, page.slug, saveIfDirty, site.siteId]);

  const publish = useCallback(async () => {
    if (!(await saveIfDirty())) return;
    setBusy("publish");
    setDeployment(null);
    try {
      await api.post<CommandResult>(`/v1/pages/${enc(page.pageId)}/publish`, {});
      const d = await api.post<CommandResult>(`/v1/sites/${enc(site.siteId)}/publish`, {
        environment: "production",
        strategy: "all-at-once",
      });
      const id = d.data.deploymentId ?? d.data.aggregateId;
      let dep: Deployment = { deploymentId: id, status: "queued" };
      setDeployment(dep);
      const deadline = Date.now() + 120_000;
      while (dep.status !== "succeeded" && dep.status !== "failed" && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 500));
        try {
          dep = (await api.get<Deployment>(`/v1/deployments/${enc(id)}`)).data;
        } catch (e) {
          // The read model may not know the deployment for a moment.
          if (!(e instanceof ApiError && e.code === "NOT_FOUND")) throw e;
        }
        setDeployment(dep);
      }
      if (dep.status !== "succeeded" && dep.status !== "failed") {
        setError({ title: "The deployment has not finished after 2 minutes", error: new Error(`Deployment ${id} is still ${dep.status}.`) });
      }
    } catch (e) {
      setError({ title: "The page was not published", error: e });
    } finally {
      setBusy(null);
    }
  }, [page.pageId, saveIfDirty, site.siteId]);

  // Ctrl/Cmd+S saves.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "s") {
        e.preventDefault();
        void save();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [save]);

  const liveUrl = `/sites/${site.subdomain}/${page.slug ? `${page.slug}/` : ""}`;

  return (
    <div className="pw-editor">
      {topBar(
        <>
          <span>/</span>
          <a {...linkProps({ name: "site", siteId: site.siteId })}>{site.name}</a>
          <span>/</span>
          <span>{page.title}</span>
        </>,
      )}
      <div className="pw-statusbar" data-testid="status">
        <span data-testid="version">version {shownVersion}</span>
        <span className={dirty ? "pw-dirty" : "pw-clean"} data-testid="save-state">
          {busy === "save" ? "Saving…" : dirty ? "Unsaved changes" : "All changes saved"}
        </span>
        {notice && <span className="pw-notice" data-testid="notice">{notice}</span>}
        {deployment && <DeploymentStatus deployment={deployment} liveUrl={liveUrl} />}
      </div>
      {backup && (
        <div className="pw-banner" role="status" data-testid="backup-banner">
          This tab holds unsaved changes to this page from {new Date(backup.at).toLocaleString()} (made on version {backup.version}).
          <button type="button" className="pw-button pw-button-small" onClick={restoreBackup}>
            Restore them
          </button>
          <button type="button" className="pw-button pw-button-small" onClick={() => download(`${page.slug || "home"}-unsaved.json`, backup.data)}>
            Download them
          </button>
          <button
            type="button"
            className="pw-button pw-button-small"
            onClick={() => {
              dropBackup(page.pageId);
              setBackup(null);
            }}
          >
            Discard them
          </button>
        </div>
      )}
      {conflict && (
        <div className="pw-dialog" role="alertdialog" aria-labelledby="pw-conflict-title" data-testid="conflict">
          <h2 id="pw-conflict-title">Someone else changed this page meanwhile</h2>
          <p>
            While you were editing, the page was saved by someone else
            {conflict.theirs !== null ? ` (it is now at version ${conflict.theirs}; you started from version ${version.current})` : ""}.
            Your changes are <strong>not saved</strong> yet, and they are still here.
          </p>
          <div className="pw-row">
            <button type="button" className="pw-button pw-button-primary" onClick={() => void reload()} disabled={busy !== null}>
              Reload their version
            </button>
            <button
              type="button"
              className="pw-button"
              onClick={() => void save(conflict.theirs ?? undefined)}
              disabled={busy !== null || conflict.theirs === null}
            >
              Save mine over theirs
            </button>
            <button type="button" className="pw-button" onClick={() => download(`${page.slug || "home"}-mine.json`, conflict.mine)}>
              Download mine
            </button>
            <button type="button" className="pw-button" onClick={() => setConflict(null)}>
              Keep editing
            </button>
          </div>
          <p className="pw-muted">Reloading keeps your copy in this tab: you can restore or download it afterwards.</p>
        </div>
      )}
      {error && (
        <ErrorNotice
          error={error.error}
          title={error.title}
          onDismiss={() => setError(null)}
          describeField={error.doc ? (field) => describePointer(error.doc, field) : undefined}
        />
      )}
      <div className="pw-puck">
        <Puck
          key={doc.key}
          config={config}
          data={doc.data}
          onChange={onChange}
          headerTitle={page.title}
          headerPath={liveUrl}
          height="100%"
          overrides={{
            headerActions: () => (
              <>
                <button type="button" className="pw-button" onClick={() => void save()} disabled={busy !== null} data-testid="save">
                  {busy === "save" ? "Saving…" : "Save"}
                </button>
                <button type="button" className="pw-button" onClick={() => void preview()} disabled={busy !== null} data-testid="preview">
                  Preview
                </button>
                <button type="button" className="pw-button pw-button-primary" onClick={() => void publish()} disabled={busy !== null} data-testid="publish">
                  {busy === "publish" ? "Publishing…" : "Publish"}
                </button>
              </>
            ),
          }}
        />
      </div>
    </div>
  );
}

function DeploymentStatus({ deployment, liveUrl }: { deployment: Deployment; liveUrl: string }) {
  const done = deployment.status === "succeeded";
  return (
    <span className={`pw-deploy pw-deploy-${deployment.status}`} data-testid="deployment">
      Deployment {deployment.status}
      {done && (
        <>
          {": live at "}
          <a href={liveUrl} target="_blank" rel="noreferrer" data-testid="live-link">
            {liveUrl}
          </a>
        </>
      )}
      {deployment.status === "failed" && (deployment as any).error && <> — {String((deployment as any).error)}</>}
    </span>
  );
}
