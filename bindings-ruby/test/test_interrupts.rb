# frozen_string_literal: true

require_relative "test_helper"
require "socket"

class TestInterrupts < Minitest::Test
  include ServerTest

  def test_timeout_interrupts_a_call_and_the_client_stays_usable
    client = MCPStream::Client.new(server.url)
    client.connect
    took = elapsed { assert_raises(Timeout::Error) { Timeout.timeout(0.3) { client.call_tool("slow", { "ms" => 5000 }) } } }
    assert_operator took, :<, 1.0
    assert_equal "next", client.call_tool("echo", { "text" => "next" })["content"][0]["text"]
  end

  def test_thread_kill_and_raise_stop_a_waiting_call
    client = MCPStream::Client.new(server.url)
    client.connect
    waiting = Thread.new { client.call_tool("slow", { "ms" => 5000 }) }
    sleep 0.2
    took = elapsed { waiting.kill.join }
    assert_operator took, :<, 0.5
    raised = Thread.new { client.call_tool("slow", { "ms" => 5000 }) }
    raised.report_on_exception = false
    sleep 0.2
    raised.raise(RuntimeError, "stop")
    took = elapsed { assert_raises(RuntimeError) { raised.join } }
    assert_operator took, :<, 0.5
    client.ping
  end

  def test_ctrl_c_raises_interrupt_promptly
    script = <<~RUBY
      require "mcpstream"
      client = MCPStream::Client.new(ARGV[0])
      client.connect
      puts "ready"
      $stdout.flush
      begin
        client.call_tool("slow", { "ms" => 10_000 })
      rescue Interrupt
        puts "interrupted \#{Process.clock_gettime(Process::CLOCK_REALTIME)}"
      end
      puts client.call_tool("echo", { "text" => "usable" })["content"][0]["text"]
    RUBY
    srv = server
    IO.popen([RbConfig.ruby, "-e", script, srv.url]) do |child|
      assert_equal "ready", child.gets.strip
      sleep 0.3
      sent = Process.clock_gettime(Process::CLOCK_REALTIME)
      Process.kill("INT", child.pid)
      line = child.gets.to_s
      assert_match(/\Ainterrupted /, line)
      assert_operator line.split[1].to_f - sent, :<, 0.5
      assert_equal "usable", child.gets.strip
    end
  end
end
