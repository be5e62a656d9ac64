#!/usr/bin/env python3
"""Generates the publishing benchmark's site twice from one seed: site.json for
pw_publish_bench (Pagewright's component JSON) and an equivalent Hugo site, so
both tools build the same pages with the same markup.

usage: bench_publish.py OUT_DIR [--pages N] [--seed S]
writes OUT_DIR/site.json and OUT_DIR/hugo/"""
import argparse
import json
import os
import random

BASE_URL = "https://bench.example.com"
SITE_NAME = "Bench Site"
SECTIONS = ("guides", "blog", "docs")
WORDS = ("page builder static site render deploy publish template layout column card hero "
         "heading image button section markdown paragraph content author editor preview "
         "theme design token color font spacing grid link list fast simple reliable team "
         "product customer launch update release guide tutorial example detail feature").split()


def words(rng, lo, hi):
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(lo, hi)))


def sentence(rng):
    s = words(rng, 6, 14)
    return s[0].upper() + s[1:] + "."


def slug_of(i):
    # Every third page sits one level down, like "guides/page-123".
    return "" if i == 0 else (f"{SECTIONS[i // 3 % 3]}/page-{i}" if i % 3 == 0 else f"page-{i}")


def markdown(rng, n_pages):
    """3-5 paragraphs with emphasis, strong, an internal and an external link, and one list."""
    paras = []
    count = rng.randint(3, 5)
    list_at = rng.randrange(count)
    for k in range(count):
        target = slug_of(rng.randrange(1, n_pages))
        paras.append(f"{sentence(rng)} Some *{words(rng, 1, 3)}* and **{words(rng, 1, 2)}**, "
                     f"see [{words(rng, 1, 3)}](/{target}/) or "
                     f"[the {rng.choice(WORDS)} notes](https://example.org/{rng.choice(WORDS)}). "
                     f"{sentence(rng)} {sentence(rng)}")
        if k == list_at:
            paras.append("\n".join(f"- {words(rng, 2, 6)}" for _ in range(rng.randint(3, 4))))
    return "\n\n".join(paras)


def page(rng, i, n_pages):
    ids = iter(range(100))

    def comp(type_, props, slots=None):
        return {"id": f"c{i}-{next(ids)}", "type": type_, "props": props, "slots": slots or {}}

    def link():
        return f"/{slug_of(rng.randrange(1, n_pages))}/"

    title = words(rng, 2, 5).title()
    cards = [comp("Card", {"title": words(rng, 2, 4).title(), "body": sentence(rng), "href": link(),
                           "image": f"https://img.example.com/card-{rng.randrange(50)}.jpg"})
             for _ in range(3)]
    columns = comp("Columns", {"count": 3, "gap": "medium"}, {f"column{k + 1}": [cards[k]] for k in range(3)})
    content = [
        comp("Hero", {"title": title, "subtitle": sentence(rng), "ctaLabel": "Get started", "ctaHref": link(),
                      "image": f"https://img.example.com/hero-{rng.randrange(20)}.jpg"}),
        comp("Heading", {"text": words(rng, 2, 5).title(), "level": 2}),
        comp("Text", {"text": markdown(rng, n_pages)}),
        comp("Section", {"padding": "medium"}, {"children": [columns]}),
        comp("Text", {"text": markdown(rng, n_pages)}),
    ]
    if rng.random() < 0.5:
        content.append(comp("Heading", {"text": words(rng, 2, 5).title(), "level": 2}))
    content += [
        comp("Image", {"src": f"https://img.example.com/photo-{rng.randrange(100)}.jpg", "alt": words(rng, 2, 5),
                       "width": 1200, "height": 675, "caption": sentence(rng)}),
        comp("Text", {"text": markdown(rng, n_pages)}),
        comp("Button", {"label": "Read more", "href": link(), "variant": "primary"}),
    ]
    return {"pageId": f"p{i}", "slug": slug_of(i), "title": title, "description": sentence(rng),
            "version": 1, "publishedAt": "2026-01-15T10:00:00Z", "content": content}


# ---- Hugo: shortcodes emitting the same markup as workers/render/templates.cpp ----

def attr(v):
    return '"' + str(v).replace('"', "'") + '"'


def shortcodes(c):
    p, t = c["props"], c["type"]
    if t == "Text":
        return "{{< text >}}\n" + p["text"] + "\n{{< /text >}}"
    if t == "Section":
        inner = "\n".join(shortcodes(x) for x in c["slots"]["children"])
        return f"{{{{< section padding={attr(p['padding'])} >}}}}\n{inner}\n{{{{< /section >}}}}"
    if t == "Columns":
        cols = "\n".join("{{< column >}}\n" + "\n".join(shortcodes(x) for x in c["slots"][f"column{k + 1}"])
                         + "\n{{< /column >}}" for k in range(p["count"]))
        return f"{{{{< columns count={attr(p['count'])} >}}}}\n{cols}\n{{{{< /columns >}}}}"
    args = " ".join(f"{k}={attr(v)}" for k, v in p.items())
    return f"{{{{< {t.lower()} {args} >}}}}"


LAYOUTS = {
    "_default/baseof.html": """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ if .IsHome }}{{ .Title }}{{ else }}{{ .Title }} | {{ site.Title }}{{ end }}</title>
{{ with .Description }}<meta name="description" content="{{ . }}">
<meta property="og:description" content="{{ . }}">
{{ end }}{{ if ne .Kind "404" }}<link rel="canonical" href="{{ .Permalink }}">
<meta property="og:url" content="{{ .Permalink }}">
{{ else }}<meta name="robots" content="noindex">
{{ end }}<meta property="og:title" content="{{ .Title }}">
<meta property="og:type" content="website">
<meta property="og:site_name" content="{{ site.Title }}">
{{ $css := resources.Get "css/site.css" | fingerprint }}<link rel="stylesheet" href="{{ $css.RelPermalink }}">
{{ if ne .Kind "404" }}<script type="application/ld+json">{{ dict "@context" "https://schema.org" "@type" "WebPage" "name" .Title "url" .Permalink "description" .Description | jsonify | safeJS }}</script>
{{ end }}</head>
<body>
<header class="pw-header"><a class="pw-brand" href="{{ "/" | relURL }}">{{ site.Title }}</a>
<nav class="pw-nav"><ul>
{{ $here := .RelPermalink }}{{ range site.Params.nav }}<li><a href="{{ .url | relURL }}"{{ if eq (.url | relURL) $here }} aria-current="page"{{ end }}>{{ .name }}</a></li>
{{ end }}</ul></nav>
</header>
<main class="pw-main">
{{ block "main" . }}{{ end }}</main>
<footer class="pw-footer"><p>{{ site.Title }}</p></footer>
</body>
</html>
""",
    "_default/single.html": '{{ define "main" }}{{ .Content }}{{ end }}\n',
    "_default/list.html": '{{ define "main" }}{{ .Content }}{{ end }}\n',
    "index.html": '{{ define "main" }}{{ .Content }}{{ end }}\n',
    "404.html": """{{ define "main" }}<section class="pw-section pw-pad-large"><div class="pw-container">
<h1 class="pw-heading">Page not found</h1>
<p><a href="{{ "/" | relURL }}">Go to the home page</a></p>
</div></section>
{{ end }}""",
    "partials/card.html": """<article class="pw-card">{{ with .image }}<img class="pw-card-image" src="{{ . }}" alt="">{{ end }}\
<div class="pw-card-body"><h2 class="pw-card-title">{{ if .href }}<a class="pw-card-link" href="{{ .href }}">{{ .title }}</a>\
{{ else }}{{ .title }}{{ end }}</h2>
{{ with .body }}{{ $.page.RenderString (dict "display" "block") . }}{{ end }}</div></article>
""",
    "shortcodes/hero.html": """<section class="pw-hero">{{ with .Get "image" }}<img class="pw-hero-image" src="{{ . }}" alt="">{{ end }}\
<div class="pw-hero-content"><h1 class="pw-hero-title">{{ .Get "title" }}</h1>{{ with .Get "subtitle" }}<p class="pw-hero-subtitle">{{ . }}</p>{{ end }}\
{{ with .Get "ctaHref" }}<a class="pw-button pw-button-primary" href="{{ . }}">{{ $.Get "ctaLabel" }}</a>{{ end }}</div></section>
""",
    "shortcodes/heading.html": '<h{{ .Get "level" }} class="pw-heading ">{{ .Get "text" }}</h{{ .Get "level" }}>\n',
    "shortcodes/text.html": '<div class="pw-text">\n{{ .Page.RenderString (dict "display" "block") .Inner }}</div>\n',
    "shortcodes/section.html": """<section class="pw-section pw-pad-{{ .Get "padding" }}"><div class="pw-container">
{{ .Inner }}</div></section>
""",
    "shortcodes/columns.html": """<div class="pw-columns pw-columns-{{ .Get "count" }} pw-gap-medium">
{{ .Inner }}</div>
""",
    "shortcodes/column.html": '<div class="pw-column">\n{{ .Inner }}</div>\n',
    "shortcodes/card.html": '{{ partial "card.html" (merge .Params (dict "page" .Page)) }}',
    "shortcodes/image.html": """<figure class="pw-image"><img src="{{ .Get "src" }}" alt="{{ .Get "alt" }}" width="{{ .Get "width" }}" \
height="{{ .Get "height" }}" loading="lazy">{{ with .Get "caption" }}<figcaption>{{ . }}</figcaption>{{ end }}</figure>
""",
    "shortcodes/button.html": '<a class="pw-button pw-button-{{ .Get "variant" }}" href="{{ .Get "href" }}">{{ .Get "label" }}</a>\n',
}

# Roughly the size of Pagewright's generated stylesheet; Hugo only fingerprints it.
CSS = "".join(f".pw-c{k}{{margin:{k}px;padding:{k}px;color:var(--color-text)}}\n" for k in range(120))


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def hugo_site(root, site, pages):
    nav = "".join(f'[[params.nav]]\nname = {json.dumps(p["title"])}\nurl = "/{p["slug"] + "/" if p["slug"] else ""}"\n'
                  for slug in site["settings"]["navigation"] for p in pages if p["slug"] == slug)
    # Pagewright renders no section or taxonomy listings and no feeds.
    write(os.path.join(root, "config.toml"), f"""baseURL = "{BASE_URL}/"
title = "{SITE_NAME}"
languageCode = "en"
disableKinds = ["taxonomy", "term", "RSS", "section"]
enableRobotsTXT = true
{nav}""")
    write(os.path.join(root, "assets/css/site.css"), CSS)
    for name, text in LAYOUTS.items():
        write(os.path.join(root, "layouts", name), text)
    for p in pages:
        path = "_index.md" if not p["slug"] else p["slug"] + ".md"
        front = f"---\ntitle: {json.dumps(p['title'])}\ndescription: {json.dumps(p['description'])}\n" \
                f"date: {p['publishedAt']}\n---\n"
        write(os.path.join(root, "content", path), front + "\n\n".join(shortcodes(c) for c in p["content"]) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--pages", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=20260101)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    pages = [page(rng, i, a.pages) for i in range(a.pages)]
    top = [p["slug"] for p in pages[1:] if "/" not in p["slug"]][:7]
    site = {"siteId": "bench", "name": SITE_NAME, "subdomain": "bench", "baseUrl": BASE_URL,
            "seo": {"titleTemplate": "", "description": "A generated benchmark site.", "ogImage": ""},
            "settings": {"lang": "en", "navigation": [""] + top}}
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "site.json"), "w") as f:
        json.dump({"site": site, "pages": pages}, f)
    hugo_site(os.path.join(a.out, "hugo"), site, pages)


if __name__ == "__main__":
    main()
