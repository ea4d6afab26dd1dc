# frozen_string_literal: true

require_relative "test_helper"
require "open3"

class TestReadme < Minitest::Test
  include ServerTest

  EXAMPLE = File.join(REPO, "bindings-ruby/examples/quickstart.rb")

  def test_readme_shows_the_quickstart_verbatim
    blocks = File.read(File.join(REPO, "README.md")).scan(/```ruby\n(.*?)```/m).flatten.map(&:strip)
    assert_includes blocks, File.read(EXAMPLE).strip
  end

  def test_quickstart_runs_as_written
    srv = server
    out, err, status = Open3.capture3({ "MCP_URL" => srv.url }, RbConfig.ruby, "-w", EXAMPLE)
    assert status.success?, err
    assert_equal ["protocol 2025-11-25", "tools: echo, add, slow, fail, big, progress, ask", "add -> 42"], out.lines.map(&:chomp)
    assert_equal [], srv.sessions
  end

  def test_quickstart_stops_loudly_without_the_reference_servers_tool
    srv = server
    tools = '{"jsonrpc":"2.0","id":{{id}},"result":{"tools":[{"name":"echo","inputSchema":{"type":"object"}}]}}'
    srv.script(status: 200, body: tools, headers: [["content-type", "application/json"]], for_method: "tools/list")
    _, err, status = Open3.capture3({ "MCP_URL" => srv.url }, RbConfig.ruby, "-w", EXAMPLE)
    assert_equal 1, status.exitstatus
    assert_equal "#{srv.url} has no tool \"add\": this example needs the reference server (`make demo` starts it)", err.strip
    assert_equal [], srv.posts("tools/call")
    assert_equal [], srv.sessions, "closed on the way out"
  end
end
