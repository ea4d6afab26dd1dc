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
end
