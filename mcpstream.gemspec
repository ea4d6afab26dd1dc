# frozen_string_literal: true

require_relative "bindings-ruby/lib/mcpstream/version"

# Two gems come from this file. By default the source gem: the cargo workspace and an extension
# that RubyGems builds with cargo on install. With MCPSTREAM_GEM_PREBUILT=1, the platform gem
# (`make gem`): no Rust sources and nothing to build, but the extension compiled beforehand for
# each Ruby minor version it supports, as bindings-ruby/lib/mcpstream/<3.1>/mcpstream_native.so
# (bindings-ruby/lib/mcpstream.rb loads it from there).
prebuilt = ENV["MCPSTREAM_GEM_PREBUILT"] == "1"

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
  spec.require_paths = ["bindings-ruby/lib"]
  ruby_files = Dir["README.md", "bindings-ruby/lib/**/*.rb", "bindings-ruby/sig/**/*.rbs"]
  if prebuilt
    libraries = Dir["bindings-ruby/lib/mcpstream/*/mcpstream_native.so"]
    raise "MCPSTREAM_GEM_PREBUILT=1, but no bindings-ruby/lib/mcpstream/<ruby>/mcpstream_native.so" if libraries.empty?

    # An extension loads only into the Ruby minor version it was compiled for.
    rubies = libraries.map { |library| Gem::Version.new(File.basename(File.dirname(library))) }.sort
    newest = rubies.last.segments
    spec.platform = Gem::Platform.local
    spec.required_ruby_version = [">= #{rubies.first}", "< #{newest[0]}.#{newest[1] + 1}.dev"]
    spec.files = ruby_files + libraries
  else
    # The gem carries the cargo workspace it builds; every member's manifest and sources must be
    # present for cargo to load it, so they are read off the workspace's member list.
    members = File.read(File.join(__dir__, "Cargo.toml"))[/^members\s*=\s*\[(.*?)\]/m, 1].scan(/"([^"]+)"/).flatten
    spec.files = ruby_files + Dir[
      "Cargo.toml", "Cargo.lock", ".cargo/config.toml",
      *members.flat_map { |member| ["#{member}/Cargo.toml", "#{member}/src/**/*.rs"] },
      "bindings-ruby/ext/extconf.rb"
    ]
    spec.extensions = ["bindings-ruby/ext/extconf.rb"]
  end
end
