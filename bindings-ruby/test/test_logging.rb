# frozen_string_literal: true

require_relative "test_helper"
require "logger"
require "stringio"

# The core's log records reach MCPStream.logger: a session's life at INFO and WARN, requests
# at DEBUG, no session id above DEBUG and tokens never. Records come through a thread of
# their own, so the tests wait (bounded) for them.
class LoggingTest < Minitest::Test
  include ServerTest

  def setup
    super
    @out = StringIO.new
    @lines = Queue.new
    logger = Logger.new(@out)
    logger.formatter = proc { |severity, _time, progname, message| @lines << [severity, progname, message] && "" }
    @logger = logger
  end

  def teardown
    MCPStream.logger = nil
    super
  end

  def records_until(pattern)
    seen = []
    deadline = Process.clock_gettime(Process::CLOCK_MONOTONIC) + 5
    until seen.any? { |_, _, message| message.match?(pattern) }
      flunk "no record matching #{pattern.inspect} in #{seen.inspect}" if Process.clock_gettime(Process::CLOCK_MONOTONIC) > deadline
      seen << @lines.pop until @lines.empty?
      sleep 0.01
    end
    seen
  end

  def test_a_sessions_life_is_logged_without_its_ids
    @logger.level = Logger::INFO
    MCPStream.logger = @logger
    srv = server
    client = MCPStream::Client.new(srv.url, on_session_expired: :reinitialize)
    client.connect
    first = client.session_id
    srv.expire_sessions
    assert_raises(MCPStream::SessionExpiredError) { client.call_tool("echo", { "text" => "hi" }) }
    second = client.session_id
    assert_equal :terminated, client.close
    records = records_until(/\Aclosed session/)

    lines = records.select { |_, progname, _| progname == "mcpstream.client" }
    assert_equal %w[INFO WARN INFO INFO], lines.map(&:first), lines.inspect
    connected, expired, replaced, closed = lines.map(&:last)
    assert_match(/\Aconnected to #{Regexp.escape(srv.url)}: legacy era, protocol 2025-11-25, session #\h{8}\z/, connected)
    tag = connected.split.last
    assert_equal "session #{tag} expired: the server no longer knows it", expired
    assert_match(/\Astarted session #\h{8} in place of the expired session #{tag}\z/, replaced)
    assert_match(/\Aclosed session #\h{8}: terminated\z/, closed)
    records.each { |_, _, message| refute(message.include?(first) || message.include?(second), message) }
  end

  def test_debug_shows_requests_and_the_session_id
    @logger.level = Logger::DEBUG
    MCPStream.logger = @logger
    srv = server
    session = MCPStream::Client.open(srv.url) do |client|
      client.call_tool("echo", { "text" => "hi" })
      client.session_id
    end
    debug = records_until(/\Aclosed session/).select { |severity, _, _| severity == "DEBUG" }.map(&:last)
    assert(debug.any? { |m| m.end_with?("has id #{session}") }, debug.inspect)
    assert(debug.any? { |m| m.start_with?("tools/call (session #") }, debug.inspect)
  end

  def test_a_forked_child_delivers_its_own_records
    @logger.level = Logger::DEBUG
    MCPStream.logger = @logger
    srv = server
    client = MCPStream::Client.new(srv.url)
    client.connect
    pid = fork do
      client.call_tool("echo", { "text" => "in the child" })
      records_until(/\Atools\/call \(session #/)
      exit!(0)
    rescue Minitest::Assertion
      exit!(1)
    end
    _, status = Process.wait2(pid)
    assert_equal 0, status.exitstatus, "the child's log records reached its logger"
    client.close
  end

  def test_without_a_logger_nothing_is_delivered
    srv = server
    MCPStream::Client.open(srv.url) { |client| client.call_tool("echo", { "text" => "hi" }) }
    sleep 0.2
    assert_empty @lines
    assert_nil MCPStream.logger
  end
end
