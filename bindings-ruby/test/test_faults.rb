# frozen_string_literal: true

require_relative "test_helper"
require "fileutils"

# The fault matrix through the gem: every misbehaviour of the reference server's hostile lane
# (/_admin/hostile) raises a typed error (or gives the documented success) within the timeout
# plus a small slack, memory stays bounded while 64 MiB arrive, and the client works afterwards.
# The core (core/tests/faults*.rs) and Python (test_faults.py) run the same cases; each case
# appends its result to target/reliability/ruby.jsonl, which tests/reliability/report.py
# renders into docs/reliability.md.
class TestFaults < Minitest::Test
  include ServerTest

  TIMEOUT = 1.0 # the request, connect and close timeout of every case
  SLACK = 1.0 # what a case may take beyond it (debug builds, a loaded 2-core machine)
  BOUND = TIMEOUT + SLACK
  RSS_BOUND_MIB = 48.0 # peak RSS growth while 64 MiB arrive: less than the answer itself
  ECHO = { "text" => "hi" }.freeze

  CALL_CASES = [
    ["close_after_request", { fault: "close_after_request" }, "TransportError"],
    ["sse_cut_mid_event", { fault: "sse_cut_mid_event" }, "ProtocolError"],
    ["never_answer", { fault: "never_answer" }, "TimeoutError"],
    ["keepalive_forever", { fault: "keepalive_forever" }, "TimeoutError"],
    ["drip_json", { fault: "drip_json" }, "ok"],
    ["drip_json_slow", { fault: "drip_json", interval_ms: 50 }, "TimeoutError"],
    ["garbage_json", { fault: "garbage_json" }, "ProtocolError"],
    ["wrong_id", { fault: "wrong_id" }, "ProtocolError"],
    ["html500", { fault: "html500" }, "HTTPError 500"],
    ["not_found", { fault: "not_found" }, "SessionExpiredError"],
    ["redirect_post_302", { fault: "redirect_post", status: 302 }, "HTTPError 302"],
    ["redirect_post_303", { fault: "redirect_post", status: 303 }, "HTTPError 303"],
    ["die_and_forget", { fault: "die_and_forget" }, "SessionExpiredError"]
  ].freeze

  MEMORY_CASES = [
    ["huge_json", { fault: "huge_json", bytes: 64 << 20 }, "ProtocolError"],
    ["huge_sse_event", { fault: "huge_sse_event", bytes: 64 << 20 }, "ProtocolError"],
    ["notification_flood", { fault: "notification_flood" }, "TimeoutError"]
  ].freeze

  def record(kase, outcome, seconds, bound, rss_growth = nil)
    Reliability.record(kase, outcome, seconds, bound, rss_growth: rss_growth, rss_bound: rss_growth && RSS_BOUND_MIB)
  end

  # The class name the three languages agree on, with the status or code that tells cases apart.
  def outcome_of(error)
    case error
    when nil then "ok"
    when MCPStream::SessionExpiredError then "SessionExpiredError"
    when MCPStream::HTTPError then "HTTPError #{error.status}"
    when MCPStream::RPCError then "RPCError #{error.code}"
    else error.class.name.split("::").last
    end
  end

  # [error or nil, seconds, value]
  def attempt
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    value = yield
    [nil, Process.clock_gettime(Process::CLOCK_MONOTONIC) - started, value]
  rescue MCPStream::Error => e
    [e, Process.clock_gettime(Process::CLOCK_MONOTONIC) - started, nil]
  end

  def arm(srv, fault, **fields) = srv.admin(:post, "/_admin/hostile", { fault: fault, **fields })

  def calm(srv)
    uri = URI(srv.url.sub(%r{/mcp\z}, "/_admin/hostile"))
    Net::HTTP.start(uri.host, uri.port, read_timeout: 5) { |http| http.request(Net::HTTP::Delete.new(uri)) }
  end

  def client_for(srv, **options)
    MCPStream::Client.new(srv.url, timeout: TIMEOUT, connect_timeout: TIMEOUT, close_timeout: TIMEOUT,
                                   era: :legacy, standalone_stream: false, **options)
  end

  def text(result) = result["content"][0]["text"]

  def still_usable(client)
    client.connect if client.session_id.nil? && client.era != :modern
    assert_equal "hi", text(client.call_tool("echo", ECHO))
  end

  def finish(kase, srv, client, error, took, want)
    got = outcome_of(error)
    assert_equal want, got, "#{kase}: #{error.inspect}"
    assert_operator took, :<=, BOUND, "#{kase}: took #{took}"
    calm(srv)
    still_usable(client)
    record(kase, got, took, BOUND)
  end

  CALL_CASES.each do |kase, fault, want|
    define_method("test_a_call_meets_#{kase}") do
      srv = server
      client = client_for(srv)
      client.connect
      arm(srv, fault[:fault], for_method: "tools/call", **fault.except(:fault))
      error, took, value = attempt { client.call_tool("echo", ECHO) }
      assert_equal "dripped", text(value) if want == "ok"
      finish(kase, srv, client, error, took, want)
    ensure
      client&.close
    end
  end

  def test_a_connect_that_is_never_answered_times_out
    srv = server
    client = client_for(srv)
    arm(srv, "never_answer", for_method: "initialize")
    error, took, = attempt { client.connect }
    assert_nil client.session_id
    finish("never_answer_initialize", srv, client, error, took, "TimeoutError")
  ensure
    client&.close
  end

  %w[initialize_bad_session_id initialize_unknown_version].each do |kase|
    define_method("test_#{kase}") do
      srv = server
      client = client_for(srv)
      arm(srv, kase)
      error, took, = attempt { client.connect }
      assert_nil client.session_id
      finish(kase, srv, client, error, took, "ProtocolError")
    ensure
      client&.close
    end
  end

  def test_a_redirect_to_another_origin_carries_nothing_there
    srv = server
    client = client_for(srv, headers: { "Authorization" => "Bearer secret" })
    client.connect
    arm(srv, "redirect_cross_origin", for_method: "tools/call")
    error, took, = attempt { client.call_tool("echo", ECHO) }
    assert_equal [], srv.admin(:get, "/_admin/hostile")["elsewhere"]
    refute_nil client.session_id
    finish("redirect_cross_origin", srv, client, error, took, "HTTPError 307")
  ensure
    client&.close
  end

  def test_a_delete_that_is_never_answered
    srv = server
    client = client_for(srv)
    client.connect
    arm(srv, "delete_never_answers")
    outcome = nil
    took = elapsed { outcome = "close: #{client.close}" }
    assert_equal "close: failed", outcome
    assert_operator took, :<=, BOUND
    assert_nil client.session_id
    calm(srv)
    still_usable(client)
    record("delete_never_answers", outcome, took, BOUND)
  ensure
    client&.close
  end

  def test_a_server_that_dies_mid_call_and_the_retry_policy
    srv = server
    client = client_for(srv, on_session_expired: :retry)
    client.connect
    before = client.session_id
    arm(srv, "die_and_forget", for_method: "tools/call")
    error, took, = attempt { client.call_tool("echo", ECHO) }
    # The server had taken the call (it may have run): a new session, but no second send.
    refute_includes [nil, before], client.session_id
    assert_equal 1, srv.posts("tools/call").size, "sent once"
    finish("die_and_forget_retry", srv, client, error, took, "SessionExpiredError")
  ensure
    client&.close
  end

  def test_a_modern_server_that_wants_input_forever
    srv = server(era: :modern)
    client = client_for(srv, era: :modern, max_input_rounds: 3)
    asked = Queue.new
    client.on_elicitation do |params|
      asked << params
      { "action" => "accept", "content" => { "answer" => "again" } }
    end
    client.connect
    arm(srv, "input_required_forever", for_method: "tools/call", times: 0)
    error, took, = attempt { client.call_tool("echo", ECHO) }
    assert_equal 3, asked.size
    finish("input_required_forever", srv, client, error, took, "ProtocolError")
  ensure
    client&.close
  end

  def status_kib(field) = File.read("/proc/self/status")[/^#{field}:\s+(\d+) kB/, 1].to_f

  MEMORY_CASES.each do |kase, fault, want|
    define_method("test_memory_stays_bounded_#{kase}") do
      srv = server
      notes = Queue.new
      client = client_for(srv)
      client.on_notification { |method, _| notes << method }
      client.connect
      client.call_tool("echo", ECHO)
      arm(srv, fault[:fault], for_method: "tools/call", **fault.except(:fault))
      File.write("/proc/self/clear_refs", "5") # from here, the peak is the current RSS
      baseline = status_kib("VmRSS")
      error, took, = attempt { client.call_tool("echo", ECHO) }
      growth = (status_kib("VmHWM") - baseline) / 1024
      got = outcome_of(error)
      assert_equal want, got, "#{kase}: #{error.inspect}"
      assert_operator took, :<=, BOUND, "#{kase}: took #{took}"
      assert_operator growth, :<, RSS_BOUND_MIB, "#{kase}: peak RSS grew by #{growth.round(1)} MiB"
      assert_operator notes.size, :>, 100 if kase == "notification_flood"
      calm(srv)
      still_usable(client)
      record(kase, got, took, BOUND, growth)
    ensure
      client&.close
    end
  end

  def test_sixteen_threads_share_a_client_while_half_their_calls_time_out
    srv = server
    client = client_for(srv)
    client.connect
    outcomes = {}
    took = elapsed do
      threads = 16.times.map do |t|
        Thread.new do
          outcomes[t] = 3.times.map do |i|
            if t.even?
              outcome_of(attempt { client.call_tool("slow", { "ms" => 3000 }, timeout: 0.3) }.first)
            else
              sent = "#{t}-#{i}"
              text(client.call_tool("echo", { "text" => sent })) == sent ? "ok" : "wrong answer"
            end
          end
        end
      end
      threads.each { |t| t.join(30) }
    end
    16.times { |t| assert_equal [t.even? ? "TimeoutError" : "ok"] * 3, outcomes[t], "thread #{t}" }
    limit = 0.9 + BOUND
    assert_operator took, :<=, limit
    still_usable(client)
    record("threads16_half_timeout", "ok", took, limit)
  ensure
    client&.close
  end

  def test_handlers_that_call_their_own_client
    srv = server
    client = client_for(srv)
    inner = Queue.new
    client.on_notification { inner << text(client.call_tool("echo", ECHO)) }
    client.on_elicitation { { "action" => "accept", "content" => { "name" => text(client.call_tool("echo", ECHO)) } } }
    client.connect
    took = elapsed do
      assert_equal "done 3", text(client.call_tool("progress", { "steps" => 3 }) { inner << text(client.call_tool("echo", ECHO)) })
      assert_equal "done 1", text(client.call_tool("progress", { "steps" => 1 }))
      asked = client.call_tool("ask", { "kind" => "elicitation" })
      assert_includes JSON.generate(asked), "hi"
      Timeout.timeout(BOUND) { 4.times.map { inner.pop }.each { |got| assert_equal "hi", got } }
    end
    assert_operator took, :<=, BOUND
    still_usable(client)
    record("reentrant_handlers", "ok", took, BOUND)
  ensure
    client&.close
  end

  def test_handlers_that_raise
    srv = server
    client = client_for(srv)
    client.on_notification { raise "a notification block that raises" }
    client.on_elicitation { raise ArgumentError, "an elicitation block that raises" }
    client.connect
    progress = logged = asked = out = nil
    took = 0
    capture_io do # the raises are reported as warnings
      took = elapsed do
        progress, = attempt { client.call_tool("progress", { "steps" => 2 }) { raise "a progress block that raises" } }
        logged, = attempt { client.call_tool("progress", { "steps" => 2 }) }
        asked, _, out = attempt { client.call_tool("ask", { "kind" => "elicitation" }) }
      end
    end
    assert_equal(-32_603, out["structuredContent"]["error"]["code"])
    got = "progress: #{outcome_of(progress)}; notification: #{outcome_of(logged)}; elicitation: #{outcome_of(asked)}"
    assert_equal "progress: ok; notification: ok; elicitation: ok", got
    assert_operator took, :<=, 3 * BOUND
    still_usable(client)
    record("raising_handlers", got, took, 3 * BOUND)
  ensure
    client&.close
  end

  # Seconds from Thread#kill to the killed thread's end, while it is blocked in the block.
  def killed_after(delay = 0.3, &blocked)
    waiting = Thread.new(&blocked)
    waiting.report_on_exception = false
    sleep delay
    assert waiting.alive?, "the call should still be blocked"
    elapsed { waiting.kill.join(5) }.tap { refute waiting.alive?, "Thread#kill did not stop the call" }
  end

  def test_thread_kill_during_connect_call_and_close
    srv = server
    client = client_for(srv, timeout: 30, connect_timeout: 30, close_timeout: 30)
    latencies = []
    arm(srv, "never_answer", for_method: "initialize")
    latencies << killed_after { client.connect }
    calm(srv)
    client.connect
    arm(srv, "never_answer", for_method: "tools/call")
    latencies << killed_after { client.call_tool("echo", ECHO) }
    calm(srv)
    still_usable(client)
    arm(srv, "delete_never_answers")
    latencies << killed_after { client.close }
    calm(srv)
    still_usable(client)
    assert_operator latencies.max, :<=, SLACK, latencies.inspect
    record("interrupt_connect_call_close", "ok", latencies.max, SLACK)
  ensure
    client&.close
  end
end
