"""Type aliases for the package's annotations. The package imports this module only for type
checkers (``if TYPE_CHECKING:``): building these aliases needs ``typing``, whose import would
cost ``import mcpstream`` more than the rest of the package."""

from typing import TYPE_CHECKING, Any, Callable, Dict, Optional

if TYPE_CHECKING:
    import asyncio

JSONDict = Dict[str, Any]
LoopGetter = Callable[[], Optional["asyncio.AbstractEventLoop"]]
# What users register: plain functions, or coroutine functions on AsyncClient.
RequestHandler = Callable[[Optional[JSONDict]], Any]
NotificationHandler = Callable[[str, Optional[JSONDict]], Any]
ProgressHandler = Callable[[JSONDict], Any]
SessionChangeHandler = Callable[[Optional[str], Optional[str], str], Any]
# What the native layer calls: JSON text in, and for requests JSON text out.
RequestAdapter = Callable[[Optional[str]], str]
NotificationAdapter = Callable[[str, Optional[str]], None]
ProgressAdapter = Callable[[str], None]
SessionChangeAdapter = Callable[[Optional[str], Optional[str], str], None]
