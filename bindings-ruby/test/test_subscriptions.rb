# frozen_string_literal: true

require_relative "test_helper"

# Subscriptions (subscriptions/listen, modern era) and per-call options (timeout:, fresh:,
# log_level:) through the Ruby API, against the reference server driven through its admin
# routes.
class TestSubscriptions < Minitest::Test
  include ServerTest

  SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId"
  LOG_LEVEL = "io.modelcontextprotocol/logLevel"
  TOOLS_CHANGED = "notifications/tools/list_changed"
  UPDATED = "notifications/resources/updated"

  def eventually(what, limit: 5)
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + limit
    until yield
      flunk "timed out waiting for #{what}" if Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline
      sleep 0.02
    end
  end

  # The JSON-RPC id of the last listen request, which names the subscription.
  def listen_id(srv) = srv.posts("subscriptions/listen").last["body"]["id"]

  def test_notifications_arrive_tagged_and_reach_on_notification_too
    srv = server(era: :modern)
    heard = Queue.new
    client = MCPStream::Client.new(srv.url)
    client.on_notification { |method, _params| heard << method }
    client.connect
    sub = client.listen(tools_list_changed: true, resource_subscriptions: ["mem://greeting"])
    assert_instance_of MCPStream::Subscription, sub
    assert_equal({ "toolsListChanged" => true, "resourceSubscriptions" => ["mem://greeting"] }, sub.acknowledged)
    assert_nil sub.next_event(timeout: 0.05), "nothing sent yet"

    assert_equal 1, srv.notify(method: TOOLS_CHANGED)
    event = sub.next_event(timeout: 5)
    assert_instance_of MCPStream::SubscriptionEvent, event
    assert_equal [:notification, TOOLS_CHANGED, nil], [event.type, event.method, event.error]
    assert_equal listen_id(srv), event.params["_meta"][SUBSCRIPTION_ID]
    assert_predicate event, :frozen?

    assert_equal 1, srv.notify(method: UPDATED, uri: "mem://greeting")
    assert_equal 0, srv.notify(method: UPDATED, uri: "mem://other"), "not subscribed"
    event = sub.next_event(timeout: 5)
    assert_equal [UPDATED, "mem://greeting"], [event.method, event.params["uri"]]
    sub.close
    assert_equal [TOOLS_CHANGED, UPDATED], [heard.pop, heard.pop]
    # Only what was asked for is on the wire: unset flags are left out.
    assert_equal({ "toolsListChanged" => true, "resourceSubscriptions" => ["mem://greeting"] },
                 srv.posts("subscriptions/listen").last["body"]["params"]["notifications"])
  ensure
    client&.close
  end

  def test_a_block_gets_each_event_until_the_server_ends_the_subscription
    srv = server(era: :modern)
    MCPStream::Client.open(srv.url) do |client|
      seen = []
      feeder = Thread.new do
        sleep 0.1 until srv.listeners == 1
        srv.notify(method: "notifications/prompts/list_changed")
        srv.notify(end: true)
      end
      result = client.listen(prompts_list_changed: true) { |event| seen << event }
      feeder.join
      assert_nil result
      assert_equal %i[notification ended], seen.map(&:type)
      assert_nil seen.last.error
      assert_equal 0, srv.listeners

      sub = client.listen(prompts_list_changed: true)
      srv.notify(end: true)
      assert_equal [:ended], sub.map(&:type), "Enumerable, ending after :ended"
      assert_nil sub.next_event(timeout: 1)
    end
  end

  def test_breaking_out_of_the_block_closes_the_subscription
    srv = server(era: :modern)
    MCPStream::Client.open(srv.url) do |client|
      feeder = Thread.new do
        sleep 0.05 until srv.listeners == 1
        srv.notify(method: TOOLS_CHANGED)
      end
      got = client.listen(tools_list_changed: true) { |event| break event.method }
      feeder.join
      assert_equal TOOLS_CHANGED, got
      eventually("the closed stream") { srv.listeners.zero? }
    end
  end

  def test_a_dropped_stream_is_listened_to_again
    srv = server(era: :modern)
    MCPStream::Client.open(srv.url) do |client|
      sub = client.listen(tools_list_changed: true)
      first = listen_id(srv)
      assert_equal 1, srv.notify(drop: true)
      event = sub.next_event(timeout: 10)
      assert_equal :relistened, event.type
      assert_operator event.attempts, :>=, 1
      assert_equal({ "toolsListChanged" => true }, event.acknowledged)
      refute_equal first, listen_id(srv)
      srv.notify(method: TOOLS_CHANGED)
      assert_equal listen_id(srv), sub.next_event(timeout: 5).params["_meta"][SUBSCRIPTION_ID]
      sub.close
    end
  end

  def test_closing_ends_the_stream_and_a_wait_in_another_thread
    srv = server(era: :modern)
    MCPStream::Client.open(srv.url) do |client|
      sub = client.listen(tools_list_changed: true)
      assert_equal 1, srv.listeners
      waiter = Thread.new { sub.to_a }
      sleep 0.2
      assert_nil sub.close
      assert_equal [], waiter.value
      eventually("the closed stream") { srv.listeners.zero? }
      client.ping
    end
  end

  def test_an_interrupted_wait_leaves_the_subscription_open
    srv = server(era: :modern)
    MCPStream::Client.open(srv.url) do |client|
      sub = client.listen(tools_list_changed: true)
      took = elapsed do
        assert_raises(Timeout::Error) { Timeout.timeout(0.2) { sub.next_event } }
      end
      assert_operator took, :<, 1.0
      assert_equal 1, srv.notify(method: TOOLS_CHANGED), "the stream is still open"
      assert_equal TOOLS_CHANGED, sub.next_event(timeout: 5).method
      sub.close
    end
  end

  def test_listen_needs_the_modern_era_and_checks_its_arguments
    MCPStream::Client.open(server.url) do |client|
      error = assert_raises(ArgumentError) { client.listen(tools_list_changed: true) }
      assert_match(/modern era/, error.message)
    end
    MCPStream::Client.open(server(era: :modern).url) do |client|
      assert_raises(ArgumentError) { client.listen(resource_subscriptions: "mem://greeting") }
      assert_raises(ArgumentError) { client.listen(tools_list_changed: "yes") }
      sub = client.listen(resources_list_changed: true)
      assert_raises(ArgumentError) { sub.next_event(timeout: -1) }
      sub.close
    end
  end

  def list_pages(srv) = srv.posts("tools/list").size

  def test_fresh_bypasses_a_kept_result_and_clear_cache_forgets_them
    srv = server("--ttl-ms", "60000", era: :modern)
    MCPStream::Client.open(srv.url) do |client|
      tools = client.list_tools
      pages = list_pages(srv)
      assert_operator pages, :>=, 1
      assert_equal tools, client.list_tools
      assert_equal pages, list_pages(srv), "a result the server allowed to be reused is reused"
      assert_equal tools, client.list_tools(fresh: true)
      assert_equal 2 * pages, list_pages(srv), "fresh asks the server"
      client.list_tools
      assert_equal 2 * pages, list_pages(srv)
      assert_nil client.clear_cache
      client.list_tools
      assert_equal 3 * pages, list_pages(srv)

      2.times { client.read_resource("mem://greeting") }
      client.read_resource("mem://greeting", fresh: true)
      assert_equal 2, srv.posts("resources/read").size
    end
  end

  def test_log_level_and_timeout_per_call
    srv = server(era: :modern)
    MCPStream::Client.open(srv.url) do |client|
      client.list_tools(log_level: :debug, timeout: 5)
      client.call_tool("echo", { "text" => "x" }, log_level: "warning")
      client.read_resource("mem://greeting", log_level: "error", timeout: 5)
      client.list_prompts(log_level: "info")
      client.get_prompt("greet", { "name" => "Ada" }, log_level: "alert", fresh: true)
      client.request("resources/list", log_level: "notice")
      assert_raises(ArgumentError) { client.list_tools(timeout: -1) }
      assert_raises(ArgumentError) { client.list_tools(fresh: "yes") }
    end
    levels = srv.requests.filter_map do |r|
      method = RefServer.rpc_method(r)
      [method, r["body"]["params"]["_meta"][LOG_LEVEL]] unless method == "server/discover"
    end.to_h
    assert_equal({ "tools/list" => "debug", "tools/call" => "warning", "resources/read" => "error",
                   "prompts/list" => "info", "prompts/get" => "alert", "resources/list" => "notice" }, levels)
  end
end
