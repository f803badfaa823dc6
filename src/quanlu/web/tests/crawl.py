"""A crawler of a running site's pages as one signed-in officer sees them: every page
reachable from the case list and the case pages, with the visible text of each (no
markup, scripts, styles or attribute values)."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from html.parser import HTMLParser

# Links that are files, actions or another surface, not pages to read.
SKIP = re.compile(
    r"/(file|content|poster\.jpg|export|download|logout)/?|^/api/|^/static/|^/admin/|\.(pdf|docx|zip|jpg|png|mp4)$"
)
# A code left untranslated: snake_case words, and the case stages' codes.
CODE = re.compile(
    r"(?<![A-Za-z0-9_.-])(?:[a-z]+_[a-z_]+|initiation|investigation|decision|execution|archiving)(?![A-Za-z0-9_.-])"
)


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._hidden += 1
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.text.append(data)


def login(base: str, username: str, password: str) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{base}/login/").read()
    token = next(c.value for c in jar if c.name == "csrftoken")
    data = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": token})
    request = urllib.request.Request(
        f"{base}/login/", data=data.encode(), headers={"Referer": f"{base}/login/"}
    )
    opener.open(request).read()
    return opener


def crawl(
    base: str, opener: urllib.request.OpenerDirector, start: list[str]
) -> Iterator[tuple[str, int, str]]:
    """(path, status, visible text) of the start pages, every case page they link to,
    and every page a case page links to (one hop beyond the case pages)."""
    seen: set[str] = set()
    queue = [(p, 0) for p in start]
    while queue:
        path, depth = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        try:
            response = opener.open(base + path)
            status, body = response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            status, body = exc.code, ""
        page = _Page()
        page.feed(body)
        yield path, status, " ".join(page.text)
        is_case = re.fullmatch(r"/cases/[0-9a-f-]{36}/", path) is not None
        if depth >= 2 or not (is_case or depth == 0):
            continue
        for href in page.links:
            target = urllib.parse.urlsplit(urllib.parse.urljoin(base + path, href))
            if target.netloc != urllib.parse.urlsplit(base).netloc or SKIP.search(target.path):
                continue
            link = target.path + (f"?{target.query}" if target.query else "")
            if link not in seen:
                queue.append((link, depth + 1))


def codes_in(text: str) -> list[str]:
    return sorted(set(CODE.findall(text)))
