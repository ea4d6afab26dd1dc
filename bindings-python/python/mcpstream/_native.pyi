from typing import Any, Awaitable, Callable, Dict, Optional, Tuple, final

from mcpstream._aliases import NotificationAdapter, ProgressAdapter, RequestAdapter, SessionChangeAdapter
from mcpstream._auth import _StoreAdapter

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "NativeClient",
    "NativeSubscription",
    "__version__",
    "forget_verdict",
    "shutdown",
]

__version__: str
DEFAULT_MAX_RESPONSE_BYTES: int

@final
class NativeClient:
    def __new__(
        cls,
        url: str,
        options: str,
        *,
        on_sampling: Optional[RequestAdapter] = None,
        on_elicitation: Optional[RequestAdapter] = None,
        on_roots: Optional[RequestAdapter] = None,
        on_notification: Optional[NotificationAdapter] = None,
        on_session_change: Optional[SessionChangeAdapter] = None,
        on_authorize: Optional[Callable[[str], Optional[str]]] = None,
        token_store: Optional[_StoreAdapter] = None,
    ) -> NativeClient: ...
    @property
    def url(self) -> str: ...
    @property
    def session_id(self) -> Optional[str]: ...
    @property
    def protocol_version(self) -> Optional[str]: ...
    @property
    def server_info(self) -> Optional[str]: ...
    @property
    def server_capabilities(self) -> Optional[str]: ...
    @property
    def era(self) -> Optional[str]: ...
    @property
    def verdict(self) -> Optional[str]: ...
    @property
    def instructions(self) -> Optional[str]: ...
    @property
    def discover_result(self) -> Optional[str]: ...
    def call(self, op: Dict[str, Any], on_progress: Optional[ProgressAdapter] = None) -> Any: ...
    def call_async(self, op: Dict[str, Any], on_progress: Optional[ProgressAdapter] = None) -> Awaitable[Any]: ...
    def listen(self, listen_filter: str) -> NativeSubscription: ...
    def listen_async(self, listen_filter: str) -> Awaitable[NativeSubscription]: ...

@final
class NativeSubscription:
    @property
    def acknowledged(self) -> str: ...
    # An event is (JSON text, the error that ended the subscription or None).
    def next(self, timeout: Optional[float] = None) -> Optional[Tuple[str, Optional[BaseException]]]: ...
    def next_async(
        self, timeout: Optional[float] = None
    ) -> Awaitable[Optional[Tuple[str, Optional[BaseException]]]]: ...
    def close(self) -> None: ...

def forget_verdict(url: str) -> None: ...
def shutdown() -> None: ...
