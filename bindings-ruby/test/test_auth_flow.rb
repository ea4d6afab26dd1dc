# frozen_string_literal: true

require_relative "test_helper"
require "open3"
require "shellwords"
require "tmpdir"

# The OAuth flows end to end against the reference authorization server
# (mcpstream-testserver --auth), whose /authorize approves at once with a 302 to the
# redirect URI: the "user" is a few lines of Net::HTTP.
class TestAuthFlow < Minitest::Test
  include ServerTest

  EXAMPLE = File.join(REPO, "bindings-ruby/examples/oauth.rb")
  FAKE_BROWSER = File.join(__dir__, "fake_browser.rb")

  # No test waits on a user for long.
  def oauth(**settings) = MCPStream::OAuth.new(authorization_timeout: 20, **settings)

  def auth_server(*flags) = server("--auth", *flags)
  def stats(srv) = srv.admin(:get, "/_admin/auth/stats")
  def mcp_requests(srv) = srv.requests.select { |r| r["path"] == "/mcp" }
  def bearer(request) = request["headers"]["authorization"]&.delete_prefix("Bearer ")

  def get(url)
    uri = URI(url)
    Net::HTTP.start(uri.host, uri.port, open_timeout: 5, read_timeout: 10) { |http| http.request(Net::HTTP::Get.new(uri)) }
  end

  # Where the authorization server sends the browser back to (the redirect, not followed).
  def redirect_of(authorization_url)
    response = get(authorization_url)
    raise "the authorization server answered #{response.code}, not a redirect" unless response.is_a?(Net::HTTPRedirection)

    response["location"]
  end

  # The user's browser, as on_authorize: opens the authorization URL; headless, it hands the
  # redirect back to the client; otherwise it goes there (the client's loopback listener) as a
  # real browser would, puts the listener's status in `answers`, and returns nil. Assertions
  # belong to the test's thread, not this callback's.
  def browser(follow: false, answers: Queue.new)
    lambda do |url|
      location = redirect_of(url)
      return location unless follow

      answers << get(location).code
      nil
    end
  end

  def test_logs_in_once_through_on_authorize_and_every_call_carries_the_bearer
    srv = auth_server
    MCPStream::Client.open(srv.url, auth: oauth(on_authorize: browser)) do |client|
      assert_equal "hi", client.call_tool("echo", { "text" => "hi" })["content"][0]["text"]
      assert_equal "42", client.call_tool("add", { "a" => 2, "b" => 40 })["content"][0]["text"]
      client.list_tools
    end
    auth = stats(srv)
    assert_equal 1, auth["authorizations"].size
    assert_equal 1, auth["issued_tokens"]
    first, *later = mcp_requests(srv)
    assert_equal 401, first["status"], "the first request goes out before the client knows it needs a token"
    assert_nil bearer(first)
    refute_empty later
    assert_equal [auth["access_tokens"][0]], later.map { |r| bearer(r) }.uniq
    refute(later.any? { |r| [401, 403].include?(r["status"]) }, later.map { |r| r["status"] }.inspect)
  end

  def test_the_client_catches_the_redirect_on_its_loopback_listener
    srv = auth_server
    answers = Queue.new
    MCPStream::Client.open(srv.url, auth: oauth(on_authorize: browser(follow: true, answers: answers))) do |client|
      assert_equal "hi", client.call_tool("echo", { "text" => "hi" })["content"][0]["text"]
    end
    assert_equal "200", answers.pop(timeout: 5), "the listener shows the browser a page"
    authorization, = stats(srv)["authorizations"]
    assert_match(%r{\Ahttp://127\.0\.0\.1:[1-9]\d*/callback\z}, authorization["redirect_uri"], "port 0 became a free one")
  end

  def test_an_expired_token_is_refreshed_once
    srv = auth_server
    MCPStream::Client.open(srv.url, auth: oauth(on_authorize: browser)) do |client|
      client.call_tool("echo", { "text" => "before" })
      assert_equal 1, srv.admin(:post, "/_admin/auth/expire-tokens")["expired"]
      assert_equal "after", client.call_tool("echo", { "text" => "after" })["content"][0]["text"]
      client.list_tools
    end
    auth = stats(srv)
    assert_equal [1, 1, 2], [auth["authorizations"].size, auth["refreshes"], auth["access_tokens"].size]
    assert_equal auth["access_tokens"][1], bearer(mcp_requests(srv).last)
  end

  def test_steps_up_on_insufficient_scope
    srv = auth_server("--auth-prm-scopes", "mcp:read")
    MCPStream::Client.open(srv.url, auth: oauth(on_authorize: browser)) do |client|
      client.call_tool("echo", { "text" => "read is enough" })
      assert_equal 1, stats(srv)["authorizations"].size
      assert_equal "42", client.call_tool("add", { "a" => 2, "b" => 40 })["content"][0]["text"]
    end
    first, second = stats(srv)["authorizations"].map { |a| a["scope"].split }
    refute_includes first, "mcp:write"
    assert_includes second, "mcp:read", "stepping up keeps what was granted"
    assert_includes second, "mcp:write"
    assert_equal 1, mcp_requests(srv).count { |r| r["status"] == 403 }
  end

  def test_without_step_ups_insufficient_scope_is_raised
    srv = auth_server("--auth-prm-scopes", "mcp:read")
    MCPStream::Client.open(srv.url, auth: oauth(on_authorize: browser, max_step_ups: 0)) do |client|
      error = assert_raises(MCPStream::InsufficientScopeError) { client.call_tool("add", { "a" => 2, "b" => 40 }) }
      assert_equal "mcp:write", error.scope
      assert_equal "insufficient_scope", error.error
      assert_equal "hi", client.call_tool("echo", { "text" => "hi" })["content"][0]["text"], "the client goes on"
    end
    assert_equal 1, stats(srv)["authorizations"].size
  end

  # examples/oauth.rb as a user runs it, twice: the first run logs in through BROWSER and the
  # loopback listener, the second finds the token in the file and sends it from the start.
  def test_a_second_process_reuses_the_stored_token
    srv = auth_server
    Dir.mktmpdir do |dir|
      token_file = File.join(dir, "my-agent", "mcp-tokens.json")
      # BROWSER is run without a shell, so one executable path; this Ruby runs the browser.
      browser_command = File.join(dir, "browser")
      File.write(browser_command, "#!/bin/sh\nexec #{[RbConfig.ruby, FAKE_BROWSER].shelljoin} \"$@\"\n")
      File.chmod(0o700, browser_command)
      env = { "MCP_URL" => srv.url, "MCP_TOKEN_FILE" => token_file, "BROWSER" => browser_command }
      run = lambda do
        out, err, status = Open3.capture3(env, RbConfig.ruby, "-w", EXAMPLE)
        assert status.success?, err
        assert_equal "", err
        assert_equal ["tools: echo, add, slow, fail, big, progress, ask"], out.lines.map(&:chomp)
      end

      run.call
      assert_equal 1, stats(srv)["authorizations"].size
      assert_equal 0o600, File.stat(token_file).mode & 0o777
      seen = srv.requests.size

      run.call
      auth = stats(srv)
      assert_equal [1, 1, 0], [auth["authorizations"].size, auth["issued_tokens"], auth["refreshes"]]
      second_run = srv.requests.drop(seen)
      assert_equal [], second_run.reject { |r| r["path"] == "/mcp" }.map { |r| r["path"] }, "no discovery, no token request"
      refute_empty second_run
      assert_equal auth["access_tokens"][0], bearer(second_run.first)
      assert_equal [auth["access_tokens"][0]], second_run.map { |r| bearer(r) }.uniq
      refute(second_run.any? { |r| r["status"] == 401 })
    end
  end

  def test_without_on_authorize_the_app_completes_the_authorization
    srv = auth_server
    client = MCPStream::Client.new(srv.url, auth: oauth(redirect_uri: "http://127.0.0.1:53682/callback"))
    error = assert_raises(MCPStream::AuthorizationRequired) { client.connect }
    assert error.authorization_url.start_with?(srv.url.sub(%r{/mcp\z}, "/authorize?")), error.authorization_url
    assert_includes error.message, error.authorization_url
    assert_equal 0, stats(srv)["authorizations"].size, "nothing was opened yet"

    location = redirect_of(error.authorization_url)
    assert location.start_with?("http://127.0.0.1:53682/callback?"), location
    client.complete_authorization(location)
    client.connect
    assert_equal "hi", client.call_tool("echo", { "text" => "hi" })["content"][0]["text"]
    client.close
    auth = stats(srv)
    assert_equal [1, 1], [auth["authorizations"].size, auth["issued_tokens"]]
  end

  def test_a_refused_authorization_raises_denied_with_the_servers_reason
    srv = auth_server
    srv.admin(:post, "/_admin/auth/fail-next-authorize", { "error" => "access_denied", "error_description" => "no" })
    client = MCPStream::Client.new(srv.url, auth: oauth(on_authorize: browser))
    error = assert_raises(MCPStream::AuthorizationDeniedError) { client.connect }
    assert_equal ["access_denied", "no"], [error.error, error.error_description]
    assert_equal 0, stats(srv)["issued_tokens"]
  ensure
    client&.close
  end

  # The token endpoint is slow, so all eight meet the expired token while one refresh is under
  # way; they wait for it rather than start their own.
  def test_threads_sharing_a_client_refresh_once
    srv = auth_server("--auth-token-delay-ms", "200")
    MCPStream::Client.open(srv.url, auth: oauth(on_authorize: browser)) do |client|
      client.call_tool("echo", { "text" => "warm" })
      srv.admin(:post, "/_admin/auth/expire-tokens")
      start = Queue.new
      threads = 8.times.map do |i|
        Thread.new do
          start.pop
          client.call_tool("echo", { "text" => "t#{i}" })["content"][0]["text"]
        end
      end
      8.times { start << :go }
      assert_equal 8.times.map { |i| "t#{i}" }, threads.map(&:value)
    end
    refused = mcp_requests(srv).count { |r| r["status"] == 401 } - 1 # the first login's
    assert_operator refused, :>=, 2, "the threads met the expired token together"
    auth = stats(srv)
    assert_equal [1, 1], [auth["authorizations"].size, auth["refreshes"]]
  end
end
