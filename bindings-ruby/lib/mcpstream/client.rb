# frozen_string_literal: true

module MCPStream
  DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024

  # A Model Context Protocol client for the Streamable HTTP transport.
  #
  # Calls release the GVL while they wait, so other Ruby threads keep running, and
  # Interrupt, Thread#kill, Thread#raise and Timeout.timeout stop a waiting call (the client
  # stays usable). One client may be shared by many threads.
  class Client
    # Connects, yields the client, and always closes the session.
    def self.open(url, **options)
      client = new(url, **options)
      client.connect
      yield client
    ensure
      client&.close
    end

    def initialize(url, headers: {}, timeout: 30, close_timeout: 5, max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
                   client_info: nil, on_session_expired: :raise, standalone_stream: true)
      config = [
        headers.map { |name, value| [name.to_s, value.to_s] },
        Float(timeout), Float(close_timeout), Integer(max_response_bytes),
        client_info && JSON.generate(client_info), standalone_stream ? true : false, on_session_expired.to_s
      ]
      @native = NativeClient.new(url.to_s, config)
    end

    def session_id = @native.session_id
    def protocol_version = @native.protocol_version
    def server_info = initialize_result&.fetch("serverInfo", nil)
    def server_capabilities = initialize_result&.fetch("capabilities", nil)

    # Runs the initialize handshake; returns the server's InitializeResult as a Hash.
    def connect = parse(@native.call("connect", nil, nil, nil))

    def request(method, params = nil, timeout: nil)
      parse(@native.call("request", method.to_s, dump(params), timeout))
    end

    def notify(method, params = nil)
      @native.call("notify", method.to_s, dump(params), nil)
      nil
    end

    def ping
      @native.call("ping", nil, nil, nil)
      nil
    end

    # All tools, following nextCursor: {"tools" => [...]}.
    def list_tools = parse(@native.call("list_tools", nil, nil, nil))

    # A tool's own failure is a result with "isError" => true, not an exception.
    def call_tool(name, arguments = {}, timeout: nil)
      parse(@native.call("call_tool", name.to_s, dump(arguments), timeout))
    end

    def list_resources = parse(@native.call("list_resources", nil, nil, nil))
    def read_resource(uri) = parse(@native.call("read_resource", uri.to_s, nil, nil))
    def list_prompts = parse(@native.call("list_prompts", nil, nil, nil))

    def get_prompt(name, arguments = {})
      parse(@native.call("get_prompt", name.to_s, dump(arguments), nil))
    end

    # Ends the session (DELETE); local state is cleared whatever happens. Returns :terminated,
    # :not_supported (405), :already_gone (404), :no_session or :failed.
    def close = @native.call("close", nil, nil, nil).to_sym

    def inspect = "#<#{self.class} #{protocol_version ? "connected" : "not connected"}>"

    private

    def initialize_result
      text = @native.initialize_result_json
      text && JSON.parse(text)
    end

    def parse(text) = text.nil? ? {} : JSON.parse(text)
    def dump(value) = value.nil? ? nil : JSON.generate(value)
  end
end
