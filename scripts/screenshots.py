"""make screenshots: PNGs of the main screens, taken in headless Chromium through the DevTools protocol.

Usage: screenshots.py BASE_URL DATABASE OUTPUT_DIR INVOICE_ID
(scripts/screenshots.sh starts the demo on its own database and ports, then calls this.)
"""
import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

import requests
import websocket

WIDTH, HEIGHT = 1440, 900
TIMEOUT = 60
# (file name, address, element to wait for, script to run first and its own element to wait for)
SCREENS = (
    ("setup-checklist", "/odoo/quickbooks-setup", "div[name='step_master_data']", None),
    ("mapping-taxes", "/odoo/quickbooks-mapping", ".o_data_row",
     ("[...document.querySelectorAll('.o_search_panel_category_value header')]"
      ".find((header) => header.textContent.includes('Taxes')).click()",
      ".o_search_panel_category_value header.active")),
    ("invoices", "/odoo/action-account.action_move_out_invoice_type", ".o_data_row", None),
    ("invoice", "/odoo/action-account.action_move_out_invoice_type/{invoice_id}", ".o_form_view .o_field_widget",
     None),
    ("sync-log", "/odoo/action-quickbooks_connector.action_qbo_sync_log", ".o_data_row", None),
    ("dashboard", "/odoo/accounting", ".o_qbo_dashboard_card", None),
)


class Page:
    """One Chromium tab driven over the DevTools protocol."""

    def __init__(self, ws_url):
        self.ws = websocket.create_connection(ws_url, timeout=TIMEOUT, suppress_origin=True)
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            answer = json.loads(self.ws.recv())
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        return result.get("result", {}).get("value")

    def wait_for(self, selector):
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if self.evaluate(f"!!document.querySelector({json.dumps(selector)})"):
                return
            time.sleep(0.25)
        raise TimeoutError(f"{selector} did not show within {TIMEOUT} s")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main(base_url, database, output_dir, invoice_id):
    session = requests.post(f"{base_url}/web/session/authenticate", json={"jsonrpc": "2.0", "params": {
        "db": database, "login": "admin", "password": "admin"}}, timeout=TIMEOUT)
    session.raise_for_status()
    session_id = session.cookies["session_id"]
    port = free_port()
    profile = tempfile.mkdtemp(prefix="qbo_screenshots_")
    browser = subprocess.Popen(["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                                f"--remote-debugging-port={port}", f"--user-data-dir={profile}",
                                f"--window-size={WIDTH},{HEIGHT}", "about:blank"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + TIMEOUT
        while True:
            try:
                tabs = requests.get(f"http://127.0.0.1:{port}/json", timeout=5).json()
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        page = Page(next(tab for tab in tabs if tab["type"] == "page")["webSocketDebuggerUrl"])
        page.call("Emulation.setDeviceMetricsOverride", width=WIDTH, height=HEIGHT, deviceScaleFactor=1, mobile=False)
        page.call("Network.enable")
        page.call("Network.setCookie", name="session_id", value=session_id, url=base_url)
        os.makedirs(output_dir, exist_ok=True)
        for name, address, selector, before in SCREENS:
            page.call("Page.navigate", url=base_url + address.format(invoice_id=invoice_id))
            page.wait_for(selector)
            if before:
                script, after = before
                page.evaluate(script)
                page.wait_for(after)
            time.sleep(1.5)  # let the last rows and notifications settle
            shot = page.call("Page.captureScreenshot", format="png")
            path = os.path.join(output_dir, f"{name}.png")
            with open(path, "wb") as image:
                image.write(base64.b64decode(shot["data"]))
            print(f"  {path}")
    finally:
        browser.terminate()
        browser.wait(timeout=TIMEOUT)


if __name__ == "__main__":
    main(*sys.argv[1:5])
