"""A local OpenID Connect provider for sign-in tests (the `oidc-provider-mock` package).

It serves discovery, authorize, token, userinfo and JWKS endpoints on 127.0.0.1, accepts any
client id and secret and any redirect URI, and lets the browser choose who signs in: its
authorize page has one button per predefined user (and a field for any other `sub`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import werkzeug.serving


@dataclass(frozen=True)
class Provider:
    url: str  # issuer, e.g. http://127.0.0.1:41234

    @property
    def server_metadata_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"


@contextmanager
def oidc_provider(users: Mapping[str, Mapping[str, object]]) -> Iterator[Provider]:
    """Run the provider on a free port in a background thread while the context lasts.

    `users` maps each predefined subject (`sub`) to its claims, e.g.
    `{"ada": {"email": "ada@nhs.example", "name": "Ada Lovelace"}}`.
    """
    from oidc_provider_mock import User, app

    wsgi = app(user_claims=[User(sub=sub, claims=dict(claims)) for sub, claims in users.items()])
    server = werkzeug.serving.make_server("127.0.0.1", 0, wsgi, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
    )
    thread.start()
    try:
        yield Provider(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
