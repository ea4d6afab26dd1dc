# frozen_string_literal: true

require_relative "test_helper"

class TestHandlers < Minitest::Test
  include ServerTest

  def wait_until(what)
    50.times do
      return if yield

      sleep 0.05
    end
    flunk "timed out waiting for #{what}"
  end

  def test_elicitation_block_answers_on_both_streams_and_is_advertised
    srv = server
    client = MCPStream::Client.new(srv.url)
    asked = Queue.new
    client.on_elicitation do |params|
      asked << params["message"]
      { "action" => "accept", "content" => { "name" => "Ada" } }
    end
    client.connect
    %w[post get].each do |via|
      out = client.call_tool("ask", { "kind" => "elicitation", "via" => via })
      assert_equal({ "name" => "Ada" }, out["structuredContent"]["result"]["content"], via)
    end
    assert_equal "What is your name?", asked.pop
    assert_equal({ "elicitation" => {} }, srv.posts("initialize")[0]["body"]["params"]["capabilities"])
    out = client.call_tool("ask", { "kind" => "sampling" })
    assert_equal(-32_601, out["structuredContent"]["error"]["code"])
    client.close
  end

  def test_handler_errors_reach_the_server
    srv = server
    client = MCPStream::Client.new(srv.url)
    client.on_sampling { raise MCPStream::RPCError.new("no", code: -1, rpc_message: "declined", data: { "why" => "test" }) }
    client.on_roots { raise ArgumentError, "no roots" }
    client.connect
    error = client.call_tool("ask", { "kind" => "sampling" })["structuredContent"]["error"]
    assert_equal({ "code" => -1, "message" => "declined", "data" => { "why" => "test" } }, error)
    error = client.call_tool("ask", { "kind" => "roots" })["structuredContent"]["error"]
    assert_equal(-32_603, error["code"])
    assert_match(/no roots/, error["message"])
    client.close
  end

  def test_progress_notifications_and_session_changes
    srv = server("--retry-ms", "50")
    client = MCPStream::Client.new(srv.url, on_session_expired: :retry, standalone_stream: false)
    notes = Queue.new
    changes = Queue.new
    client.on_notification { |method, params| notes << [method, params["data"]] }
    client.on_session_change { |old, new, reason| changes << [old, new, reason] }
    client.connect
    progress = []
    args = { "steps" => 6, "delay_ms" => 10, "drop_after" => 3, "mid_event" => true, "log" => true }
    out = client.call_tool("progress", args) { |p| progress << p["progress"] }
    assert_equal "done 6", out["content"][0]["text"]
    assert_equal [1, 2, 3, 4, 5, 6], progress, "all delivered before call_tool returned"
    wait_until("six log notifications") { notes.size == 6 }
    assert_equal ["notifications/message", "step 1"], notes.pop
    old = client.session_id
    assert_equal [nil, old, :connected], changes.pop
    srv.expire_sessions
    client.ping
    wait_until("the reinitialized change") { changes.size == 1 }
    assert_equal [old, client.session_id, :reinitialized], changes.pop
    client.close
  end

  def test_a_slow_handler_blocks_nothing_and_late_registration_is_refused
    srv = server
    client = MCPStream::Client.new(srv.url)
    client.on_elicitation do
      sleep 0.8
      { "action" => "decline" }
    end
    client.connect
    asking = Thread.new { client.call_tool("ask", { "kind" => "elicitation" }) }
    sleep 0.2
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    5.times { client.ping }
    assert_operator Process.clock_gettime(Process::CLOCK_MONOTONIC) - started, :<, 0.5
    assert_equal "decline", asking.value["structuredContent"]["result"]["action"]
    assert_raises(ArgumentError) { client.on_roots { {} } }
    client.close
  end
end
