from typing import Awaitable, Optional, final

from mcpstream._hooks import NotificationAdapter, ProgressAdapter, RequestAdapter, SessionChangeAdapter

__all__ = ["DEFAULT_MAX_RESPONSE_BYTES", "NativeClient", "__version__", "shutdown"]

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
    def call(self, op: str, on_progress: Optional[ProgressAdapter] = None) -> str: ...
    def call_async(self, op: str, on_progress: Optional[ProgressAdapter] = None) -> Awaitable[str]: ...

def shutdown() -> None: ...
