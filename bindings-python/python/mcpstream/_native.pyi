from typing import Any, List, Optional, Tuple, final

__all__ = ["NativeClient", "__version__", "shutdown"]

__version__: str

@final
class NativeClient:
    def __new__(
        cls,
        url: str,
        headers: List[Tuple[str, str]],
        timeout: float,
        close_timeout: float,
        max_response_bytes: int,
        client_info_json: Optional[str],
        standalone_stream: bool,
        on_session_expired: str,
        hooks: Tuple[Any, Any, Any, Any, Any],
    ) -> NativeClient: ...
    @property
    def url(self) -> str: ...
    @property
    def session_id(self) -> Optional[str]: ...
    @property
    def protocol_version(self) -> Optional[str]: ...
    @property
    def initialize_result_json(self) -> Optional[str]: ...
    def call(
        self,
        op: str,
        text: Optional[str] = None,
        json: Optional[str] = None,
        timeout: Optional[float] = None,
        on_progress: Optional[Any] = None,
    ) -> Optional[str]: ...
    def call_async(
        self,
        op: str,
        text: Optional[str] = None,
        json: Optional[str] = None,
        timeout: Optional[float] = None,
        on_progress: Optional[Any] = None,
    ) -> Any: ...

def shutdown() -> None: ...
