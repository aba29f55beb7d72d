"""Drive the real Home Assistant frontend in headless Chromium over the DevTools protocol.

Used by scripts/smoke (checks) and scripts/screenshots (pictures for docs/). It logs in through
Home Assistant's own login page (typing the user and password), opens the Printernizer integration
page, the config flow dialog, a printer's device page and the example dashboard, saves a screenshot
of each and fails when a page shows an error: an error card or alert, a card whose entity is
missing, an untranslated key, or a JavaScript exception.

Only aiohttp (in the project's virtualenv) and Debian's ``chromium`` are needed.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
from collections.abc import Awaitable, Callable
import contextlib
import itertools
import json
from pathlib import Path
import shutil
import sys
import tempfile
import time
from typing import Any, Self

import aiohttp

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-port=0",
]

# Helpers available on every page: querySelectorAll and text that pierce shadow roots.
PAGE_HELPERS = r"""
window.__pz = {
  all(selector, root = document) {
    const found = [];
    const walk = (node) => {
      for (const el of node.querySelectorAll("*")) {
        if (el.matches(selector)) found.push(el);
        if (el.shadowRoot) walk(el.shadowRoot);
      }
    };
    walk(root);
    return found;
  },
  visible(el) {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  },
  text(root = document.body) {
    const parts = [];
    const walk = (node) => {
      for (const child of node.childNodes) {
        if (child.nodeType === Node.TEXT_NODE) parts.push(child.textContent);
        else if (child.nodeType === Node.ELEMENT_NODE) {
          if (child.shadowRoot) walk(child.shadowRoot);
          walk(child);
        }
      }
    };
    walk(root);
    return parts.join(" ").replace(/\s+/g, " ");
  },
  center(selector, text = null) {
    const el = window.__pz.all(selector).find(
      (e) => window.__pz.visible(e) && (text === null || window.__pz.text(e).includes(text)));
    if (!el) return null;
    el.scrollIntoView({block: "center"});
    const r = el.getBoundingClientRect();
    return {x: r.left + r.width / 2, y: r.top + r.height / 2};
  },
  hass() {
    const ha = document.querySelector("home-assistant");
    return ha && ha.hass;
  },
  navigate(path) {
    history.pushState(null, "", path);
    window.dispatchEvent(new CustomEvent("location-changed", {detail: {replace: false}}));
  },
  problems() {
    const out = [];
    const pz = window.__pz;
    for (const el of pz.all("hui-error-card")) out.push("error card: " + pz.text(el).slice(0, 200));
    for (const el of pz.all("hui-warning")) out.push("warning card: " + pz.text(el).slice(0, 200));
    for (const el of pz.all('ha-alert[alert-type="error"]'))
      if (pz.visible(el)) out.push("error alert: " + pz.text(el).slice(0, 200));
    for (const el of pz.all("hui-image img, hui-picture-entity-card img"))
      if (el.complete && el.naturalWidth === 0 && pz.visible(el))
        out.push("picture that does not load: " + (el.getAttribute("src") || "").split("?")[0]);
    const text = pz.text();
    for (const marker of ["component.printernizer.", "[%key:", "ui.panel.", "state.sensor."]) {
      const at = text.indexOf(marker);
      if (at >= 0) out.push("untranslated text: " + text.slice(Math.max(0, at - 40), at + 80));
    }
    for (const marker of ["Config flow could not be loaded", "Unknown error occurred",
                          "Integration not found", "Something went wrong"]) {
      if (text.includes(marker)) out.push("error text: " + marker);
    }
    return out;
  },
};
"""


class BrowserError(Exception):
    """A page did not show what it should."""


class Chromium:
    """A headless Chromium with one page, driven over the DevTools protocol."""

    def __init__(self, binary: str, width: int, height: int, lang: str) -> None:
        """Remember how to start the browser."""
        self.binary = binary
        self.width = width
        self.height = height
        self.lang = lang
        self.profile = Path(tempfile.mkdtemp(prefix="printernizer-chromium-"))
        self.process: asyncio.subprocess.Process | None = None
        self.session: aiohttp.ClientSession | None = None
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.ids = itertools.count(1)
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.exceptions: list[str] = []
        self.console_errors: list[str] = []
        self.reader: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        """Start Chromium and attach to its first page."""
        self.process = await asyncio.create_subprocess_exec(
            self.binary,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={self.profile}",
            f"--window-size={self.width},{self.height}",
            f"--lang={self.lang}",
            "about:blank",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not port_file.exists() or not port_file.read_text().strip():
            if self.process.returncode is not None or time.monotonic() > deadline:
                raise BrowserError("Chromium did not start (no DevToolsActivePort)")
            await asyncio.sleep(0.2)
        port = port_file.read_text().split()[0]
        self.session = aiohttp.ClientSession()
        async with self.session.get(f"http://127.0.0.1:{port}/json/list") as response:
            targets = await response.json(content_type=None)
        page = next(t for t in targets if t["type"] == "page")
        self.ws = await self.session.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0)
        self.reader = asyncio.create_task(self._read())
        await self.send("Page.enable")
        await self.send("Runtime.enable")
        await self.send("Page.addScriptToEvaluateOnNewDocument", source=PAGE_HELPERS)
        await self.set_viewport(self.width, self.height)
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop the browser and remove its profile."""
        if self.reader:
            self.reader.cancel()
        if self.ws:
            await self.ws.close()
        if self.session:
            await self.session.close()
        if self.process and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 10)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)

    async def _read(self) -> None:
        assert self.ws
        async for message in self.ws:
            data = json.loads(message.data)
            if "id" in data and data["id"] in self.pending:
                self.pending.pop(data["id"]).set_result(data)
            elif data.get("method") == "Runtime.exceptionThrown":
                details = data["params"]["exceptionDetails"]
                text = details.get("exception", {}).get("description") or details.get("text")
                self.exceptions.append(str(text).splitlines()[0])
            elif (
                data.get("method") == "Runtime.consoleAPICalled"
                and data["params"]["type"] == "error"
            ):
                args = data["params"]["args"]
                self.console_errors.append(
                    " ".join(str(a.get("value", a.get("description", ""))) for a in args)[:300]
                )

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Call a DevTools method and return its result."""
        assert self.ws
        ident = next(self.ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[ident] = future
        await self.ws.send_json({"id": ident, "method": method, "params": params})
        reply = await asyncio.wait_for(future, 60)
        if "error" in reply:
            raise BrowserError(f"{method}: {reply['error']}")
        result: dict[str, Any] = reply.get("result", {})
        return result

    async def eval(self, expression: str) -> Any:
        """Evaluate JavaScript in the page (awaiting promises) and return the value."""
        result = await self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"script failed: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    async def wait_for(self, expression: str, what: str, timeout: float = 60) -> Any:
        """Wait until a JavaScript expression is truthy."""
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(BrowserError):
                value = await self.eval(
                    f"(() => {{ try {{ return {expression}; }} catch (e) {{ return null; }} }})()"
                )
                if value:
                    return value
            if time.monotonic() > deadline:
                raise BrowserError(f"timed out after {timeout:.0f} s waiting for {what}")
            await asyncio.sleep(0.25)

    async def set_viewport(self, width: int, height: int) -> None:
        """Resize the page."""
        await self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    async def goto(self, url: str) -> None:
        """Load a URL."""
        await self.send("Page.navigate", url=url)

    async def click(
        self, selector: str, what: str, *, text: str | None = None, timeout: float = 30
    ) -> None:
        """Click the first visible element matching a selector (and text), shadow roots included."""
        point = await self.wait_for(
            f"window.__pz.center({json.dumps(selector)}, {json.dumps(text)})", what, timeout=timeout
        )
        for kind in ("mousePressed", "mouseReleased"):
            await self.send(
                "Input.dispatchMouseEvent",
                type=kind,
                x=point["x"],
                y=point["y"],
                button="left",
                clickCount=1,
            )

    async def type_text(self, text: str) -> None:
        """Type text into the focused element."""
        await self.send("Input.insertText", text=text)

    async def press_enter(self) -> None:
        """Press and release the Enter key."""
        for kind in ("keyDown", "keyUp"):
            await self.send(
                "Input.dispatchKeyEvent",
                type=kind,
                key="Enter",
                code="Enter",
                windowsVirtualKeyCode=13,
                text="\r" if kind == "keyDown" else "",
            )

    async def screenshot(self, path: Path) -> None:
        """Save a PNG of the viewport."""
        result = await self.send("Page.captureScreenshot", format="png")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(result["data"]))


async def settle(browser: Chromium, seconds: float = 1.5) -> None:
    """Give the frontend time to finish rendering (charts animate, cards load lazily)."""
    await browser.wait_for(
        "document.readyState === 'complete' && "
        "window.__pz.all('ha-spinner, ha-circular-progress, hass-loading-screen')"
        ".filter((e) => window.__pz.visible(e)).length === 0",
        "the page to finish loading",
    )
    await asyncio.sleep(seconds)


async def log_in(browser: Chromium, url: str, user: str, password: str) -> None:
    """Log in through Home Assistant's login page like a person would."""
    await browser.goto(url + "/")
    await browser.wait_for("location.pathname.startsWith('/auth/authorize')", "the login page")
    await browser.click('input[name="username"], input[autocomplete="username"]', "user field")
    await browser.type_text(user)
    await browser.click('input[type="password"]', "password field")
    await browser.type_text(password)
    await browser.press_enter()
    await browser.wait_for(
        "!location.pathname.startsWith('/auth/') && window.__pz.hass() && "
        "Object.keys(window.__pz.hass().states).length > 0 && window.__pz.hass().connected",
        "the frontend after login",
        timeout=90,
    )


async def open_page(browser: Chromium, path: str, ready: str, what: str) -> None:
    """Navigate inside the frontend (no reload) and wait until the page shows what it should."""
    await browser.eval(f"window.__pz.navigate({json.dumps(path)})")
    await browser.wait_for(ready, what, timeout=60)
    await settle(browser)


def text_contains(*needles: str) -> str:
    """Return a JavaScript condition: the page text contains every needle."""
    return " && ".join(f"window.__pz.text().includes({json.dumps(n)})" for n in needles)


async def run(args: argparse.Namespace) -> int:
    """Visit every page, take screenshots, and report problems."""
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    started = time.monotonic()

    async def check(name: str) -> None:
        found = await browser.eval("window.__pz.problems()")
        await browser.screenshot(out / f"{name}.png")
        status = "ok" if not found else "FAILED"
        print(f"smoke: {name}: {status} ({time.monotonic() - started:.0f} s) -> {out / name}.png")
        problems.extend(f"{name}: {p}" for p in found)

    async with Chromium(args.chromium, args.width, args.height, args.lang) as browser:
        try:
            await visit_all(browser, args, check)
        except BrowserError:
            await browser.screenshot(out / "failure.png")
            print(f"smoke: the page at the failure: {out / 'failure.png'}")
            raise
        problems.extend(f"JavaScript exception: {e}" for e in browser.exceptions)
        for error in browser.console_errors:
            print(f"smoke: browser console error (not counted): {error}")

    if problems:
        print("smoke: FAILED:")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print(f"smoke: all pages fine in {time.monotonic() - started:.0f} s")
    return 0


async def visit_all(
    browser: Chromium,
    args: argparse.Namespace,
    check: Callable[[str], Awaitable[None]],
) -> None:
    """Log in and visit every page in turn."""
    started = time.monotonic()
    await log_in(browser, args.url, args.user, args.password)
    await settle(browser)
    print(f"smoke: logged in through the login page ({time.monotonic() - started:.0f} s)")

    devices = await browser.eval(
        "Object.values(window.__pz.hass().devices)"
        ".filter((d) => d.identifiers.some((i) => i[0] === 'printernizer'))"
        ".map((d) => ({id: d.id, name: d.name_by_user || d.name, model: d.model, "
        "manufacturer: d.manufacturer, "
        "parent: d.via_device_id}))"
    )
    printers = [d for d in devices if not d["parent"]]
    if not printers:
        raise BrowserError("no Printernizer printer device: is the demo running?")
    print("smoke: printers: " + ", ".join(f"{d['name']} ({d['model']})" for d in printers))

    # The integration page: both printers listed.
    await open_page(
        browser,
        "/config/integrations/integration/printernizer",
        text_contains("Printernizer", *(d["name"] for d in printers)),
        "the integration page listing the printers",
    )
    await check("integration")

    # A printer's device page, Bambu Lab first (it has the most entities).
    device = next((d for d in printers if "Bambu" in (d["manufacturer"] or "")), printers[0])
    await open_page(
        browser,
        f"/config/devices/device/{device['id']}",
        text_contains(device["name"])
        + " && window.__pz.all('ha-device-entities-card').length >= 2",
        f"the device page of {device['name']}",
    )
    await browser.set_viewport(args.width, 1400)
    await settle(browser, 1)
    await check("device")
    await browser.set_viewport(args.width, args.height)

    # The config flow dialog, opened with the integration page's "Add device" button; then
    # the first form (Bambu Lab).
    await open_page(
        browser,
        "/config/integrations/integration/printernizer",
        f"window.__pz.center('ha-button', {json.dumps(args.add_device)})",
        "the integration page",
    )
    await browser.click("ha-button", "the Add device button", text=args.add_device)
    await browser.wait_for(
        "window.__pz.all('dialog-data-entry-flow').length > 0 && "
        "window.__pz.all('step-flow-menu').length > 0",
        "the config flow dialog with its menu",
    )
    await settle(browser, 1)
    await check("config_flow")
    await browser.click(
        "ha-list-item-button, ha-list-item, ha-md-list-item",
        "the Bambu Lab entry of the menu",
        text="Bambu Lab",
    )
    await browser.wait_for(
        "window.__pz.all('step-flow-form').length > 0 && "
        "window.__pz.all('step-flow-form input[type=password], input[type=password]').length > 0",
        "the first form of the config flow",
    )
    await settle(browser, 1)
    await check("config_flow_form")
    # Close the dialog; the flow is aborted by the frontend.
    await browser.eval("window.__pz.all('dialog-data-entry-flow')[0].closeDialog() || true")
    await asyncio.sleep(1)

    # The example dashboard.
    if args.dashboard:
        await browser.set_viewport(args.dashboard_width, args.dashboard_height)
        await open_page(
            browser,
            f"/{args.dashboard}/printers",
            "window.__pz.all('hui-tile-card').length > 0 && window.__pz.all('ha-gauge').length > 0",
            "the example dashboard",
        )
        await settle(browser, 3)
        await check("dashboard")
        await open_page(
            browser,
            f"/{args.dashboard}/history",
            "window.__pz.all('hui-history-graph-card').length > 0",
            "the dashboard's history view",
        )
        await settle(browser, 3)
        await check("dashboard_history")


def main() -> int:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8123")
    parser.add_argument("--user", default="dev")
    parser.add_argument("--password", default="printernizer")
    parser.add_argument("--out", type=Path, default=Path("build/smoke"))
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=800)
    parser.add_argument("--dashboard", default="printernizer-demo")
    parser.add_argument("--dashboard-width", type=int, default=1920)
    parser.add_argument("--dashboard-height", type=int, default=1400)
    parser.add_argument("--lang", default="en-US", help="the browser's (and so the UI's) language")
    parser.add_argument(
        "--add-device", default="Add device", help="the Add device button's text in that language"
    )
    args = parser.parse_args()
    try:
        return asyncio.run(run(args))
    except BrowserError as err:
        print(f"smoke: FAILED: {err}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
