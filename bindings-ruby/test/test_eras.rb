# frozen_string_literal: true

require_relative "test_helper"

# The protocol eras through the Ruby API: which one #connect picks against modern-only,
# dual-era and legacy-only servers, verdicts saved and handed back, and the modern era's own
# ways (input requests answered by the handler blocks from inside a call, arguments as headers).
class TestEras < Minitest::Test
  include ServerTest

  PROTOCOL_VERSION = "io.modelcontextprotocol/protocolVersion"
  CLIENT_CAPABILITIES = "io.modelcontextprotocol/clientCapabilities"

  def meta(request) = request["body"]["params"]["_meta"]

  def test_auto_speaks_modern_to_a_server_that_offers_it
    %i[modern dual].each do |era|
      srv = server(era: era)
      client = MCPStream::Client.new(srv.url)
      discovered = client.connect
      assert_includes discovered["supportedVersions"], MODERN_VERSION
      assert_equal [:modern, MODERN_VERSION, nil], [client.era, client.protocol_version, client.session_id], era
      assert_equal "mcpstream-testserver", client.server_info["name"]
      assert_equal client.server_capabilities, client.discover_result["capabilities"]
      assert_equal discovered["instructions"], client.instructions
      assert_equal "hi", client.call_tool("echo", { "text" => "hi" })["content"][0]["text"]
      assert_equal :no_session, client.close
      assert_nil client.era

      requests = srv.requests
      methods = requests.map { |r| RefServer.rpc_method(r) }
      # A call lists the tools first (every page), to learn which arguments travel as headers.
      pages = methods.size - 2
      assert_operator pages, :>=, 1
      assert_equal ["server/discover", *["tools/list"] * pages, "tools/call"], methods, era
      requests.each do |r|
        assert_equal r["body"]["method"], r["headers"]["mcp-method"]
        assert_equal MODERN_VERSION, r["headers"]["mcp-protocol-version"]
        refute r["headers"].key?("mcp-session-id")
        assert_equal MODERN_VERSION, meta(r)[PROTOCOL_VERSION]
      end
      assert_equal "echo", requests.last["headers"]["mcp-name"]
    end
  end

  def test_auto_falls_back_to_the_session_era
    srv = server
    MCPStream::Client.open(srv.url) do |client|
      assert_equal :legacy, client.era
      assert_equal [client.session_id], srv.sessions
      assert_equal({ "era" => "legacy" }, client.verdict)
      assert_equal ["2025-11-25"], client.discover_result["supportedVersions"]
      client.ping
    end
    posts = srv.after_probe.filter_map { |r| RefServer.rpc_method(r) }
    assert_equal %w[initialize notifications/initialized], posts.first(2)
    assert_includes posts, "ping"
    assert_equal [], srv.sessions
  end

  def test_legacy_era_sends_no_probe_even_to_a_dual_server
    srv = server(era: :dual)
    MCPStream::Client.open(srv.url, era: :legacy) do |client|
      assert_equal :legacy, client.era
      refute_nil client.session_id
    end
    assert_equal [], srv.posts("server/discover")
    assert_equal 1, srv.posts("initialize").size
  end

  def test_a_pinned_modern_version_never_falls_back
    srv = server
    client = MCPStream::Client.new(srv.url, era: MODERN_VERSION)
    error = assert_raises(MCPStream::ProtocolError) { client.connect }
    assert_includes error.message, MODERN_VERSION
    assert_includes error.message, "no fallback"
    assert_nil client.era
    assert_equal [], srv.posts("initialize")
  end

  def test_a_verdict_handed_back_as_prior_spares_the_probe
    srv = server(era: :modern)
    first = MCPStream::Client.new(srv.url)
    discovered = first.connect
    # As an application keeps it between runs.
    saved = JSON.parse(JSON.generate(first.verdict))
    assert_equal({ "era" => "modern", "version" => MODERN_VERSION, "discover" => discovered }, saved)

    # Without the process's own memory, only the prior can spare the probe.
    MCPStream.forget_verdict(srv.url)
    second = MCPStream::Client.new(srv.url, prior: saved)
    assert_equal discovered, second.connect
    assert_equal :modern, second.era
    second.call_tool("echo", { "text" => "x" })
    assert_equal 1, srv.posts("server/discover").size, "only the first client probed"

    legacy = server
    saved = MCPStream::Client.open(legacy.url, &:verdict)
    assert_equal({ "era" => "legacy" }, saved)
    MCPStream.forget_verdict(legacy.url)
    MCPStream::Client.open(legacy.url, prior: saved) { |c| refute_nil c.session_id }
    assert_equal 1, legacy.posts("server/discover").size
  end

  def test_era_options_are_checked
    srv = server
    [{ era: "2025-11-25" }, { era: :sometimes }, { probe_timeout: 0 }, { max_input_rounds: 0 },
     { prior: { "era" => "modern", "discover" => { "supportedVersions" => ["2025-11-25"] } } },
     { prior: { era: "later" } }].each do |bad|
      assert_raises(ArgumentError, bad.inspect) { MCPStream::Client.new(srv.url, **bad) }
    end
    [:auto, :legacy, :modern, MODERN_VERSION].each do |era|
      MCPStream::Client.new(srv.url, era: era, probe_timeout: 2.5, max_input_rounds: 3)
    end
  end

  def test_modern_ping_logging_and_notifications
    srv = server(era: :modern)
    MCPStream::Client.open(srv.url) do |client|
      client.set_logging_level(:debug)
      assert_nil client.ping
      assert_raises(ArgumentError) { client.notify("notifications/roots/list_changed") }
    end
    probe, ping = srv.posts("server/discover")
    refute meta(probe).key?("io.modelcontextprotocol/logLevel")
    assert_equal "debug", meta(ping)["io.modelcontextprotocol/logLevel"]
    assert_equal [], srv.posts("logging/setLevel")
  end

  def test_annotated_arguments_travel_as_headers
    srv = server(era: :modern)
    MCPStream::Client.open(srv.url) do |client|
      client.call_tool("headers_echo", { "region" => "eu-west-1", "count" => 3, "dry_run" => true, "note" => "n" })
    end
    headers = srv.posts("tools/call").last["headers"]
    assert_equal %w[eu-west-1 3 true], headers.values_at("mcp-param-region", "mcp-param-count", "mcp-param-dry-run")
    refute(headers.keys.any? { |name| name.start_with?("mcp-param-note") }, "note has no header")
  end

  # A deadlock would hang: the call's own timeout and Timeout.timeout bound it.
  def test_input_requests_are_answered_by_the_block_from_inside_the_call
    srv = server(era: :modern)
    client = MCPStream::Client.new(srv.url, timeout: 10)
    asked = Queue.new
    client.on_elicitation do |params|
      # The block runs while its caller waits in the same client, and calls it too.
      inside = client.call_tool("echo", { "text" => "Ada" })["content"][0]["text"]
      asked << [params, Thread.current]
      { "action" => "accept", "content" => { "name" => inside } }
    end
    client.connect
    result = Timeout.timeout(30) do
      client.call_tool("ask_input", { "kind" => "elicitation", "rounds" => 2, "with_state" => true })
    end
    client.close
    assert_includes result["content"][0]["text"], "Ada"
    assert_equal 2, asked.size, "one elicitation per round"
    2.times do
      params, thread = asked.pop
      assert_kind_of Hash, params
      refute_same Thread.current, thread
    end

    calls = srv.posts("tools/call").select { |c| c["body"]["params"]["name"] == "ask_input" }
    assert_equal 3, calls.size
    refute calls[0]["body"]["params"].key?("inputResponses")
    calls[1..].each do |later|
      refute_empty later["body"]["params"]["inputResponses"]
      assert_kind_of String, later["body"]["params"]["requestState"]
    end
    assert_equal({ "elicitation" => {} }, meta(calls[0])[CLIENT_CAPABILITIES])
  end

  def test_a_failing_block_fails_the_call_and_nothing_more_is_sent
    srv = server(era: :modern)
    client = MCPStream::Client.new(srv.url)
    client.on_elicitation { raise ArgumentError, "no one is there" }
    client.connect
    # Answers are not sent back as errors in this era: the call itself fails, here.
    error = assert_raises(MCPStream::RPCError) { client.call_tool("ask_input", { "kind" => "elicitation", "rounds" => 1 }) }
    assert_equal(-32_603, error.code)
    assert_includes error.message, "ArgumentError: no one is there"
    client.close
    assert_equal 1, srv.posts("tools/call").count { |c| c["body"]["params"]["name"] == "ask_input" }
  end

  def test_input_the_client_did_not_declare_is_refused_by_the_server
    srv = server(era: :modern)
    MCPStream::Client.open(srv.url) do |client|
      error = assert_raises(MCPStream::RPCError) { client.call_tool("ask_input", { "kind" => "elicitation", "rounds" => 1 }) }
      assert_equal(-32_021, error.code)
    end
  end
end
