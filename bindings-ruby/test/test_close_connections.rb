# frozen_string_literal: true

require_relative "test_helper"

# close closes the client's connections at once: Ruby keeps a closed client until a GC gets to
# it, and its sockets must not wait for that. connect opens new ones.
class CloseConnectionsTest < Minitest::Test
  include ServerTest

  # Socket inodes this process holds open.
  def own_sockets
    Dir.children("/proc/self/fd").filter_map do |fd|
      File.readlink("/proc/self/fd/#{fd}")[/\Asocket:\[(\d+)\]\z/, 1]
    rescue SystemCallError
      nil
    end
  end

  # This process's established TCP connections to port (the client's ends).
  def connections_to(port)
    own = own_sockets
    %w[/proc/self/net/tcp /proc/self/net/tcp6].sum do |table|
      next 0 unless File.exist?(table)

      File.readlines(table).drop(1).count do |line|
        fields = line.split
        fields[2].split(":").last.to_i(16) == port && fields[3] == "01" && own.include?(fields[9])
      end
    end
  end

  def until_closed(port)
    250.times do
      return if connections_to(port).zero?

      sleep 0.02
    end
    flunk "the closed client still holds #{connections_to(port)} connection(s)"
  end

  def test_close_closes_the_clients_connections_without_waiting_for_a_gc
    srv = server
    port = URI(srv.url).port
    client = MCPStream::Client.new(srv.url)
    client.connect
    client.call_tool("echo", { "text" => "before" })
    assert_operator connections_to(port), :>=, 1, "the client keeps its connection for the next call"

    assert_equal :terminated, client.close
    until_closed(port)

    client.connect
    assert_equal "after", client.call_tool("echo", { "text" => "after" })["content"][0]["text"]
    client.close
    until_closed(port)
  end
end
