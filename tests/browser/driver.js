#!/usr/bin/env node
// Generic headless-Chromium driver for flamekit's browser tests.
//
// Reads one JSON job on stdin, runs it in a fresh Chromium (own user-data-dir),
// prints one JSON result on stdout.  Job:
//   { "url": "file:///... or http://...",      // or "file": "/abs/path.svg"
//     "chromium": "/usr/bin/chromium",          // optional
//     "viewport": [1280, 900],                  // optional
//     "timeout": 30000,                         // ms, per navigation/wait
//     "prompt": "text",                         // optional answer to window.prompt()
//     "trace": "/abs/out.json",                 // optional: Chrome trace from navigation to the last step
//     "renderer_prefix": "valgrind ...",        // optional: wrapper command for renderer processes
//     "steps": [ {"eval": "js expression or async () => ..."},
//                {"click": "css selector"} | {"clickAt": [x, y]},
//                {"clickText": "frame label"}  // first <g> whose <title> starts with it
//                {"key": "Escape"} | {"key": "f", "modifiers": ["Control"]},
//                {"type": "text"}, {"prompt": "next answer"},
//                {"wait": 100} | {"waitFor": "js expression"},
//                {"goto": "url"}, {"metrics": true},
//                {"cpu": true} ] }        // CPU seconds the browser's processes used since navigation
//                                         // began: {"renderer": s (page renderers, not Chrome's UI), "all": s}
// Result: { "ok": bool, "load_ms": n, "results": [value per step],
//           "console_errors": [...], "page_errors": [...], "dialogs": [...], "error": "..." }
"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");
const puppeteer = require("puppeteer-core");

const FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run",
];

function readStdin() {
  return fs.readFileSync(0, "utf8");
}

function processTree(root) {
  // pids of root and its descendants, from /proc/*/stat (Linux)
  const parentOf = {};
  for (const p of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const st = fs.readFileSync(`/proc/${p}/stat`, "utf8");
      parentOf[p] = st.slice(st.lastIndexOf(")") + 2).split(" ")[1];
    } catch (err) { /* exited */ }
  }
  const out = [String(root)];
  for (let i = 0; i < out.length; i++) {
    for (const p in parentOf) if (parentOf[p] === out[i]) out.push(p);
  }
  return out;
}

function cpuSeconds(browser) {
  // {renderer, all}: user+sys CPU seconds of the page renderer processes, and of all the browser's processes
  const hz = 100;  // USER_HZ on Linux
  const res = { renderer: 0, all: 0 };
  const proc = browser && browser.process();
  if (!proc) return res;
  for (const p of processTree(proc.pid)) {
    try {
      const st = fs.readFileSync(`/proc/${p}/stat`, "utf8");
      const f = st.slice(st.lastIndexOf(")") + 2).split(" ");
      const s = (+f[11] + +f[12]) / hz;
      res.all += s;
      // page renderers only: not the renderer of Chrome's own UI (omnibox popup and the like), which
      // new headless starts alongside and which loads hundreds of modules while the page loads
      const cmd = fs.readFileSync(`/proc/${p}/cmdline`, "utf8");
      if (cmd.includes("--type=renderer") && !cmd.includes("--top-chrome-webui")) res.renderer += s;
    } catch (err) { /* exited */ }
  }
  return res;
}

async function runStep(page, step, out) {
  if ("eval" in step) {
    // an expression, or a (possibly async) function that is called
    const value = await page.evaluate(
      `(async () => { const __v = (${step.eval}); return typeof __v === "function" ? await __v() : await __v; })()`);
    return value === undefined ? null : value;
  }
  if ("click" in step) {
    await page.click(step.click);
    return null;
  }
  if ("clickAt" in step) {
    await page.mouse.click(step.clickAt[0], step.clickAt[1]);
    return null;
  }
  if ("clickText" in step) {
    const box = await page.evaluate((label) => {
      for (const g of document.querySelectorAll("g")) {
        const t = g.querySelector(":scope > title");
        const r = g.querySelector(":scope > rect");
        if (t && r && t.textContent.startsWith(label)) {
          const b = r.getBoundingClientRect();
          if (b.width > 0) return [b.left + Math.min(b.width / 2, 20), b.top + b.height / 2];
        }
      }
      return null;
    }, step.clickText);
    if (!box) throw new Error(`no visible frame titled ${JSON.stringify(step.clickText)}`);
    await page.mouse.click(box[0], box[1]);
    return box;
  }
  if ("key" in step) {
    const mods = step.modifiers || [];
    for (const m of mods) await page.keyboard.down(m);
    await page.keyboard.press(step.key);
    for (const m of mods.slice().reverse()) await page.keyboard.up(m);
    return null;
  }
  if ("type" in step) {
    await page.keyboard.type(step.type);
    return null;
  }
  if ("prompt" in step) {
    out.promptAnswer = step.prompt;
    return null;
  }
  if ("wait" in step) {
    await new Promise((r) => setTimeout(r, step.wait));
    return null;
  }
  if ("waitFor" in step) {
    await page.waitForFunction(step.waitFor, { timeout: out.timeout });
    return true;
  }
  if ("metrics" in step) {
    // main-thread busy time (TaskDuration, LayoutDuration, ... in seconds): robust on a shared host
    return await page.metrics();
  }
  if ("cpu" in step) {
    const now = cpuSeconds(out.browser);
    const was = out.cpuAtNavigation || { renderer: 0, all: 0 };
    return { renderer: now.renderer - was.renderer, all: now.all - was.all };
  }
  if ("goto" in step) {
    const t0 = Date.now();
    await page.goto(step.goto, { waitUntil: "load", timeout: out.timeout });
    return Date.now() - t0;
  }
  throw new Error(`unknown step ${JSON.stringify(step)}`);
}

async function main() {
  const job = JSON.parse(readStdin());
  const result = { ok: false, load_ms: null, results: [], console_errors: [], page_errors: [], dialogs: [] };
  const state = { promptAnswer: job.prompt ?? null, timeout: job.timeout || 30000 };
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), "flamekit-chromium-"));
  let browser;
  try {
    // renderer_prefix: run each renderer under a wrapper (e.g. valgrind, to count instructions);
    // renderers are then started directly, not forked from the zygote
    const prefix = job.renderer_prefix ? ["--no-zygote", `--renderer-cmd-prefix=${job.renderer_prefix}`] : [];
    browser = await puppeteer.launch({
      executablePath: job.chromium || "/usr/bin/chromium",
      headless: true,
      args: [...FLAGS, ...prefix, `--user-data-dir=${userDir}`],
      ignoreDefaultArgs: ["--headless=new"],
      userDataDir: userDir,
      timeout: state.timeout,
      protocolTimeout: Math.max(180000, state.timeout),
    });
    const page = await browser.newPage();
    const vp = job.viewport || [1280, 900];
    await page.setViewport({ width: vp[0], height: vp[1] });
    page.on("console", (msg) => {
      if (msg.type() === "error") result.console_errors.push(msg.text());
    });
    page.on("pageerror", (err) => result.page_errors.push(String(err && err.message ? err.message : err)));
    page.on("dialog", async (dialog) => {
      result.dialogs.push({ type: dialog.type(), message: dialog.message() });
      if (dialog.type() === "prompt" && state.promptAnswer !== null) await dialog.accept(state.promptAnswer);
      else await dialog.dismiss();
    });
    state.browser = browser;
    const url = job.url || (job.file ? "file://" + path.resolve(job.file) : null);
    if (job.steps && job.steps.some((s) => "cpu" in s)) state.cpuAtNavigation = cpuSeconds(browser);
    if (job.trace) {
      await page.tracing.start({ path: job.trace, categories: [
        "devtools.timeline", "disabled-by-default-devtools.timeline", "blink", "loading", "v8"] });
    }
    if (url) {
      const t0 = Date.now();
      await page.goto(url, { waitUntil: "load", timeout: state.timeout });
      result.load_ms = Date.now() - t0;
    }
    for (const step of job.steps || []) {
      result.results.push(await runStep(page, step, state));
    }
    if (job.trace) await page.tracing.stop();
    result.ok = true;
  } catch (err) {
    result.error = String(err && err.stack ? err.stack : err);
  } finally {
    if (browser) await browser.close().catch(() => {});
    fs.rmSync(userDir, { recursive: true, force: true });
  }
  process.stdout.write(JSON.stringify(result));
}

main();
