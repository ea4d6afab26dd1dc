# frozen_string_literal: true

# The session-lifecycle scenario against a real peer, through the Ruby gem; the twin of
# scenario.py, printing the same rows so the two languages can be compared.
#
# Usage: ruby scenario.rb URL TOOL ARGS_JSON EXPECTED_TEXT [--stateless]

require "json"
require "mcpstream"

def text_of(result)
  Array(result["content"]).filter_map { |c| c["text"] if c.is_a?(Hash) }.join(" ")
end

def check(condition, message)
  raise ScenarioFailed, message unless condition
end

class ScenarioFailed < StandardError; end

def run(url, tool, args, expected, stateless)
  rows = []
  chooser = MCPStream::Client.new(url, timeout: 10)
  chooser.connect
  rows << ["connect, era auto: era (version)", "#{chooser.era} (#{chooser.protocol_version})"]
  chooser.close

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

url, tool, args_json, expected, *flags = ARGV
begin
  rows = run(url, tool, JSON.parse(args_json), expected, flags.include?("--stateless"))
  puts JSON.generate({ rows: rows })
rescue ScenarioFailed, MCPStream::Error => e
  warn "scenario failed: #{e.class}: #{e.message}"
  exit 1
end
