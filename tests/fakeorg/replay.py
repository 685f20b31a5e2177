"""Replay of real exchanges: the fake org answers a recorded GET with the
status and body a real Okta org gave.

recorded/recorded.jsonl holds real GET exchanges with real orgs (classic
and Identity Engine) recorded by Okta's terraform provider (see
recorded/README.md). server.py --replay FILE serves them instead of the
generated org: a request is answered by the exchange of the org chosen with
the control setting replay_host whose path is the request's and whose
query is the request's up to the parameters that size or expand a page
(IGNORED); anything else is 404 E0000007. The answer carries the recorded
status, body and Content-Type, Okta's X-Okta-Request-Id and rate-limit
headers (server.py), and the recorded Link header with the org's host (and
its admin host) replaced by the fake's; a next link to a page that was not
recorded is left out, since there is nothing to answer it with.
"""

import json
import urllib.parse

# Page size and expansions do not change which records a recording holds:
# the extension asks limit=200/1000/10000 and expand=stats where the
# recorded client asked otherwise.
IGNORED = {"limit", "expand", "sortOrder"}


def exchange_key(host, path, query_list):
    """What a recorded exchange answers: the org host, the path and the
    query parameters that select records."""
    return (host, path, tuple(sorted((k, v) for k, v in query_list if k not in IGNORED)))


class Replay:
    def __init__(self, path):
        self.exchanges = {}
        with open(path, encoding="utf-8") as f:
            for line in f:
                ex = json.loads(line)
                u = urllib.parse.urlsplit(ex["url"])
                key = exchange_key(u.hostname, u.path, urllib.parse.parse_qsl(u.query, keep_blank_values=True))
                self.exchanges.setdefault(key, ex)

    def hosts(self):
        return sorted({k[0] for k in self.exchanges})

    def find(self, host, path, query_list):
        return self.exchanges.get(exchange_key(host, path, query_list))

    def answer(self, req, host, admin_base):
        """(status, body, headers) of the recorded exchange for req, or None."""
        ex = self.find(host, req.path, req.query_list)
        if ex is None:
            return None
        headers = {"Content-Type": ex["headers"].get("Content-Type", ["application/json"])[0]}
        links = []
        for line in ex["headers"].get("Link", []):
            for link in line.split(", <"):
                link = link if link.startswith("<") else "<" + link
                url = link[1:link.index(">")]
                u = urllib.parse.urlsplit(url)
                if 'rel="next"' in link and not self.find(host, u.path, urllib.parse.parse_qsl(u.query)):
                    continue  # not recorded: the recording stops here
                base = admin_base(req.base_url) if u.hostname != host else req.base_url
                links.append(link.replace("%s://%s" % (u.scheme, u.netloc), base, 1))
        if links:
            headers["Link"] = links
        return ex["status"], ex["body"], headers
