import { svelte } from "@sveltejs/vite-plugin-svelte";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";

/**
 * The app freezes Object.prototype (Tauri's freezePrototype). decimal.js then builds its prototype
 * as `P = { toStringTag: tag }` and assigns `P.toString`, `P.valueOf` and `P.constructor`: with
 * the inherited properties frozen those assignments throw in strict code ("the override mistake")
 * and the whole bundle fails to load. Declaring the three as the object's own properties up front
 * makes the later assignments plain writes; nothing else in the library changes.
 */
function decimalUnderFrozenPrototype(): Plugin {
  const from = "P = { toStringTag: tag };";
  const to = "P = { toStringTag: tag, toString: undefined, valueOf: undefined, constructor: undefined };";
  return {
    name: "rampart-decimal-frozen-prototype",
    enforce: "pre",
    transform(code, id) {
      if (!/[\\/]decimal\.js[\\/]decimal\.m?js$/.test(id)) {
        return null;
      }
      if (!code.includes(from)) {
        this.error("decimal.js changed: check that it still loads under a frozen Object.prototype");
      }
      return { code: code.replace(from, to), map: null };
    },
  };
}

// The webview loads only what this build emits: no CDN, no remote font, no inline script.
export default defineConfig({
  plugins: [decimalUnderFrozenPrototype(), svelte()],
  clearScreen: false,
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // Inline assets would become data: URLs, which the CSP does not allow.
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
