# frozen_string_literal: true

require_relative "bindings-ruby/lib/mcpstream/version"

Gem::Specification.new do |spec|
  spec.name = "mcpstream"
  spec.version = MCPStream::VERSION
  spec.summary = "A fast, native Model Context Protocol client for the Streamable HTTP transport"
  spec.description = "MCPStream::Client talks to remote MCP servers; the protocol runs in a Rust core."
  spec.authors = ["mcpstream developers"]
  # Either license, as the crates say ("MIT OR Apache-2.0"); RubyGems takes the list.
  spec.licenses = ["MIT", "Apache-2.0"]
  # The protocol's site until the project has a public home of its own.
  spec.homepage = "https://modelcontextprotocol.io"
  spec.required_ruby_version = ">= 3.1"
  # The gem carries the cargo workspace it builds; every member's manifest and sources must be
  # present for cargo to load it, so they are read off the workspace's member list.
  members = File.read(File.join(__dir__, "Cargo.toml"))[/^members\s*=\s*\[(.*?)\]/m, 1].scan(/"([^"]+)"/).flatten
  spec.files = Dir[
    "Cargo.toml", "Cargo.lock", "README.md",
    *members.flat_map { |member| ["#{member}/Cargo.toml", "#{member}/src/**/*.rs"] },
    "bindings-ruby/ext/extconf.rb", "bindings-ruby/lib/**/*.rb", "bindings-ruby/sig/**/*.rbs"
  ]
  spec.require_paths = ["bindings-ruby/lib"]
  spec.extensions = ["bindings-ruby/ext/extconf.rb"]
end
