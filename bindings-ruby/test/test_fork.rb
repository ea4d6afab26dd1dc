# frozen_string_literal: true

require_relative "test_helper"

# fork(): Puma, Unicorn and Resque fork a process that already holds a client. In the child
# the client works (new connections, the same session; its handler blocks run), close there
# leaves the session to the parent, a call in flight in another thread at fork time wedges
# neither process, and a subscription made before the fork ends at once in the child and
# goes on in the parent. The child reports through its exit status.
class ForkTest < Minitest::Test
  include ServerTest

  CHILD_LIMIT = 20
  CHILD_BOUND = 5.0 # its calls run under a 3 s timeout; it should take well under a second

  # Runs the block in a forked child; its exit status. A child still running after
  # CHILD_LIMIT seconds is killed and the test fails: that is a hang. The child's time goes to
  # the fault matrix as kase.
  def in_child(kase, &child)
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    pid = fork do
      code = 101
      begin
        code = child.call
      ensure
        exit!(code)
      end
    end
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + CHILD_LIMIT
    while Process.clock_gettime(Process::CLOCK_MONOTONIC) < deadline
      _, status = Process.wait2(pid, Process::WNOHANG)
      if status
        code = status.exitstatus
        took = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
        Reliability.record(kase, code.zero? ? "ok" : "exit #{code}", took, CHILD_BOUND)
        return code
      end

      sleep 0.01
    end
    Process.kill("KILL", pid)
    Process.wait(pid)
    flunk "the child hung for #{CHILD_LIMIT} s"
  end

  def echo(client, text) = client.call_tool("echo", { "text" => text })["content"][0]["text"] == text

  def test_a_client_made_before_fork_works_in_the_child_and_leaves_the_session_to_the_parent
    srv = server
    notes = Queue.new
    client = MCPStream::Client.new(srv.url, timeout: 3)
    client.on_notification { |method, _params| notes << method }
    client.connect
    assert echo(client, "before")
    session = client.session_id

    code = in_child("fork_client_made_before") do
      next 1 unless echo(client, "in the child")
      next 2 unless client.session_id == session

      client.call_tool("progress", { "steps" => 2, "delay_ms" => 1, "log" => true })
      # The parent's dispatcher thread is gone: the child needs its own for the block to run.
      500.times { notes.size >= 2 ? break : sleep(0.01) }
      next 3 unless notes.size == 2 && 2.times.map { notes.pop } == ["notifications/message"] * 2

      client.close == :left_to_parent ? 0 : 4
    end
    assert_equal 0, code, "in the child: a call (1), the session (2), handlers (3) or close (4) failed"
    calls = srv.posts("tools/call").select { |r| r["body"]["params"]["arguments"]["text"] == "in the child" }
    assert_equal 1, calls.size
    assert_equal session, calls[0]["headers"]["mcp-session-id"], "the child goes on with the parent's session"
    assert_empty srv.with_method("DELETE"), "the child did not end the parent's session"
    assert echo(client, "after"), "the parent's session survives the child"
    assert_equal :terminated, client.close
  end

  def test_a_call_in_flight_at_fork_time_wedges_neither_process
    srv = server
    client = MCPStream::Client.new(srv.url, timeout: 3)
    client.connect
    in_flight = Thread.new { client.call_tool("slow", { "ms" => 800 })["content"].any? }
    sleep 0.2

    code = in_child("fork_call_in_flight") do
      next 1 unless echo(client, "old client")

      MCPStream::Client.open(srv.url, timeout: 3) { |fresh| echo(fresh, "new client") } ? 0 : 2
    end
    assert_equal 0, code, "in the child: the old client (1) or a new one (2) failed"
    assert in_flight.value, "the parent's call in flight finished"
    assert echo(client, "parent again")
    client.close
  end

  def test_a_subscription_made_before_fork_ends_at_once_in_the_child_and_goes_on_in_the_parent
    srv = server(era: :modern)
    client = MCPStream::Client.new(srv.url, timeout: 3)
    client.connect
    sub = client.listen(tools_list_changed: true)
    heard = Queue.new
    # A thread waits on the subscription at fork time: in the child nothing it held is used.
    waiting = Thread.new { sub.each { |event| heard << event.method } }
    sleep 0.2

    code = in_child("fork_subscription_made_before") do
      event = sub.next_event # no timeout: the parent's stream feeds nothing here
      next 1 unless event&.type == :ended
      next 2 unless event.error.is_a?(MCPStream::Error) && event.error.message.include?("fork()")
      next 3 unless sub.next_event.nil? && sub.to_a.empty?

      sub.close
      own = client.listen(prompts_list_changed: true)
      own.close
      own.acknowledged == { "promptsListChanged" => true } ? 0 : 4
    end
    assert_equal 0, code, "in the child: no end (1), not the fork's error (2), events after the end (3), listen (4)"
    assert_equal 1, srv.notify(method: "notifications/tools/list_changed")
    assert_equal "notifications/tools/list_changed", Timeout.timeout(5) { heard.pop },
                 "the parent's subscription goes on"
    sub.close
    assert waiting.join(5), "close ends the parent's wait"
    client.close
  end
end
