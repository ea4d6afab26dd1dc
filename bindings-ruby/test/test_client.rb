# frozen_string_literal: true

require_relative "test_helper"

class TestClient < Minitest::Test
  include ServerTest

  ALL_TOOLS = %w[echo add slow fail big progress ask].freeze

  def test_lifecycle_sends_session_and_version_on_every_later_request
    srv = server
    client = MCPStream::Client.new(srv.url, standalone_stream: false)
    init = client.connect
    assert_equal "mcpstream-testserver", init["serverInfo"]["name"]
    assert_equal({ "name" => "mcpstream-testserver", "version" => "0.1.0" }, client.server_info)
    sid = client.session_id
    assert_equal [sid], srv.sessions
    assert_equal "2025-11-25", client.protocol_version
    client.call_tool("echo", { "text" => "hi" })
    assert_equal :terminated, client.close
    assert_equal :no_session, client.close
    requests = srv.after_probe
    assert_equal "initialize", requests[0]["body"]["method"]
    refute requests[0]["headers"].key?("mcp-session-id")
    assert_equal %w[POST POST DELETE], requests[1..].map { |r| r["method"] }
    requests[1..].each do |r|
      assert_equal sid, r["headers"]["mcp-session-id"]
      assert_equal "2025-11-25", r["headers"]["mcp-protocol-version"]
    end
    assert_nil client.session_id
  end

  def test_resume_adopts_a_live_session_and_reports_a_dead_one
    srv = server
    first = MCPStream::Client.new(srv.url, standalone_stream: false)
    first.connect
    second = MCPStream::Client.new(srv.url, standalone_stream: false)
    assert_nil second.resume(first.session_id, first.protocol_version)
    assert_equal first.session_id, second.session_id
    assert_equal({ "sum" => 5 }, second.call_tool("add", { "a" => 2, "b" => 3 })["structuredContent"])
    assert_equal 1, srv.requests.count { |r| r.dig("body", "method") == "initialize" }
    sid = first.session_id
    assert_equal :terminated, first.close
    error = assert_raises(MCPStream::SessionExpiredError) { second.list_tools }
    assert_equal [sid, 404, :not_found], [error.session_id, error.status, error.error_type]
    assert_nil second.session_id
    assert_raises(ArgumentError) { second.resume("has space", "2025-11-25") }
  end

  def test_open_connects_and_always_closes
    srv = server
    assert_raises(RuntimeError) do
      MCPStream::Client.open(srv.url) do |c|
        c.ping
        raise "boom"
      end
    end
    assert_equal [], srv.sessions
  end

  def test_calls_return_json_shaped_hashes
    srv = server("--page-size", "2")
    MCPStream::Client.open(srv.url, headers: { "Authorization" => "Bearer t" }, client_info: { name: "rb", version: "1" }) do |c|
      assert_equal ALL_TOOLS, c.list_tools["tools"].map { |t| t["name"] }
      assert_equal({ "sum" => 5.0 }, c.call_tool("add", { "a" => 2, "b" => 3 })["structuredContent"])
      assert_equal "mem://greeting", c.list_resources["resources"][0]["uri"]
      assert_equal "mcpstream reference server", c.read_resource("mem://about")["contents"][0]["text"]
      assert_equal "greet", c.list_prompts["prompts"][0]["name"]
      assert_equal "Say hello to Ada", c.get_prompt("greet", { "name" => "Ada" })["messages"][0]["content"]["text"]
      assert_equal({}, c.request("ping"))
      assert_nil c.notify("notifications/roots/list_changed")
      assert_equal true, c.call_tool("fail", { "message" => "x" })["isError"]
    end
    assert_equal({ "name" => "rb", "version" => "1" }, srv.posts("initialize")[0]["body"]["params"]["clientInfo"])
    assert(srv.requests.all? { |r| r["headers"]["authorization"] == "Bearer t" })
  end

  def test_stateless_server
    srv = server("--stateless")
    MCPStream::Client.open(srv.url) do |c|
      assert_nil c.session_id
      c.ping
    end
    assert(srv.requests.none? { |r| r["headers"].key?("mcp-session-id") })
  end

  def test_eight_threads_share_one_client_in_parallel
    srv = server
    client = MCPStream::Client.new(srv.url)
    client.connect
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    results = 8.times.map do |t|
      Thread.new { [client.call_tool("slow", { "ms" => 300 }), client.call_tool("echo", { "text" => "t#{t}" })] }
    end.map(&:value)
    elapsed = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
    assert_equal 8.times.map { |t| "t#{t}" }, results.map { |_, echo| echo["content"][0]["text"] }
    # Serialised, 8 x 300 ms would take 2.4 s: the GVL is released while calls wait.
    assert_operator elapsed, :<, 2.0
    client.close
  end

  def test_set_logging_level
    srv = server
    MCPStream::Client.open(srv.url) do |client|
      assert_nil client.set_logging_level(:warning)
      error = assert_raises(MCPStream::RPCError) { client.set_logging_level("loud") }
      assert_equal(-32_602, error.code)
    end
    assert_equal(%w[warning loud], srv.posts("logging/setLevel").map { |r| r["body"]["params"]["level"] })
  end
end
