# frozen_string_literal: true

require_relative "bindings-ruby/lib/mcpstream/version"

Gem::Specification.new do |spec|
  spec.name = "mcpstream"
  spec.version = MCPStream::VERSION
  spec.summary = "A fast, native Model Context Protocol client for the Streamable HTTP transport"
  spec.description = "MCPStream::Client talks to remote MCP servers; the protocol runs in a Rust core."
  spec.authors = ["mcpstream developers"]
  spec.license = "MIT OR Apache-2.0"
  spec.required_ruby_version = ">= 3.1"
  # The gem carries the cargo workspace it builds; every member's manifest must be present.
  spec.files = Dir[
    "Cargo.toml", "Cargo.lock", "README.md",
    "core/Cargo.toml", "core/src/**/*.rs",
    "tests/testkit/Cargo.toml", "tests/testkit/src/**/*.rs",
    "tests/peers/rmcp/Cargo.toml", "tests/peers/rmcp/src/**/*.rs",
    "bindings-python/Cargo.toml", "bindings-python/src/**/*.rs",
    "bindings-ruby/Cargo.toml", "bindings-ruby/src/**/*.rs", "bindings-ruby/ext/extconf.rb",
    "bindings-ruby/lib/**/*.rb", "bindings-ruby/sig/**/*.rbs"
  ]
  spec.require_paths = ["bindings-ruby/lib"]
  spec.extensions = ["bindings-ruby/ext/extconf.rb"]
end
