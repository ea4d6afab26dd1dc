# frozen_string_literal: true

require_relative "test_helper"
require "digest"

# OpenTelemetry through the Ruby API: each request-type call is a client span, and its context
# reaches the server in params._meta. The opentelemetry-api gem cannot be installed here, so
# FakeOpenTelemetry stands in for it with the public API's shape the client uses
# (OpenTelemetry.tracer_provider.tracer(...).start_span(name, kind:, attributes:),
# OpenTelemetry::Trace.with_span, OpenTelemetry::Trace::Status.error,
# OpenTelemetry.propagation.inject(carrier)); it is defined only while a test uses it.
module FakeOpenTelemetry
  Span = Struct.new(:name, :kind, :attributes, :trace_id, :span_id, :parent, :exceptions, :status, :finished,
                    :scope, keyword_init: true) do
    def set_attribute(key, value) = attributes[key] = value
    def record_exception(error) = exceptions << error
    def finish = self.finished = true
    def traceparent = "00-#{trace_id}-#{span_id}-01"
  end

  # The tracer provider, its tracers and the propagator at once: records every span.
  class Recorder
    attr_reader :spans

    def initialize
      @spans = []
    end

    def tracer(name, _version = nil)
      @scope = name
      self
    end

    def start_span(name, kind: nil, attributes: nil)
      parent = current
      span = Span.new(name: name, kind: kind, attributes: (attributes || {}).dup, trace_id: parent&.trace_id || hex(16),
                      span_id: hex(8), parent: parent, exceptions: [], status: nil, finished: false, scope: @scope)
      @spans << span
      span
    end

    def with_span(span)
      outer = current
      Thread.current[:fake_otel_span] = span
      yield span, nil
    ensure
      Thread.current[:fake_otel_span] = outer
    end

    def inject(carrier)
      carrier["traceparent"] = current.traceparent if current
    end

    def current = Thread.current[:fake_otel_span]
    def hex(bytes) = Random.bytes(bytes).unpack1("H*")
  end

  # Defines ::OpenTelemetry as the API gem would, backed by recorder.
  def self.install(recorder)
    api = Module.new
    api.define_singleton_method(:tracer_provider) { recorder }
    api.define_singleton_method(:propagation) { recorder }
    trace = Module.new
    trace.define_singleton_method(:with_span) { |span, &block| recorder.with_span(span, &block) }
    status = Module.new
    status.define_singleton_method(:error) { |description = ""| [:error, description] }
    trace.const_set(:Status, status)
    api.const_set(:Trace, trace)
    Object.const_set(:OpenTelemetry, api)
  end

  def self.uninstall
    Object.send(:remove_const, :OpenTelemetry) if Object.const_defined?(:OpenTelemetry, false)
  end
end

class TestTracing < Minitest::Test
  include ServerTest

  def setup
    super
    @otel = FakeOpenTelemetry::Recorder.new
    FakeOpenTelemetry.install(@otel)
  end

  def teardown
    FakeOpenTelemetry.uninstall
    super
  end

  def client_spans = @otel.spans.select { |s| s.kind == :client }

  # The _meta of the last rpc_method request the server received.
  def received_meta(srv, rpc_method) = srv.posts(rpc_method).last["body"]["params"]["_meta"] || {}

  def test_the_server_receives_the_client_spans_context_in_meta
    %i[legacy modern].each do |era|
      srv = server(era: era)
      application = @otel.tracer("app").start_span("application", kind: :internal)
      @otel.with_span(application) do
        MCPStream::Client.open(srv.url, era: era) { |c| c.call_tool("echo", { "text" => "hi" }) }
      end
      span = client_spans.last
      assert_same application, span.parent, era
      assert_equal span.traceparent, received_meta(srv, "tools/call")["traceparent"], era
      assert_equal application.trace_id, span.trace_id
      assert span.finished
    end
  end

  def test_a_successful_tool_call_span
    srv = server
    session_id = protocol_version = nil
    MCPStream::Client.open(srv.url) do |client|
      client.call_tool("echo", { "text" => "hi" })
      session_id = client.session_id
      protocol_version = client.protocol_version
    end
    span = client_spans.last
    assert_equal ["tools/call echo", "mcpstream", nil], [span.name, span.scope, span.status]
    port = Integer(srv.url[/:(\d+)\//, 1])
    expected = { "mcp.method.name" => "tools/call", "gen_ai.tool.name" => "echo", "gen_ai.operation.name" => "execute_tool",
                 "network.transport" => "tcp", "network.protocol.name" => "http", "server.address" => "127.0.0.1",
                 "server.port" => port, "mcp.session.id" => Digest::SHA256.hexdigest(session_id)[0, 8], "mcp.protocol.version" => protocol_version }
    assert_equal expected, span.attributes
  end

  def test_an_rpc_error_fails_the_span
    srv = server
    error = MCPStream::Client.open(srv.url) do |client|
      assert_raises(MCPStream::RPCError) { client.request("no/such/method") }
    end
    span = client_spans.last
    assert_equal "no/such/method", span.name
    assert_equal [error.code.to_s, "-32601"], [span.attributes["error.type"], span.attributes["rpc.response.status_code"]]
    assert_equal [:error, error.rpc_message], span.status
    assert_equal [error], span.exceptions
  end

  def test_a_tool_error_fails_the_span
    srv = server
    MCPStream::Client.open(srv.url) do |client|
      assert client.call_tool("fail", { "message" => "broken" })["isError"]
      assert_raises(MCPStream::ToolError) { client.call_tool("fail", { "message" => "broken" }, raise_on_error: true) }
    end
    returned, raised = client_spans
    [returned, raised].each do |span|
      assert_equal ["tools/call fail", "tool_error", :error], [span.name, span.attributes["error.type"], span.status[0]]
    end
    assert_empty returned.exceptions
    assert_instance_of MCPStream::ToolError, raised.exceptions.first
  end

  def test_every_request_type_call_is_a_span
    srv = server(era: :modern)
    MCPStream::Client.open(srv.url, era: :modern) do |client|
      client.list_tools
      client.read_resource("mem://greeting")
      client.get_prompt("greet", { "name" => "Ada" })
      client.request("resources/list")
    end
    spans = client_spans.to_h { |s| [s.name, s] }
    assert_equal ["tools/list", "resources/read", "prompts/get greet", "resources/list"].sort, spans.keys.sort
    assert_equal "mem://greeting", spans["resources/read"].attributes["mcp.resource.uri"]
    assert_equal "greet", spans["prompts/get greet"].attributes["gen_ai.prompt.name"]
    %w[tools/list resources/read prompts/get resources/list].each do |rpc_method|
      assert received_meta(srv, rpc_method).key?("traceparent"), rpc_method
    end
  end

  def test_progress_blocks_run_inside_the_call_span
    srv = server
    seen = []
    MCPStream::Client.open(srv.url) do |client|
      client.call_tool("progress", { "steps" => 2, "delay_ms" => 1 }) { seen << @otel.current }
    end
    assert_equal [client_spans.last] * 2, seen
  end

  def test_without_opentelemetry_nothing_is_added
    FakeOpenTelemetry.uninstall
    srv = server
    MCPStream::Client.open(srv.url) { |c| c.call_tool("echo", { "text" => "plain" }) }
    # A namespace some other gem defines (semantic conventions, say) is not the API.
    Object.const_set(:OpenTelemetry, Module.new)
    MCPStream::Client.open(srv.url) { |c| c.call_tool("echo", { "text" => "plain" }) }
    srv.posts("tools/call").each { |call| refute call["body"]["params"].key?("_meta") }
    assert_empty @otel.spans
  end
end
