// The Mustache templates and the CSS of each component type. Every value that
// comes from a prop is inserted with {{ }} (HTML-escaped) inside double quotes;
// {{{ }}} only takes HTML this library produced (child components, Markdown).
// Templates stay lean and flat: mstch parses a template on every render, its
// cost grows with the number of tags, and a section's body is processed again
// for every level of nesting (measured: 20 tags flat 6 µs, in one section 9 µs,
// in two nested 13 µs). Dropping one wrapper section around the navigation
// loop took a typical page from about 180 to about 105 µs.
#include <array>
#include <utility>

#include "workers/render/internal.hpp"

namespace pw::render::detail {
namespace {

// Lines that share a condition share one section. <ul> may be empty, so the
// navigation loop needs no wrapper section.
const std::string kLayout = R"(<!DOCTYPE html>
<html lang="{{lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{title}}</title>
{{#description}}<meta name="description" content="{{description}}">
<meta property="og:description" content="{{description}}">
{{/description}}{{#canonical}}<link rel="canonical" href="{{canonical}}">
<meta property="og:url" content="{{canonical}}">
{{/canonical}}{{#noIndex}}<meta name="robots" content="noindex">
{{/noIndex}}<meta property="og:title" content="{{ogTitle}}">
<meta property="og:type" content="website">
<meta property="og:site_name" content="{{siteName}}">
{{#ogImage}}<meta property="og:image" content="{{ogImage}}">
{{/ogImage}}<link rel="stylesheet" href="{{stylesheet}}">
{{#jsonLd}}<script type="application/ld+json">{{{jsonLd}}}</script>
{{/jsonLd}}</head>
<body>
<header class="pw-header">{{#hasHome}}<a class="pw-brand" href="{{home}}">{{siteName}}</a>{{/hasHome}}{{^hasHome}}<span class="pw-brand">{{siteName}}</span>{{/hasHome}}
<nav class="pw-nav"><ul>
{{#nav}}<li><a href="{{href}}"{{#current}} aria-current="page"{{/current}}>{{label}}</a></li>
{{/nav}}</ul></nav>
</header>
<main class="pw-main">
)";

// Depends on the site alone: rendered once per SiteRenderer.
const std::string kLayoutEnd = R"(</main>
<footer class="pw-footer"><p>{{siteName}}</p></footer>
</body>
</html>
)";

// Fixed heading levels are h1 (Hero) and h2 (Card) only: those never skip a
// level going down, which the Nu checker reports as an error.
// Sorted by type. A container's children (or Markdown HTML) go between the
// rendered opening template and the literal closing markup, so large inner HTML
// never passes through mstch.
const std::array<ComponentTemplate, 9> kComponents = {{
    {"Button", R"(<a class="pw-button {{variant}}"{{#href}} href="{{href}}"{{/href}}>{{label}}</a>
)", ""},
    {"Card", R"(<article class="pw-card">{{#image}}<img class="pw-card-image" src="{{image}}" alt="">{{/image}}<div class="pw-card-body"><h2 class="pw-card-title">{{#href}}<a class="pw-card-link" href="{{href}}">{{title}}</a>{{/href}}{{^href}}{{title}}{{/href}}</h2>
)", "</div></article>\n"},
    {"Columns", R"(<div class="pw-columns {{cols}} {{gap}}">
)", "</div>\n"},
    {"Heading", R"(<{{tag}} class="pw-heading {{align}}">{{text}}</{{tag}}>
)", ""},
    {"Hero", R"(<section class="pw-hero">{{#image}}<img class="pw-hero-image" src="{{image}}" alt="">{{/image}}<div class="pw-hero-content"><h1 class="pw-hero-title">{{title}}</h1>{{#subtitle}}<p class="pw-hero-subtitle">{{subtitle}}</p>{{/subtitle}}{{#ctaHref}}<a class="pw-button pw-button-primary" href="{{ctaHref}}">{{ctaLabel}}</a>{{/ctaHref}}</div></section>
)", ""},
    {"Image", R"(<figure class="pw-image"><img src="{{src}}" alt="{{alt}}"{{#width}} width="{{width}}"{{/width}}{{#height}} height="{{height}}"{{/height}} loading="lazy">{{#caption}}<figcaption>{{caption}}</figcaption>{{/caption}}</figure>
)", ""},
    {"Section", R"(<section class="pw-section {{pad}}"{{#id}} id="{{id}}"{{/id}}{{#bg}} style="--pw-section-bg: {{bg}}"{{/bg}}><div class="pw-container">
)", "</div></section>\n"},
    {"Spacer", R"(<div class="pw-spacer {{size}}" aria-hidden="true"></div>
)", ""},
    {"Text", R"(<div class="pw-text">
)", "</div>\n"},
}};
static_assert(kComponents.size() <= 32, "a ComponentSet has one bit per built-in type");

const std::array<std::pair<std::string_view, std::string_view>, 9> kCss = {{
    {"Button", R"(.pw-button{display:inline-block;padding:var(--space-sm) var(--space-md);border-radius:var(--radius-md);border:2px solid var(--color-primary);text-decoration:none;font-weight:600}
.pw-button-primary{background:var(--color-primary);color:var(--color-background)}
.pw-button-secondary{background:transparent;color:var(--color-primary)}
)"},
    {"Card", R"(.pw-card{position:relative;border:1px solid var(--color-muted);border-radius:var(--radius-md);overflow:hidden;background:var(--color-background)}
.pw-card-image{display:block;width:100%;height:auto}
.pw-card-body{padding:var(--space-md)}
.pw-card-title{margin:0 0 var(--space-sm)}
.pw-card-link{color:inherit;text-decoration:none}
.pw-card-link::after{content:"";position:absolute;inset:0}
)"},
    {"Columns", R"(.pw-columns{display:grid;gap:var(--space-md)}
.pw-columns-2{grid-template-columns:repeat(2,minmax(0,1fr))}
.pw-columns-3{grid-template-columns:repeat(3,minmax(0,1fr))}
.pw-columns-4{grid-template-columns:repeat(4,minmax(0,1fr))}
.pw-gap-none{gap:0}.pw-gap-small{gap:var(--space-sm)}.pw-gap-medium{gap:var(--space-md)}.pw-gap-large{gap:var(--space-lg)}
@media (max-width:640px){.pw-columns{grid-template-columns:1fr}}
)"},
    {"Heading", R"(.pw-heading{font-family:var(--font-heading);line-height:1.2}
.pw-align-left{text-align:left}.pw-align-center{text-align:center}.pw-align-right{text-align:right}
)"},
    {"Hero", R"(.pw-hero{position:relative;isolation:isolate;overflow:hidden;padding:var(--space-xl) var(--space-md);text-align:center}
.pw-hero-image{position:absolute;inset:0;width:100%;height:100%;object-fit:cover;z-index:-1}
.pw-hero-title{font-family:var(--font-heading);font-size:2.5rem;margin:0 0 var(--space-md)}
.pw-hero-subtitle{color:var(--color-muted);font-size:1.25rem}
)"},
    {"Image", R"(.pw-image{margin:var(--space-md) 0}
.pw-image img{max-width:100%;height:auto}
.pw-image figcaption{color:var(--color-muted);font-size:.875rem}
)"},
    {"Section", R"(.pw-section{background:var(--pw-section-bg,transparent)}
.pw-pad-none{padding:0}.pw-pad-small{padding:var(--space-sm) 0}.pw-pad-medium{padding:var(--space-lg) 0}.pw-pad-large{padding:var(--space-xl) 0}
)"},
    {"Spacer", R"(.pw-spacer-small{height:var(--space-sm)}.pw-spacer-medium{height:var(--space-lg)}.pw-spacer-large{height:var(--space-xl)}
)"},
    {"Text", R"(.pw-text{line-height:1.6}
.pw-text table{border-collapse:collapse}
.pw-text th,.pw-text td{border:1px solid var(--color-muted);padding:var(--space-xs) var(--space-sm)}
.pw-text img{max-width:100%}
)"},
}};

const std::string_view kBaseCss = R"(*,*::before,*::after{box-sizing:border-box}
body{margin:0;font-family:var(--font-body);color:var(--color-text);background:var(--color-background)}
a{color:var(--color-primary)}
.pw-header{display:flex;flex-wrap:wrap;align-items:center;justify-content:space-between;gap:var(--space-md);padding:var(--space-md)}
.pw-brand{font-weight:700;text-decoration:none;color:var(--color-text)}
.pw-nav ul{display:flex;flex-wrap:wrap;gap:var(--space-md);list-style:none;margin:0;padding:0}
.pw-nav a{text-decoration:none}
.pw-nav a[aria-current=page]{font-weight:700}
.pw-main{max-width:72rem;margin:0 auto;padding:0 var(--space-md)}
.pw-container{margin:0 auto}
.pw-footer{padding:var(--space-lg) var(--space-md);color:var(--color-muted);font-size:.875rem}
)";

}  // namespace

const std::string& layout_template() { return kLayout; }
const std::string& layout_end_template() { return kLayoutEnd; }

const ComponentTemplate* component_template(std::string_view type) {
  for (const ComponentTemplate& t : kComponents) {
    if (t.type == type) return &t;
  }
  return nullptr;
}

int component_index(std::string_view type) {
  for (size_t i = 0; i < kComponents.size(); ++i) {
    if (kComponents[i].type == type) return static_cast<int>(i);
  }
  return -1;
}

std::string_view component_type(size_t index) { return index < kComponents.size() ? kComponents[index].type : ""; }

std::string_view base_css() { return kBaseCss; }

std::string_view component_css(std::string_view type) {
  for (const auto& [name, css] : kCss) {
    if (name == type) return css;
  }
  return {};
}

}  // namespace pw::render::detail
