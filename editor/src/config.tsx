// The Puck Config, built from the server's component library
// (GET /v1/component-library?format=puck): its fields and defaultProps as
// they are, plus a React render function per component type the editor
// knows (approximating the published look, see styles.css) and a generic
// one for types it does not know, so a newer server never breaks the editor.
import type { ComponentConfig, Config, CustomField, Field, Fields } from "@puckeditor/core";
import type { ReactNode } from "react";
import { ImageField } from "./ImageField";
import { CanvasImage } from "./images";
import { Markdown } from "./markdown";

// The library as the server sends it: Puck's shapes without functions, plus
// "format" hints on fields.
export type LibraryField = Record<string, unknown> & { type: string; label?: string; format?: string };
export type LibraryComponent = {
  label?: string;
  fields?: Record<string, LibraryField>;
  defaultProps?: Record<string, unknown>;
};
export type Library = {
  components: Record<string, LibraryComponent>;
  categories?: Record<string, { components?: string[]; title?: string }>;
};

type Props = Record<string, any>;
type Slot = (props?: Record<string, unknown>) => ReactNode;

const str = (v: unknown): string => (typeof v === "string" ? v : typeof v === "number" ? String(v) : "");
const items = (v: unknown): any[] => (Array.isArray(v) ? v : []);
const slot = (p: Props, name: string): ReactNode => {
  const S = p[name] as Slot | undefined;
  return typeof S === "function" ? <S className="pw-slot" /> : null;
};
const inert = (e: { preventDefault: () => void }) => e.preventDefault();

const renderers: Record<string, (p: Props) => ReactNode> = {
  Section: (p) => (
    <section className={`pw-section pw-pad-${str(p.padding) || "medium"} ${p.background ? `pw-bg-${str(p.background)}` : ""}`}>
      <div className="pw-container">{slot(p, "children")}</div>
    </section>
  ),
  Columns: (p) => {
    const count = Math.min(4, Math.max(2, Number(p.count) || 2));
    return (
      <div className={`pw-columns pw-columns-${count} pw-gap-${str(p.gap) || "medium"}`}>
        {Array.from({ length: count }, (_, i) => (
          <div className="pw-column" key={i}>
            {slot(p, `column${i + 1}`)}
          </div>
        ))}
      </div>
    );
  },
  Heading: (p) => {
    const level = Math.min(6, Math.max(1, Number(p.level) || 2));
    const Tag = `h${level}` as "h2";
    const text = str(p.text);
    // A new heading shows a placeholder until it has a text.
    return (
      <Tag className={`pw-heading pw-align-${str(p.align) || "left"}${text ? "" : " pw-empty"}`}>{text || "Heading"}</Tag>
    );
  },
  Text: (p) => (
    <div className="pw-text">
      <Markdown source={str(p.text) || "Text"} />
    </div>
  ),
  Image: (p) => (
    <figure className="pw-figure">
      <CanvasImage src={p.src} alt={str(p.alt)} className="pw-image" />
      {p.caption && <figcaption>{str(p.caption)}</figcaption>}
    </figure>
  ),
  Button: (p) => (
    <a className={`pw-btn pw-btn-${str(p.variant) || "primary"}`} href="#" onClick={inert}>
      {str(p.label) || "Button"}
    </a>
  ),
  Hero: (p) => (
    <header className="pw-hero">
      {p.image && <CanvasImage src={p.image} alt="" className="pw-hero-image" />}
      <div className="pw-hero-body">
        <h1>{str(p.title) || "Hero title"}</h1>
        {p.subtitle && <p className="pw-hero-subtitle">{str(p.subtitle)}</p>}
        {p.ctaLabel && (
          <a className="pw-btn pw-btn-primary" href="#" onClick={inert}>
            {str(p.ctaLabel)}
          </a>
        )}
      </div>
    </header>
  ),
  Card: (p) => (
    <article className="pw-card">
      {p.image && <CanvasImage src={p.image} alt="" className="pw-card-image" />}
      <h3>{str(p.title) || "Card title"}</h3>
      {p.body && <Markdown source={str(p.body)} />}
    </article>
  ),
  Spacer: (p) => <div className={`pw-spacer pw-spacer-${str(p.size) || "medium"}`} aria-hidden="true" />,
  Video: (p) => (
    <figure className="pw-video">
      <div className="pw-video-frame">
        <span aria-hidden="true">▶</span> {str(p.title) || "Video"}
      </div>
      <figcaption>{str(p.url) || "No video URL yet"}</figcaption>
    </figure>
  ),
  Gallery: (p) => {
    const cols = Math.min(6, Math.max(1, Number(p.columns) || 3));
    return (
      <div className={`pw-gallery pw-gallery-${cols}`}>
        {items(p.images).map((img, i) => (
          <CanvasImage key={i} src={img?.src} alt={str(img?.alt)} className="pw-gallery-image" />
        ))}
        {items(p.images).length === 0 && <div className="pw-img-placeholder">Gallery: add images</div>}
      </div>
    );
  },
  Quote: (p) => (
    <blockquote className="pw-quote">
      <p>{str(p.text) || "Quote"}</p>
      {p.cite && <cite>{str(p.cite)}</cite>}
    </blockquote>
  ),
  List: (p) => {
    const Tag = p.ordered ? "ol" : "ul";
    return (
      <Tag className="pw-list">
        {items(p.items).map((it, i) => (
          <li key={i}>{typeof it === "object" && it !== null ? str(it.text ?? it.label ?? it.value) : str(it)}</li>
        ))}
      </Tag>
    );
  },
  Faq: (p) => (
    <div className="pw-faq">
      {items(p.items).map((it, i) => (
        <details key={i} open>
          <summary>{str(it?.question) || "Question"}</summary>
          <Markdown source={str(it?.answer)} />
        </details>
      ))}
    </div>
  ),
  Navbar: (p) => (
    <nav className="pw-navbar">
      {items(p.links).length === 0 ? (
        <span className="pw-muted">The site's pages (filled in when published)</span>
      ) : (
        items(p.links).map((l, i) => (
          <a key={i} href="#" onClick={inert}>
            {str(l?.label) || str(l?.href)}
          </a>
        ))
      )}
    </nav>
  ),
  Footer: (p) => (
    <footer className="pw-footer">
      {p.text && <Markdown source={str(p.text)} />}
      <div className="pw-footer-links">
        {items(p.links).map((l, i) => (
          <a key={i} href="#" onClick={inert}>
            {str(l?.label) || str(l?.href)}
          </a>
        ))}
      </div>
    </footer>
  ),
  Divider: () => <hr className="pw-divider" />,
};

// A type this editor does not know: its name, its props in short, its slots.
function GenericComponent(type: string, fields: Record<string, LibraryField>) {
  return (p: Props) => {
    const shown = Object.entries(fields).filter(([, f]) => f.type !== "slot");
    return (
      <div className="pw-generic">
        <div className="pw-generic-type">{type}</div>
        <dl>
          {shown.map(([name]) => {
            const v = p[name];
            const text = typeof v === "string" || typeof v === "number" || typeof v === "boolean" ? String(v) : JSON.stringify(v);
            return text && text !== "undefined" ? (
              <div key={name}>
                <dt>{fields[name].label ?? name}</dt>
                <dd>{text.length > 120 ? text.slice(0, 120) + "…" : text}</dd>
              </div>
            ) : null;
          })}
        </dl>
        {Object.entries(fields)
          .filter(([, f]) => f.type === "slot")
          .map(([name]) => (
            <div key={name} className="pw-generic-slot">
              {slot(p, name)}
            </div>
          ))}
      </div>
    );
  };
}

// Library fields to Puck fields: the same, except image fields become custom
// fields with an upload, and fields of a type Puck would not know become text.
const PUCK_TYPES = new Set(["text", "textarea", "number", "select", "radio", "array", "object", "slot"]);

function toField(f: LibraryField, name: string, siteId: string): Field {
  const label = f.label ?? name;
  if (f.format === "image" && (f.type === "text" || f.type === "textarea")) {
    const custom: CustomField<string> = {
      type: "custom",
      label,
      render: ({ value, onChange, readOnly }) => (
        <ImageField siteId={siteId} label={label} value={value} onChange={onChange} readOnly={readOnly} />
      ),
    };
    return custom as Field;
  }
  if (f.type === "array" && f.arrayFields && typeof f.arrayFields === "object") {
    return { ...(f as any), label, arrayFields: toFields(f.arrayFields as Record<string, LibraryField>, siteId) } as Field;
  }
  if (f.type === "object" && f.objectFields && typeof f.objectFields === "object") {
    return { ...(f as any), label, objectFields: toFields(f.objectFields as Record<string, LibraryField>, siteId) } as Field;
  }
  if (!PUCK_TYPES.has(f.type)) return { type: "text", label } as Field;
  return { ...(f as any), label } as Field;
}

function toFields(fields: Record<string, LibraryField>, siteId: string): Fields {
  const out: Record<string, Field> = {};
  for (const [name, f] of Object.entries(fields)) out[name] = toField(f, name, siteId);
  return out as Fields;
}

export function buildConfig(library: Library, siteId: string): Config {
  const components: Record<string, ComponentConfig> = {};
  for (const [type, def] of Object.entries(library.components ?? {})) {
    const fields = def.fields ?? {};
    const render = renderers[type] ?? GenericComponent(type, fields);
    components[type] = {
      label: def.label ?? type,
      fields: toFields(fields, siteId),
      defaultProps: def.defaultProps ?? {},
      render: ((props: Props) => <>{render(props)}</>) as ComponentConfig["render"],
    };
  }
  const categories: Record<string, { components: string[]; title: string }> = {};
  for (const [name, c] of Object.entries(library.categories ?? {})) {
    const known = (c.components ?? []).filter((t) => t in components);
    if (known.length) categories[name] = { components: known, title: c.title ?? name[0].toUpperCase() + name.slice(1) };
  }
  return {
    components,
    categories,
    root: {
      fields: { title: { type: "text", label: "Page title" } },
      render: ({ children }: { children: ReactNode }) => <div className="pw-site">{children}</div>,
    },
  } as Config;
}

// Which types are known to the editor's renderers (the rest use the generic one).
export const knownTypes = Object.keys(renderers);

// Puck's array fields hold objects; a library array field marked
// "format": "strings" holds plain strings in the document. Going into Puck each
// string becomes {value}; coming out, back again. Slots are walked too.
type Way = "toPuck" | "toServer";

function adaptValue(field: LibraryField | undefined, value: unknown, way: Way, library: Library): unknown {
  if (!field || !Array.isArray(value)) return value;
  if (field.type === "slot") return adaptList(value, way, library);
  if (field.type !== "array") return value;
  if (field.format === "strings") {
    return way === "toPuck"
      ? value.map((v) => (typeof v === "object" && v !== null ? v : { value: v }))
      : value.map((v) => (typeof v === "object" && v !== null && "value" in v ? (v as { value: unknown }).value : v));
  }
  const inner = (field.arrayFields ?? {}) as Record<string, LibraryField>;
  return value.map((item) => {
    if (typeof item !== "object" || item === null) return item;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(item)) out[k] = adaptValue(inner[k], v, way, library);
    return out;
  });
}

function adaptList(items: unknown[], way: Way, library: Library): unknown[] {
  return items.map((item) => {
    if (typeof item !== "object" || item === null) return item;
    const c = item as { type?: string; props?: Record<string, unknown> };
    const fields = (c.type && library.components?.[c.type]?.fields) || {};
    const props: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(c.props ?? {})) props[k] = adaptValue(fields[k], v, way, library);
    return { ...c, props };
  });
}

export function adaptDocument<D extends { content?: unknown[]; zones?: Record<string, unknown[]> }>(
  doc: D,
  library: Library,
  way: Way,
): D {
  const zones: Record<string, unknown[]> = {};
  for (const [k, v] of Object.entries(doc.zones ?? {})) zones[k] = Array.isArray(v) ? adaptList(v, way, library) : v;
  return { ...doc, content: adaptList(doc.content ?? [], way, library), zones };
}
