# frozen_string_literal: true

require_relative "test_helper"
require_relative "soak_probe"
require "fileutils"

# The soak through the gem (the core's is tests/soak, `make soak`): connect, call, close cycles
# with a new client each time and with one client reconnecting (the call matters in the modern
# era, where connecting once the era is known sends nothing), and calls on one client, in both
# eras against a server that speaks both; the process's RSS, open fds and TIME_WAIT sockets must stay
# flat (soak_probe.rb has the bounds). Small counts here; `make soak` scales them with
# MCPSTREAM_SOAK_SCALE. The figures go to target/soak/ruby.md.
class TestSoak < Minitest::Test
  include ServerTest

  REPORT = File.join(ENV.fetch("MCPSTREAM_SOAK_DIR", File.join(REPO, "target/soak")), "ruby.md")
  # The session era asks for it by name; the modern one is what :auto finds on a dual server.
  ERA_OPTION = { legacy: :legacy, modern: :auto }.freeze
  # What close answers when it did its job: the session era ends a session, the modern has none.
  CLOSED = { legacy: :terminated, modern: :no_session }.freeze
  PHASES = []
  Minitest.after_run { SoakProbe.write_report(REPORT, "Ruby", PHASES) unless PHASES.empty? }

  def setup
    super
    start_runtime
  end

  %i[legacy modern].each do |era|
    define_method("test_a_new_client_per_cycle_leaves_nothing_behind_#{era}") do
      url = dual.url
      phase = soak(phase("fresh clients, #{era}", SoakProbe.scaled(50), calls: false)) do |n|
        client = connected(url, era)
        echo(client, n)
        assert_equal CLOSED[era], client.close
      end
      judged(phase)
    end

    define_method("test_one_client_reconnecting_leaves_nothing_behind_#{era}") do
      judged(reconnecting(era, phase("reconnect, #{era}", SoakProbe.scaled(250), calls: false)))
    end

    define_method("test_calls_on_one_client_stay_flat_#{era}") do
      judged(calling(era, phase("calls, #{era}", SoakProbe.scaled(1000), calls: true)))
    end
  end

  private

  # One cycle before the first phase: the shared runtime starts with the first client and
  # keeps descriptors of its own (epoll, wakers), which are no client's.
  def start_runtime
    return if self.class.instance_variable_get(:@runtime_started)

    MCPStream::Client.new(server("--no-record").url).connect
    self.class.instance_variable_set(:@runtime_started, true)
  end

  # --no-record: the server would otherwise keep every request it got.
  def dual = @dual ||= server("--no-record", era: :dual)

  def phase(name, ops, calls:) = SoakProbe::Phase.new(name, ops, URI(dual.url).port, calls: calls)

  # The phase's client lives in these methods only, so the GC may free it before the phase is judged.
  def reconnecting(era, phase)
    client = MCPStream::Client.new(dual.url, era: ERA_OPTION[era])
    soak(phase) do |n|
      client.connect
      assert_equal era, client.era
      echo(client, n)
      assert_equal CLOSED[era], client.close
    end
  end

  def calling(era, phase)
    client = connected(dual.url, era)
    soak(phase) { |n| echo(client, n) }
    assert_equal CLOSED[era], client.close
    phase
  end

  def echo(client, n)
    assert_equal "soak #{n}", client.call_tool("echo", { "text" => "soak #{n}" })["content"][0]["text"]
  end

  def connected(url, era)
    client = MCPStream::Client.new(url, era: ERA_OPTION[era])
    client.connect
    assert_equal era, client.era
    client
  end

  def soak(phase)
    phase.ops.times do |n|
      yield n
      phase.after(n + 1)
    end
    phase
  end

  def judged(phase)
    phase.finish
    PHASES << phase
    assert_empty phase.problems, "#{phase.name}: #{phase.problems.join("; ")}"
  end
end
