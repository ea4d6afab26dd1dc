# frozen_string_literal: true

module MCPStream
  # OpenTelemetry client spans, and the trace context sent in params._meta.
  #
  # When the application has loaded the opentelemetry-api gem (the SDK, configured, records
  # the spans), each request-type call runs in a CLIENT span described as OpenTelemetry's
  # semantic conventions for MCP (development status) say, and the current context is injected
  # with the global propagator (W3C traceparent/tracestate by default) into the request's
  # _meta. Nothing is required here: without the gem a call pays one `defined?`.
  module Tracing
    # The operations that send requests, by the method they send (a list sends one per page,
    # all inside its span). Other operations (connect, ping, close, ...) get no span.
    METHODS = { call_tool: "tools/call", list_tools: "tools/list", list_resources: "resources/list",
                read_resource: "resources/read", list_prompts: "prompts/list", get_prompt: "prompts/get" }.freeze
    # Methods whose params name a resource, for mcp.resource.uri.
    RESOURCE_METHODS = %w[resources/read resources/subscribe resources/unsubscribe].freeze

    module_function

    # Runs the block, which sends operation op with fields to the endpoint url, inside its
    # span, yielding the Hash for _meta (nil when there is nothing to send), and returns the
    # block's value.
    def call(client, url, op, fields)
      method = active? && method_of(op, fields)
      return yield(nil) unless method

      name, attributes = describe(method, op == :request ? fields[:params] : fields)
      attributes.merge!(client_attributes(client, url))
      tracer = ::OpenTelemetry.tracer_provider.tracer("mcpstream", VERSION)
      span = tracer.start_span(name, kind: :client, attributes: attributes)
      run_in(span, method) { |meta| yield meta }
    end

    # Some gems define the OpenTelemetry namespace without the API (semantic conventions).
    def active?
      defined?(::OpenTelemetry) && ::OpenTelemetry.respond_to?(:tracer_provider) &&
        ::OpenTelemetry.respond_to?(:propagation)
    end

    def method_of(op, fields)
      method = op == :request ? fields[:method] : METHODS[op]
      method.is_a?(String) ? method : nil
    end

    # The span is current while the call runs, so spans the progress block starts are its
    # children; it ends with the call's outcome.
    def run_in(span, method)
      ::OpenTelemetry::Trace.with_span(span) do
        carrier = {}
        ::OpenTelemetry.propagation.inject(carrier)
        result = yield(carrier.empty? ? nil : carrier)
        failed(span, "tool_error") if method == "tools/call" && result.is_a?(Hash) && result["isError"] == true
        result
      end
    rescue Exception => e # an interrupted call (Interrupt, Thread#raise) failed too; re-raised as it came
      span.record_exception(e)
      failed(span, error_type(e), e.is_a?(RPCError) ? e.rpc_message : e.message)
      span.set_attribute("rpc.response.status_code", e.code.to_s) if e.is_a?(RPCError)
      raise
    ensure
      span.finish
    end

    def failed(span, type, description = "")
      span.set_attribute("error.type", type)
      span.status = ::OpenTelemetry::Trace::Status.error(description.to_s)
    end

    # The span name and the attributes the method and its params give.
    def describe(method, params)
      params = {} unless params.is_a?(Hash)
      attributes = { "mcp.method.name" => method }
      target = params[:name] || params["name"]
      case method
      when "tools/call"
        return [method, attributes] unless target.is_a?(String)

        attributes.merge!("gen_ai.tool.name" => target, "gen_ai.operation.name" => "execute_tool")
        ["#{method} #{target}", attributes]
      when "prompts/get"
        return [method, attributes] unless target.is_a?(String)

        attributes["gen_ai.prompt.name"] = target
        ["#{method} #{target}", attributes]
      else
        uri = params[:uri] || params["uri"]
        # Not in the span name: URIs are many, and names should be few.
        attributes["mcp.resource.uri"] = uri if RESOURCE_METHODS.include?(method) && uri.is_a?(String)
        [method, attributes]
      end
    end

    def session_fingerprint(session_id)
      require "digest"
      Digest::SHA256.hexdigest(session_id)[0, 8]
    end

    def client_attributes(client, url)
      attributes = server_attributes(url)
      session_id = client.session_id
      version = client.protocol_version
      # The id is a bearer credential on many servers and spans go to a tracing backend: they
      # carry the fingerprint the client's logs use instead.
      attributes = attributes.merge("mcp.session.id" => session_fingerprint(session_id)) if session_id
      attributes = attributes.merge("mcp.protocol.version" => version) if version
      attributes
    end

    # scheme, host (IPv6 without its brackets) and port of an http(s) URL.
    ENDPOINT = %r{\A(https?)://(?:[^@/?#]*@)?(?:\[([^\]]*)\]|([^:/?#]*))(?::(\d+))?}i
    TRANSPORT = { "network.transport" => "tcp", "network.protocol.name" => "http" }.freeze

    # server.* and network.* attributes of an endpoint.
    def server_attributes(url)
      scheme, ipv6, host, port = ENDPOINT.match(url)&.captures
      host = ipv6 || host
      return TRANSPORT if host.nil? || host.empty?

      port = port ? port.to_i : { "https" => 443 }.fetch(scheme.downcase, 80)
      TRANSPORT.merge("server.address" => host, "server.port" => port)
    end

    # The convention's error.type: the JSON-RPC error code, tool_error, timeout, the HTTP
    # status, else the exception's class.
    def error_type(error)
      case error
      when RPCError then error.code.to_s
      when ToolError then "tool_error"
      when HTTPError then error.status.to_s
      when TimeoutError then "timeout"
      else timeout?(error) ? "timeout" : error.class.name.to_s
      end
    end

    # Timeout.timeout may stop a waiting call; the timeout library is only there if loaded.
    def timeout?(error) = defined?(::Timeout::Error) && error.is_a?(::Timeout::Error) ? true : false
  end
  private_constant :Tracing
end
