# frozen_string_literal: true

require_relative "test_helper"
require "open3"
require "tmpdir"

# Mistakes a new user makes are answered locally, with a typed error that says what is wrong;
# a failing tool is a result unless raise_on_error: true; handlers come as keyword arguments too.
class TestUsageErrors < Minitest::Test
  include ServerTest

  def test_calls_before_connect_and_after_close_raise_not_connected_in_both_eras
    %i[legacy modern].each do |era|
      srv = server(era: era)
      client = MCPStream::Client.new(srv.url, timeout: 5)
      error = assert_raises(MCPStream::NotConnectedError) { client.call_tool("echo", { "text" => "hi" }) }
      assert_match(/call connect\(\) first/, error.message)
      assert_raises(MCPStream::NotConnectedError) { client.list_tools }
      assert_raises(MCPStream::NotConnectedError) { client.listen(tools_list_changed: true) }
      assert_equal [], srv.requests, "nothing is sent without a connection (#{era})"
      client.connect
      assert_equal era, client.era
      client.ping
      client.close
      sent = srv.requests.size
      assert_raises(MCPStream::NotConnectedError) { client.ping }
      assert_equal sent, srv.requests.size
    end
  end

  def test_a_url_without_its_scheme_says_so
    %w[127.0.0.1:8000/mcp localhost:8000/mcp].each do |url|
      error = assert_raises(ArgumentError) { MCPStream::Client.new(url) }
      assert_equal "URL must start with http:// or https://, got #{url.inspect}", error.message
    end
  end

  def test_network_settings_are_checked_when_the_client_is_made
    url = "https://127.0.0.1:9/mcp"
    {
      { ca_file: "/nonexistent/ca.pem" } => /cannot read ca_file/,
      { client_key: "/k.pem" } => /client_key needs client_cert/,
      { http_version: :http3 } => /http_version must be auto, http1 or http2/,
      { proxy: "::not a url::" } => /invalid proxy URL/
    }.each do |options, message|
      error = assert_raises(ArgumentError) { MCPStream::Client.new(url, **options) }
      assert_match message, error.message
    end
    MCPStream::Client.new(url, proxy: nil, http_version: :http1, idle_timeout: 5, tcp_keepalive: 0)
  end

  def test_tool_arguments_must_be_a_hash
    srv = server
    MCPStream::Client.open(srv.url, timeout: 5) do |client|
      { "a=1" => "a string", [1, 2] => "a list / Array", 3 => "a number" }.each do |wrong, kind|
        error = assert_raises(ArgumentError) { client.call_tool("echo", wrong) }
        assert_equal "call_tool: arguments must be a mapping (dict / Hash), not #{kind}", error.message
      end
    end
    assert_equal [], srv.posts("tools/call")
  end

  def test_http_errors_are_one_line_with_method_url_and_status
    srv = server
    page = "<html>\n<head><title>502 Bad Gateway</title></head>\n<body>nginx</body>\n</html>\n"
    error = MCPStream::Client.open(srv.url, timeout: 5) do |client|
      srv.script(status: 502, body: page, headers: [["content-type", "text/html"]], for_method: "tools/list")
      assert_raises(MCPStream::HTTPError) { client.list_tools }
    end
    assert_equal "POST #{srv.url}: HTTP 502 (server_error)", error.message
    assert_equal ["POST", srv.url, 502, :server_error, page], [error.http_method, error.url, error.status, error.error_type, error.body]
  end

  def test_a_failing_tool_is_a_result_unless_raise_on_error
    srv = server
    MCPStream::Client.open(srv.url, timeout: 5) do |client|
      result = client.call_tool("fail", { "message" => "disk full" })
      assert_equal true, result["isError"]
      error = assert_raises(MCPStream::ToolError) { client.call_tool("fail", { "message" => "disk full" }, raise_on_error: true) }
      assert_equal 'tool "fail" failed: disk full', error.message
      assert_equal ["fail", result], [error.tool, error.result]
      assert_equal({ "sum" => 3 }, client.call_tool("add", { "a" => 1, "b" => 2 }, raise_on_error: true)["structuredContent"])
    end
  end

  def test_open_takes_handlers_and_returns_the_blocks_value
    srv = server
    notes = Queue.new
    answer = ->(params) { { "action" => "accept", "content" => { "name" => params["message"].size.to_s } } }
    value = MCPStream::Client.open(srv.url, timeout: 5, on_elicitation: answer,
                                            on_notification: ->(method, _params) { notes << method }) do |client|
      client.set_logging_level("info")
      client.call_tool("ask", { "kind" => "elicitation" })["structuredContent"]["result"]["content"]
    end
    assert_equal({ "name" => "What is your name?".size.to_s }, value)
    assert_equal({ "elicitation" => {} }, srv.posts("initialize")[0]["body"]["params"]["capabilities"])
    assert_equal [], srv.sessions, "closed when the block ended"
    assert_raises(ArgumentError) { MCPStream::Client.new(srv.url, on_roots: "not callable") }
    assert_raises(ArgumentError) { MCPStream::Client.open(srv.url) }
  end

  def test_a_handler_that_returns_nil_or_raises_a_script_error_is_answered_at_once_and_warned_about
    srv = server
    client = MCPStream::Client.new(srv.url, timeout: 5, on_elicitation: ->(_params) {},
                                            on_roots: ->(_params) { raise NotImplementedError, "roots later" })
    client.connect
    out = nil
    _, warnings = capture_io do
      assert_operator(elapsed { out = client.call_tool("ask", { "kind" => "elicitation" }) }, :<, 2)
    end
    error = out["structuredContent"]["error"]
    assert_equal(-32_603, error["code"])
    assert_match(/elicitation handler returned nothing/, error["message"])
    assert_match(/mcpstream: the elicitation handler returned nothing \(null\), not a result object/, warnings)
    assert_operator(elapsed { out = client.call_tool("ask", { "kind" => "roots" }) }, :<, 2)
    assert_equal "NotImplementedError: roots later", out["structuredContent"]["error"]["message"]
  ensure
    client&.close
  end

  def test_the_gemspec_builds_without_warnings
    Dir.mktmpdir do |dir|
      out, status = Open3.capture2e("gem", "build", File.join(REPO, "mcpstream.gemspec"), "-o", File.join(dir, "x.gem"),
                                    chdir: REPO)
      assert status.success?, out
      refute_match(/WARNING/, out)
    end
  end
end
