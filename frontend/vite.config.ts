import { defineConfig } from "vite";
import preact from "@preact/preset-vite";

// Django serves the build under /static/app/ (vms/settings.py) and the same index.html for every page route
// (vms/spa.py), so built asset URLs are absolute under that prefix. `npm run dev` serves the app at / and
// passes the API and websockets to a VMS on :8000 (`make run`).
export default defineConfig(({ command }) => ({
  base: command === "build" ? "/static/app/" : "/",
  plugins: [preact()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
  },
  server: {
    proxy: {
      "/api": "http://127.0.0.1:8000",
      "/ws": { target: "ws://127.0.0.1:8000", ws: true },
    },
  },
}));
