"""The shapes of the protocol's results, as :class:`typing.TypedDict` s, for editors and type
checkers: ``client.call_tool(...)["content"][0]`` is a :data:`ContentBlock`, and after
``block["type"] == "text"`` a checker knows ``block["text"]`` is a ``str``.

At run time every result stays the plain ``dict`` decoded from the server's JSON: nothing is
validated or copied, and keys a server adds beyond these (extensions) are still there; read
them with ``.get()``. Field names follow the MCP schema of 2025-11-25 and 2026-07-28: a key
only one of them has (``execution``, ``ttlMs``, ``resultType``) is optional.

Each type with required keys is two classes: the required keys in a private base, the
optional ones in the public subclass (``total=False``), because ``NotRequired`` needs Python
3.11 and this package runs on 3.9.
"""

from typing import Any, Dict, List, Literal, TypedDict, Union, final

__all__ = [
    "Annotations",
    "AudioContent",
    "BlobResourceContents",
    "CallToolResult",
    "CompleteResult",
    "Completion",
    "ContentBlock",
    "DiscoverResult",
    "EmbeddedResource",
    "GetPromptResult",
    "Icon",
    "ImageContent",
    "Implementation",
    "InitializeResult",
    "ListPromptsResult",
    "ListResourceTemplatesResult",
    "ListResourcesResult",
    "ListToolsResult",
    "Prompt",
    "PromptArgument",
    "PromptMessage",
    "PromptsCapability",
    "ReadResourceResult",
    "Resource",
    "ResourceContents",
    "ResourceLink",
    "ResourceTemplate",
    "ResourcesCapability",
    "ServerCapabilities",
    "TextContent",
    "TextResourceContents",
    "Tool",
    "ToolAnnotations",
    "ToolExecution",
    "ToolsCapability",
    "Verdict",
]

_Meta = Dict[str, Any]
# JSON Schema objects and capability objects whose contents the protocol leaves open.
_Object = Dict[str, Any]


class _Result(TypedDict, total=False):
    _meta: _Meta
    resultType: str


class _CacheableResult(_Result, total=False):
    ttlMs: int
    cacheScope: Literal["public", "private"]


class _IconKeys(TypedDict):
    src: str


class Icon(_IconKeys, total=False):
    """An icon for a tool, resource, prompt or server."""

    mimeType: str
    sizes: List[str]
    theme: Literal["light", "dark"]


class _ImplementationKeys(TypedDict):
    name: str
    version: str


class Implementation(_ImplementationKeys, total=False):
    """A server's ``serverInfo``."""

    title: str
    description: str
    websiteUrl: str
    icons: List[Icon]


class ToolsCapability(TypedDict, total=False):
    listChanged: bool


class PromptsCapability(TypedDict, total=False):
    listChanged: bool


class ResourcesCapability(TypedDict, total=False):
    subscribe: bool
    listChanged: bool


class ServerCapabilities(TypedDict, total=False):
    """What the server offers; a capability's presence is what counts (``"tools" in caps``)."""

    experimental: Dict[str, _Object]
    logging: _Object
    completions: _Object
    prompts: PromptsCapability
    resources: ResourcesCapability
    tools: ToolsCapability
    tasks: _Object
    extensions: Dict[str, _Object]


class _InitializeResultKeys(TypedDict):
    protocolVersion: str
    capabilities: ServerCapabilities
    serverInfo: Implementation


class InitializeResult(_InitializeResultKeys, _Result, total=False):
    """The session era's answer to ``initialize``."""

    instructions: str


class _DiscoverResultKeys(TypedDict):
    supportedVersions: List[str]
    capabilities: ServerCapabilities


class DiscoverResult(_DiscoverResultKeys, _CacheableResult, total=False):
    """The modern era's answer to ``server/discover``. ``serverInfo`` is at the top level in
    ``discover_result`` (the client's shape in both eras); the server itself sends it in
    ``_meta["io.modelcontextprotocol/serverInfo"]``."""

    serverInfo: Implementation
    instructions: str


class _VerdictKeys(TypedDict):
    era: Literal["legacy", "modern"]


class Verdict(_VerdictKeys, total=False):
    """What ``connect()`` learnt about the server's era; ``version`` and ``discover`` are the
    modern era's."""

    version: str
    discover: DiscoverResult


class Annotations(TypedDict, total=False):
    """Hints on how a client may use or show a content block or resource."""

    audience: List[Literal["user", "assistant"]]
    priority: float
    lastModified: str


class _TextContentKeys(TypedDict):
    type: Literal["text"]
    text: str


class TextContent(_TextContentKeys, total=False):
    annotations: Annotations
    _meta: _Meta


class _ImageContentKeys(TypedDict):
    type: Literal["image"]
    data: str
    mimeType: str


class ImageContent(_ImageContentKeys, total=False):
    """``data`` is base64."""

    annotations: Annotations
    _meta: _Meta


class _AudioContentKeys(TypedDict):
    type: Literal["audio"]
    data: str
    mimeType: str


class AudioContent(_AudioContentKeys, total=False):
    """``data`` is base64."""

    annotations: Annotations
    _meta: _Meta


class _ResourceKeys(TypedDict):
    uri: str
    name: str


class Resource(_ResourceKeys, total=False):
    title: str
    description: str
    mimeType: str
    annotations: Annotations
    size: int
    icons: List[Icon]
    _meta: _Meta


class _ResourceLinkKeys(TypedDict):
    type: Literal["resource_link"]


class ResourceLink(_ResourceLinkKeys, Resource):
    """A resource a tool or prompt points to, to be read with ``read_resource``."""


class _TextResourceContentsKeys(TypedDict):
    uri: str
    text: str


@final
class TextResourceContents(_TextResourceContentsKeys, total=False):
    mimeType: str
    _meta: _Meta


class _BlobResourceContentsKeys(TypedDict):
    uri: str
    blob: str


@final
class BlobResourceContents(_BlobResourceContentsKeys, total=False):
    """``blob`` is base64."""

    mimeType: str
    _meta: _Meta


# No tag tells these apart: `"text" in contents` does (both are final for that).
ResourceContents = Union[TextResourceContents, BlobResourceContents]


class _EmbeddedResourceKeys(TypedDict):
    type: Literal["resource"]
    resource: ResourceContents


class EmbeddedResource(_EmbeddedResourceKeys, total=False):
    annotations: Annotations
    _meta: _Meta


# Tagged by "type": comparing block["type"] with a literal narrows to one of them.
ContentBlock = Union[TextContent, ImageContent, AudioContent, ResourceLink, EmbeddedResource]


class ToolAnnotations(TypedDict, total=False):
    """Hints about a tool's behaviour, as the server describes it (not guarantees)."""

    title: str
    readOnlyHint: bool
    destructiveHint: bool
    idempotentHint: bool
    openWorldHint: bool


class ToolExecution(TypedDict, total=False):
    taskSupport: Literal["forbidden", "optional", "required"]


class _ToolKeys(TypedDict):
    name: str
    inputSchema: _Object


class Tool(_ToolKeys, total=False):
    """A tool; ``inputSchema`` and ``outputSchema`` are JSON Schema objects."""

    title: str
    description: str
    outputSchema: _Object
    annotations: ToolAnnotations
    execution: ToolExecution
    icons: List[Icon]
    _meta: _Meta


class _ListToolsResultKeys(TypedDict):
    tools: List[Tool]


class ListToolsResult(_ListToolsResultKeys, _CacheableResult, total=False):
    """``list_tools()`` follows every page and returns ``{"tools": [...]}`` alone;
    ``nextCursor`` and the rest come with a page read through ``request("tools/list")``."""

    nextCursor: str


class _CallToolResultKeys(TypedDict):
    content: List[ContentBlock]


class CallToolResult(_CallToolResultKeys, _Result, total=False):
    """``structuredContent`` is any JSON (an object up to 2025-11-25)."""

    structuredContent: Any
    isError: bool


class _ListResourcesResultKeys(TypedDict):
    resources: List[Resource]


class ListResourcesResult(_ListResourcesResultKeys, _CacheableResult, total=False):
    nextCursor: str


class _ResourceTemplateKeys(TypedDict):
    uriTemplate: str
    name: str


class ResourceTemplate(_ResourceTemplateKeys, total=False):
    title: str
    description: str
    mimeType: str
    annotations: Annotations
    icons: List[Icon]
    _meta: _Meta


class _ListResourceTemplatesResultKeys(TypedDict):
    resourceTemplates: List[ResourceTemplate]


class ListResourceTemplatesResult(_ListResourceTemplatesResultKeys, _CacheableResult, total=False):
    """From ``request("resources/templates/list")``: the client has no method of its own."""

    nextCursor: str


class _ReadResourceResultKeys(TypedDict):
    contents: List[ResourceContents]


class ReadResourceResult(_ReadResourceResultKeys, _CacheableResult, total=False):
    """``contents`` holds one item per part of the resource (usually one)."""


class _PromptArgumentKeys(TypedDict):
    name: str


class PromptArgument(_PromptArgumentKeys, total=False):
    title: str
    description: str
    required: bool


class _PromptKeys(TypedDict):
    name: str


class Prompt(_PromptKeys, total=False):
    title: str
    description: str
    arguments: List[PromptArgument]
    icons: List[Icon]
    _meta: _Meta


class _ListPromptsResultKeys(TypedDict):
    prompts: List[Prompt]


class ListPromptsResult(_ListPromptsResultKeys, _CacheableResult, total=False):
    nextCursor: str


class PromptMessage(TypedDict):
    role: Literal["user", "assistant"]
    content: ContentBlock


class _GetPromptResultKeys(TypedDict):
    messages: List[PromptMessage]


class GetPromptResult(_GetPromptResultKeys, _Result, total=False):
    description: str


class _CompletionKeys(TypedDict):
    values: List[str]


class Completion(_CompletionKeys, total=False):
    total: int
    hasMore: bool


class CompleteResult(_Result):
    """From ``request("completion/complete", ...)``: the client has no method of its own."""

    completion: Completion
