// Nothing Vitrine-specific: the package must work with Vite's defaults.
import { resolve } from "node:path";
import { defineConfig } from "vite";

export default defineConfig({
  build: {
    rollupOptions: {
      input: {
        main: resolve(import.meta.dirname, "index.html"),
        react: resolve(import.meta.dirname, "react.html"),
        element: resolve(import.meta.dirname, "element.html"),
      },
    },
  },
});
