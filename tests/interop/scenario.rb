# frozen_string_literal: true

# The interop scenario against a real peer, through the Ruby gem; the twin of scenario.py,
# printing the same rows so the two languages can be compared.
#
# Usage: ruby scenario.rb URL SPEC_JSON

require "json"
require "net/http"
require "mcpstream"

NAME = "mcpstream interop"
REGIONS = [["plain value", "eu-west-1"], ["non-ASCII value (sent base64)", "Zürich Süd"]].freeze
STEPS = 3

def text_of(result)
  Array(result["content"]).filter_map { |c| c["text"] if c.is_a?(Hash) }.join(" ")
end

def check(condition, message)
  raise ScenarioFailed, message unless condition
end

class ScenarioFailed < StandardError; end

# An error as the same words in Python and Ruby.
def refusal(error)
  name = error.class.name.split("::").last
  case error
  when MCPStream::RPCError then "refused: RPCError #{error.code}"
  when MCPStream::HTTPError then "refused: #{name} #{error.status}"
  else "refused: #{name}"
  end
end

# What the peer received since the last call (the proxy's record is read and cleared).
def proxy_requests(proxy)
  uri = URI("#{proxy}/_proxy/requests")
  answer = Net::HTTP.start(uri.host, uri.port, read_timeout: 10) { |http| http.delete(uri.path) }
  JSON.parse(answer.body)["requests"]
end

# The requests a connect sent, e.g. "2: server/discover 400, initialize 200".
def wire(requests)
  return "0" if requests.empty?

  names = requests.map { |r| "#{r["rpc_method"] || r["method"]} #{r["status"]}" }
  "#{names.size}: #{names.join(", ")}"
end

CHOICES = [
  ["auto, first contact", {}, true],
  ["auto, verdict remembered", {}, false],
  ['era="legacy"', { era: :legacy }, false],
  ['era="modern"', { era: :modern }, false]
].freeze

def monotonic = Process.clock_gettime(Process::CLOCK_MONOTONIC)

# Connects once: [client or nil if refused, the seconds connect took, the refusal].
def connect_once(url, options, forget)
  MCPStream.forget_verdict(url) if forget
  client = MCPStream::Client.new(url, timeout: 10, **options)
  started = monotonic
  begin
    client.connect
  rescue MCPStream::Error => e
    return [nil, monotonic - started, refusal(e)]
  end
  [client, monotonic - started, ""]
end

def median(values)
  sorted = values.sort
  middle = sorted.size / 2
  sorted.size.odd? ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2.0
end

def probe_cost(spec, url)
  rows = []
  proxy_requests(spec["proxy"])
  CHOICES.each do |label, options, forget|
    client, _, refused = connect_once(url, options, forget)
    sent = wire(proxy_requests(spec["proxy"]))
    if client.nil?
      rows << ["connect requests, #{label}", "#{sent} (#{refused})"]
      next
    end
    rows.unshift(["connect, era auto: era (version)", "#{client.era} (#{client.protocol_version})"]) if forget
    rows << ["connect requests, #{label}", sent]
    client.close
    proxy_requests(spec["proxy"])
  end
  # The choices take turns, so a peer still warming up (a JIT) weighs on none of them more;
  # the first round only warms up.
  samples = CHOICES.to_h { |label, _, _| [label, []] }
  (spec["rounds"] + 1).times do |turn|
    CHOICES.each do |label, options, forget|
      client, seconds, = connect_once(spec["direct"], options, forget)
      next if client.nil?

      client.close
      samples[label] << seconds if turn.positive?
    end
  end
  timings = samples.transform_values { |s| s.empty? ? nil : median(s) * 1000 }
  proxy_requests(spec["proxy"])
  [rows, timings]
end

def lifecycle(url, tool, args, expected, stateless)
  rows = []
  # Dual-era peers would otherwise be spoken to in the modern era, which has no session.
  client = MCPStream::Client.new(url, timeout: 10, era: :legacy)
  client.connect
  sid = client.session_id
  version = client.protocol_version
  check(sid.nil? == stateless, "session id #{sid.inspect} for a #{stateless ? "stateless" : "stateful"} server")
  rows << ["connect: session id", sid.nil? ? "none (stateless)" : "assigned"]
  rows << ["connect: negotiated version", version.to_s]

  names = client.list_tools["tools"].map { |t| t["name"] }
  check(names.include?(tool), "#{tool} not in #{names}")
  result = client.call_tool(tool, args)
  check(text_of(result).include?(expected) && !result["isError"], "unexpected result #{result}")
  rows << ["tools/list and tools/call", "ok"]

  outcome = client.close
  check(outcome == (stateless ? :no_session : :terminated), "close -> #{outcome}")
  check(client.session_id.nil?, "session kept after close")
  rows << ["close()", outcome.to_s]

  if sid.nil?
    rows << ["the closed session's id, reused", "n/a (no session)"]
    rows << ["the same, with on_session_expired=\"retry\"", "n/a (no session)"]
  else
    stale = MCPStream::Client.new(url, timeout: 10, standalone_stream: false)
    stale.resume(sid, version)
    begin
      stale.list_tools
      raise ScenarioFailed, "the closed session's id was accepted"
    rescue MCPStream::SessionExpiredError => e
      check(e.session_id == sid && stale.session_id.nil?, "expiry did not clear the session")
      rows << ["the closed session's id, reused", "SessionExpiredError (#{e.status})"]
    end

    healing = MCPStream::Client.new(url, timeout: 10, standalone_stream: false, on_session_expired: :retry)
    healing.resume(sid, version)
    result = healing.call_tool(tool, args)
    check(text_of(result).include?(expected), "unexpected result after recovery #{result}")
    check(![nil, sid].include?(healing.session_id), "no new session after recovery")
    healing.close
    rows << ["the same, with on_session_expired=\"retry\"", "recovered in a new session"]
  end

  again = MCPStream::Client.new(url, timeout: 10, era: :legacy)
  again.connect
  check(again.session_id.nil? || again.session_id != sid, "the new session reused the old id")
  check(text_of(again.call_tool(tool, args)).include?(expected), "call in the new session failed")
  again.close
  rows << ["connect again", "ok"]
  rows
end

# Each modern feature on its own: a failure is a "FAILED" row and a line in details.
class Modern
  attr_reader :rows, :details

  def initialize(url, spec)
    @spec = spec
    @rows = []
    @details = []
    @asked = []
    @client = MCPStream::Client.new(url, timeout: 10, era: :modern)
    @client.on_elicitation do |params|
      @asked << params
      { "action" => "accept", "content" => { "name" => NAME } }
    end
  end

  def run
    attempt("connect, era modern") { connect }
    attempt("tools/list and tools/call") { call }
    REGIONS.each { |label, value| attempt("x-mcp-header argument, #{label}") { header(value) } }
    attempt("input_required elicitation (on_elicitation)") { elicitation }
    attempt("listen: tools/list_changed after poke") { subscription }
    attempt("progress (on_progress)") { progress }
    attempt("close()") { @client.close.to_s }
    self
  end

  private

  def attempt(behaviour)
    @rows << ["modern: #{behaviour}", yield]
  rescue StandardError => e # every failure is a row, the rest still runs
    @rows << ["modern: #{behaviour}", "FAILED"]
    @details << "#{behaviour}: #{e.class}: #{e.message}"
  end

  def connect
    @client.connect
    check(@client.era == :modern, "era #{@client.era}")
    "session id #{@client.session_id || "none"}, version #{@client.protocol_version}"
  end

  def call
    names = @client.list_tools["tools"].map { |t| t["name"] }
    missing = ([@spec["tool"], "region", "greet", "progress", "poke"] - names).sort
    check(missing.empty?, "tools missing from tools/list: #{missing} (got #{names})")
    result = @client.call_tool(@spec["tool"], @spec["args"])
    check(text_of(result).include?(@spec["expected"]) && !result["isError"], "unexpected result #{result}")
    "ok"
  end

  def header(value)
    result = @client.call_tool("region", { "region" => value, "text" => "routed" })
    check(text_of(result) == "routed in #{value}" && !result["isError"], "unexpected #{result}")
    "accepted"
  end

  def elicitation
    result = @client.call_tool("greet", {})
    check(text_of(result) == "hello #{NAME}" && !result["isError"], "unexpected result #{result}")
    check(@asked.size == 1, "on_elicitation ran #{@asked.size} times")
    "answered \"#{(@asked[0] || {})["message"]}\" once; the result shows the answer"
  end

  def subscription
    subscription = @client.listen(tools_list_changed: true)
    begin
      honoured = subscription.acknowledged.select { |_, v| v }.keys.sort.join(", ")
      honoured = "nothing" if honoured.empty?
      @client.call_tool("poke", {})
      deadline = monotonic + 10
      while monotonic < deadline
        event = subscription.next_event(timeout: [deadline - monotonic, 0].max)
        break if event.nil?

        check(event.type != :ended, "the subscription ended: #{event.inspect}")
        if event.type == :notification && event.method == "notifications/tools/list_changed"
          return "acknowledged #{honoured}; notifications/tools/list_changed received"
        end
      end
      raise ScenarioFailed, "no notifications/tools/list_changed within 10 s of poke"
    ensure
      subscription.close
    end
  end

  def progress
    seen = []
    result = @client.call_tool("progress", { "steps" => STEPS }) { |params| seen << params }
    check(text_of(result) == "#{STEPS} steps done", "unexpected result #{result}")
    return "none sent (the peer answers JSON only)" if seen.empty? && @spec["json_only"]

    values = seen.map { |p| p["progress"] }
    check(values == values.sort && values.uniq.size == values.size, "progress not increasing: #{values}")
    check(seen.size == STEPS, "#{seen.size} of #{STEPS} notifications: #{seen}")
    "#{seen.size} of #{STEPS}, increasing, before the result"
  end
end

url, spec_json = ARGV
spec = JSON.parse(spec_json)
begin
  rows, timings = probe_cost(spec, url)
  rows += lifecycle(url, spec["tool"], spec["args"], spec["expected"], spec["stateless"]) if spec["legacy"]
  details = []
  if spec["modern"]
    modern = Modern.new(url, spec).run
    rows += modern.rows
    details = modern.details
  end
  puts JSON.generate({ rows: rows, timings: timings, details: details })
rescue ScenarioFailed, MCPStream::Error => e
  warn "scenario failed: #{e.class}: #{e.message}"
  exit 1
end
