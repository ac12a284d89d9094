"""Accessibility audit (issue #23): WCAG 2.0/2.1 A + AA with axe-core, and the served HTML
through the Nu HTML Checker. Runs in .ci/run; exits 1 on any serious or critical axe
violation or any markup error.

    .venv/bin/python tests/a11y/audit.py               # every persona, 1366 and 390 px
    .venv/bin/python tests/a11y/audit.py --personas huan_sales_hz --widths 390

It builds a throw-away SQLite database with the demo data (seed_demo), starts the app on a
free localhost port, logs in as each demo persona with headless Debian Chromium
(Playwright), visits every page of the persona's navigation, the first detail page linked
from each list and the "new" form of each list, injects axe-core (installed from the npm
registry into tests/a11y/node_modules by this script; never a CDN) and collects the
violations. The Content-Security-Policy is bypassed for the injected script only.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urljoin, urlparse

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CHROMIUM = "/usr/bin/chromium"
PERSONAS = ["huan_admin", "huan_gm", "huan_mdirector", "huan_mspec", "huan_finance", "huan_bgm_hz",
            "huan_sales_hz", "huan_rm_east"]
PASSWORD = "Demo!2026"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
SKIP_PREFIXES = ("/logout", "/admin/", "/i18n/", "/jsi18n")


def ensure_tools() -> tuple[Path, Path]:
    axe = HERE / "node_modules" / "axe-core" / "axe.min.js"
    vnu = HERE / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
    if not (axe.exists() and vnu.exists()):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=HERE, check=True)
    return axe, vnu


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(var_dir: str) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "VAR_DIR": var_dir, "DJANGO_SETTINGS_MODULE": "marketing.settings"}
    env.pop("DATABASE_URL", None)
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run([python, "manage.py", "seed_demo"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    proc = subprocess.Popen([python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--insecure"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, base
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the app did not start")


def same_site(base: str, href: str | None) -> str | None:
    if not href or href.startswith(("#", "mailto:", "javascript:")):
        return None
    url = urljoin(base + "/", href)
    parsed = urlparse(url)
    if f"{parsed.scheme}://{parsed.netloc}" != base:
        return None
    path = parsed.path + (f"?{parsed.query}" if parsed.query else "")
    if path.startswith(SKIP_PREFIXES) or "format=" in path or "/export" in path or path.endswith((".xlsx", ".pdf")):
        return None
    return path


def pages_for(page, base: str) -> list[str]:
    """The persona's navigation, plus per list page its first detail link and its 'new' form."""
    page.goto(base + "/")
    nav = [same_site(base, a.get_attribute("href")) for a in page.query_selector_all("nav.sidebar a[href]")]
    nav = [p for p in dict.fromkeys(nav) if p]
    found = ["/"] + nav
    for path in nav:
        page.goto(base + path)
        extra = []
        first = page.query_selector("main table a[href]")
        if first is not None:
            extra.append(same_site(base, first.get_attribute("href")))
        create = page.query_selector(".page-head a.btn-primary[href]")
        if create is not None:
            extra.append(same_site(base, create.get_attribute("href")))
        found += [p for p in extra if p]
    return list(dict.fromkeys(found))


def audit(args) -> int:
    axe_path, vnu_path = ensure_tools()
    from playwright.sync_api import sync_playwright

    var_dir = tempfile.mkdtemp(prefix="a11y-")
    proc, base = start_app(var_dir)
    failures: list[dict] = []
    html_files: dict[str, str] = {}
    seen: set[tuple[str, int]] = set()
    loads = 0
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            for persona in args.personas:
                for width in args.widths:
                    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
                    page = context.new_page()
                    errors: list[str] = []
                    page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
                    page.goto(base + "/login/")
                    if ("/login/", width) not in seen:
                        seen.add(("/login/", width))
                        failures += check(page, axe_path, "/login/", "anonymous", width)
                        loads += 1
                    page.fill("input[name=username]", persona)
                    page.fill("input[name=password]", PASSWORD)
                    page.click("button[type=submit]")
                    page.wait_for_url(base + "/")
                    for path in pages_for(page, base):
                        if (path, width) in seen:
                            continue
                        seen.add((path, width))
                        response = page.goto(base + path)
                        loads += 1
                        if response is None or response.status >= 400:
                            failures.append({"page": path, "persona": persona, "width": width, "rule": "http-status",
                                             "impact": "critical", "help": f"HTTP {response.status if response else '?'}",
                                             "nodes": 0, "target": ""})
                            continue
                        failures += check(page, axe_path, path, persona, width)
                        if path not in html_files:
                            raw = context.request.get(base + path).text()
                            target = Path(var_dir) / f"page{len(html_files):03d}.html"
                            target.write_text(raw, encoding="utf-8")
                            html_files[path] = str(target)
                    for text in errors:
                        if "Content Security Policy" in text or "Refused to" in text:
                            failures.append({"page": "(console)", "persona": persona, "width": width, "rule": "console-error",
                                             "impact": "serious", "help": text[:200], "nodes": 1, "target": ""})
                    context.close()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    markup = validate_html(vnu_path, html_files)
    report(failures, markup, loads, args)
    return 1 if failures or markup else 0


def check(page, axe_path: Path, path: str, persona: str, width: int) -> list[dict]:
    page.add_script_tag(path=str(axe_path))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        TAGS,
    )
    out = []
    for v in result["violations"]:
        if v.get("impact") in BLOCKING:
            out.append({"page": path, "persona": persona, "width": width, "rule": v["id"], "impact": v["impact"],
                        "help": v["help"], "nodes": len(v["nodes"]),
                        "target": " ".join(v["nodes"][0]["target"]) if v["nodes"] else "",
                        "html": v["nodes"][0].get("html", "")[:160] if v["nodes"] else ""})
    return out


def validate_html(vnu_path: Path, files: dict[str, str]) -> list[dict]:
    if not files:
        return []
    by_file = {v: k for k, v in files.items()}
    run = subprocess.run(["java", "-jar", str(vnu_path), "--errors-only", "--format", "json", *files.values()],
                         capture_output=True, text=True)
    messages = json.loads(run.stderr or run.stdout or '{"messages": []}').get("messages", [])
    out = []
    for m in messages:
        if m.get("type") != "error":
            continue
        url = m.get("url", "")
        path = next((p for f, p in by_file.items() if url.endswith(Path(f).name)), url)
        out.append({"page": path, "line": m.get("lastLine"), "message": m.get("message", "")[:200],
                    "extract": (m.get("extract") or "").strip()[:120]})
    return out


def report(failures: list[dict], markup: list[dict], loads: int, args) -> None:
    print(f"accessibility audit: {loads} page loads, {len(failures)} serious/critical axe violations, "
          f"{len(markup)} markup errors")
    for f in failures:
        print(f"  [{f['impact']}] {f['rule']} on {f['page']} ({f['persona']}, {f['width']}px): {f['help']} "
              f"— {f['nodes']} element(s), e.g. {f['target']} {f.get('html', '')}")
    for m in markup:
        print(f"  [markup] {m['page']} line {m['line']}: {m['message']} «{m['extract']}»")
    if args.json:
        Path(args.json).write_text(json.dumps({"axe": failures, "markup": markup}, ensure_ascii=False, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--personas", nargs="*", default=PERSONAS)
    parser.add_argument("--widths", nargs="*", type=int, default=[1366, 390])
    parser.add_argument("--json", help="also write the findings to this file")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"needs Debian chromium at {CHROMIUM}")
    sys.exit(audit(args))


if __name__ == "__main__":
    main()
