# frozen_string_literal: true

require_relative "test_helper"
require "pathname"

# What can be checked without an authorization server: settings reaching the core, the
# stores, the error classes, and a custom store called back on a thread of its own. The flows
# themselves are tested against the reference authorization server.
class TestAuth < Minitest::Test
  include ServerTest

  # Nothing listens here: every check below happens before anything is sent.
  NOWHERE = "http://127.0.0.1:9/mcp"

  # A custom store that records each call and the thread it ran on.
  class RecordingStore
    attr_reader :calls

    def initialize(fail_with: nil)
      @calls = Queue.new
      @fail_with = fail_with
    end

    def load(key)
      @calls << [:load, key, Thread.current]
      raise @fail_with if @fail_with

      nil
    end

    def save(key, value) = @calls << [:save, key, value]
    def delete(key) = @calls << [:delete, key]
  end

  def test_an_authorization_header_and_auth_are_refused_together
    error = assert_raises(ArgumentError) do
      MCPStream::Client.new(NOWHERE, headers: { "Authorization" => "Bearer x" }, auth: MCPStream::OAuth.new)
    end
    assert_match(/Authorization header/, error.message)
    assert_match(/auth/, error.message.sub("Authorization", ""))
  end

  def test_client_credentials_need_exactly_one_proof
    [{}, { client_secret: "s", private_key_pem: "pem" }].each do |proofs|
      credentials = MCPStream::ClientCredentials.new(client_id: "c", **proofs)
      error = assert_raises(ArgumentError) { MCPStream::Client.new(NOWHERE, auth: credentials) }
      assert_match(/client_secret/, error.message)
      assert_match(/private_key_pem/, error.message)
    end
    key = MCPStream::ClientCredentials.new(client_id: "c", private_key_pem: "pem", algorithm: "HS256")
    assert_raises(ArgumentError) { MCPStream::Client.new(NOWHERE, auth: key) }
    MCPStream::Client.new(NOWHERE, auth: MCPStream::ClientCredentials.new(client_id: "c", client_secret: "s"))
  end

  def test_oauth_settings_are_checked_by_the_core
    error = assert_raises(ArgumentError) do
      MCPStream::Client.new(NOWHERE, auth: MCPStream::OAuth.new(redirect_uri: "http://example.com/cb"))
    end
    assert_match(/redirect_uri/, error.message)
    %w[http://localhost:8765/cb https://app.example/cb].each do |fine|
      MCPStream::Client.new(NOWHERE, auth: MCPStream::OAuth.new(redirect_uri: fine))
    end
    assert_raises(ArgumentError) { MCPStream::Client.new(NOWHERE, auth: MCPStream::OAuth.new(authorization_timeout: 0)) }
    error = assert_raises(ArgumentError) { MCPStream::Client.new(NOWHERE, auth: MCPStream::OAuth.new(max_step_ups: -1)) }
    assert_match(/auth/, error.message)
    error = assert_raises(ArgumentError) { MCPStream::Client.new(NOWHERE, auth: MCPStream::OAuth.new(client_name: 5)) }
    assert_match(/auth/, error.message)
  end

  def test_ruby_objects_are_checked_when_made
    error = assert_raises(TypeError) { MCPStream::OAuth.new(token_store: Object.new) }
    assert_match(/load, save and delete/, error.message)
    assert_raises(TypeError) { MCPStream::ClientCredentials.new(client_id: "c", client_secret: "s", token_store: {}) }
    assert_raises(TypeError) { MCPStream::OAuth.new(on_authorize: "https://example.com") }
    assert_raises(TypeError) { MCPStream::OAuth.new(scopes: 3) }
    error = assert_raises(TypeError) { MCPStream::Client.new(NOWHERE, auth: { kind: "oauth" }) }
    assert_match(/MCPStream::OAuth/, error.message)
  end

  def test_settings_keep_what_was_given_and_hide_secrets
    on_authorize = ->(_url) {}
    store = MCPStream::MemoryTokenStore.new
    oauth = MCPStream::OAuth.new(client_name: "app", on_authorize: on_authorize, client_secret: "hush",
                                 scopes: %w[read write], token_store: store, max_step_ups: 2)
    assert_equal ["app", "http://127.0.0.1:0/callback", "read write", store, 2, false],
                 [oauth.client_name, oauth.redirect_uri, oauth.scopes, oauth.token_store, oauth.max_step_ups,
                  oauth.legacy_discovery]
    assert_same on_authorize, oauth.on_authorize
    assert_equal "read", MCPStream::OAuth.new(scopes: "read").scopes
    credentials = MCPStream::ClientCredentials.new(client_id: "c", private_key_pem: "SECRET KEY", scopes: [:a])
    assert_equal ["ES256", "a"], [credentials.algorithm, credentials.scopes]
    refute_match(/hush/, oauth.inspect)
    refute_match(/SECRET/, credentials.inspect)
  end

  def test_memory_token_store_round_trip
    store = MCPStream::MemoryTokenStore.new
    assert_nil store.load("k")
    value = { "access_token" => "t", "scopes" => ["a"], "expires_at" => 12 }
    assert_nil store.save("k", value)
    value["access_token"] = "changed after saving"
    loaded = store.load("k")
    assert_equal({ "access_token" => "t", "scopes" => ["a"], "expires_at" => 12 }, loaded)
    loaded["scopes"] << "b"
    assert_equal ["a"], store.load("k")["scopes"], "each load is a copy"
    store.save("k", { symbol: :keys })
    assert_equal({ "symbol" => "keys" }, store.load("k"))
    assert_match(/1 entries/, store.inspect)
    refute_match(/symbol/, store.inspect)
    assert_nil store.delete("k")
    assert_nil store.delete("never saved")
    assert_nil store.load("k")
    threads = 8.times.map { |i| Thread.new { 50.times { |j| store.save("#{i}-#{j}", { "n" => j }) } } }
    threads.each(&:join)
    assert_equal({ "n" => 49 }, store.load("7-49"))
  end

  def test_file_token_store_path_reaches_the_core
    assert_equal "/tmp/tokens.json", MCPStream::FileTokenStore.new("/tmp/tokens.json").path
    assert_equal "/tmp/tokens.json", MCPStream::FileTokenStore.new(Pathname("/tmp/tokens.json")).path
    assert_equal "~/.config/app/tokens.json", MCPStream::FileTokenStore.new("~/.config/app/tokens.json").path
    store = MCPStream::FileTokenStore.new("/tmp/tokens.json")
    assert_match(%r{/tmp/tokens\.json}, store.inspect)
    MCPStream::Client.new(NOWHERE, auth: MCPStream::OAuth.new(token_store: store))
  end

  def test_error_classes
    classes = [MCPStream::AuthorizationRequired, MCPStream::InsufficientScopeError, MCPStream::AuthorizationDeniedError]
    classes.each { |c| assert_operator c, :<, MCPStream::AuthorizationError }
    assert_operator MCPStream::AuthorizationError, :<, MCPStream::MCPError
    error = MCPStream::AuthorizationRequired.new("open it", authorization_url: "https://as.example/authorize?x=1")
    assert_equal ["open it", "https://as.example/authorize?x=1", nil, nil, nil],
                 [error.message, error.authorization_url, error.error, error.error_description, error.scope]
    error = MCPStream::InsufficientScopeError.new("more", error: "insufficient_scope", error_description: "needs write",
                                                        scope: "read write")
    assert_equal ["insufficient_scope", "needs write", "read write"], [error.error, error.error_description, error.scope]
    assert_raises(MCPStream::Error) { raise MCPStream::AuthorizationDeniedError.new("no", error: "access_denied") }
  end

  def test_complete_authorization_needs_auth
    error = assert_raises(ArgumentError) { MCPStream::Client.new(NOWHERE).complete_authorization("http://127.0.0.1/cb?code=x") }
    assert_match(/auth/, error.message)
  end

  # The core asks the store for this endpoint's token before the first request; the store runs
  # on a Ruby thread of its own while the calling thread waits without the GVL.
  def test_a_custom_store_runs_on_a_ruby_thread_while_the_call_waits
    srv = server
    store = RecordingStore.new
    MCPStream::Client.open(srv.url, auth: MCPStream::OAuth.new(token_store: store)) do |client|
      assert_equal "hi", client.call_tool("echo", { "text" => "hi" })["content"][0]["text"]
    end
    method, key, thread = store.calls.pop
    assert_equal :load, method
    assert_match(/\Aendpoint\|/, key)
    assert_includes key, srv.url
    refute_equal Thread.current, thread
  end

  # A failing store costs the token it held, not the call; the developer is told.
  def test_a_failing_store_is_reported_and_the_call_goes_on
    srv = server
    store = RecordingStore.new(fail_with: KeyError.new("the vault is locked"))
    _, err = capture_io do
      client = MCPStream::Client.new(srv.url, auth: MCPStream::ClientCredentials.new(client_id: "c", client_secret: "s",
                                                                                     token_store: store))
      client.connect
      client.ping
      client.close
    end
    assert_match(/token_store\.load raised KeyError: the vault is locked/, err)
    assert_equal :load, store.calls.pop[0]
  end
end
