// The editor is served by pagewright at /editor/ (gateway/editor_host.*).
// `npm run dev` serves it from Vite's dev server against the API named by
// VITE_PAGEWRIGHT_API (e.g. http://127.0.0.1:8080, started with
// --cors-origins http://localhost:5173).
import { defineConfig } from "vite";

export default defineConfig({
  base: "/editor/",
  esbuild: { jsx: "automatic" },
  server: { port: 5173, strictPort: true },
  build: {
    target: "es2022",
    // Puck and React make one large chunk; the editor is an app, not a page.
    chunkSizeWarningLimit: 2048,
    // No inline scripts or data: URLs in scripts: the CSP allows 'self' only.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    rollupOptions: {
      // React Server Components' "use client" markers mean nothing in a browser bundle.
      onwarn(warning, warn) {
        if (warning.code === "MODULE_LEVEL_DIRECTIVE") return;
        warn(warning);
      },
    },
  },
});
