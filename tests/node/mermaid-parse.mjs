// Parse every ```mermaid block of the Markdown files named on the command line with Mermaid's
// own parser (mermaid.parse, under a jsdom window). Prints one JSON line per block:
// {"file", "block", "ok", "type" | "error"}; exits 1 when a block does not parse.
import { readFileSync } from "node:fs";
import { JSDOM } from "jsdom";

const { window } = new JSDOM("<!DOCTYPE html><body></body>");
globalThis.window = window;
globalThis.document = window.document;
for (const name of ["Element", "HTMLElement", "SVGElement", "Node", "DOMParser"]) {
  if (!(name in globalThis)) globalThis[name] = window[name];
}
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });

let failed = 0;
for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, "utf8");
  const blocks = [...text.matchAll(/^```mermaid\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
  for (const [index, block] of blocks.entries()) {
    try {
      const parsed = await mermaid.parse(block);
      console.log(JSON.stringify({ file, block: index, ok: true, type: parsed.diagramType }));
    } catch (error) {
      failed += 1;
      const message = String(error?.message ?? error).split("\n").slice(0, 4).join(" | ");
      console.log(JSON.stringify({ file, block: index, ok: false, error: message }));
    }
  }
}
process.exit(failed ? 1 : 0);
