# frozen_string_literal: true

module MCPStream
  # Base class of every error mcpstream raises.
  class Error < StandardError; end

  # The base class under the name the Python package and the error table use.
  MCPError = Error

  # The request got no HTTP answer: DNS, connect, TLS, reset or I/O failure.
  class TransportError < Error; end

  # No complete answer arrived within the allowed time.
  class TimeoutError < Error; end

  # The server answered with a non-2xx status. The message is one line: the request's method
  # and URL (without its query) and the status.
  # #status is the code, #error_type a Symbol such as :not_found, :bad_request,
  # :method_not_allowed or :server_error, #body the (capped) response body, #http_method the
  # request's method ("POST", "GET", "DELETE") and #url the URL that answered, without its query.
  class HTTPError < Error
    attr_reader :status, :error_type, :body, :http_method, :url

    def initialize(message = nil, status: 0, error_type: :other, body: "", http_method: "", url: "")
      super(message)
      @status = status
      @error_type = error_type.to_sym
      @body = body
      @http_method = http_method
      @url = url
    end
  end

  # The server no longer knows the session a request carried: a 404, or a 400 whose body says
  # the session id was refused (server-everything answers that way); #status tells which.
  # The client has cleared it; #connect starts a new one. #session_id is the expired id.
  class SessionExpiredError < HTTPError
    attr_reader :session_id

    def initialize(message = nil, session_id: nil, status: 404, error_type: :not_found)
      super(message, status: status, error_type: error_type, body: "")
      @session_id = session_id
    end
  end

  # The server answered with a JSON-RPC error: #code, #rpc_message and #data (decoded JSON).
  # Raise it from a handler block to answer the server with this error.
  class RPCError < Error
    attr_reader :code, :rpc_message, :data

    def initialize(message = nil, code: 0, rpc_message: "", data: nil)
      super(message)
      @code = code
      @rpc_message = rpc_message
      @data = data
    end
  end

  # The server's answer broke the protocol: malformed JSON or SSE, an unsupported protocol
  # version, an invalid session id, an oversize body, or a stream that ended too early.
  class ProtocolError < Error; end

  # A call that needs a connection was made before #connect, after #close, or after the session
  # expired (with on_session_expired: :raise). Nothing was sent; call #connect (or use
  # Client.open).
  class NotConnectedError < Error; end

  # A tool reported its own failure ("isError" => true) to a call_tool made with
  # raise_on_error: true (without it, such a result is returned like any other). #tool is the
  # tool's name and #result the whole result Hash, as call_tool would have returned it.
  class ToolError < Error
    attr_reader :tool, :result

    def initialize(message = nil, tool: "", result: {})
      super(message)
      @tool = tool
      @result = result
    end
  end

  # Authorization (OAuth) could not give the request a token: discovery, registration or the
  # token endpoint failed, or an answer broke the rules (an issuer or state mismatch, an
  # authorization server without PKCE, an insecure endpoint). #error is the authorization
  # server's OAuth error code ("invalid_grant", ...) and #error_description its explanation,
  # if it gave them; #authorization_url is set for AuthorizationRequired, #scope for
  # InsufficientScopeError (nil otherwise).
  class AuthorizationError < Error
    attr_reader :error, :error_description, :authorization_url, :scope

    def initialize(message = nil, error: nil, error_description: nil, authorization_url: nil, scope: nil)
      super(message)
      @error = error
      @error_description = error_description
      @authorization_url = authorization_url
      @scope = scope
    end
  end

  # The user must authorize in a browser and the OAuth settings have no on_authorize: open
  # #authorization_url, then pass the URL the browser was sent back to to
  # Client#complete_authorization and try again.
  class AuthorizationRequired < AuthorizationError; end

  # The server answered 403 insufficient_scope and stepping up (authorizing again for the
  # wider #scope) did not help or was not possible.
  class InsufficientScopeError < AuthorizationError; end

  # The user or the authorization server refused (access_denied, or an error in the redirect).
  class AuthorizationDeniedError < AuthorizationError; end
end
