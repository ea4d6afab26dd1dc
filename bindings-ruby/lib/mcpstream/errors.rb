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

  # The server answered with a non-2xx status.
  # #status is the code, #error_type a Symbol such as :not_found, :bad_request,
  # :method_not_allowed or :server_error, and #body the (capped) response body.
  class HTTPError < Error
    attr_reader :status, :error_type, :body

    def initialize(message = nil, status: 0, error_type: :other, body: "")
      super(message)
      @status = status
      @error_type = error_type.to_sym
      @body = body
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
end
