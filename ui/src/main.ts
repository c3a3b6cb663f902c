import { mount } from "svelte";
import App from "./App.svelte";
// Bundled, so that symbols Rampart shows (the Ⓢ of "USDⓈ-M", arrows) render on a machine whose
// fonts lack them: only the "symbols" subset, used only for the characters it covers.
import "@fontsource/noto-sans-symbols/symbols-400.css";
import "./app.css";

const target = document.getElementById("app");
if (!target) {
  throw new Error("index.html has no #app element");
}
export default mount(App, { target });
