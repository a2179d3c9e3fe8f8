"""Load test of the main user paths (run through tests/load/run.sh, not part of `make test`).

    locust -f tests/load/locustfile.py --host http://127.0.0.1:8000 MainPaths
    locust -f tests/load/locustfile.py --host http://127.0.0.1:8000 TrivialPath

``MainPaths``: the package catalogue page, the package templates and workshops APIs, an instant
quote request through the API, and /healthz. ``TrivialPath``: the cheapest GET there is (one trade
by code), the baseline the main paths are compared with on the same stack.
"""

import datetime as dt
import itertools
import os

from locust import HttpUser, between, task

TRADE = os.environ.get("LOAD_TRADE", "elektro")
_counter = itertools.count()


class MainPaths(HttpUser):
    wait_time = between(0.1, 0.5)

    def on_start(self):
        templates = self.client.get("/api/v1/package-templates", name="templates API").json()
        items = templates["items"] if isinstance(templates, dict) else templates
        self.template = next(t for t in items if t.get("active", True))

    @task(4)
    def catalogue(self):
        self.client.get("/pakete/", name="catalogue page")

    @task(4)
    def templates(self):
        self.client.get("/api/v1/package-templates", name="templates API")

    @task(4)
    def workshops(self):
        self.client.get("/api/v1/workshops", name="workshops API")

    @task(1)
    def quote(self):
        n = next(_counter)
        body = {
            "template": self.template["code"],
            "parameters": {p["code"]: p["default"] for p in self.template["parameters"]},
            "site": {
                "street": f"Lange Straße {n % 200 + 1}",
                "postal_code": "26169",
                "city": "Friesoythe",
            },
            "contact": {
                "first_name": "Last",
                "last_name": f"Test {n}",
                "email": f"load-{os.getpid()}-{n}@example.org",
            },
            "earliest_start": (dt.date.today() + dt.timedelta(days=21)).isoformat(),
            "privacy_consent": True,
        }
        with self.client.post(
            "/api/v1/requests", json=body, name="quote request API", catch_response=True
        ) as response:
            if response.status_code != 201:
                response.failure(f"{response.status_code}: {response.text[:200]}")

    @task(1)
    def health(self):
        self.client.get("/healthz", name="healthz")


class TrivialPath(HttpUser):
    wait_time = between(0.1, 0.5)

    @task
    def trade(self):
        self.client.get(f"/api/v1/trades/{TRADE}", name="trade by code (trivial)")
