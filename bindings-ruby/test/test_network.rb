# frozen_string_literal: true

require_relative "test_helper"

# The network options through Ruby against the reference server over TLS (its test CA in
# tests/testkit/certs), HTTP/2, mutual TLS and the recording proxy (mcpstream-test-proxy).
class NetworkTest < Minitest::Test
  include ServerTest

  def echo(client, text) = assert_equal(text, client.call_tool("echo", { "text" => text })["content"][0]["text"])
  def versions(srv) = srv.requests.map { |r| r["http_version"] }.uniq
  def peers(srv) = srv.requests.map { |r| r["peer"] }.uniq

  def start_proxy(*flags)
    binary = File.join(REPO, "target/debug/mcpstream-test-proxy")
    io = IO.popen([binary, "--port", "0", *flags])
    url = io.gets.to_s.strip
    raise "proxy did not start: #{url.inspect}" unless url.start_with?("http://127.0.0.1:")

    @proxies = (@proxies || []) << io
    url
  end

  def proxied(url)
    JSON.parse(Net::HTTP.get(URI("#{url}/_admin/proxied")))["proxied"]
  end

  def teardown
    (@proxies || []).each do |io|
      Process.kill("KILL", io.pid)
      io.close
    end
    super
  end

  def test_a_private_ca_and_http2_with_threads_on_one_connection
    srv = server("--tls")
    MCPStream::Client.open(srv.url, ca_file: TEST_CA) do |client|
      8.times.map { Thread.new { client.call_tool("slow", { "ms" => 200 }) } }.each(&:join)
    end
    assert_equal ["HTTP/2.0"], versions(srv)
    assert_equal 1, peers(srv).size
  end

  def test_http1_can_be_forced_and_an_unknown_ca_is_a_transport_error
    srv = server("--tls")
    error = assert_raises(MCPStream::TransportError) { MCPStream::Client.new(srv.url).connect }
    assert_match(/certificate/, error.message)
    MCPStream::Client.open(srv.url, ca_pem: File.read(TEST_CA), http_version: :http1) { |c| echo(c, "h1") }
    assert_equal ["HTTP/1.1"], versions(srv)
    MCPStream::Client.open(srv.url, danger_skip_tls_verify: true) { |c| echo(c, "unverified") }
  end

  def test_mutual_tls
    srv = server("--tls-client-ca")
    assert_raises(MCPStream::TransportError) { MCPStream::Client.new(srv.url, ca_file: TEST_CA).connect }
    MCPStream::Client.open(srv.url, ca_file: TEST_CA, client_cert: File.join(CERTS, "client.pem"),
                                    client_key: File.join(CERTS, "client-key.pem")) { |c| echo(c, "mutual") }
  end

  def test_an_explicit_proxy_with_credentials
    srv = server("--tls")
    proxy = start_proxy("--auth", "user:secret")
    authorized = proxy.sub("http://", "http://user:secret@")
    MCPStream::Client.open(srv.url, ca_file: TEST_CA, proxy: authorized) { |c| echo(c, "tunnelled") }
    tunnels = proxied(proxy).select { |p| p["method"] == "CONNECT" }
    refute_empty tunnels
    assert(tunnels.all? { |t| t["target"] == srv.url.split("/")[2] && t["authorized"] }, tunnels.inspect)
    assert_raises(MCPStream::TransportError) { MCPStream::Client.new(srv.url, ca_file: TEST_CA, proxy: proxy).connect }
    assert(proxied(proxy).any? { |p| p["status"] == 407 })
  end
end
