# frozen_string_literal: true

require_relative "test_helper"

# Handler and progress blocks that call their own client, sleep or raise finish (or raise)
# within their timeouts, and nothing else waits for them.
class TestReentrancy < Minitest::Test
  include ServerTest

  ECHO = { "text" => "inner" }.freeze

  def text(result) = result["content"][0]["text"]

  def test_a_progress_block_can_call_its_own_client_with_progress_of_its_own
    client = MCPStream::Client.new(server.url, timeout: 5)
    client.connect
    outer = []
    inner = []
    took = elapsed do
      out = client.call_tool("progress", { "steps" => 2 }) do |params|
        outer << params["progress"]
        client.call_tool("progress", { "steps" => 2 }) { |p| inner << p["progress"] } if params["progress"] == 1
      end
      assert_equal "done 2", text(out)
    end
    assert_equal [[1, 2], [1, 2]], [outer, inner]
    assert_operator took, :<, 2
  ensure
    client&.close
  end

  def test_an_elicitation_handler_can_call_its_own_client_with_a_progress_block
    client = MCPStream::Client.new(server.url, timeout: 5)
    client.on_elicitation do
      seen = []
      client.call_tool("progress", { "steps" => 2 }) { |p| seen << p }
      { "action" => "accept", "content" => { "name" => "saw #{seen.size}" } }
    end
    client.connect
    took = elapsed do
      out = client.call_tool("ask", { "kind" => "elicitation" })
      assert_equal({ "name" => "saw 2" }, out["structuredContent"]["result"]["content"])
    end
    assert_operator took, :<, 2, "the nested call's progress blocks ran while the handler waited"
  ensure
    client&.close
  end

  def test_a_notification_block_can_call_its_own_client
    client = MCPStream::Client.new(server.url, timeout: 5)
    answers = Queue.new
    client.on_notification { answers << text(client.call_tool("progress", { "steps" => 1 }) { nil }) }
    client.connect
    client.call_tool("progress", { "steps" => 2 }) # logs each step as notifications/message
    Timeout.timeout(5) { assert_equal ["done 1", "done 1"], [answers.pop, answers.pop] }
  ensure
    client&.close
  end

  def test_a_sleeping_block_slows_no_other_call_and_no_other_client
    client = MCPStream::Client.new(server.url, timeout: 5)
    other = MCPStream::Client.new(server.url, timeout: 5)
    [client, other].each(&:connect)
    sleeping = Queue.new
    worker = Thread.new do
      client.call_tool("progress", { "steps" => 1 }) do
        sleeping << true
        sleep 1.5
      end
    end
    Timeout.timeout(5) { sleeping.pop }
    same_client = elapsed { client.call_tool("progress", { "steps" => 2 }) { nil } }
    other_client = elapsed { 5.times { other.call_tool("echo", ECHO) } }
    worker.join(5)
    assert_operator same_client, :<, 0.5, "a call on the same client waited behind a sleeping block"
    assert_operator other_client, :<, 0.5
  ensure
    [client, other].each { |c| c&.close }
  end

  def test_blocks_that_raise_do_not_stop_the_call
    client = MCPStream::Client.new(server.url, timeout: 5)
    client.on_notification { raise "notification block failed" }
    client.on_elicitation { raise ArgumentError, "no answer today" }
    client.connect
    _, warnings = capture_io do
      out = client.call_tool("progress", { "steps" => 2, "log" => true }) { raise "progress block failed" }
      assert_equal "done 2", text(out)
      sleep 0.2 # notification blocks run on the dispatcher thread
    end
    assert_match(/progress block failed/, warnings)
    out = client.call_tool("ask", { "kind" => "elicitation" })
    assert_equal(-32_603, out["structuredContent"]["error"]["code"])
    assert_match(/ArgumentError: no answer today/, out["structuredContent"]["error"]["message"])
    assert_equal "inner", text(client.call_tool("echo", ECHO))
  ensure
    client&.close
  end

  def test_a_session_change_block_has_run_when_connect_and_close_return
    client = MCPStream::Client.new(server.url)
    changes = []
    client.on_session_change { |_old, _new, reason| changes << reason }
    client.connect
    assert_equal [:connected], changes
    client.close
    assert_equal %i[connected closed], changes
  end

  def test_timeout_interrupts_a_call_inside_a_progress_block
    client = MCPStream::Client.new(server.url, timeout: 5)
    client.connect
    took = elapsed do
      assert_raises(Timeout::Error) do
        Timeout.timeout(0.3) { client.call_tool("progress", { "steps" => 1 }) { client.call_tool("slow", { "ms" => 5000 }) } }
      end
    end
    assert_operator took, :<, 1.5
    assert_equal "inner", text(client.call_tool("echo", ECHO))
  ensure
    client&.close
  end
end
