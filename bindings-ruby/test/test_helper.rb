# frozen_string_literal: true

require "minitest/autorun"
require "net/http"
require "json"
require "timeout"
require "fileutils"
require "mcpstream"

REPO = File.expand_path("../..", __dir__)

# The suite checks the installed gem, not the build tree; `make check` names its debug build.
native = $LOADED_FEATURES.grep(/mcpstream_native/).first
expected = ENV["MCPSTREAM_RUBY_EXT_DIR"] || ENV["GEM_HOME"]
abort "mcpstream_native not loaded from #{expected.inspect}: #{native}" unless expected && native&.start_with?(expected)

MODERN_VERSION = "2026-07-28"
# The reference server's --tls certificate is signed by this test CA.
CERTS = File.join(REPO, "tests/testkit/certs")
TEST_CA = File.join(CERTS, "ca.pem")

# A running mcpstream-testserver and its admin routes.
class RefServer
  # The reference server answers both eras unless told otherwise.
  ERA_FLAGS = { legacy: ["--legacy-only"], modern: ["--modern-only"], dual: [] }.freeze

  attr_reader :url

  def initialize(*flags)
    binary = ENV.fetch("MCPSTREAM_TESTSERVER", File.join(REPO, "target/debug/mcpstream-testserver"))
    @io = IO.popen([binary, "--port", "0", *flags])
    @url = @io.gets.to_s.strip
    raise "reference server did not start: #{@url.inspect}" unless @url.match?(%r{\Ahttps?://127\.0\.0\.1:})

    # Ports are reused: an earlier server's era, remembered for this URL, must not decide.
    MCPStream.forget_verdict(@url)
  end

  # The JSON-RPC method of a recorded POST, else nil.
  def self.rpc_method(request) = request["method"] == "POST" && request["body"].is_a?(Hash) ? request["body"]["method"] : nil

  def admin(verb, path, body = nil)
    uri = URI(@url.sub(%r{/mcp\z}, path))
    request = verb == :get ? Net::HTTP::Get.new(uri) : Net::HTTP::Post.new(uri, "content-type" => "application/json")
    request.body = JSON.generate(body) if body
    tls = uri.scheme == "https" ? { use_ssl: true, ca_file: TEST_CA } : {}
    response = Net::HTTP.start(uri.host, uri.port, read_timeout: 5, **tls) { |http| http.request(request) }
    response.body.to_s.empty? ? nil : JSON.parse(response.body)
  end

  def requests = admin(:get, "/_admin/requests")
  def posts(rpc_method) = requests.select { |r| r["method"] == "POST" && r["body"].is_a?(Hash) && r["body"]["method"] == rpc_method }
  def with_method(verb) = requests.select { |r| r["method"] == verb }

  # Every request after the server/discover probe an auto client sends first, checking there
  # was exactly that one probe.
  def after_probe
    first, *later = requests
    raise "the era probe comes first, not #{first.inspect}" unless first && RefServer.rpc_method(first) == "server/discover"
    raise "one probe only" if later.any? { |r| RefServer.rpc_method(r) == "server/discover" }

    later
  end
  def expire_sessions = admin(:post, "/_admin/expire")["expired"]
  def sessions = admin(:get, "/_admin/sessions")["sessions"]
  def script(**script) = admin(:post, "/_admin/script", script)
  # Feeds the modern era's listen streams: method: (and uri:), end: true or drop: true; how
  # many streams it reached.
  def notify(**command) = admin(:post, "/_admin/notify", command)["delivered"]
  # Listen streams the server still holds open.
  def listeners = admin(:get, "/_admin/listeners")["listeners"]

  def stop
    Process.kill("KILL", @io.pid)
    @io.close
  rescue Errno::ESRCH, IOError
    nil
  end
end

# The fault matrix's cases append their outcome to target/reliability/ruby.jsonl, which
# tests/reliability/report.py renders into docs/reliability.md.
module Reliability
  OUT = File.join(ENV.fetch("MCPSTREAM_RELIABILITY_DIR", File.join(REPO, "target/reliability")), "ruby.jsonl")

  def self.record(kase, outcome, seconds, bound, rss_growth: nil, rss_bound: nil)
    FileUtils.mkdir_p(File.dirname(OUT))
    line = { language: "ruby", case: kase, outcome: outcome, seconds: seconds, bound_seconds: bound,
             rss_growth_mib: rss_growth, rss_bound_mib: rss_bound }
    File.open(OUT, "a") { |f| f.puts(JSON.generate(line)) }
  end
end

module ServerTest
  def setup
    @servers = []
  end

  def teardown
    @servers.each(&:stop)
  end

  # The suites other than test_eras.rb are the session era's: their servers speak only it, so
  # Client.new(url) with no era option must find its way there (its server/discover probe
  # refused, then initialize) and keep sessions as it always did. era: :modern or :dual (both).
  def server(*flags, era: :legacy)
    RefServer.new(*RefServer::ERA_FLAGS.fetch(era), *flags).tap { |s| @servers << s }
  end

  # Seconds the block took.
  def elapsed
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    yield
    Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
  end
end
