# frozen_string_literal: true

require_relative "test_helper"

class TestErrors < Minitest::Test
  include ServerTest

  def test_hierarchy
    [MCPStream::TransportError, MCPStream::TimeoutError, MCPStream::HTTPError, MCPStream::RPCError,
     MCPStream::ProtocolError, MCPStream::NotConnectedError, MCPStream::ToolError].each { |c| assert_operator c, :<, MCPStream::Error }
    assert_operator MCPStream::SessionExpiredError, :<, MCPStream::HTTPError
    assert_operator MCPStream::Error, :<, StandardError
  end

  def test_session_expiry_clears_the_session
    srv = server
    client = MCPStream::Client.new(srv.url, standalone_stream: false)
    client.connect
    sid = client.session_id
    srv.expire_sessions
    error = assert_raises(MCPStream::SessionExpiredError) { client.ping }
    assert_equal sid, error.session_id
    assert_equal 404, error.status
    assert_equal :not_found, error.error_type
    assert_nil client.session_id
    pings = srv.posts("ping").size
    assert_raises(MCPStream::NotConnectedError) { client.ping }
    assert_equal pings, srv.posts("ping").size, "nothing is sent without a session"
    client.connect
    client.ping
  end

  def test_not_found_without_session_and_server_errors
    srv = server
    nowhere = srv.url.sub("/mcp", "/nowhere")
    error = assert_raises(MCPStream::HTTPError) { MCPStream::Client.new(nowhere).connect }
    assert_equal MCPStream::HTTPError, error.class
    assert_equal :not_found, error.error_type
    assert_equal "POST #{nowhere}: HTTP 404 (not_found)", error.message
    MCPStream::Client.open(srv.url) do |c|
      srv.script(status: 500, body: "broken", for_method: "ping")
      error = assert_raises(MCPStream::HTTPError) { c.ping }
      assert_equal [500, :server_error, "broken"], [error.status, error.error_type, error.body]
      refute_nil c.session_id
      c.ping
    end
  end

  def test_rpc_protocol_timeout_transport_and_argument_errors
    srv = server
    MCPStream::Client.open(srv.url, max_response_bytes: 4096) do |c|
      error = assert_raises(MCPStream::RPCError) { c.call_tool("nope") }
      assert_equal(-32_602, error.code)
      assert_match(/nope/, error.rpc_message)
      body = %(data: {"jsonrpc":"2.0","id":{{id}},"error":{"code":-32000,"message":"busy","data":{"retry":[1]}}}\n\n)
      srv.script(status: 200, body: body, headers: [["content-type", "text/event-stream"]], for_method: "ping")
      error = assert_raises(MCPStream::RPCError) { c.ping }
      assert_equal({ "retry" => [1] }, error.data)
      assert_raises(MCPStream::ProtocolError) { c.call_tool("big", { "bytes" => 100_000 }) }
      assert_raises(MCPStream::TimeoutError) { c.call_tool("slow", { "ms" => 3000 }, timeout: 0.2) }
      c.ping
    end
    closed = TCPServer.new("127.0.0.1", 0).then { |s| s.addr[1].tap { s.close } }
    assert_raises(MCPStream::TransportError) { MCPStream::Client.new("http://127.0.0.1:#{closed}/mcp").connect }
    assert_raises(ArgumentError) { MCPStream::Client.new("ftp://x/mcp") }
    assert_raises(ArgumentError) { MCPStream::Client.new(srv.url, on_session_expired: :sometimes) }
  end

  def test_retry_policy_survives_a_restart
    srv = server
    client = MCPStream::Client.new(srv.url, on_session_expired: :retry, standalone_stream: false)
    client.connect
    old = client.session_id
    srv.expire_sessions
    assert_equal "still", client.call_tool("echo", { "text" => "still" })["content"][0]["text"]
    refute_equal old, client.session_id
  end
end
