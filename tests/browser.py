"""A headless Chromium driven over the DevTools protocol (websocket-client), for tests of HTML pages.

:class:`Browser` starts ``chromium --headless=new --remote-debugging-port=0`` with its own profile folder,
reads the port from ``DevToolsActivePort`` in that folder, opens one page target and talks to it through
the browser's websocket (flattened sessions). Every wait has a deadline, so a test never hangs; ``close``
ends the browser it started (terminate, then kill).
"""

from __future__ import annotations

import base64
import contextlib
import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import websocket

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """The first Chromium-like executable on PATH, or ``None``."""
    return next((p for p in map(shutil.which, CANDIDATES) if p), None)


class BrowserError(RuntimeError):
    """The browser could not start, or did not answer in time."""


class Browser:
    """One headless Chromium with one page; collects console errors and uncaught exceptions.

    Attributes:
        errors: Every ``console.error``, uncaught exception and ``Log`` entry of level error seen so far.
    """

    def __init__(self, executable: str, profile: Path, *, timeout: float = 30.0, size: tuple[int, int] = (1200, 900)):
        self.timeout = timeout
        self.errors: list[str] = []
        self._id = 0
        self._events: list[dict[str, Any]] = []
        profile.mkdir(parents=True, exist_ok=True)
        (profile / "DevToolsActivePort").unlink(missing_ok=True)  # a stale one names a dead port
        # A file, not a pipe: a chatty browser must never block on a pipe nobody reads.
        self.log = profile.parent / f"{profile.name}.log"
        self._log = open(self.log, "wb")  # noqa: SIM115 (closed in close())
        self.proc = subprocess.Popen(
            [
                executable,
                "--headless=new",
                "--remote-debugging-port=0",
                f"--user-data-dir={profile}",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                f"--window-size={size[0]},{size[1]}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=self._log,
        )
        try:
            url = self._endpoint(profile)
            try:
                self.ws = websocket.create_connection(url, timeout=timeout, suppress_origin=True)
            except (OSError, websocket.WebSocketException) as exc:
                raise BrowserError(f"cannot reach chromium's DevTools at {url}: {exc}") from None
            target = self.call("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
            self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True}, session=False)[
                "sessionId"
            ]
            for domain in ("Page", "Runtime", "Log"):
                self.call(f"{domain}.enable")
        except BaseException:
            self.close()
            raise

    def _endpoint(self, profile: Path) -> str:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.log.read_text(errors="replace")
                raise BrowserError(f"chromium exited with status {self.proc.returncode}: {err.strip()[-300:]}")
            if port_file.exists():
                lines = port_file.read_text().split()
                if len(lines) >= 2:
                    return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
            time.sleep(0.05)
        raise BrowserError(f"chromium wrote no {port_file.name} within {self.timeout:g} s")

    def call(self, method: str, params: dict[str, Any] | None = None, *, session: bool = True) -> dict[str, Any]:
        """Send one command and return its result; events that arrive meanwhile are kept."""
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self.session
        self.ws.send(json.dumps(msg))
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            reply = self._receive(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return dict(reply.get("result", {}))
        raise BrowserError(f"{method}: no answer within {self.timeout:g} s")

    def _receive(self, deadline: float) -> dict[str, Any]:
        self.ws.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            msg = json.loads(self.ws.recv())
        except websocket.WebSocketTimeoutException:
            raise BrowserError(f"no message from chromium within {self.timeout:g} s") from None
        if "method" in msg:
            self._events.append(msg)
            self._note(msg)
        return dict(msg)

    def _note(self, event: dict[str, Any]) -> None:
        method, params = event["method"], event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
            self.errors.append(f"console.{params['type']}: {text}")
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            desc = details.get("exception", {}).get("description") or details.get("text", "")
            self.errors.append(f"exception: {desc}")
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            self.errors.append(f"log ({entry.get('source')}): {entry.get('text')} {entry.get('url', '')}".strip())

    def wait_for(self, method: str) -> dict[str, Any]:
        """Wait for the event ``method`` (one already received counts) and return its params."""
        deadline = time.monotonic() + self.timeout
        while True:
            for i, e in enumerate(self._events):
                if e["method"] == method:
                    return dict(self._events.pop(i).get("params", {}))
            if time.monotonic() >= deadline:
                raise BrowserError(f"no {method} within {self.timeout:g} s")
            self._receive(deadline)

    def load(self, url: str) -> None:
        """Navigate to ``url`` and wait for its load event."""
        self._events = [e for e in self._events if e["method"] != "Page.loadEventFired"]
        result = self.call("Page.navigate", {"url": url})
        if result.get("errorText"):
            raise BrowserError(f"cannot load {url}: {result['errorText']}")
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (promises awaited)."""
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression[:60]}: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def screenshot(self, full_page: bool = True) -> bytes:
        """A PNG of the page (the whole page when ``full_page``)."""
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
            metrics = self.call("Page.getLayoutMetrics")
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            params["clip"] = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 6000), "scale": 1}
        return base64.b64decode(self.call("Page.captureScreenshot", params)["data"])

    def close(self) -> None:
        """End the browser (politely, then by force); safe to call twice."""
        ws = getattr(self, "ws", None)
        if ws is not None:
            with contextlib.suppress(OSError, websocket.WebSocketException):  # the browser may be gone already
                ws.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._log.close()
