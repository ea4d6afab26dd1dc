"""Authorization settings: :class:`OAuth` (a user authorizes this client in a browser) and
:class:`ClientCredentials` (the client authorizes as itself), and where tokens are kept.

The flow itself (discovery, registration, PKCE, refresh, step-up) runs in the native core;
these classes only carry settings, and adapt the callables and stores the core calls back.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any, Callable, Dict, Iterable, Optional, Protocol, Tuple, Union, runtime_checkable

JSONDict = Dict[str, Any]
#: Shows the user the authorization URL. Returns the URL the browser was sent back to, or
#: anything else (``None``, or the ``True`` of ``webbrowser.open``) to let the client catch
#: the redirect itself on ``redirect_uri``.
AuthorizeCallback = Callable[[str], Any]
Scopes = Union[str, Iterable[str], None]


@runtime_checkable
class TokenStore(Protocol):
    """Where client registrations and tokens are kept. Values are JSON-compatible dicts the
    client writes and reads back; keys are strings it builds (resource and authorization
    server). Called from the client's threads, possibly concurrently."""

    def load(self, key: str) -> Optional[JSONDict]: ...

    def save(self, key: str, value: JSONDict) -> None: ...

    def delete(self, key: str) -> None: ...


class MemoryTokenStore:
    """Tokens in this process's memory; share one instance between clients to share tokens."""

    def __init__(self) -> None:
        self._values: Dict[str, str] = {}
        self._lock = threading.Lock()

    def load(self, key: str) -> Optional[JSONDict]:
        with self._lock:
            text = self._values.get(key)
        return None if text is None else dict(json.loads(text))

    def save(self, key: str, value: JSONDict) -> None:
        text = json.dumps(value)
        with self._lock:
            self._values[key] = text

    def delete(self, key: str) -> None:
        with self._lock:
            self._values.pop(key, None)

    def __repr__(self) -> str:
        return f"<MemoryTokenStore with {len(self._values)} entries>"


class FileTokenStore:
    """Tokens in a JSON file (mode 0600, replaced atomically, locked against other processes
    writing at the same time), for example ``~/.config/myapp/mcp-tokens.json``. The native
    core reads and writes it."""

    def __init__(self, path: Union[str, os.PathLike[str]]) -> None:
        self.path = os.fspath(path)

    def __repr__(self) -> str:
        return f"<FileTokenStore {self.path!r}>"


def _scopes(scopes: Scopes) -> Optional[str]:
    if scopes is None or isinstance(scopes, str):
        return scopes
    return " ".join(scopes)


class OAuth:
    """The OAuth authorization code flow with PKCE, for a client acting for a user.

    ``on_authorize(url)`` shows the user the authorization URL (``webbrowser.open`` will do)
    and returns either the URL the browser was sent back to, or anything else to let the
    client catch that redirect itself on ``redirect_uri`` (``http://127.0.0.1:<port>/<path>``;
    port 0 picks a free one). Without ``on_authorize``, calls that need the user raise
    :class:`~mcpstream.AuthorizationRequired` with the URL, and
    ``client.complete_authorization(callback_url)`` finishes the flow.

    ``client_id``/``client_secret``: an app registered with the authorization server
    beforehand (needed where it offers no dynamic registration). ``client_metadata_url``: a
    Client ID Metadata Document URL, used where the server supports those. ``scopes``: what
    to ask for when the server's challenge names nothing. ``token_store``: where tokens are
    kept (default: this client's memory). ``legacy_discovery``: accept servers of revision
    2025-03-26 that publish no resource metadata. ``max_step_ups`` (1): re-authorizations
    for a wider scope per request. ``authorization_timeout`` (300 s): how long to wait for
    the user; that wait does not count against a request's timeout.
    """

    def __init__(
        self,
        *,
        client_name: str = "mcpstream",
        redirect_uri: str = "http://127.0.0.1:0/callback",
        on_authorize: Optional[AuthorizeCallback] = None,
        client_id: Optional[str] = None,
        client_secret: Optional[str] = None,
        client_metadata_url: Optional[str] = None,
        scopes: Scopes = None,
        token_store: Optional[Union[TokenStore, FileTokenStore]] = None,
        legacy_discovery: bool = False,
        max_step_ups: Optional[int] = None,
        authorization_timeout: Optional[float] = None,
    ) -> None:
        self.client_name = client_name
        self.redirect_uri = redirect_uri
        self.on_authorize = on_authorize
        self.client_id = client_id
        self.client_secret = client_secret
        self.client_metadata_url = client_metadata_url
        self.scopes = _scopes(scopes)
        self.token_store = token_store
        self.legacy_discovery = legacy_discovery
        self.max_step_ups = max_step_ups
        self.authorization_timeout = authorization_timeout

    def __repr__(self) -> str:
        return f"<OAuth client_name={self.client_name!r} redirect_uri={self.redirect_uri!r}>"


class ClientCredentials:
    """The ``client_credentials`` grant, for a client acting as itself (machine to machine):
    ``client_secret``, or ``private_key_pem`` (PKCS#8 PEM) signing a JWT assertion with
    ``algorithm`` ``"ES256"`` (default) or ``"RS256"``."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: Optional[str] = None,
        private_key_pem: Optional[str] = None,
        algorithm: str = "ES256",
        scopes: Scopes = None,
        token_store: Optional[Union[TokenStore, FileTokenStore]] = None,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.private_key_pem = private_key_pem
        self.algorithm = algorithm
        self.scopes = _scopes(scopes)
        self.token_store = token_store

    def __repr__(self) -> str:
        return f"<ClientCredentials client_id={self.client_id!r}>"


class _StoreAdapter:
    """An application's store as the native layer calls it: JSON text in and out."""

    def __init__(self, store: TokenStore) -> None:
        self._store = store

    def load(self, key: str) -> Optional[str]:
        value = self._store.load(key)
        return None if value is None else json.dumps(value)

    def save(self, key: str, text: str) -> None:
        self._store.save(key, json.loads(text))

    def delete(self, key: str) -> None:
        self._store.delete(key)


def _authorize_adapter(callback: AuthorizeCallback) -> Callable[[str], Optional[str]]:
    def call(url: str) -> Optional[str]:
        returned = callback(url)
        return returned if isinstance(returned, str) else None

    return call


def _store_spec(store: Any) -> Tuple[Optional[JSONDict], Optional[_StoreAdapter]]:
    if store is None:
        return None, None
    if isinstance(store, FileTokenStore):
        return {"kind": "file", "path": store.path}, None
    if all(callable(getattr(store, name, None)) for name in ("load", "save", "delete")):
        return {"kind": "custom"}, _StoreAdapter(store)
    raise TypeError(f"token_store needs load, save and delete methods, not {type(store).__name__}")


def native_settings(
    auth: Union[OAuth, ClientCredentials],
) -> Tuple[JSONDict, Optional[Callable[[str], Optional[str]]], Optional[_StoreAdapter]]:
    """The ``auth`` option for the native layer, its ``on_authorize`` and its store adapter."""
    store, adapter = _store_spec(auth.token_store)
    spec: JSONDict
    on_authorize = None
    if isinstance(auth, OAuth):
        spec = {
            "kind": "oauth",
            "client_name": auth.client_name,
            "redirect_uri": auth.redirect_uri,
            "client_id": auth.client_id,
            "client_secret": auth.client_secret,
            "client_metadata_url": auth.client_metadata_url,
            "scopes": auth.scopes,
            "legacy_discovery": auth.legacy_discovery,
            "max_step_ups": auth.max_step_ups,
            "authorization_timeout": auth.authorization_timeout,
        }
        if auth.on_authorize is not None:
            on_authorize = _authorize_adapter(auth.on_authorize)
    elif isinstance(auth, ClientCredentials):
        spec = {
            "kind": "client_credentials",
            "client_id": auth.client_id,
            "client_secret": auth.client_secret,
            "private_key_pem": auth.private_key_pem,
            "algorithm": auth.algorithm,
            "scopes": auth.scopes,
        }
    else:
        raise TypeError(f"auth must be OAuth(...) or ClientCredentials(...), not {type(auth).__name__}")
    spec["token_store"] = store
    return {k: v for k, v in spec.items() if v is not None}, on_authorize, adapter
