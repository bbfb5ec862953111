"""A minimal Tryton JSON-RPC caller on the standard library, for initialising the database."""

from __future__ import annotations

import base64
import json
import urllib.request
from decimal import Decimal
from typing import Any


def _encode(value: object) -> object:
    if isinstance(value, Decimal):
        return {"__class__": "Decimal", "decimal": str(value)}
    raise TypeError(f"cannot encode {type(value).__name__}")


class Rpc:
    def __init__(self, base: str, db: str) -> None:
        self.url = f"{base}/{db}/rpc/"
        self.auth = ""
        self.context: dict[str, Any] = {}
        self.counter = 0

    def call(self, method: str, *params: object) -> Any:
        self.counter += 1
        body = json.dumps(
            {"id": self.counter, "method": method, "params": list(params)}, default=_encode
        ).encode()
        request = urllib.request.Request(self.url, data=body, method="POST")
        request.add_header("Content-Type", "application/json")
        if self.auth:
            request.add_header("Authorization", self.auth)
        with urllib.request.urlopen(request, timeout=60) as response:
            answer = json.loads(response.read())
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]

    def login(self, user: str, password: str) -> int:
        uid, key, _ = self.call("common.db.login", user, {"password": password}, "en")
        token = base64.b64encode(f"{user}:{uid}:{key}".encode()).decode()
        self.auth = f"Session {token}"
        return int(uid)

    def model(self, model: str, method: str, *args: object) -> Any:
        return self.call(f"model.{model}.{method}", *args, self.context)
