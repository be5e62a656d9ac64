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
{{/ogImage}}<link rel="icon" type="image/svg+xml" href="{{favicon}}">
<link rel="stylesheet" href="{{stylesheet}}">
{{#jsonLd}}<script type="application/ld+json">{{{jsonLd}}}</script>
{{/jsonLd}}</head>
<body>
<a class="pw-skip" href="#main">Skip to content</a>
<header class="pw-header">{{#hasHome}}<a class="pw-brand" href="{{home}}">{{siteName}}</a>{{/hasHome}}{{^hasHome}}<span class="pw-brand">{{siteName}}</span>{{/hasHome}}
<nav class="pw-nav" aria-label="Main"><ul>
{{#nav}}<li><a href="{{href}}"{{#current}} aria-current="page"{{/current}}>{{label}}</a></li>
{{/nav}}</ul></nav>
</header>
<main class="pw-main" id="main">
)";

// Depends on the site alone: rendered once per SiteRenderer.
const std::string kLayoutEnd = R"(</main>
<footer class="pw-footer"><p class="pw-footer-brand">{{siteName}}</p><p class="pw-footer-note">&copy; {{siteName}}</p></footer>
</body>
</html>
)";

// Fixed heading levels are h1 (Hero) and h2 (Card) only: those never skip a
// level going down, which the Nu checker reports as an error.
// The first nine sorted by type. A container's children (or Markdown HTML) go between the
// rendered opening template and the literal closing markup, so large inner HTML
// never passes through mstch.
const std::array<ComponentTemplate, 17> kComponents = {{
    {"Button", R"(<a class="pw-button {{variant}}"{{#href}} href="{{href}}"{{/href}}>{{label}}</a>
)", ""},
    {"Card", R"(<article class="pw-card">{{#image}}<img class="pw-card-image" src="{{image}}"{{#imageSrcset}} srcset="{{imageSrcset}}" sizes="{{imageSizes}}"{{/imageSrcset}} alt="">{{/image}}<div class="pw-card-body"><h2 class="pw-card-title">{{#href}}<a class="pw-card-link" href="{{href}}">{{title}}</a>{{/href}}{{^href}}{{title}}{{/href}}</h2>
)", "</div></article>\n"},
    {"Columns", R"(<div class="pw-columns {{cols}} {{gap}}">
)", "</div>\n"},
    {"Heading", R"(<{{tag}} class="pw-heading {{align}}">{{text}}</{{tag}}>
)", ""},
    {"Hero", R"(<section class="pw-hero">{{#image}}<img class="pw-hero-image" src="{{image}}"{{#imageSrcset}} srcset="{{imageSrcset}}" sizes="{{imageSizes}}"{{/imageSrcset}} alt="">{{/image}}<div class="pw-hero-content"><h1 class="pw-hero-title">{{title}}</h1>{{#subtitle}}<p class="pw-hero-subtitle">{{subtitle}}</p>{{/subtitle}}{{#ctaHref}}<a class="pw-button pw-button-primary" href="{{ctaHref}}">{{ctaLabel}}</a>{{/ctaHref}}</div></section>
)", ""},
    {"Image", R"(<figure class="pw-image"><img src="{{src}}"{{#srcset}} srcset="{{srcset}}" sizes="{{sizes}}"{{/srcset}} alt="{{alt}}"{{#width}} width="{{width}}"{{/width}}{{#height}} height="{{height}}"{{/height}} loading="lazy">{{#caption}}<figcaption>{{caption}}</figcaption>{{/caption}}</figure>
)", ""},
    {"Section", R"(<section class="pw-section {{pad}}{{#bgClass}} {{bgClass}}{{/bgClass}}{{#inverse}} pw-section-inverse{{/inverse}}"{{#id}} id="{{id}}"{{/id}}{{#bg}} style="--pw-section-bg: {{bg}}"{{/bg}}><div class="pw-container">
)", "</div></section>\n"},
    {"Spacer", R"(<div class="pw-spacer {{size}}" aria-hidden="true"></div>
)", ""},
    {"Text", R"(<div class="pw-text">
)", "</div>\n"},
    // Appended after the first nine (not sorted), so a type's ComponentSet bit stays put.
    {"Video", R"(<div class="pw-video"><iframe class="pw-video-frame" src="{{src}}" title="{{title}}" loading="lazy" sandbox="allow-scripts allow-presentation" allow="fullscreen; picture-in-picture" referrerpolicy="strict-origin-when-cross-origin"></iframe></div>
)", ""},
    {"Gallery", R"(<ul class="pw-gallery {{cols}}">{{#images}}<li class="pw-gallery-item"><img src="{{src}}"{{#srcset}} srcset="{{srcset}}" sizes="{{sizes}}"{{/srcset}} alt="{{alt}}"{{#width}} width="{{width}}"{{/width}}{{#height}} height="{{height}}"{{/height}} loading="lazy"></li>{{/images}}</ul>
)", ""},
    {"Quote", R"(<figure class="pw-quote"><blockquote><p>{{text}}</p></blockquote>{{#cite}}<figcaption>{{cite}}</figcaption>{{/cite}}</figure>
)", ""},
    {"List", R"(<{{tag}} class="pw-list">{{#items}}<li>{{text}}</li>{{/items}}</{{tag}}>
)", ""},
    {"Faq", R"(<div class="pw-faq">{{#items}}<details class="pw-faq-item"><summary>{{question}}</summary>{{#answer}}<p>{{answer}}</p>{{/answer}}</details>{{/items}}</div>
)", ""},
    {"Navbar", R"(<nav class="pw-navbar" aria-label="Links"><ul>{{#links}}<li><a{{#href}} href="{{href}}"{{/href}}{{#current}} aria-current="page"{{/current}}>{{label}}</a></li>{{/links}}</ul></nav>
)", ""},
    {"Footer", R"(<footer class="pw-footer-block">{{#text}}<p class="pw-footer-text">{{text}}</p>{{/text}}{{#hasLinks}}<ul class="pw-footer-links">{{#links}}<li><a{{#href}} href="{{href}}"{{/href}}>{{label}}</a></li>{{/links}}</ul>{{/hasLinks}}</footer>
)", ""},
    {"Divider", R"(<hr class="pw-divider">
)", ""},
}};
static_assert(kComponents.size() <= 32, "a ComponentSet has one bit per built-in type");

// Component CSS goes into a site's stylesheet only when some page uses the
// type; what every page needs (layout, type scale, buttons, which a Hero's call
// to action uses too) is the base CSS. Sizes come from the tokens: headings
// step by the type scale (--font-scale) from the base size, vertical rhythm by
// --space-*, widths by --space-container. Phones get one column, a smaller
// scale and a header whose navigation wraps under the brand (no script runs on
// a published site, so no toggle menu).
const std::array<std::pair<std::string_view, std::string_view>, 17> kCss = {{
    {"Button", R"(.pw-main>.pw-button{margin-left:max(var(--space-md),(100% - var(--space-container))/2)}
)"},
    {"Card", R"(.pw-card{position:relative;display:flex;flex-direction:column;height:100%;margin:0 0 var(--space-md);background:var(--color-surface);border:1px solid var(--color-border);border-radius:var(--radius-lg);overflow:hidden;box-shadow:0 1px 2px rgb(0 0 0/.06),0 8px 24px -12px rgb(0 0 0/.12);transition:transform .15s ease,box-shadow .15s ease}
.pw-card:has(.pw-card-link):hover{transform:translateY(-3px);box-shadow:0 2px 4px rgb(0 0 0/.08),0 16px 32px -12px rgb(0 0 0/.25)}
.pw-card:focus-within{outline:3px solid var(--color-accent);outline-offset:2px}
.pw-card-image{display:block;width:100%;height:auto;aspect-ratio:16/9;object-fit:cover}
.pw-card-body{flex:1;padding:var(--space-lg)}
.pw-card-title{margin:0 0 var(--space-sm);font-size:calc(var(--font-base)*var(--pw-scale-2))}
.pw-card-link{color:inherit;text-decoration:none}
.pw-card-link:focus-visible{outline:none}
.pw-card-link::after{content:"";position:absolute;inset:0}
.pw-card-body>:last-child{margin-bottom:0}
.pw-card-body h3{margin:var(--space-sm) 0;font-size:calc(var(--font-base)*var(--pw-scale-3));color:var(--color-primary)}
.pw-card-body ul{padding-left:0;list-style:none}
.pw-card-body li{position:relative;padding-left:1.5em;margin:.35em 0}
.pw-card-body li::before{content:"";position:absolute;left:.2em;top:.6em;width:.55em;height:.3em;border-left:2px solid var(--color-primary);border-bottom:2px solid var(--color-primary);transform:rotate(-45deg)}
)"},
    {"Columns", R"(.pw-columns{display:grid;gap:var(--space-lg);margin:0 0 var(--space-md)}
.pw-columns-2{grid-template-columns:repeat(2,minmax(0,1fr))}
.pw-columns-3{grid-template-columns:repeat(3,minmax(0,1fr))}
.pw-columns-4{grid-template-columns:repeat(4,minmax(0,1fr))}
.pw-gap-none{gap:0}.pw-gap-small{gap:var(--space-sm)}.pw-gap-medium{gap:var(--space-lg)}.pw-gap-large{gap:var(--space-xl)}
.pw-column{min-width:0}
.pw-column>:last-child{margin-bottom:0}
@media (max-width:60rem){.pw-columns-4{grid-template-columns:repeat(2,minmax(0,1fr))}}
@media (max-width:48rem){.pw-columns-3{grid-template-columns:repeat(2,minmax(0,1fr))}}
@media (max-width:40rem){.pw-columns{grid-template-columns:1fr}}
)"},
    {"Heading", R"(.pw-heading{margin:0 0 var(--space-md)}
h2.pw-heading{margin-bottom:var(--space-lg)}
.pw-align-left{text-align:left}.pw-align-center{text-align:center;margin-inline:auto}.pw-align-right{text-align:right}
)"},
    {"Hero", R"(.pw-hero{position:relative;isolation:isolate;overflow:hidden;padding:calc(var(--space-section)*1.25) max(var(--space-md),(100% - var(--space-container))/2);background:linear-gradient(135deg,var(--color-primary) 0%,var(--color-secondary) 100%);color:var(--color-on-primary);text-align:center}
.pw-hero:has(.pw-hero-image){background:#111;color:#fff}
.pw-hero:has(.pw-hero-image)::before{content:"";position:absolute;inset:0;z-index:-1;background:rgb(0 0 0/.55)}
.pw-hero-image{position:absolute;inset:0;width:100%;height:100%;object-fit:cover;z-index:-2}
.pw-hero-content{max-width:50rem;margin-inline:auto}
.pw-hero-title{margin:0 0 var(--space-md);font-size:calc(var(--font-base)*var(--pw-scale-4));line-height:1.1;letter-spacing:-.02em;color:inherit}
.pw-hero-subtitle{max-width:40rem;margin:0 auto var(--space-lg);font-size:calc(var(--font-base)*var(--font-scale))}
.pw-hero .pw-button{margin:var(--space-sm) 0 0}
@media (min-width:48rem){.pw-hero-title{font-size:min(calc(var(--font-base)*var(--pw-scale-6)),4.25rem)}}
)"},
    {"Image", R"(.pw-image{margin:0 0 var(--space-lg)}
.pw-image img{display:block;max-width:100%;height:auto;border-radius:var(--radius-md)}
.pw-image figcaption{margin-top:var(--space-sm);color:var(--color-muted);font-size:.875em}
)"},
    {"Section", R"(.pw-section{background:var(--pw-section-bg,transparent)}
.pw-pad-none{padding:0}.pw-pad-small{padding:var(--space-lg) 0}.pw-pad-medium{padding:var(--space-section) 0}.pw-pad-large{padding:calc(var(--space-section)*1.5) 0}
.pw-section:not([class*=pw-bg-],[style])+.pw-section:not([class*=pw-bg-],[style]){border-top:1px solid var(--color-border)}
)"},
    {"Spacer", R"(.pw-spacer-small{height:var(--space-sm)}.pw-spacer-medium{height:var(--space-lg)}.pw-spacer-large{height:var(--space-xl)}
)"},
    {"Text", R"(.pw-text{margin:0 0 var(--space-md)}
.pw-text>:last-child{margin-bottom:0}
.pw-text>p,.pw-text>ul,.pw-text>ol,.pw-text>blockquote{max-width:70ch}
.pw-align-center+.pw-text>p{margin-inline:auto;text-align:center}
.pw-text li{margin:.25em 0}
.pw-text blockquote{margin:var(--space-lg) 0;padding:var(--space-sm) var(--space-lg);border-left:4px solid var(--color-primary);font-size:calc(var(--font-base)*var(--font-scale));font-style:italic}
.pw-text code{padding:.1em .35em;border-radius:var(--radius-sm);background:var(--color-surface);font-size:.9em}
.pw-text pre{padding:var(--space-md);overflow-x:auto;border-radius:var(--radius-md);background:var(--color-surface)}
.pw-text pre code{padding:0}
.pw-text hr{margin:var(--space-xl) 0;border:0;border-top:1px solid var(--color-border)}
.pw-text table{width:100%;border-collapse:collapse;margin:0 0 var(--space-md)}
.pw-text th,.pw-text td{padding:var(--space-sm) var(--space-md);border-bottom:1px solid var(--color-border);text-align:left}
.pw-text img{max-width:100%;height:auto}
)"},
    {"Video", R"(.pw-video{margin:0 0 var(--space-lg)}
.pw-video-frame{display:block;width:100%;height:auto;aspect-ratio:16/9;border:0;border-radius:var(--radius-md);background:var(--color-surface)}
)"},
    {"Gallery", R"(.pw-gallery{display:grid;gap:var(--space-md);margin:0 0 var(--space-lg);padding:0;list-style:none}
.pw-gallery-2{grid-template-columns:repeat(2,minmax(0,1fr))}
.pw-gallery-3{grid-template-columns:repeat(3,minmax(0,1fr))}
.pw-gallery-4{grid-template-columns:repeat(4,minmax(0,1fr))}
.pw-gallery-item{margin:0;min-width:0}
.pw-gallery-item img{display:block;width:100%;height:auto;aspect-ratio:4/3;object-fit:cover;border-radius:var(--radius-md);background:var(--color-surface)}
@media (max-width:40rem){.pw-gallery{grid-template-columns:repeat(2,minmax(0,1fr))}}
)"},
    {"Quote", R"(.pw-quote{max-width:50rem;margin:0 0 var(--space-lg);padding:var(--space-md) var(--space-lg);border-left:4px solid var(--color-primary);border-radius:0 var(--radius-md) var(--radius-md) 0;background:var(--color-surface);color:var(--color-text)}
.pw-align-center+.pw-quote,.pw-quote:only-child{margin-inline:auto}
.pw-quote blockquote{margin:0}
.pw-quote p{margin:0;font-size:calc(var(--font-base)*var(--font-scale));font-style:italic;white-space:pre-line}
.pw-quote figcaption{margin-top:var(--space-sm);font-weight:600}
.pw-quote figcaption::before{content:"\2014\00a0"}
)"},
    {"List", R"(.pw-list{max-width:70ch;margin:0 0 var(--space-md);padding-left:1.5em}
.pw-list li{margin:.35em 0;padding-left:.25em}
)"},
    {"Faq", R"(.pw-faq{max-width:50rem;margin:0 0 var(--space-lg);border-top:1px solid var(--color-border)}
.pw-faq-item{border-bottom:1px solid var(--color-border)}
.pw-faq-item summary{display:flex;justify-content:space-between;align-items:center;gap:var(--space-md);min-height:2.75rem;padding:var(--space-sm) 0;font-weight:600;cursor:pointer;list-style:none}
.pw-faq-item summary::after{content:"+";flex:none;font-size:1.25em;line-height:1;color:var(--color-primary)}
.pw-faq-item[open] summary::after{content:"\2212"}
.pw-faq-item summary:hover{color:var(--color-primary)}
.pw-faq-item p{margin:0 0 var(--space-md);white-space:pre-line}
)"},
    {"Navbar", R"(.pw-navbar{margin:0 0 var(--space-md)}
.pw-navbar ul{display:flex;flex-wrap:wrap;gap:var(--space-xs) var(--space-sm);margin:0;padding:0;list-style:none}
.pw-navbar a{display:inline-flex;align-items:center;min-height:2.75rem;padding:0 var(--space-md);border:1px solid var(--color-border);border-radius:var(--radius-button);color:var(--color-text);font-weight:500;text-decoration:none}
.pw-navbar a:hover{border-color:var(--color-primary);color:var(--color-primary)}
.pw-navbar a[aria-current=page]{background:var(--color-primary);border-color:var(--color-primary);color:var(--color-on-primary)}
)"},
    {"Footer", R"(.pw-footer-block{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:center;gap:var(--space-sm) var(--space-lg);margin:var(--space-lg) 0 0;padding:var(--space-md) 0;border-top:1px solid var(--color-border)}
.pw-footer-text{margin:0;white-space:pre-line}
.pw-footer-links{display:flex;flex-wrap:wrap;gap:0 var(--space-md);margin:0;padding:0;list-style:none}
.pw-footer-links a{display:inline-flex;align-items:center;min-height:2.75rem}
)"},
    {"Divider", R"(.pw-divider{height:0;margin:var(--space-xl) auto;border:0;border-top:1px solid var(--color-border)}
)"},
}};

// After the token declarations, inside :root: the heading steps.
const std::string_view kRootCss = R"(  --pw-scale-2: calc(var(--font-scale)*var(--font-scale));
  --pw-scale-3: calc(var(--pw-scale-2)*var(--font-scale));
  --pw-scale-4: calc(var(--pw-scale-3)*var(--font-scale));
  --pw-scale-5: calc(var(--pw-scale-4)*var(--font-scale));
  --pw-scale-6: calc(var(--pw-scale-5)*var(--font-scale));
  --pw-gutter: max(var(--space-md),(100% - var(--space-container))/2);
)";

const std::string_view kBaseCss = R"(*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{display:flex;flex-direction:column;min-height:100vh;margin:0;font-family:var(--font-body);font-size:var(--font-base);line-height:var(--font-line-height);color:var(--color-text);background:var(--color-background);-webkit-font-smoothing:antialiased}
h1,h2,h3,h4,h5,h6{margin:0 0 var(--space-sm);font-family:var(--font-heading);font-weight:var(--font-heading-weight);line-height:1.2;letter-spacing:-.01em;text-wrap:balance}
h1{font-size:calc(var(--font-base)*var(--pw-scale-4))}
h2{font-size:calc(var(--font-base)*var(--pw-scale-3))}
h3{font-size:calc(var(--font-base)*var(--pw-scale-2))}
h4{font-size:calc(var(--font-base)*var(--font-scale))}
h5,h6{font-size:var(--font-base)}
@media (min-width:48rem){h1{font-size:calc(var(--font-base)*var(--pw-scale-5))}h2{font-size:calc(var(--font-base)*var(--pw-scale-4))}h3{font-size:calc(var(--font-base)*var(--pw-scale-3))}}
p,ul,ol{margin:0 0 var(--space-md)}
a{color:var(--color-primary);text-underline-offset:.2em}
a:hover{text-decoration-thickness:2px}
:focus-visible{outline:3px solid var(--color-accent);outline-offset:2px}
img{max-width:100%;height:auto}
.pw-skip{position:absolute;left:var(--space-md);top:-10rem;z-index:10;padding:var(--space-sm) var(--space-md);border-radius:var(--radius-sm);background:var(--color-primary);color:var(--color-on-primary)}
.pw-skip:focus{top:var(--space-sm)}
.pw-header{display:flex;flex-wrap:wrap;align-items:center;justify-content:space-between;gap:var(--space-xs) var(--space-lg);padding:var(--space-sm) var(--pw-gutter);border-bottom:1px solid var(--color-border);background:var(--color-background)}
.pw-brand{display:inline-flex;align-items:center;gap:.6rem;min-height:3rem;font-family:var(--font-heading);font-weight:var(--font-heading-weight);font-size:1.25rem;color:var(--color-text);text-decoration:none}
.pw-brand::before{content:"";flex:none;width:1.5rem;height:1.5rem;border-radius:var(--radius-sm);background:linear-gradient(135deg,var(--color-primary),var(--color-secondary))}
.pw-nav ul{display:flex;flex-wrap:wrap;gap:var(--space-xs);margin:0;padding:0;list-style:none}
.pw-nav a{display:inline-flex;align-items:center;min-height:2.75rem;padding:0 var(--space-sm);border-radius:var(--radius-sm);color:var(--color-text);font-weight:500;text-decoration:none}
.pw-nav a:hover{background:var(--color-surface);color:var(--color-primary)}
.pw-nav a[aria-current=page]{color:var(--color-primary);box-shadow:inset 0 -3px 0 var(--color-primary);border-radius:0}
@media (max-width:40rem){.pw-header{flex-direction:column;align-items:flex-start}.pw-nav{width:100%;margin-left:calc(-1*var(--space-sm))}}
.pw-main{flex:1}
.pw-main>:not(.pw-section,.pw-hero,.pw-button){width:min(100% - 2*var(--space-md),var(--space-container));margin-inline:auto}
.pw-main>:first-child:not(.pw-section,.pw-hero){margin-top:var(--space-xl)}
.pw-main>:last-child:not(.pw-section,.pw-hero){margin-bottom:var(--space-xl)}
.pw-container{width:min(100% - 2*var(--space-md),var(--space-container));margin-inline:auto}
.pw-container>:last-child{margin-bottom:0}
.pw-section-inverse{color:var(--color-on-primary)}
.pw-section-inverse a:not(.pw-button){color:inherit}
.pw-button{display:inline-flex;align-items:center;justify-content:center;min-height:2.75rem;margin:0 var(--space-sm) var(--space-sm) 0;padding:.7em 1.5em;border:2px solid var(--color-primary);border-radius:var(--radius-button);font:inherit;font-weight:600;line-height:1.2;text-align:center;text-decoration:none;cursor:pointer;transition:background-color .15s ease,color .15s ease,border-color .15s ease,box-shadow .15s ease,transform .15s ease}
.pw-button:hover{transform:translateY(-1px);box-shadow:0 6px 16px -6px rgb(0 0 0/.35)}
.pw-button:active{transform:none;box-shadow:none}
.pw-button:focus-visible{outline:3px solid var(--color-accent);outline-offset:3px}
.pw-button-primary{background:var(--color-primary);color:var(--color-on-primary)}
.pw-button-primary:hover{background:var(--color-secondary);border-color:var(--color-secondary);color:var(--color-on-primary)}
.pw-button-secondary{background:transparent;color:var(--color-primary)}
.pw-button-secondary:hover{background:var(--color-primary);color:var(--color-on-primary)}
.pw-hero .pw-button-primary,.pw-section-inverse .pw-button-primary{background:var(--color-on-primary);border-color:var(--color-on-primary);color:var(--color-primary)}
.pw-hero .pw-button-secondary,.pw-section-inverse .pw-button-secondary,.pw-hero .pw-button-primary:hover,.pw-section-inverse .pw-button-primary:hover{background:transparent;border-color:currentColor;color:inherit}
.pw-footer{display:flex;flex-wrap:wrap;justify-content:space-between;gap:var(--space-sm) var(--space-lg);padding:var(--space-xl) var(--pw-gutter);border-top:1px solid var(--color-border);background:var(--color-surface);color:var(--color-muted);font-size:.9375em}
.pw-footer p{margin:0}
.pw-footer-brand{font-family:var(--font-heading);font-weight:var(--font-heading-weight);color:var(--color-text)}
@media (prefers-reduced-motion:reduce){*,*::before,*::after{transition:none!important}}
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

std::string_view root_css() { return kRootCss; }
std::string_view base_css() { return kBaseCss; }

std::string_view component_css(std::string_view type) {
  for (const auto& [name, css] : kCss) {
    if (name == type) return css;
  }
  return {};
}

}  // namespace pw::render::detail
