// The editor in a real browser (Debian's Chromium driven by playwright-core),
// against a real `pagewright serve`: tests/browser/test_editor.cpp starts the
// server, makes a site, runs this script and then checks the server side
// (the page's history, the published file).
//
// Steps: open the editor with the token in the URL fragment; open the site;
// create a page from a template; drag a Heading from the component list onto
// the page and type its text; save; reload and see it; a second tab saves
// over a stale version and is told that someone else changed the page (and
// its work is kept); drag an Image onto the page and upload a picture into
// it (a site asset); publish and see the heading and the picture on the
// static host; a page
// from the landing template is drawn without the generic fallback (and is
// what the screenshot shows).
// No Content-Security-Policy violation and no uncaught error may happen.
//
// Environment: PW_BASE_URL, PW_TOKEN, PW_SITE_NAME, CHROME_PATH,
// PW_EDITOR_SCREENSHOT (optional: where to save a screenshot of the editor),
// PW_FAILURE_SCREENSHOT (optional: where to save the screen a failure left).
// Prints "RESULT <json>" as its last line; exits non-zero on any failure.
import { chromium } from "playwright-core";

const base = process.env.PW_BASE_URL;
const token = process.env.PW_TOKEN;
const siteName = process.env.PW_SITE_NAME;
const chrome = process.env.CHROME_PATH || "/usr/bin/chromium";
const screenshot = process.env.PW_EDITOR_SCREENSHOT;
const failureShot = process.env.PW_FAILURE_SCREENSHOT;
if (!base || !token || !siteName) {
  console.error("PW_BASE_URL, PW_TOKEN and PW_SITE_NAME are required");
  process.exit(2);
}

const watchdog = setTimeout(() => {
  console.error("editor-flow: gave up after 5 minutes");
  process.exit(3);
}, 300_000);

const HEADING = "Hello from the browser";
const TAB_ONE = "Edited in tab one";
const TAB_TWO = "Edited in tab two";
const problems = [];
// A 1×1 PNG, as a user's file would arrive in the file input.
const PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

function step(name) {
  console.log(`[editor-flow] ${new Date().toISOString().slice(11, 19)} ${name}`);
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

// Every page of the editor records CSP violations and uncaught errors.
async function watch(page, label) {
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (e) =>
      window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`),
    );
  });
  page.on("pageerror", (e) => problems.push(`${label}: uncaught ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && !/Failed to load resource/.test(m.text())) problems.push(`${label}: console error ${m.text()}`);
  });
}

async function cspViolations(page) {
  return page.evaluate(() => window.__cspViolations ?? []);
}

const canvas = (page) => page.frameLocator("#preview-frame");

// Waits for Puck to show the page, or fails with what the editor says instead.
async function waitForEditor(page) {
  const ready = page.getByTestId("drawer-item:Heading");
  const failed = page.locator(".pw-error");
  await ready.or(failed).first().waitFor();
  if (await failed.count()) throw new Error(`the editor shows an error: ${await failed.first().innerText()}`);
}

// Drags the component list's `type` onto the page's top-level drop zone with
// real pointer events (Puck uses dnd-kit, which listens for them).
async function dragOntoPage(page, type) {
  const item = page.getByTestId(`drawer-item:${type}`);
  await item.waitFor();
  await item.scrollIntoViewIfNeeded();  // the list is longer than the screen (Image is under Media)
  const zone = canvas(page).locator('[data-testid="dropzone:root:default-zone"]');
  await zone.waitFor();
  const from = await item.boundingBox();
  const to = await zone.boundingBox();
  check(from && to, "the component list or the page's drop zone is not on screen");
  const sx = from.x + from.width / 2;
  const sy = from.y + from.height / 2;
  const tx = to.x + to.width / 2;
  const ty = to.y + Math.min(to.height / 2, 40);
  await page.mouse.move(sx, sy);
  await page.mouse.down();
  await page.mouse.move(sx + 12, sy + 4, { steps: 4 });
  await page.mouse.move(tx, ty, { steps: 25 });
  await page.waitForTimeout(250);
  await page.mouse.move(tx + 2, ty + 2, { steps: 3 });
  await page.mouse.up();
}

// Selects the canvas's heading showing `current` (null: the first) and sets
// its text in the fields panel.
async function setHeadingText(page, current, text) {
  const heading = canvas(page).locator(".pw-heading", current === null ? {} : { hasText: current }).first();
  await heading.click();
  const input = page.locator('input[name="text"]:visible');
  await input.waitFor();
  await input.fill(text);
  await canvas(page).locator(".pw-heading", { hasText: text }).first().waitFor();
}

async function save(page) {
  await page.getByTestId("save").click();
  await page.getByTestId("notice").filter({ hasText: /Saved: version \d+/ }).waitFor();
  const state = await page.getByTestId("save-state").textContent();
  check(state === "All changes saved", `after saving the editor says "${state}"`);
}

async function openWithToken(context, path, label) {
  const page = await context.newPage();
  await watch(page, label);
  await page.goto(`${base}${path}#token=${encodeURIComponent(token)}`);
  // The token leaves the address bar at once and lives in the tab's storage.
  await page.waitForFunction(() => !window.location.hash.includes("token="));
  check(!page.url().includes(token), `the token is still in the URL: ${page.url()}`);
  const stored = await page.evaluate(() => window.sessionStorage.getItem("pagewright.token"));
  check(stored === token, "the token was not kept in sessionStorage");
  return page;
}

const browser = await chromium.launch({
  executablePath: chrome,
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
let result = {};
let current = null;
try {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  context.setDefaultTimeout(30_000);

  step("open the editor with the token in the fragment");
  const one = await openWithToken(context, "/editor/", "tab one");
  current = one;
  await one.getByRole("link", { name: siteName }).click();
  await one.waitForURL(/\/editor\/sites\/[^/]+$/);
  const siteId = decodeURIComponent(new URL(one.url()).pathname.split("/").pop());

  step("create a page from the blank template");
  await one.locator('input[name="title"]').fill("Welcome");
  await one.locator('select[name="template"]').selectOption("blank");
  await one.getByRole("button", { name: "Create page" }).click();
  await one.waitForURL(/\/editor\/pages\/[^/]+$/);
  const pageId = decodeURIComponent(new URL(one.url()).pathname.split("/").pop());
  step(`page ${pageId}`);
  await waitForEditor(one);

  step("drag a Heading onto the page and type its text");
  await dragOntoPage(one, "Heading");
  // The blank page's only heading is the one just dropped (its text is the
  // library's default).
  await canvas(one).locator(".pw-heading").first().waitFor();
  check((await canvas(one).locator(".pw-heading").count()) === 1, "the drop did not make exactly one heading");
  await setHeadingText(one, null, HEADING);
  check((await one.getByTestId("save-state").textContent()) === "Unsaved changes", "an edit did not mark the page unsaved");
  await save(one);

  step("reload and see it");
  await one.reload();
  await waitForEditor(one);
  await canvas(one).locator(".pw-heading", { hasText: HEADING }).waitFor();
  check((await one.getByTestId("save-state").textContent()) === "All changes saved", "a reloaded page is not clean");

  step("a second tab saves over a stale version");
  const two = await openWithToken(context, `/editor/pages/${encodeURIComponent(pageId)}`, "tab two");
  await waitForEditor(two);
  await canvas(two).locator(".pw-heading", { hasText: HEADING }).waitFor();
  await setHeadingText(one, HEADING, TAB_ONE);
  await save(one);
  await setHeadingText(two, HEADING, TAB_TWO);
  await two.getByTestId("save").click();
  const conflict = two.getByTestId("conflict");
  await conflict.waitFor();
  const said = await conflict.textContent();
  check(/Someone else changed this page meanwhile/.test(said), `the conflict message says: ${said}`);
  check(/not saved/.test(said), `the conflict message does not say the work is unsaved: ${said}`);
  check((await two.getByTestId("save-state").textContent()) === "Unsaved changes", "tab two's edit was dropped");
  step("tab two reloads their version; its own copy is kept");
  await conflict.getByRole("button", { name: "Reload their version" }).click();
  await canvas(two).locator(".pw-heading", { hasText: TAB_ONE }).waitFor();
  await two.getByTestId("backup-banner").waitFor();
  await two.getByTestId("backup-banner").getByRole("button", { name: "Restore them" }).click();
  await canvas(two).locator(".pw-heading", { hasText: TAB_TWO }).waitFor();
  check((await two.getByTestId("save-state").textContent()) === "Unsaved changes", "restored work is not marked unsaved");
  for (const [label, page] of [["tab two", two]]) {
    const v = await cspViolations(page);
    check(v.length === 0, `${label}: Content-Security-Policy violations: ${v.join("; ")}`);
  }
  await two.close({ runBeforeUnload: false });

  step("drag an Image onto the page and upload a picture into it");
  await dragOntoPage(one, "Image");
  // Puck selects what was dropped; the default picture is on another site
  // (unreachable here), so the figure may have no size to click.
  await canvas(one).locator(".pw-figure").first().waitFor({ state: "attached" });
  const upload = one.locator('.pw-image-field:visible [data-testid="image-upload"]').first();
  await upload.waitFor({ state: "attached" });
  await upload.setInputFiles({ name: "team.png", mimeType: "image/png", buffer: Buffer.from(PNG, "base64") });
  await one.waitForFunction(() =>
    [...document.querySelectorAll(".pw-image-field input[type=text]")].some((i) => i.value.startsWith("asset:")),
  );
  const drawn = canvas(one).locator("img.pw-image").first();
  await drawn.waitFor();
  const drawnSrc = await drawn.getAttribute("src");
  check(drawnSrc && drawnSrc.startsWith("blob:"), `the canvas draws the uploaded picture from ${drawnSrc}`);
  await save(one);

  step("publish");
  await one.getByTestId("publish").click();
  const deployment = one.getByTestId("deployment");
  await deployment.filter({ hasText: /succeeded|failed/ }).waitFor({ timeout: 120_000 });
  const status = await deployment.textContent();
  check(/succeeded/.test(status), `the deployment did not succeed: ${status}`);
  const live = await one.getByTestId("live-link").getAttribute("href");
  const v1 = await cspViolations(one);
  check(v1.length === 0, `tab one: Content-Security-Policy violations: ${v1.join("; ")}`);

  step(`find the heading on the static host at ${live}`);
  const site = await context.newPage();
  const reply = await site.goto(base + live);
  check(reply && reply.status() === 200, `the live page answered ${reply && reply.status()}`);
  await site.getByRole("heading", { name: TAB_ONE }).waitFor();
  const shipped = site.locator('main img[src*="assets/"]').first();
  await shipped.waitFor();
  const picture = await site.request.get(new URL(await shipped.getAttribute("src"), site.url()).href);
  check(picture.status() === 200, `the published picture answered ${picture.status()}`);
  check(picture.headers()["content-type"] === "image/png", `the published picture is ${picture.headers()["content-type"]}`);

  step("a page from the landing template: every component of it drawn by the editor's own renderers");
  await one.goto(`${base}/editor/sites/${encodeURIComponent(siteId)}`);
  await one.locator('input[name="title"]').fill("Home");
  await one.getByLabel("Home page").check();
  await one.locator('select[name="template"]').selectOption("landing");
  await one.getByRole("button", { name: "Create page" }).click();
  await one.waitForURL(/\/editor\/pages\/[^/]+$/);
  await waitForEditor(one);
  await canvas(one).locator(".pw-hero").waitFor();
  check((await canvas(one).locator(".pw-generic").count()) === 0, "a template's component was drawn by the generic fallback");
  await canvas(one).locator(".pw-heading").first().click();
  await one.locator('input[name="text"]:visible').waitFor();
  if (screenshot) {
    await one.waitForTimeout(500);
    await one.screenshot({ path: screenshot });
    step(`screenshot ${screenshot}`);
  }
  const v2 = await cspViolations(one);
  check(v2.length === 0, `Content-Security-Policy violations: ${v2.join("; ")}`);

  check(problems.length === 0, `errors in the editor:\n  ${problems.join("\n  ")}`);
  result = { pageId, live, heading: TAB_ONE };
} catch (e) {
  if (failureShot && current) await current.screenshot({ path: failureShot }).catch(() => {});
  throw e;
} finally {
  await browser.close();
  clearTimeout(watchdog);
}
console.log(`RESULT ${JSON.stringify(result)}`);
