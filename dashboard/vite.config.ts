// Vite build of the dashboard. The output (dist/) is embedded into the rebound
// binary by cmake/embed_dashboard.cmake and served under /dashboard/, so every
// URL in it is absolute under that base. Assets get content hashes in their
// names: the server caches those forever and revalidates only index.html.
import { defineConfig } from "vite";

export default defineConfig({
  base: "/dashboard/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // No inline scripts or styles anywhere: the page runs under a CSP that
    // allows 'self' only.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    reportCompressedSize: false,
  },
  server: {
    // `npm run dev` against a local `make run`: the page's API calls go there.
    proxy: { "/v1": "http://127.0.0.1:8080", "/dashboard/reasons.json": "http://127.0.0.1:8080" },
  },
});
